#include "platform/payments.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/money.hpp"
#include "platform/accounts.hpp"
#include "platform/pledges.hpp"
#include "platform/users.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace schwarm::payments {

namespace {

#define INTENT_COLUMNS                                                                                                 \
    "id, user_id, reference, amount_minor, currency, "                                                                 \
    "CASE WHEN confirmed_at IS NOT NULL THEN 'confirmed' WHEN expires_at <= schwarm_now() THEN 'expired' "             \
    "ELSE 'pending' END, " SCHWARM_SQL_UTC_SECONDS("created_at") ", " SCHWARM_SQL_UTC_SECONDS(                         \
        "expires_at") ", " SCHWARM_SQL_UTC_SECONDS("confirmed_at") ", entry_id, event_id"

const db::query insert_intent{"payments.insert_intent",
                              "INSERT INTO payment_intents (user_id, reference, amount_minor, currency, expires_at) "
                              "VALUES ($1, $2, $3, $4, schwarm_now() + make_interval(secs => $5)) "
                              "RETURNING " INTENT_COLUMNS};
const db::query select_intent{"payments.select_intent", "SELECT " INTENT_COLUMNS " FROM payment_intents WHERE id = $1"};
const db::query lock_intent{"payments.lock_intent",
                            "SELECT " INTENT_COLUMNS " FROM payment_intents WHERE reference = $1 FOR UPDATE"};
const db::query select_intents{"payments.select_intents",
                               "SELECT " INTENT_COLUMNS " FROM payment_intents WHERE user_id = $1 AND id < $2 "
                               "ORDER BY id DESC LIMIT $3"};
const db::query confirm_intent{"payments.confirm_intent",
                               "UPDATE payment_intents SET confirmed_at = schwarm_now(), event_id = $2, entry_id = $3 "
                               "WHERE id = $1 AND confirmed_at IS NULL"};
#undef INTENT_COLUMNS

const db::query upsert_bank_account{
    "payments.upsert_bank_account",
    "INSERT INTO bank_accounts (user_id, iban) VALUES ($1, $2) "
    "ON CONFLICT (user_id) DO UPDATE SET iban = EXCLUDED.iban, updated_at = schwarm_now()"};
const db::query select_bank_account{"payments.select_bank_account",
                                    "SELECT iban FROM bank_accounts WHERE user_id = $1"};

#define PAYOUT_COLUMNS                                                                                                 \
    "p.id, p.user_id, p.amount_minor, p.currency, p.iban, p.state::text, p.approvals_needed, "                         \
    "(SELECT string_agg(a.approver_id::text, ',' ORDER BY a.at, a.approver_id) FROM payout_approvals a "               \
    "WHERE a.payout_id = p.id), p.reason, p.decided_by, " SCHWARM_SQL_UTC_SECONDS(                                     \
        "p.created_at") ", " SCHWARM_SQL_UTC_SECONDS("p.decided_at") ", p.hold_entry_id, p.resolve_entry_id"

const db::query insert_payout{
    "payments.insert_payout",
    "WITH p AS (INSERT INTO payout_requests (user_id, amount_minor, currency, iban, approvals_needed, hold_entry_id) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING *) SELECT " PAYOUT_COLUMNS " FROM p"};
const db::query select_payout{"payments.select_payout",
                              "SELECT " PAYOUT_COLUMNS " FROM payout_requests p WHERE p.id = $1"};
const db::query select_payout_by_hold{"payments.select_payout_by_hold",
                                      "SELECT " PAYOUT_COLUMNS " FROM payout_requests p WHERE p.hold_entry_id = $1"};
const db::query lock_payout{"payments.lock_payout",
                            "SELECT user_id, state::text, approvals_needed, hold_entry_id, "
                            "(SELECT count(*) FROM payout_approvals a WHERE a.payout_id = p.id), "
                            "EXISTS (SELECT 1 FROM payout_approvals a WHERE a.payout_id = p.id AND a.approver_id = $2) "
                            "FROM payout_requests p WHERE p.id = $1 FOR UPDATE"};
const db::query select_payouts{
    "payments.select_payouts",
    "SELECT " PAYOUT_COLUMNS " FROM payout_requests p WHERE ($1::bigint IS NULL OR p.user_id = $1) "
    "AND ($2::text IS NULL OR p.state::text = $2) AND p.id < $3 ORDER BY p.id DESC LIMIT $4"};
#undef PAYOUT_COLUMNS
const db::query insert_approval{"payments.insert_approval",
                                "INSERT INTO payout_approvals (payout_id, approver_id) VALUES ($1, $2)"};
const db::query resolve_payout{"payments.resolve_payout",
                               "UPDATE payout_requests SET state = $2::payout_state, resolve_entry_id = $3, "
                               "reason = $4, decided_by = $5, decided_at = schwarm_now() "
                               "WHERE id = $1 AND state = 'requested'"};

// The IBAN's length per country (SWIFT's IBAN registry) for the countries of
// the SEPA scheme, whose banks a German cooperative bank pays to.
constexpr std::array<std::pair<std::string_view, std::size_t>, 36> iban_lengths{{
    {"AD", 24}, {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18},
    {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FR", 27}, {"GB", 22}, {"GI", 23}, {"GR", 27}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IS", 26}, {"IT", 27}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MT", 31},
    {"NL", 18}, {"NO", 15}, {"PL", 28}, {"PT", 25}, {"RO", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
}};

intent intent_from(const pqxx::row& r) {
    intent out;
    out.id = r[0].as<std::int64_t>();
    out.owner = user_id{r[1].as<std::int64_t>()};
    out.reference = r[2].as<std::string>();
    out.amount_minor = r[3].as<std::int64_t>();
    out.currency_code = r[4].as<std::string>();
    out.state = r[5].as<std::string>();
    out.created_at = r[6].as<std::string>();
    out.expires_at = r[7].as<std::string>();
    out.confirmed_at = db::nullable<std::string>(r[8]);
    out.entry_id = db::nullable<std::int64_t>(r[9]);
    return out;
}

payout payout_from(const pqxx::row& r) {
    payout out;
    out.id = r[0].as<std::int64_t>();
    out.owner = user_id{r[1].as<std::int64_t>()};
    out.amount_minor = r[2].as<std::int64_t>();
    out.currency_code = r[3].as<std::string>();
    out.iban = r[4].as<std::string>();
    out.state = r[5].as<std::string>();
    out.approvals_needed = r[6].as<int>();
    if (auto list = db::nullable<std::string>(r[7])) {
        std::string_view rest = *list;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            out.approved_by.push_back(user_id{std::stoll(std::string(rest.substr(0, comma)))});
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    out.reason = db::nullable<std::string>(r[8]);
    if (auto by = db::nullable<std::int64_t>(r[9])) out.decided_by = user_id{*by};
    out.created_at = r[10].as<std::string>();
    out.decided_at = db::nullable<std::string>(r[11]);
    out.hold_entry_id = r[12].as<std::int64_t>();
    out.resolve_entry_id = db::nullable<std::int64_t>(r[13]);
    return out;
}

void check_money(std::int64_t amount_minor, const std::string& currency_code) {
    if (amount_minor <= 0) throw field_problem("amount_minor", "amount_minor must be positive");
    if (!currency::parse(currency_code)) {
        throw field_problem("currency", "currency must be an ISO 4217 code we book, e.g. EUR");
    }
}

std::string money_json(std::int64_t amount_minor, const std::string& currency_code, const char* key, std::int64_t id) {
    return boost::json::serialize(
        boost::json::object{{"amount_minor", amount_minor}, {"currency", currency_code}, {key, id}});
}

// One entry the payout books, or the refusal it met.
ledger::entry book_one(pqxx::work& tx, const ledger::entry_request& request, user_id owner,
                       const std::string& currency_code, std::int64_t amount_minor) {
    auto outcome = accounts::book(tx, std::span(&request, 1), false);
    if (auto* p = std::get_if<problem>(&outcome[0])) {
        if (p->is(ledger::problems::balance_limit)) {
            throw problem(pledges::problems::insufficient_funds,
                          "The available balance does not cover " + std::to_string(amount_minor) + " minor units")
                .with("available_minor", wallets::of(tx, owner, currency_code).available_minor);
        }
        throw *p;
    }
    return std::get<ledger::entry>(outcome[0]);
}

struct locked_payout {
    user_id owner;
    std::string state;
    int approvals_needed;
    ledger::entry_id hold;
    std::int64_t approvals;
    bool approved_by_caller;
};

locked_payout lock(pqxx::work& tx, std::int64_t id, user_id staff) {
    auto rows = tx.exec_prepared(lock_payout.name, id, staff.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such payout");
    const auto& r = rows[0];
    locked_payout out{user_id{r[0].as<std::int64_t>()},          r[1].as<std::string>(),  r[2].as<int>(),
                      ledger::entry_id{r[3].as<std::int64_t>()}, r[4].as<std::int64_t>(), r[5].as<bool>()};
    if (out.state != "requested") {
        throw problem(problems::payout_state, "The payout is " + out.state + ", not waiting for a decision")
            .with("state", out.state);
    }
    // Roles are one per account, but an account's role may change: whoever
    // asked for the money never decides on it.
    if (out.owner == staff) throw problem(problems::payout_own, "Nobody approves or rejects their own payout");
    return out;
}

} // namespace

std::optional<std::string> normalise_iban(std::string_view text) {
    std::string iban;
    for (char c : text) {
        if (c == ' ') continue;
        if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
        iban.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    if (iban.size() < 15 || iban.size() > 34) return std::nullopt;
    if (!std::isalpha(static_cast<unsigned char>(iban[0])) || !std::isalpha(static_cast<unsigned char>(iban[1])) ||
        !std::isdigit(static_cast<unsigned char>(iban[2])) || !std::isdigit(static_cast<unsigned char>(iban[3]))) {
        return std::nullopt;
    }
    bool length_ok = false;
    for (const auto& [country, length] : iban_lengths) {
        if (iban.compare(0, 2, country) == 0) length_ok = iban.size() == length;
    }
    if (!length_ok) return std::nullopt;
    // Mod 97 of the digits of national part + country + check digits, letters
    // as 10..35, computed piecewise: it is 1 for a valid IBAN.
    int remainder = 0;
    auto feed = [&remainder](char c) {
        int value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
        remainder = (value >= 10 ? remainder * 100 : remainder * 10) + value;
        remainder %= 97;
    };
    for (std::size_t i = 4; i < iban.size(); ++i) feed(iban[i]);
    for (std::size_t i = 0; i < 4; ++i) feed(iban[i]);
    if (remainder != 1) return std::nullopt;
    return iban;
}

intent start_deposit(pqxx::work& tx, user_id owner, std::int64_t amount_minor, const std::string& currency_code,
                     std::int64_t ttl_s, const std::string& request_id) {
    check_money(amount_minor, currency_code);
    auto rows = tx.exec_prepared(insert_intent.name, owner.value, "pi_" + crypto::random_hex(16), amount_minor,
                                 currency_code, static_cast<double>(ttl_s));
    intent made = intent_from(rows[0]);
    audit::write(tx, {owner, "payment_intent.create", "payment_intent:" + std::to_string(made.id), request_id,
                      money_json(amount_minor, currency_code, "user_id", owner.value)});
    return made;
}

intent find_intent(pqxx::transaction_base& tx, std::int64_t id) {
    auto rows = tx.exec_prepared(select_intent.name, id);
    if (rows.empty()) throw problem(problems::intent_unknown, "There is no such payment intent");
    return intent_from(rows[0]);
}

std::vector<intent> intents_of(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before,
                               int limit) {
    std::vector<intent> out;
    for (const auto& r : tx.exec_prepared(select_intents.name, owner.value,
                                          before.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(intent_from(r));
    }
    return out;
}

confirmed confirm_deposit(pqxx::work& tx, const confirmation& c) {
    auto rows = tx.exec_prepared(lock_intent.name, c.reference);
    if (rows.empty()) {
        throw problem(problems::intent_unknown, "There is no payment intent with this reference")
            .with("field", "intent");
    }
    intent found = intent_from(rows[0]);
    auto event = db::nullable<std::string>(rows[0][10]);
    if (found.state == "confirmed" && event != c.event_id) {
        throw problem(problems::intent_confirmed, "The payment intent was already confirmed by another payment");
    }
    if (found.state == "expired") {
        throw problem(problems::intent_expired, "The payment intent expired at " + found.expires_at)
            .with("expires_at", found.expires_at);
    }
    if (found.amount_minor != c.amount_minor || found.currency_code != c.currency_code) {
        throw problem(problems::intent_mismatch, "The intent is for " + std::to_string(found.amount_minor) + " " +
                                                     found.currency_code + " minor units")
            .with("amount_minor", found.amount_minor)
            .with("currency", found.currency_code);
    }
    // The entry's key is the intent's: whatever event names it, it is booked
    // once; the same event again replays that booking.
    wallets::movement m;
    m.owner = found.owner;
    m.amount_minor = found.amount_minor;
    m.currency_code = found.currency_code;
    m.idempotency_key = "intent:" + std::to_string(found.id);
    m.description = "Deposit " + found.reference;
    m.request_id = c.request_id;
    auto booking = wallets::deposit(tx, m);
    if (found.state != "confirmed") {
        tx.exec_prepared(confirm_intent.name, found.id, c.event_id, booking.entry.value);
        audit::write(tx, {std::nullopt, "payment_intent.confirm", "payment_intent:" + std::to_string(found.id),
                          c.request_id,
                          money_json(found.amount_minor, found.currency_code, "entry_id", booking.entry.value)});
    }
    return {find_intent(tx, found.id), booking};
}

void set_bank_account(pqxx::work& tx, user_id owner, const std::string& iban, const std::string& request_id) {
    tx.exec_prepared(upsert_bank_account.name, owner.value, iban);
    // The IBAN itself is personal data: the audit record says only that it changed.
    audit::write(tx, {owner, "bank_account.set", "user:" + owner.str(), request_id});
}

std::optional<std::string> bank_account(pqxx::transaction_base& tx, user_id owner) {
    auto rows = tx.exec_prepared(select_bank_account.name, owner.value);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
}

payout request_payout(pqxx::work& tx, const payout_ask& ask) {
    check_money(ask.amount_minor, ask.currency_code);
    auto iban = ask.iban ? ask.iban : bank_account(tx, ask.owner);
    if (!iban) {
        throw problem(problems::iban_missing, "Give an iban, or put a bank account on file first")
            .with("field", "iban");
    }
    audit::origin by{ask.owner, ask.request_id};
    auto wallet = accounts::open(tx, {accounts::role::wallet, ask.owner.value, ask.currency_code}, by);
    auto cash = accounts::open(tx, {accounts::role::bank_cash, 0, ask.currency_code}, by);
    auto hold = accounts::hold(ask.idempotency_key, {wallet, cash, ask.amount_minor}, ask.currency_code,
                               "Payout to the customer's bank account", by);
    auto held = book_one(tx, hold, ask.owner, ask.currency_code, ask.amount_minor);
    if (held.replayed) {
        auto rows = tx.exec_prepared(select_payout_by_hold.name, held.id.value);
        if (!rows.empty()) return payout_from(rows[0]);
    }
    int needed = ask.amount_minor > ask.four_eyes_above_minor ? 2 : 1;
    auto rows = tx.exec_prepared(insert_payout.name, ask.owner.value, ask.amount_minor, ask.currency_code, *iban,
                                 needed, held.id.value);
    payout made = payout_from(rows[0]);
    audit::write(tx, {ask.owner, "payout.request", "payout:" + std::to_string(made.id), ask.request_id,
                      boost::json::serialize(boost::json::object{{"amount_minor", ask.amount_minor},
                                                                 {"currency", ask.currency_code},
                                                                 {"approvals_needed", needed},
                                                                 {"hold_entry_id", held.id.value}})});
    return made;
}

payout find_payout(pqxx::transaction_base& tx, std::int64_t id) {
    auto rows = tx.exec_prepared(select_payout.name, id);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such payout");
    return payout_from(rows[0]);
}

std::vector<payout> payouts(pqxx::transaction_base& tx, std::optional<user_id> owner,
                            const std::optional<std::string>& state, std::optional<std::int64_t> before, int limit) {
    std::optional<std::int64_t> owner_id;
    if (owner) owner_id = owner->value;
    std::vector<payout> out;
    for (const auto& r : tx.exec_prepared(select_payouts.name, owner_id, state,
                                          before.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(payout_from(r));
    }
    return out;
}

payout approve_payout(pqxx::work& tx, std::int64_t id, user_id staff, const std::string& request_id) {
    auto locked = lock(tx, id, staff);
    if (locked.approved_by_caller) {
        throw problem(problems::payout_same_approver,
                      "You approved this payout already; a second approval must come from another staff member")
            .with("approvals", locked.approvals)
            .with("approvals_needed", locked.approvals_needed);
    }
    tx.exec_prepared(insert_approval.name, id, staff.value);
    const std::int64_t approvals = locked.approvals + 1;
    const bool paid = approvals >= locked.approvals_needed;
    std::optional<std::int64_t> entry;
    if (paid) {
        auto post =
            accounts::post("payout-post:" + std::to_string(id), locked.hold, "Payout approved", {staff, request_id});
        auto before = find_payout(tx, id);
        entry = book_one(tx, post, locked.owner, before.currency_code, before.amount_minor).id.value;
        tx.exec_prepared(resolve_payout.name, id, "paid", entry, std::optional<std::string>{}, staff.value);
    }
    audit::write(tx, {staff, paid ? "payout.pay" : "payout.approve", "payout:" + std::to_string(id), request_id,
                      boost::json::serialize(boost::json::object{{"approvals", approvals},
                                                                 {"approvals_needed", locked.approvals_needed}})});
    return find_payout(tx, id);
}

payout reject_payout(pqxx::work& tx, std::int64_t id, user_id staff, const std::string& reason,
                     const std::string& request_id) {
    auto locked = lock(tx, id, staff);
    auto release =
        accounts::release("payout-void:" + std::to_string(id), locked.hold, "Payout rejected", {staff, request_id});
    auto before = find_payout(tx, id);
    auto entry = book_one(tx, release, locked.owner, before.currency_code, before.amount_minor).id.value;
    tx.exec_prepared(resolve_payout.name, id, "rejected", entry, reason, staff.value);
    audit::write(tx, {staff, "payout.reject", "payout:" + std::to_string(id), request_id,
                      boost::json::serialize(boost::json::object{{"entry_id", entry}})});
    return find_payout(tx, id);
}

} // namespace schwarm::payments
