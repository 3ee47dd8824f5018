#include "platform/users.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <unordered_map>

namespace schwarm::users {

namespace {

// The columns user_from() reads, in its order.
#define USER_COLUMNS "u.id, u.email, u.display_name, u.role::text, " SCHWARM_SQL_UTC_SECONDS("u.created_at")

const db::query insert_user{
    "users.insert", "INSERT INTO users (email, display_name, password_hash, role) VALUES ($1, $2, $3, $4::user_role) "
                    "ON CONFLICT DO NOTHING "
                    "RETURNING id, " SCHWARM_SQL_UTC_SECONDS("created_at")};

const db::query select_user{"users.select", "SELECT " USER_COLUMNS " FROM users u WHERE u.id = $1"};

const db::query select_credentials{
    "users.select_credentials",
    "SELECT id, password_hash, disabled_at IS NOT NULL FROM users WHERE lower(email) = lower($1)"};

// The account's failures from this client and from every client (the row
// with an empty client), each with the seconds left in its window.
const db::query select_failures{
    "users.select_failures",
    "SELECT client_hash = ''::bytea, failures, GREATEST(0, ceil(extract(epoch FROM window_start + "
    "make_interval(secs => $2) - schwarm_now())))::bigint FROM login_failures "
    "WHERE email_hash = decode($1, 'hex') AND client_hash IN (decode($3, 'hex'), ''::bytea) FOR UPDATE"};

// A failure inside the window counts up; one after it starts a new window.
// Counted for the client and for the account.
const db::query record_failure{
    "users.record_failure",
    "INSERT INTO login_failures (email_hash, client_hash, window_start, failures) "
    "VALUES (decode($1, 'hex'), decode($3, 'hex'), schwarm_now(), 1), (decode($1, 'hex'), ''::bytea, schwarm_now(), 1) "
    "ON CONFLICT (email_hash, client_hash) DO UPDATE SET "
    "failures = CASE WHEN login_failures.window_start + make_interval(secs => $2) > schwarm_now() "
    "THEN login_failures.failures + 1 ELSE 1 END, "
    "window_start = CASE WHEN login_failures.window_start + make_interval(secs => $2) > schwarm_now() "
    "THEN login_failures.window_start ELSE schwarm_now() END"};

// A login that succeeds forgets its client's failures, not the others'.
const db::query clear_client_failures{
    "users.clear_client_failures",
    "DELETE FROM login_failures WHERE email_hash = decode($1, 'hex') AND client_hash = decode($2, 'hex')"};
const db::query clear_all_failures{"users.clear_all_failures",
                                   "DELETE FROM login_failures WHERE email_hash = decode($1, 'hex')"};

const db::query insert_session{
    "sessions.insert",
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_address, last_used_at) "
    "VALUES (decode($1, 'hex'), $2, schwarm_now(), schwarm_now() + make_interval(secs => $3), "
    "NULLIF($4, ''), schwarm_now()) "
    "RETURNING " SCHWARM_SQL_UTC_SECONDS("expires_at")};

const db::query select_session{
    "sessions.authenticate",
    "SELECT " USER_COLUMNS " FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL AND s.expires_at > schwarm_now() "
    "AND u.disabled_at IS NULL"};

const db::query select_sessions{"sessions.authenticate_many",
                                "SELECT " USER_COLUMNS
                                ", encode(s.token_hash, 'hex') FROM sessions s JOIN users u ON u.id = s.user_id "
                                "WHERE s.token_hash = ANY(ARRAY(SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)) "
                                "AND s.revoked_at IS NULL AND s.expires_at > schwarm_now() AND u.disabled_at IS NULL"};

const db::query update_member{"users.update_member", "UPDATE users SET member = $2 WHERE id = $1"};

const db::query revoke_session{"sessions.revoke",
                               "UPDATE sessions SET revoked_at = schwarm_now() "
                               "WHERE token_hash = decode($1, 'hex') AND user_id = $2 AND revoked_at IS NULL"};

#undef USER_COLUMNS

constexpr std::array<std::string_view, 4> role_names{"customer", "staff", "auditor", "admin"};

// A syntactic check, deliberately loose (RFC 5322 allows much): one '@',
// something on each side, a dot in the domain, no spaces or controls.
bool plausible_email(std::string_view email) {
    auto at = email.find('@');
    if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    std::string_view domain = email.substr(at + 1);
    if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
        domain.back() == '.') {
        return false;
    }
    return std::none_of(email.begin(), email.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

void validate(const new_user& fields) {
    if (fields.email.size() > email_length_max || !plausible_email(fields.email)) {
        throw field_problem("email", "email must be an address like name@example.org");
    }
    if (fields.password.size() < password_length_min || fields.password.size() > password_length_max) {
        throw field_problem("password", "password must be " + std::to_string(password_length_min) + " to " +
                                            std::to_string(password_length_max) + " characters long");
    }
    auto name_blank = std::all_of(fields.display_name.begin(), fields.display_name.end(),
                                  [](unsigned char c) { return c == ' ' || c == '\t'; });
    if (fields.display_name.empty() || name_blank) {
        throw field_problem("display_name", "display_name must not be blank");
    }
}

user user_from(const pqxx::row& row) {
    return {user_id{row[0].as<std::int64_t>()}, row[1].as<std::string>(), row[2].as<std::string>(),
            parse_role(row[3].as<std::string>()).value(), row[4].as<std::string>()};
}

principal principal_from(const pqxx::row& row) {
    user account = user_from(row);
    return {account.id, account.role_, std::move(account)};
}

// A hash to check against when the address is unknown, so that the time a
// refusal takes does not tell whether an account exists.
const std::string& dummy_hash() {
    static const std::string hash = crypto::hash_password("schwarm-timing-equaliser");
    return hash;
}

} // namespace

std::string_view to_string(role r) { return role_names[static_cast<std::size_t>(r)]; }

std::optional<role> parse_role(std::string_view text) {
    for (std::size_t i = 0; i < role_names.size(); ++i) {
        if (role_names[i] == text) return static_cast<role>(i);
    }
    return std::nullopt;
}

namespace {
problem email_taken() {
    return problem(problems::email_taken, "An account with this email address already exists").with("field", "email");
}
} // namespace

user create(pqxx::work& tx, const new_user& fields, role r, const std::string& request_id, created_via via) {
    validate(fields);
    // A taken address is refused before the password is hashed (19 MiB and
    // tens of milliseconds each): a flood of duplicates costs no hashing. The
    // insert below still decides a race between two registrations.
    if (!tx.exec_prepared(select_credentials.name, fields.email).empty()) {
        throw email_taken();
    }
    std::string hash = crypto::hash_password(fields.password);
    pqxx::result rows =
        tx.exec_prepared(insert_user.name, fields.email, fields.display_name, hash, std::string(to_string(r)));
    if (rows.empty()) {
        throw email_taken();
    }
    user created{user_id{rows[0][0].as<std::int64_t>()}, fields.email, fields.display_name, r,
                 rows[0][1].as<std::string>()};
    bool operator_made = via == created_via::command_line;
    audit::write(tx, {operator_made ? std::nullopt : std::optional(created.id), "user.create",
                      "user:" + created.id.str(), request_id,
                      boost::json::serialize(boost::json::object{
                          {"role", to_string(r)}, {"via", operator_made ? "command line" : "registration"}})});
    return created;
}

user find(pqxx::transaction_base& tx, user_id id) {
    pqxx::result rows = tx.exec_prepared(select_user.name, id.value);
    if (rows.empty()) throw problem(problems::not_found, "No such user");
    return user_from(rows[0]);
}

namespace {

// The key failed logins are counted under: an account by its id, whatever
// spelling of its address found it; an unknown address folded to ASCII.
std::string failure_key(const pqxx::result& account, std::string_view email) {
    if (!account.empty()) return crypto::sha256_hex("user:" + std::to_string(account[0][0].as<std::int64_t>()));
    return crypto::sha256_hex(lower_ascii(email));
}

// A refusal while this client, or every client, has used up its failures.
std::optional<login_refusal> throttled(pqxx::work& tx, const std::string& key, const std::string& client_hash,
                                       const login_limits& limits, const std::string& request_id) {
    const auto window_s = static_cast<double>(limits.window.count());
    for (const auto& row : tx.exec_prepared(select_failures.name, key, window_s, client_hash)) {
        const bool account_wide = row[0].as<bool>();
        const int count = row[1].as<int>();
        const auto remaining = std::chrono::seconds(row[2].as<std::int64_t>());
        if (remaining.count() <= 0 || count < (account_wide ? limits.account_failures_max : limits.failures_max)) {
            continue;
        }
        // No personal data: the account, if there is one, by id only.
        audit::write(tx, {std::nullopt, "session.login_throttled", "login", request_id,
                          boost::json::serialize(boost::json::object{
                              {"failures", count}, {"from", account_wide ? "every address" : "this address"}})});
        return login_refusal{problem(problems::rate_limited,
                                     std::string(account_wide ? "Too many failed logins for this account"
                                                              : "Too many failed logins for this account from here") +
                                         "; try again in " + std::to_string(remaining.count()) + " s"),
                             remaining};
    }
    return std::nullopt;
}

} // namespace

std::variant<session, login_refusal> login(pqxx::work& tx, std::string_view email, std::string_view password,
                                           std::string_view client, const login_limits& limits,
                                           const std::string& request_id) {
    pqxx::result rows = tx.exec_prepared(select_credentials.name, std::string(email));
    const std::string key = failure_key(rows, email);
    const std::string client_hash = crypto::sha256_hex("client:" + std::string(client));
    const auto window_s = static_cast<double>(limits.window.count());
    if (auto refused = throttled(tx, key, client_hash, limits, request_id)) return *refused;

    bool ok = false;
    if (rows.empty()) {
        crypto::verify_password(dummy_hash(), password);
    } else {
        ok = crypto::verify_password(rows[0][1].as<std::string>(), password);
    }
    if (!ok) {
        tx.exec_prepared(record_failure.name, key, window_s, client_hash);
        std::string subject = rows.empty() ? "login" : "user:" + std::to_string(rows[0][0].as<std::int64_t>());
        audit::write(tx, {std::nullopt, "session.login_failed", subject, request_id,
                          boost::json::serialize(boost::json::object{{"known_account", !rows.empty()}})});
        return login_refusal{problem(problems::unauthorized, "Unknown email address or wrong password")};
    }

    user_id id{rows[0][0].as<std::int64_t>()};
    tx.exec_prepared(clear_client_failures.name, key, client_hash);
    if (rows[0][2].as<bool>()) {
        // Only to the one who knows the password: the account exists and is off.
        audit::write(tx, {std::nullopt, "session.login_disabled", "user:" + id.str(), request_id});
        return login_refusal{problem(account_disabled, "This account is disabled; ask the bank to enable it")};
    }
    std::string token = crypto::random_token(32);
    pqxx::result created =
        tx.exec_prepared(insert_session.name, crypto::sha256_hex(token), id.value,
                         static_cast<double>(limits.session_ttl.count()), std::string(client.substr(0, 64)));
    audit::write(tx, {id, "session.create", "user:" + id.str(), request_id});
    return session{std::move(token), created[0][0].as<std::string>(), id};
}

std::optional<principal> authenticate(pqxx::transaction_base& tx, std::string_view token) {
    pqxx::result rows = tx.exec_prepared(select_session.name, crypto::sha256_hex(token));
    if (rows.empty()) return std::nullopt;
    return principal_from(rows[0]);
}

const char* authenticate_sql() { return select_session.sql; }

std::vector<std::optional<principal>> authenticate_many(pqxx::transaction_base& tx,
                                                        const std::vector<std::string>& tokens) {
    std::vector<std::string> hashes;
    hashes.reserve(tokens.size());
    for (const auto& t : tokens) hashes.push_back(crypto::sha256_hex(t));
    std::unordered_map<std::string, principal> known;
    for (const auto& row : tx.exec_prepared(select_sessions.name, db::array_literal(hashes))) {
        known.emplace(row[5].as<std::string>(), principal_from(row));
    }
    std::vector<std::optional<principal>> out;
    out.reserve(tokens.size());
    for (const auto& h : hashes) {
        auto it = known.find(h);
        out.push_back(it == known.end() ? std::nullopt : std::optional(it->second));
    }
    return out;
}

void set_member(pqxx::work& tx, user_id id, bool member, user_id by, const std::string& request_id) {
    auto done = tx.exec_prepared(update_member.name, id.value, member);
    if (done.affected_rows() == 0) throw problem(problems::not_found, "No such user");
    audit::write(tx, {by, member ? "user.member_add" : "user.member_remove", "user:" + id.str(), request_id});
}

void logout(pqxx::work& tx, std::string_view token, user_id who, const std::string& request_id) {
    tx.exec_prepared(revoke_session.name, crypto::sha256_hex(token), who.value);
    audit::write(tx, {who, "session.revoke", "user:" + who.str(), request_id});
}

void unlock(pqxx::work& tx, user_id id, user_id admin, const std::string& request_id) {
    find(tx, id); // 404 for no such user
    auto cleared = tx.exec_prepared(clear_all_failures.name, crypto::sha256_hex("user:" + id.str())).affected_rows();
    audit::write(tx, {admin, "user.unlock", "user:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"counters_cleared", cleared}})});
}

} // namespace schwarm::users
