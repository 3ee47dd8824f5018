#pragma once
// The platform's chart of accounts (DESIGN.md 4.3) over the ledger: one
// account per role, owner and currency, opened on first use, and the entries
// the domain books between them. Domain code names accounts by role (a
// customer's wallet, a project's escrow) and builds ledger entries with the
// functions below; every rule of the ledger (balance, currency, balance
// flags, idempotency, holds resolved exactly once) still applies, and its
// refusals come back as the ledger's own problem types.

#include "base/audit.hpp"
#include "ledger/ledger.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace schwarm::accounts {

enum class role {
    bank_cash,       // asset: the bank's money at its payment providers
    wallet,          // liability: a customer's money (owner: user id); may not go below zero
    escrow,          // liability: pledges to a project (owner: project id); may not go below zero
    fee_income,      // income: platform fees
    community_fund,  // liability: the members' community fund that voting rounds allocate
    loan_receivable, // asset, memorandum: principal a borrower still owes (owner: project id)
    lender_claims,   // liability, memorandum: principal owed on to the lenders (owner: project id)
};

struct key {
    role of;
    std::int64_t owner = 0; // user or project id; 0 for the bank's own accounts
    std::string currency_code;
};

// wallet:42:EUR, escrow:7:EUR, income:fees:EUR, …
std::string code_of(const key& k);

// The account, opened (and audited as opened by `by`) if there is none yet;
// safe when several transactions open the same one at once.
ledger::account_id open(pqxx::work& tx, const key& k, const audit::origin& by);
std::optional<ledger::account_id> find(pqxx::transaction_base& tx, const key& k);
// Many at once, in order.
std::vector<std::optional<ledger::account_id>> find(pqxx::transaction_base& tx, std::span<const key> keys);
// An account's four balances (all zero for an unknown id).
ledger::balances balance(pqxx::transaction_base& tx, ledger::account_id id);

// Money from `debit` to `credit`.
struct movement {
    ledger::account_id debit;
    ledger::account_id credit;
    std::int64_t amount_minor = 0;
};

// The entries the domain books. `idempotency_key` is the platform's own
// (prefixed by purpose: pledge:, settle:, fee:, …; never the clients' "api:").
ledger::entry_request transfer(std::string idempotency_key, std::span<const movement> moves,
                               const std::string& currency_code, std::string description, const audit::origin& by);
ledger::entry_request hold(std::string idempotency_key, const movement& move, const std::string& currency_code,
                           std::string description, const audit::origin& by);
// A hold posted in full, or released.
ledger::entry_request post(std::string idempotency_key, ledger::entry_id hold, std::string description,
                           const audit::origin& by);
ledger::entry_request release(std::string idempotency_key, ledger::entry_id hold, std::string description,
                              const audit::origin& by);

// Books in order, each on its own (linked: all or none); one result each.
std::vector<ledger::entry_result> book(pqxx::work& tx, std::span<const ledger::entry_request> entries, bool linked);
// Books linked; the entries' ids in order, or throws the refusal that caused
// it (not the linked-entry-failed of the others).
std::vector<ledger::entry_id> book_all(pqxx::work& tx, std::span<const ledger::entry_request> entries);

} // namespace schwarm::accounts
