#include "platform/data_rights.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "ledger/ledger.hpp"
#include "platform/users.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::data_rights {

namespace {

// Each list is one jsonb array of the rows of its table about the person;
// secrets (password and token hashes, webhook secrets) are left out.
const db::query select_export{
    "data_rights.export",
    "SELECT jsonb_build_object("
    "'account', (SELECT to_jsonb(u) - 'password_hash' FROM users u WHERE u.id = $1), "
    "'sessions', (SELECT coalesce(jsonb_agg(to_jsonb(s) - 'token_hash' ORDER BY s.created_at), '[]') "
    "  FROM sessions s WHERE s.user_id = $1), "
    "'projects', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM projects t WHERE t.owner_id = $1), "
    "'co_authorships', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.project_id), '[]') "
    "  FROM project_authors t WHERE t.user_id = $1), "
    "'pledges', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM pledges t WHERE t.backer_id = $1), "
    "'loans_borrowed', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.project_id), '[]') "
    "  FROM loans t WHERE t.borrower_id = $1), "
    "'loans_lent', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.project_id), '[]') "
    "  FROM loan_lenders t WHERE t.lender_id = $1), "
    "'repayments_received', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.repayment_id), '[]') "
    "  FROM loan_repayment_shares t WHERE t.lender_id = $1), "
    "'project_comments', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM project_comments t WHERE t.author_id = $1), "
    "'project_updates', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM project_updates t WHERE t.author_id = $1), "
    "'feedback', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM project_feedback t WHERE t.author_id = $1), "
    "'ideas', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM ideas t WHERE t.owner_id = $1), "
    "'idea_supports', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.idea_id), '[]') "
    "  FROM idea_supports t WHERE t.supporter_id = $1), "
    "'idea_comments', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM idea_comments t WHERE t.author_id = $1), "
    "'follows', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM follows t WHERE t.user_id = $1), "
    "'webhooks', (SELECT coalesce(jsonb_agg(to_jsonb(t) - 'secret' ORDER BY t.id), '[]') "
    "  FROM webhooks t WHERE t.user_id = $1), "
    // Which rounds they voted in, and when; the ballot itself is secret and
    // in the ballot box without their name (docs/SECURITY.md).
    "'rounds_voted', (SELECT coalesce(jsonb_agg(jsonb_build_object('round_id', t.round_id, 'voted_at', t.voted_at) "
    "  ORDER BY t.round_id), '[]') FROM ballot_roll t WHERE t.voter_id = $1), "
    "'payment_intents', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM payment_intents t WHERE t.user_id = $1), "
    "'bank_account', (SELECT to_jsonb(t) FROM bank_accounts t WHERE t.user_id = $1), "
    "'payouts', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') "
    "  FROM payout_requests t WHERE t.user_id = $1), "
    "'erasure', (SELECT to_jsonb(t) FROM erasures t WHERE t.user_id = $1))::text"};

const db::query select_state{"data_rights.state",
                             "SELECT " SCHWARM_SQL_UTC_SECONDS("requested_at") ", " SCHWARM_SQL_UTC_SECONDS(
                                 "erased_at") " FROM erasures WHERE user_id = $1"};
const db::query insert_request{"data_rights.request",
                               "INSERT INTO erasures (user_id, requested_at) VALUES ($1, schwarm_now()) "
                               "ON CONFLICT (user_id) DO NOTHING"};
const db::query lock_user{"data_rights.lock_user", "SELECT role::text FROM users WHERE id = $1 FOR UPDATE"};

// Each row one reason an erasure must wait.
const db::query select_blockers{
    "data_rights.blockers",
    "SELECT 'pledge ' || id || ' is held' FROM pledges WHERE backer_id = $1 AND state = 'held' "
    "UNION ALL SELECT 'project ' || id || ' is ' || state::text FROM projects WHERE owner_id = $1 "
    "  AND (state IN ('submitted', 'in_review', 'approved', 'in_vote', 'selected', 'funding', 'disbursed', "
    "  'repaying') OR (state = 'funded' AND kind = 'loan')) "
    "UNION ALL SELECT 'loan ' || l.project_id || ' is repaying' FROM loans l WHERE l.state = 'repaying' "
    "  AND (l.borrower_id = $1 OR EXISTS (SELECT 1 FROM loan_lenders ll WHERE ll.project_id = l.project_id "
    "  AND ll.lender_id = $1)) "
    "UNION ALL SELECT 'payout ' || id || ' waits for a decision' FROM payout_requests "
    "  WHERE user_id = $1 AND state = 'requested'"};

// The account keeps its id (the ledger, the audit log and the ballot roll
// name it) and loses what names the person. The address is unique per id and
// in a domain that cannot exist (RFC 2606); the password hash is no Argon2id
// encoding, so no password ever matches it.
const db::query pseudonymise_user{"data_rights.pseudonymise_user",
                                  "UPDATE users SET email = 'erased-' || id || '@erased.invalid', "
                                  "display_name = 'Erased user', password_hash = '$argon2id$erased' WHERE id = $1"};
const db::query end_sessions{
    "data_rights.end_sessions",
    "UPDATE sessions SET revoked_at = coalesce(revoked_at, schwarm_now()), client_address = NULL WHERE user_id = $1"};

const db::query remove_webhooks{"data_rights.remove_webhooks",
                                "UPDATE webhooks SET url = 'https://erased.invalid/', secret = $2, "
                                "removed_at = coalesce(removed_at, schwarm_now()) WHERE user_id = $1"};
const db::query delete_follows{"data_rights.delete_follows", "DELETE FROM follows WHERE user_id = $1"};
const db::query delete_bank_account{"data_rights.delete_bank_account", "DELETE FROM bank_accounts WHERE user_id = $1"};
const db::query delete_replies{"data_rights.delete_replies", "DELETE FROM idempotent_responses WHERE caller_id = $1"};
const db::query delete_login_failures{"data_rights.delete_login_failures",
                                      "DELETE FROM login_failures WHERE email_hash = decode($1, 'hex')"};
const db::query record_erasure{"data_rights.record_erasure",
                               "INSERT INTO erasures (user_id, erased_at, erased_by, reason) "
                               "VALUES ($1, schwarm_now(), $2, $3) ON CONFLICT (user_id) DO UPDATE SET "
                               "erased_at = EXCLUDED.erased_at, erased_by = EXCLUDED.erased_by, "
                               "reason = EXCLUDED.reason"};
const db::query select_pending{"data_rights.pending",
                               "SELECT user_id, " SCHWARM_SQL_UTC_SECONDS(
                                   "requested_at") " FROM erasures "
                                                   "WHERE erased_at IS NULL ORDER BY requested_at, user_id LIMIT $1"};

boost::json::array wallet_accounts(pqxx::transaction_base& tx, user_id who) {
    // Every posting, newest first, read page by page (each page bounded).
    constexpr int page = 1000;
    boost::json::array out;
    for (auto id : ledger::accounts_owned_by(tx, who)) {
        auto account = ledger::find_account(tx, id);
        if (!account) continue;
        boost::json::array postings;
        std::optional<ledger::statement_cursor> before;
        for (;;) {
            auto lines = ledger::statement(tx, id, before, page);
            for (const auto& l : lines) {
                postings.push_back({{"entry_id", l.entry.value},
                                    {"at", l.at},
                                    {"kind", ledger::to_string(l.kind)},
                                    {"direction", l.side_ == ledger::side::credit ? "in" : "out"},
                                    {"amount_minor", l.amount_minor},
                                    {"description", l.description}});
            }
            if (lines.size() < static_cast<std::size_t>(page)) break;
            before = ledger::parse_statement_cursor(ledger::to_cursor(lines.back()));
        }
        const auto& b = account->bal;
        out.push_back({{"account_id", id.value},
                       {"code", account->spec.code},
                       {"currency", std::string(account->spec.cur.code())},
                       {"balance_minor", b.credits_posted - b.debits_posted},
                       {"held_minor", b.debits_pending},
                       {"postings", std::move(postings)}});
    }
    return out;
}

} // namespace

boost::json::object export_of(pqxx::transaction_base& tx, user_id who) {
    auto rows = tx.exec_prepared(select_export.name, who.value);
    auto out = boost::json::parse(rows[0][0].as<std::string>()).as_object();
    out["wallets"] = wallet_accounts(tx, who);
    boost::json::array records;
    for (const auto& r : audit::about_user(tx, who.value)) {
        records.push_back({{"id", r.id},
                           {"at", r.at},
                           {"actor_id", r.actor ? boost::json::value(*r.actor) : boost::json::value(nullptr)},
                           {"action", r.action},
                           {"subject", r.subject},
                           {"request_id", r.request_id},
                           {"details", boost::json::parse(r.details_json)}});
    }
    out["audit_records"] = std::move(records);
    return out;
}

erasure_state state_of(pqxx::transaction_base& tx, user_id who) {
    auto rows = tx.exec_prepared(select_state.name, who.value);
    if (rows.empty()) return {};
    return {db::nullable<std::string>(rows[0][0]), db::nullable<std::string>(rows[0][1])};
}

erasure_state request_erasure(pqxx::work& tx, user_id who, const std::string& request_id) {
    // Every request is recorded (the first one starts the clock).
    bool first = tx.exec_prepared(insert_request.name, who.value).affected_rows() > 0;
    audit::write(tx, {who, "user.erasure_request", "user:" + who.str(), request_id,
                      boost::json::serialize(boost::json::object{{"first", first}})});
    return state_of(tx, who);
}

std::vector<std::string> blockers(pqxx::transaction_base& tx, user_id who) {
    std::vector<std::string> out;
    for (auto id : ledger::accounts_owned_by(tx, who)) {
        auto a = ledger::find_account(tx, id);
        if (!a) continue;
        const auto& b = a->bal;
        if (b.credits_posted != b.debits_posted || b.debits_pending != 0 || b.credits_pending != 0) {
            out.push_back("wallet " + a->spec.code + " holds " + std::to_string(b.credits_posted - b.debits_posted) +
                          " minor units, " + std::to_string(b.debits_pending) + " of them held");
        }
    }
    for (const auto& r : tx.exec_prepared(select_blockers.name, who.value)) out.push_back(r[0].as<std::string>());
    return out;
}

void erase(pqxx::work& tx, user_id who, user_id admin, const std::string& reason, const std::string& request_id) {
    auto locked = tx.exec_prepared(lock_user.name, who.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "No such user");
    if (auto role = locked[0][0].as<std::string>(); role != "customer") {
        throw problem(problems::not_a_customer, "User " + who.str() + " is " + role + ", not a customer")
            .with("role", role);
    }
    auto before = state_of(tx, who);
    if (before.erased_at) {
        throw problem(problems::erased, "The account was erased at " + *before.erased_at)
            .with("erased_at", *before.erased_at);
    }
    auto reasons = blockers(tx, who);
    if (!reasons.empty()) {
        std::string joined;
        for (const auto& r : reasons) joined += (joined.empty() ? "" : "; ") + r;
        throw problem(problems::erasure_blocked, "The account cannot be erased yet: " + joined)
            .with("blockers", static_cast<std::int64_t>(reasons.size()));
    }
    tx.exec_prepared(pseudonymise_user.name, who.value);
    tx.exec_prepared(end_sessions.name, who.value);
    users::forget_messages(tx, who);
    tx.exec_prepared(remove_webhooks.name, who.value, crypto::random_hex(32));
    tx.exec_prepared(delete_follows.name, who.value);
    tx.exec_prepared(delete_bank_account.name, who.value);
    tx.exec_prepared(delete_replies.name, who.value);
    tx.exec_prepared(delete_login_failures.name, crypto::sha256_hex("user:" + who.str()));
    tx.exec_prepared(record_erasure.name, who.value, admin.value, reason);
    audit::write(tx, {admin, "user.erase", "user:" + who.str(), request_id,
                      boost::json::serialize(boost::json::object{{"requested", before.requested_at.has_value()}})});
}

std::vector<pending_request> pending_requests(pqxx::transaction_base& tx, int limit) {
    std::vector<pending_request> out;
    for (const auto& r : tx.exec_prepared(select_pending.name, limit)) {
        out.push_back({user_id{r[0].as<std::int64_t>()}, r[1].as<std::string>()});
    }
    return out;
}

} // namespace schwarm::data_rights
