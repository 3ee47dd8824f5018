#pragma once
// Wallets (DESIGN.md 4.3): each customer's money at the bank, a liability
// account per currency in the ledger that may not go below zero. Staff book
// deposits and payouts; a payment provider does the same through a signed
// callback (api/wallets.cpp). Pledges hold money in it until settlement.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "ledger/ledger.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::wallets {

namespace problems {
inline constexpr problem_type not_a_customer{422, "wallet-not-a-customer", "Only customers have wallets"};
} // namespace problems

struct balance {
    std::string currency_code;
    std::int64_t balance_minor = 0;   // posted: deposits and settled money in, less what went out
    std::int64_t held_minor = 0;      // pledges not yet settled
    std::int64_t available_minor = 0; // balance − held: what a pledge or payout may use
};

struct movement {
    user_id owner;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::string idempotency_key; // unique per purpose: the caller prefixes it
    std::string description;
    std::optional<user_id> actor;
    std::string request_id;
};

struct booked {
    ledger::entry_id entry;
    bool replayed = false;
    balance after;
};

// Money in from outside (bank cash → wallet) and out (wallet → bank cash).
// A payout beyond the available balance is refused by the ledger's balance
// rule (insufficient_funds), not by a read before it. Unknown users: 404.
booked deposit(pqxx::work& tx, const movement& m);
booked payout(pqxx::work& tx, const movement& m);

balance of(pqxx::transaction_base& tx, user_id owner, const std::string& currency_code);

// The members' community fund that voting rounds allocate: staff book money
// into it (bank cash → fund); anyone may see its balance.
booked fund_deposit(pqxx::work& tx, const movement& m); // m.owner is ignored
balance fund_balance(pqxx::transaction_base& tx, const std::string& currency_code);
std::vector<ledger::statement_line> fund_statement(pqxx::transaction_base& tx, const std::string& currency_code,
                                                   const std::optional<std::string>& cursor, int limit);
std::vector<ledger::statement_line> statement(pqxx::transaction_base& tx, user_id owner,
                                              const std::string& currency_code,
                                              const std::optional<std::string>& cursor, int limit);

} // namespace schwarm::wallets
