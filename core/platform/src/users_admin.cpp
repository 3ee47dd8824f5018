// Administration of accounts (roles, two-admin grants, disabling) and a
// user's own account (password, sessions, reset), with the outbox that
// carries messages to people. Every change is audited in its transaction.
#include "platform/users.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace schwarm::users {

namespace {

#define ENTRY_COLUMNS                                                                                                  \
    "u.id, u.email, u.display_name, u.role::text, " SCHWARM_SQL_UTC_SECONDS(                                           \
        "u.created_at") ", u.member, " SCHWARM_SQL_UTC_SECONDS("u.disabled_at")

const db::query select_entries{"users.list", "SELECT " ENTRY_COLUMNS " FROM users u "
                                             "WHERE ($1 = '' OR u.role::text = $1) "
                                             "AND starts_with(lower(u.email), lower($2)) AND u.id > $3 "
                                             "ORDER BY u.id LIMIT $4"};

const db::query select_entry_locked{"users.select_locked", "SELECT " ENTRY_COLUMNS " FROM users u WHERE u.id = $1 "
                                                           "FOR UPDATE"};

// Every enabled admin, locked in id order: two admins demoting (or
// disabling) each other wait for one another here, and the second then
// counts what the first left. READ COMMITTED re-checks a row changed by the
// first before locking it, so a demoted admin is no longer among them.
const db::query lock_admins{"users.lock_admins",
                            "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE"};

const db::query update_role{"users.update_role", "UPDATE users SET role = $2::user_role WHERE id = $1"};

#define GRANT_COLUMNS                                                                                                  \
    "g.id, g.user_id, g.role::text, g.requested_by, " SCHWARM_SQL_UTC_SECONDS(                                         \
        "g.requested_at") ", "                                                                                         \
                          "g.confirmed_by, " SCHWARM_SQL_UTC_SECONDS("g.confirmed_at")

const db::query insert_grant{
    "role_grants.insert", "INSERT INTO role_grants AS g (user_id, role, requested_by) VALUES ($1, $2::user_role, $3) "
                          "ON CONFLICT DO NOTHING RETURNING " GRANT_COLUMNS};
const db::query select_pending_grants{"role_grants.pending", "SELECT " GRANT_COLUMNS " FROM role_grants g "
                                                             "WHERE g.confirmed_at IS NULL AND g.withdrawn_at IS NULL "
                                                             "ORDER BY g.id LIMIT 1000"};
const db::query select_grant_locked{"role_grants.select_locked",
                                    "SELECT " GRANT_COLUMNS ", g.withdrawn_at IS NOT NULL FROM role_grants g "
                                    "WHERE g.id = $1 FOR UPDATE"};
const db::query withdraw_grants{"role_grants.withdraw",
                                "UPDATE role_grants SET withdrawn_at = schwarm_now() WHERE user_id = $1 "
                                "AND confirmed_at IS NULL AND withdrawn_at IS NULL"};
const db::query update_grant_confirmed{"role_grants.confirm",
                                       "UPDATE role_grants SET confirmed_by = $2, confirmed_at = schwarm_now() "
                                       "WHERE id = $1 RETURNING " SCHWARM_SQL_UTC_SECONDS("confirmed_at")};

const db::query update_disabled{"users.disable", "UPDATE users SET disabled_at = schwarm_now() WHERE id = $1"};
const db::query update_enabled{"users.enable", "UPDATE users SET disabled_at = NULL WHERE id = $1"};

const db::query revoke_user_sessions{"sessions.revoke_user",
                                     "UPDATE sessions SET revoked_at = schwarm_now() WHERE user_id = $1 "
                                     "AND revoked_at IS NULL AND token_hash <> decode($2, 'hex')"};

const db::query select_password_locked{"users.select_password_locked",
                                       "SELECT password_hash FROM users WHERE id = $1 FOR UPDATE"};
const db::query update_password{"users.update_password", "UPDATE users SET password_hash = $2 WHERE id = $1"};

const db::query select_own_sessions{
    "sessions.own",
    "SELECT id, " SCHWARM_SQL_UTC_SECONDS("created_at") ", " SCHWARM_SQL_UTC_SECONDS(
        "last_used_at") ", " SCHWARM_SQL_UTC_SECONDS("expires_at") ", client_address, token_hash = decode($2, 'hex') "
                                                                   "FROM sessions WHERE user_id = $1 AND revoked_at IS "
                                                                   "NULL AND expires_at > schwarm_now() "
                                                                   "ORDER BY id DESC LIMIT $3"};
const db::query revoke_own_session{"sessions.revoke_own",
                                   "UPDATE sessions SET revoked_at = schwarm_now() WHERE id = $1 AND user_id = $2 "
                                   "AND revoked_at IS NULL AND expires_at > schwarm_now()"};
// Never waits: a session another transaction holds is touched next time.
const db::query touch{"sessions.touch",
                      "UPDATE sessions SET last_used_at = schwarm_now() WHERE token_hash = "
                      "(SELECT token_hash FROM sessions WHERE token_hash = decode($1, 'hex') "
                      "AND last_used_at < schwarm_now() - interval '60 seconds' FOR UPDATE SKIP LOCKED)"};

const db::query select_reset_account{"users.select_for_reset",
                                     "SELECT id, email FROM users WHERE lower(email) = lower($1) "
                                     "AND disabled_at IS NULL"};
const db::query spend_resets{"password_resets.spend", "UPDATE password_resets SET used_at = schwarm_now() "
                                                      "WHERE user_id = $1 AND used_at IS NULL"};
const db::query insert_reset{"password_resets.insert",
                             "INSERT INTO password_resets (token_hash, user_id, expires_at) "
                             "VALUES (decode($1, 'hex'), $2, schwarm_now() + make_interval(secs => $3)) "
                             "RETURNING " SCHWARM_SQL_UTC_SECONDS("expires_at")};
const db::query select_reset_locked{
    "password_resets.select_locked",
    "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id "
    "WHERE r.token_hash = decode($1, 'hex') AND r.used_at IS NULL AND r.expires_at > schwarm_now() "
    "AND u.disabled_at IS NULL FOR UPDATE OF r"};
const db::query clear_account_failures{"users.clear_account_failures",
                                       "DELETE FROM login_failures WHERE email_hash = decode($1, 'hex')"};

const db::query blank_messages{"mail_outbox.blank",
                               "UPDATE mail_outbox SET recipient = 'erased-' || user_id || '@erased.invalid', "
                               "subject = 'Erased', body = 'Erased', sent_at = coalesce(sent_at, schwarm_now()) "
                               "WHERE user_id = $1"};
const db::query insert_message{"mail_outbox.insert",
                               "INSERT INTO mail_outbox (recipient, kind, subject, body, user_id) "
                               "VALUES ($1, $2, $3, $4, $5) RETURNING id"};
const db::query select_messages{"mail_outbox.list",
                                "SELECT id, recipient, kind, subject, body, " SCHWARM_SQL_UTC_SECONDS(
                                    "created_at") ", " SCHWARM_SQL_UTC_SECONDS("sent_at") " FROM mail_outbox "
                                                                                          "WHERE NOT $1 OR sent_at IS "
                                                                                          "NULL ORDER BY id LIMIT $2"};
const db::query update_sent{"mail_outbox.sent",
                            "UPDATE mail_outbox SET sent_at = schwarm_now() WHERE id = $1 AND sent_at IS NULL"};

#undef ENTRY_COLUMNS
#undef GRANT_COLUMNS

// The one no-token hash: the sessions query compares against it.
const std::string no_token_hash(64, '0');

account_entry entry_from(const pqxx::row& row) {
    return {{user_id{row[0].as<std::int64_t>()}, row[1].as<std::string>(), row[2].as<std::string>(),
             parse_role(row[3].as<std::string>()).value(), row[4].as<std::string>()},
            row[5].as<bool>(),
            db::nullable<std::string>(row[6])};
}

role_grant grant_from(const pqxx::row& row) {
    auto confirmed_by = db::nullable<std::int64_t>(row[5]);
    return {row[0].as<std::int64_t>(),
            user_id{row[1].as<std::int64_t>()},
            parse_role(row[2].as<std::string>()).value(),
            user_id{row[3].as<std::int64_t>()},
            row[4].as<std::string>(),
            confirmed_by ? std::optional(user_id{*confirmed_by}) : std::nullopt,
            db::nullable<std::string>(row[6])};
}

// The enabled admins, locked; refuses an actor who is no longer one of them
// (demoted or disabled by a transaction that committed first).
std::vector<std::int64_t> locked_admins(pqxx::work& tx, user_id actor) {
    std::vector<std::int64_t> ids;
    for (const auto& row : tx.exec_prepared(lock_admins.name)) ids.push_back(row[0].as<std::int64_t>());
    if (std::find(ids.begin(), ids.end(), actor.value) == ids.end()) {
        throw problem(problems::forbidden, "You are no longer an enabled admin");
    }
    return ids;
}

bool is_among(const std::vector<std::int64_t>& ids, user_id id) {
    return std::find(ids.begin(), ids.end(), id.value) != ids.end();
}

// Refuses to take away the last enabled admin.
void keep_an_admin(const std::vector<std::int64_t>& admins, user_id target) {
    if (is_among(admins, target) && admins.size() <= 1) {
        throw problem(last_admin, "User " + target.str() + " is the last enabled admin; make another admin first");
    }
}

account_entry locked_entry(pqxx::work& tx, user_id id) {
    pqxx::result rows = tx.exec_prepared(select_entry_locked.name, id.value);
    if (rows.empty()) throw problem(problems::not_found, "No such user");
    return entry_from(rows[0]);
}

void check_password_length(std::string_view password, const char* field) {
    if (password.size() < password_length_min || password.size() > password_length_max) {
        throw field_problem(field, std::string(field) + " must be " + std::to_string(password_length_min) + " to " +
                                       std::to_string(password_length_max) + " characters long");
    }
}

std::string json_text(boost::json::object o) { return boost::json::serialize(o); }

} // namespace

std::vector<account_entry> list(pqxx::transaction_base& tx, const user_filter& filter) {
    std::string role_text = filter.role_ ? std::string(to_string(*filter.role_)) : std::string();
    std::vector<account_entry> out;
    for (const auto& row :
         tx.exec_prepared(select_entries.name, role_text, filter.email_prefix, filter.after_id, filter.limit)) {
        out.push_back(entry_from(row));
    }
    return out;
}

role_change change_role(pqxx::work& tx, user_id target, role r, user_id admin, const std::string& request_id) {
    auto admins = locked_admins(tx, admin);
    account_entry current = locked_entry(tx, target);
    if (current.account.role_ == r) {
        throw problem(user_state, "User " + target.str() + " already has the role " + std::string(to_string(r)))
            .with("role", std::string(to_string(r)));
    }
    if (r == role::staff || r == role::admin) {
        pqxx::result rows = tx.exec_prepared(insert_grant.name, target.value, std::string(to_string(r)), admin.value);
        if (rows.empty()) {
            throw problem(grant_pending, "User " + target.str() +
                                             " already has a role grant waiting for a second admin; confirm it first");
        }
        role_grant grant = grant_from(rows[0]);
        audit::write(
            tx,
            {admin, "user.role_grant_request", "user:" + target.str(), request_id,
             json_text({{"grant_id", grant.id}, {"from", to_string(current.account.role_)}, {"to", to_string(r)}})});
        return {grant, current};
    }
    if (current.account.role_ == role::admin) keep_an_admin(admins, target);
    tx.exec_prepared(update_role.name, target.value, std::string(to_string(r)));
    auto withdrawn = tx.exec_prepared(withdraw_grants.name, target.value).affected_rows();
    audit::write(
        tx, {admin, "user.role_change", "user:" + target.str(), request_id,
             json_text(
                 {{"from", to_string(current.account.role_)}, {"to", to_string(r)}, {"grants_withdrawn", withdrawn}})});
    current.account.role_ = r;
    return {std::nullopt, current};
}

std::vector<role_grant> pending_grants(pqxx::transaction_base& tx) {
    std::vector<role_grant> out;
    for (const auto& row : tx.exec_prepared(select_pending_grants.name)) out.push_back(grant_from(row));
    return out;
}

role_grant confirm_grant(pqxx::work& tx, std::int64_t grant_id, user_id admin, const std::string& request_id) {
    auto admins = locked_admins(tx, admin);
    pqxx::result rows = tx.exec_prepared(select_grant_locked.name, grant_id);
    if (rows.empty()) throw problem(problems::not_found, "No such role grant");
    role_grant grant = grant_from(rows[0]);
    if (grant.confirmed_at) throw problem(problems::conflict, "This role grant was confirmed already");
    if (rows[0][7].as<bool>()) {
        throw problem(problems::conflict, "This role grant was withdrawn: the user's role was changed since");
    }
    if (grant.requested_by == admin) {
        throw problem(grant_own, "You asked for this grant; another admin must confirm it");
    }
    if (!is_among(admins, grant.requested_by)) {
        throw problem(problems::conflict, "The admin who asked for this grant is no longer an enabled admin");
    }
    account_entry current = locked_entry(tx, grant.user);
    if (current.account.role_ == role::admin && grant.role_ != role::admin) keep_an_admin(admins, grant.user);
    tx.exec_prepared(update_role.name, grant.user.value, std::string(to_string(grant.role_)));
    grant.confirmed_at = tx.exec_prepared(update_grant_confirmed.name, grant_id, admin.value)[0][0].as<std::string>();
    grant.confirmed_by = admin;
    audit::write(tx, {admin, "user.role_grant_confirm", "user:" + grant.user.str(), request_id,
                      json_text({{"grant_id", grant.id},
                                 {"from", to_string(current.account.role_)},
                                 {"to", to_string(grant.role_)},
                                 {"requested_by", grant.requested_by.str()}})});
    return grant;
}

account_entry disable(pqxx::work& tx, user_id target, user_id admin, const std::string& request_id) {
    auto admins = locked_admins(tx, admin);
    account_entry current = locked_entry(tx, target);
    if (current.disabled_at) throw problem(user_state, "User " + target.str() + " is disabled already");
    keep_an_admin(admins, target);
    tx.exec_prepared(update_disabled.name, target.value);
    auto ended = tx.exec_prepared(revoke_user_sessions.name, target.value, no_token_hash).affected_rows();
    tx.exec_prepared(spend_resets.name, target.value);
    audit::write(tx,
                 {admin, "user.disable", "user:" + target.str(), request_id, json_text({{"sessions_ended", ended}})});
    return locked_entry(tx, target);
}

account_entry enable(pqxx::work& tx, user_id target, user_id admin, const std::string& request_id) {
    account_entry current = locked_entry(tx, target);
    if (!current.disabled_at) throw problem(user_state, "User " + target.str() + " is not disabled");
    tx.exec_prepared(update_enabled.name, target.value);
    audit::write(tx, {admin, "user.enable", "user:" + target.str(), request_id});
    current.disabled_at.reset();
    return current;
}

void change_password(pqxx::work& tx, user_id who, std::string_view current_token, std::string_view current_password,
                     std::string_view new_password, const std::string& request_id) {
    check_password_length(new_password, "new_password");
    pqxx::result rows = tx.exec_prepared(select_password_locked.name, who.value);
    if (rows.empty()) throw problem(problems::not_found, "No such user");
    if (!crypto::verify_password(rows[0][0].as<std::string>(), current_password)) {
        throw problem(wrong_password, "current_password is not this account's password")
            .with("field", "current_password");
    }
    tx.exec_prepared(update_password.name, who.value, crypto::hash_password(new_password));
    auto ended =
        tx.exec_prepared(revoke_user_sessions.name, who.value, crypto::sha256_hex(current_token)).affected_rows();
    tx.exec_prepared(spend_resets.name, who.value);
    audit::write(tx, {who, "user.password_change", "user:" + who.str(), request_id,
                      json_text({{"other_sessions_ended", ended}})});
}

std::vector<session_entry> own_sessions(pqxx::transaction_base& tx, user_id who, std::string_view current_token) {
    std::vector<session_entry> out;
    for (const auto& row :
         tx.exec_prepared(select_own_sessions.name, who.value, crypto::sha256_hex(current_token), own_sessions_max)) {
        out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<std::string>(), db::nullable<std::string>(row[4]), row[5].as<bool>()});
    }
    return out;
}

void end_session(pqxx::work& tx, user_id who, std::int64_t session_id, const std::string& request_id) {
    if (tx.exec_prepared(revoke_own_session.name, session_id, who.value).affected_rows() == 0) {
        throw problem(problems::not_found, "No such session of yours");
    }
    audit::write(tx, {who, "session.revoke", "user:" + who.str(), request_id,
                      json_text({{"session_id", std::to_string(session_id)}})});
}

void touch_session(pqxx::transaction_base& tx, std::string_view token) {
    tx.exec_prepared(touch.name, crypto::sha256_hex(token));
}

void request_password_reset(pqxx::work& tx, std::string_view email, std::chrono::seconds ttl,
                            const std::string& request_id) {
    pqxx::result rows = tx.exec_prepared(select_reset_account.name, std::string(email));
    if (rows.empty()) return; // nothing to send, nothing changed; the answer is the same
    user_id id{rows[0][0].as<std::int64_t>()};
    std::string address = rows[0][1].as<std::string>();
    tx.exec_prepared(spend_resets.name, id.value);
    std::string token = crypto::random_token(32);
    std::string expires_at =
        tx.exec_prepared(insert_reset.name, crypto::sha256_hex(token), id.value, static_cast<double>(ttl.count()))[0][0]
            .as<std::string>();
    std::string body = "Someone asked to reset the password of your schwarm account.\n\n"
                       "Your reset token (valid once, until " +
                       expires_at + "):\n\n    " + token +
                       "\n\nSend it with a new password to POST /v1/password-resets/confirm. "
                       "If you did not ask for this, ignore this message: your password stays as it is.\n";
    tx.exec_prepared(insert_message.name, address, std::string("password_reset"),
                     std::string("Resetting your schwarm password"), body, id.value);
    audit::write(tx, {std::nullopt, "user.password_reset_request", "user:" + id.str(), request_id,
                      json_text({{"expires_at", expires_at}})});
}

void reset_password(pqxx::work& tx, std::string_view token, std::string_view new_password,
                    const std::string& request_id) {
    check_password_length(new_password, "password");
    pqxx::result rows = tx.exec_prepared(select_reset_locked.name, crypto::sha256_hex(token));
    if (rows.empty()) {
        throw problem(reset_token_invalid, "The reset token is unknown, used or expired; ask for a new one")
            .with("field", "token");
    }
    user_id id{rows[0][0].as<std::int64_t>()};
    tx.exec_prepared(update_password.name, id.value, crypto::hash_password(new_password));
    tx.exec_prepared(spend_resets.name, id.value);
    auto ended = tx.exec_prepared(revoke_user_sessions.name, id.value, no_token_hash).affected_rows();
    tx.exec_prepared(clear_account_failures.name, crypto::sha256_hex("user:" + id.str()));
    audit::write(tx, {std::nullopt, "user.password_reset", "user:" + id.str(), request_id,
                      json_text({{"sessions_ended", ended}})});
}

std::vector<outbox_message> outbox(pqxx::transaction_base& tx, bool pending_only, int limit) {
    std::vector<outbox_message> out;
    for (const auto& row : tx.exec_prepared(select_messages.name, pending_only, limit)) {
        out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                       db::nullable<std::string>(row[6])});
    }
    return out;
}

bool mark_sent(pqxx::work& tx, std::int64_t id) { return tx.exec_prepared(update_sent.name, id).affected_rows() == 1; }

void forget_messages(pqxx::work& tx, user_id who) {
    tx.exec_prepared(blank_messages.name, who.value);
    tx.exec_prepared(spend_resets.name, who.value);
}

} // namespace schwarm::users
