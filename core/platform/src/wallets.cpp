#include "platform/wallets.hpp"

#include "base/audit.hpp"
#include "base/money.hpp"
#include "platform/pledges.hpp"
#include "platform/users.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::wallets {

namespace {

using ledger_port::account_role;

// A liability account of the bank as its owner sees it: credits are money in.
balance balance_of(pqxx::transaction_base& tx, const ledger_port::account_key& key) {
    const auto& ledger = ledger_port::current();
    balance out{key.currency_code};
    auto found = ledger.find_accounts(tx, std::span(&key, 1));
    if (!found[0]) return out;
    auto b = ledger.balance_of(tx, *found[0]);
    out.balance_minor = b.credits_posted - b.debits_posted;
    out.held_minor = b.debits_pending;
    out.available_minor = out.balance_minor - out.held_minor;
    return out;
}

// Money between the bank's cash and `inside` (a wallet or the community
// fund): in, or out; audited as `action` on `subject`.
booked move(pqxx::work& tx, const movement& m, const ledger_port::account_key& inside, bool in, const char* action,
            const std::string& subject) {
    if (m.amount_minor <= 0) throw field_problem("amount_minor", "amount_minor must be positive");
    if (!currency::parse(m.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    const auto& ledger = ledger_port::current();
    std::int64_t account = ledger.account(tx, inside, {m.actor, m.request_id});
    std::int64_t cash = ledger.account(tx, {account_role::bank_cash, 0, m.currency_code}, {m.actor, m.request_id});
    ledger_port::booking b{m.idempotency_key, ledger_port::booking_kind::transfer,
                           {in ? ledger_port::movement{cash, account, m.amount_minor}
                               : ledger_port::movement{account, cash, m.amount_minor}},
                           m.currency_code, std::nullopt, m.description, m.actor, m.request_id};
    auto outcome = ledger.book(tx, std::span(&b, 1), false);
    if (auto* p = std::get_if<problem>(&outcome[0])) {
        if (p->slug_is("balance-limit-exceeded")) {
            throw problem(pledges::problems::insufficient_funds,
                          "The available balance does not cover " + std::to_string(m.amount_minor) + " minor units")
                .with("available_minor", std::to_string(balance_of(tx, inside).available_minor));
        }
        throw *p;
    }
    const auto& done = std::get<ledger_port::booked>(outcome[0]);
    if (!done.replayed) {
        audit::write(tx, {m.actor, action, subject, m.request_id,
                          boost::json::serialize(boost::json::object{{"amount_minor", m.amount_minor},
                                                                     {"currency", m.currency_code},
                                                                     {"entry_id", done.entry_id}})});
    }
    return {done.entry_id, done.replayed, balance_of(tx, inside)};
}

booked move_wallet(pqxx::work& tx, const movement& m, bool in) {
    // 404 for an unknown user; only customers have wallets (staff and
    // auditors cannot see one, so money there would be stranded).
    if (auto owner = users::find(tx, m.owner); owner.role_ != users::role::customer) {
        throw problem(problems::not_a_customer, "User " + m.owner.str() + " is " +
                                                    std::string(users::to_string(owner.role_)) + ", not a customer")
            .with("role", std::string(users::to_string(owner.role_)));
    }
    return move(tx, m, {account_role::wallet, m.owner.value, m.currency_code}, in, in ? "wallet.deposit" : "wallet.payout",
                "user:" + m.owner.str());
}

} // namespace

booked deposit(pqxx::work& tx, const movement& m) { return move_wallet(tx, m, true); }
booked payout(pqxx::work& tx, const movement& m) { return move_wallet(tx, m, false); }

booked fund_deposit(pqxx::work& tx, const movement& m) {
    return move(tx, m, {account_role::community_fund, 0, m.currency_code}, true, "fund.deposit", "fund:" + m.currency_code);
}

balance of(pqxx::transaction_base& tx, user_id owner, const std::string& currency_code) {
    return balance_of(tx, {account_role::wallet, owner.value, currency_code});
}

balance fund_balance(pqxx::transaction_base& tx, const std::string& currency_code) {
    return balance_of(tx, {account_role::community_fund, 0, currency_code});
}

namespace {
std::vector<ledger_port::statement_line> statement_of(pqxx::transaction_base& tx, const ledger_port::account_key& key,
                                                      const std::optional<std::string>& cursor, int limit) {
    const auto& ledger = ledger_port::current();
    auto found = ledger.find_accounts(tx, std::span(&key, 1));
    if (!found[0]) return {};
    return ledger.statement(tx, *found[0], cursor, limit);
}
} // namespace

std::vector<ledger_port::statement_line> statement(pqxx::transaction_base& tx, user_id owner,
                                                   const std::string& currency_code,
                                                   const std::optional<std::string>& cursor, int limit) {
    return statement_of(tx, {account_role::wallet, owner.value, currency_code}, cursor, limit);
}

std::vector<ledger_port::statement_line> fund_statement(pqxx::transaction_base& tx, const std::string& currency_code,
                                                        const std::optional<std::string>& cursor, int limit) {
    return statement_of(tx, {account_role::community_fund, 0, currency_code}, cursor, limit);
}

} // namespace schwarm::wallets
