#include "platform/wallets.hpp"

#include "base/audit.hpp"
#include "base/money.hpp"
#include "platform/accounts.hpp"
#include "platform/pledges.hpp"
#include "platform/users.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::wallets {

namespace {

using accounts::role;

// A liability account of the bank as its owner sees it: credits are money in.
balance balance_of(pqxx::transaction_base& tx, const accounts::key& key) {
    balance out{key.currency_code};
    auto found = accounts::find(tx, key);
    if (!found) return out;
    auto b = accounts::balance(tx, *found);
    out.balance_minor = b.credits_posted - b.debits_posted;
    out.held_minor = b.debits_pending;
    out.available_minor = out.balance_minor - out.held_minor;
    return out;
}

// Money between the bank's cash and `inside` (a wallet or the community
// fund): in, or out; audited as `action` on `subject`.
booked move(pqxx::work& tx, const movement& m, const accounts::key& inside, bool in, const char* action,
            const std::string& subject) {
    if (m.amount_minor <= 0) throw field_problem("amount_minor", "amount_minor must be positive");
    if (!currency::parse(m.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    audit::origin by{m.actor, m.request_id};
    auto account = accounts::open(tx, inside, by);
    auto cash = accounts::open(tx, {role::bank_cash, 0, m.currency_code}, by);
    accounts::movement money =
        in ? accounts::movement{cash, account, m.amount_minor} : accounts::movement{account, cash, m.amount_minor};
    auto entry = accounts::transfer(m.idempotency_key, std::span(&money, 1), m.currency_code, m.description, by);
    auto outcome = accounts::book(tx, std::span(&entry, 1), false);
    if (auto* p = std::get_if<problem>(&outcome[0])) {
        if (p->is(ledger::problems::balance_limit)) {
            throw problem(pledges::problems::insufficient_funds,
                          "The available balance does not cover " + std::to_string(m.amount_minor) + " minor units")
                .with("available_minor", balance_of(tx, inside).available_minor);
        }
        throw *p;
    }
    const auto& done = std::get<ledger::entry>(outcome[0]);
    if (!done.replayed) {
        audit::write(
            tx, {m.actor, action, subject, m.request_id,
                 boost::json::serialize(boost::json::object{
                     {"amount_minor", m.amount_minor}, {"currency", m.currency_code}, {"entry_id", done.id.value}})});
    }
    return {done.id, done.replayed, balance_of(tx, inside)};
}

booked move_wallet(pqxx::work& tx, const movement& m, bool in) {
    // 404 for an unknown user; only customers have wallets (staff and
    // auditors cannot see one, so money there would be stranded).
    if (auto owner = users::find(tx, m.owner); owner.role_ != users::role::customer) {
        throw problem(problems::not_a_customer, "User " + m.owner.str() + " is " +
                                                    std::string(users::to_string(owner.role_)) + ", not a customer")
            .with("role", std::string(users::to_string(owner.role_)));
    }
    return move(tx, m, {role::wallet, m.owner.value, m.currency_code}, in, in ? "wallet.deposit" : "wallet.payout",
                "user:" + m.owner.str());
}

} // namespace

booked deposit(pqxx::work& tx, const movement& m) { return move_wallet(tx, m, true); }
booked payout(pqxx::work& tx, const movement& m) { return move_wallet(tx, m, false); }

booked fund_deposit(pqxx::work& tx, const movement& m) {
    return move(tx, m, {role::community_fund, 0, m.currency_code}, true, "fund.deposit", "fund:" + m.currency_code);
}

balance of(pqxx::transaction_base& tx, user_id owner, const std::string& currency_code) {
    return balance_of(tx, {role::wallet, owner.value, currency_code});
}

balance fund_balance(pqxx::transaction_base& tx, const std::string& currency_code) {
    return balance_of(tx, {role::community_fund, 0, currency_code});
}

namespace {
std::vector<ledger::statement_line> statement_of(pqxx::transaction_base& tx, const accounts::key& key,
                                                 const std::optional<std::string>& cursor, int limit) {
    std::optional<ledger::statement_cursor> before;
    if (cursor) {
        before = ledger::parse_statement_cursor(*cursor);
        if (!before) throw field_problem("cursor", "cursor must be a value from an earlier page");
    }
    auto found = accounts::find(tx, key);
    if (!found) return {};
    return ledger::statement(tx, *found, before, limit);
}
} // namespace

std::vector<ledger::statement_line> statement(pqxx::transaction_base& tx, user_id owner,
                                              const std::string& currency_code,
                                              const std::optional<std::string>& cursor, int limit) {
    return statement_of(tx, {role::wallet, owner.value, currency_code}, cursor, limit);
}

std::vector<ledger::statement_line> fund_statement(pqxx::transaction_base& tx, const std::string& currency_code,
                                                   const std::optional<std::string>& cursor, int limit) {
    return statement_of(tx, {role::community_fund, 0, currency_code}, cursor, limit);
}

} // namespace schwarm::wallets
