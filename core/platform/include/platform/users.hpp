#pragma once
// Users, roles and sessions. Passwords are kept only as Argon2id hashes and
// bearer tokens only as SHA-256 hashes; a token is shown once, at login.

#include "base/ids.hpp"
#include "base/problem.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace schwarm::users {

enum class role { customer, staff, auditor, admin };

std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view text);

struct user {
    user_id id;
    std::string email;
    std::string display_name;
    role role_;
    std::string created_at; // RFC 3339, UTC
};

// Who is calling: the user behind a valid bearer token, read in the same
// query that checks the token.
struct principal {
    user_id id;
    role role_;
    user account;
};

struct new_user {
    std::string email;
    std::string password;
    std::string display_name;
};

inline constexpr std::size_t password_length_min = 10;
inline constexpr std::size_t password_length_max = 256;
inline constexpr std::size_t display_name_length_max = 100;
inline constexpr std::size_t email_length_max = 254;

// Who made an account: its owner registering (the audit record's actor is
// the new user), or the operator at the command line (no actor; the record
// says so).
enum class created_via { registration, command_line };

// Checks the fields (throws a validation problem naming the field), hashes
// the password and inserts; throws problem(email_taken) for a taken address.
// Writes the audit record in the same transaction.
user create(pqxx::work& tx, const new_user& fields, role r, const std::string& request_id, created_via via);

user find(pqxx::transaction_base& tx, user_id id);

struct login_limits {
    int failures_max; // per account and client address, within `window`
    std::chrono::seconds window;
    std::chrono::seconds session_ttl;
    int account_failures_max = 100; // per account from every address, within `window`
};

struct session {
    std::string token;      // shown once; only its hash is stored
    std::string expires_at; // RFC 3339, UTC
    user_id user;
};

// A refused login: wrong credentials (401) or too many failures (429), with
// how long to wait. The failure count must be committed, so this is a value,
// not an exception that would roll the transaction back.
struct login_refusal {
    problem reason;
    std::chrono::seconds retry_after{0};
};

// Failed logins are counted per account and client address: a guesser is
// throttled at failures_max, the owner elsewhere is not; from every address
// together the account is throttled at account_failures_max.
std::variant<session, login_refusal> login(pqxx::work& tx, std::string_view email, std::string_view password,
                                           std::string_view client, const login_limits& limits,
                                           const std::string& request_id);

// An admin ends the account's login throttling (every address's count).
void unlock(pqxx::work& tx, user_id id, user_id admin, const std::string& request_id);

// The principal behind a bearer token, if the token is known, unexpired and
// not revoked.
std::optional<principal> authenticate(pqxx::transaction_base& tx, std::string_view token);
// The SQL of that lookup ($1: the token's SHA-256 in hex; one row of id,
// email, display_name, role, created_at, or none), for a client that runs it
// itself (the API's asynchronous path), so the rule lives in one place.
const char* authenticate_sql();

// The same for many tokens in one query: the principal for each token, in
// order (empty where unknown, expired or revoked).
std::vector<std::optional<principal>> authenticate_many(pqxx::transaction_base& tx,
                                                        const std::vector<std::string>& tokens);

// Records cooperative membership (members-only rounds); audited.
void set_member(pqxx::work& tx, user_id id, bool member, user_id by, const std::string& request_id);

// Revokes the session behind `token`; audited.
void logout(pqxx::work& tx, std::string_view token, user_id who, const std::string& request_id);

} // namespace schwarm::users
