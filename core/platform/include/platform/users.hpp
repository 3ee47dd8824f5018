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

// --- Administration (api/resources/src/users.cpp; admin role; audited) -----

inline constexpr problem_type last_admin{409, "last-admin", "The platform must keep an admin"};
inline constexpr problem_type grant_pending{409, "role-grant-pending",
                                            "A role grant for this user waits for confirmation"};
inline constexpr problem_type grant_own{403, "role-grant-own", "A role grant needs a second admin"};
inline constexpr problem_type user_state{409, "user-state", "The account is not in a state that allows this"};
inline constexpr problem_type account_disabled{403, "account-disabled", "The account is disabled"};
inline constexpr problem_type wrong_password{403, "wrong-password", "The current password is wrong"};
inline constexpr problem_type reset_token_invalid{400, "reset-token-invalid",
                                                  "The reset token is unknown, used or expired"};

// An account as an admin sees it.
struct account_entry {
    user account;
    bool member = false;
    std::optional<std::string> disabled_at; // RFC 3339, UTC
};

struct user_filter {
    std::optional<role> role_;
    std::string email_prefix;  // matched case-insensitively; empty: all
    std::int64_t after_id = 0; // keyset cursor: ids above this
    int limit = 50;
};
// Users in id order.
std::vector<account_entry> list(pqxx::transaction_base& tx, const user_filter& filter);

// A role grant waiting for (or given by) a second admin.
struct role_grant {
    std::int64_t id = 0;
    user_id user;
    role role_;
    user_id requested_by;
    std::string requested_at;
    std::optional<user_id> confirmed_by;
    std::optional<std::string> confirmed_at;
};

// What a role change did: changed at once (customer, auditor), or a grant of
// staff or admin that waits for a second admin.
struct role_change {
    std::optional<role_grant> pending;
    account_entry account;
};

// Changes `target`'s role. Staff and admin are only asked for here (a
// pending grant, 409 role-grant-pending if one waits); other roles apply at
// once. Taking the last admin's role is refused (409 last-admin), also when
// two admins demote each other at once: every admin row is locked first.
role_change change_role(pqxx::work& tx, user_id target, role r, user_id admin, const std::string& request_id);
std::vector<role_grant> pending_grants(pqxx::transaction_base& tx);
// A second admin confirms; the one who asked cannot (403 role-grant-own).
role_grant confirm_grant(pqxx::work& tx, std::int64_t grant_id, user_id admin, const std::string& request_id);

// Disabling ends every session of the account at once; the last admin
// cannot be disabled. Re-enabling lets the account log in again.
account_entry disable(pqxx::work& tx, user_id target, user_id admin, const std::string& request_id);
account_entry enable(pqxx::work& tx, user_id target, user_id admin, const std::string& request_id);

// --- One's own account ------------------------------------------------------

// Checks the current password (403 wrong-password), sets the new one and
// ends every other session of the caller; the one in use stays.
void change_password(pqxx::work& tx, user_id who, std::string_view current_token, std::string_view current_password,
                     std::string_view new_password, const std::string& request_id);

struct session_entry {
    std::int64_t id = 0;
    std::string created_at;
    std::string last_used_at;
    std::string expires_at;
    std::optional<std::string> client_address;
    bool current = false;
};
inline constexpr int own_sessions_max = 100;
// The caller's live sessions (at most own_sessions_max), newest first; never a token.
std::vector<session_entry> own_sessions(pqxx::transaction_base& tx, user_id who, std::string_view current_token);
// Ends one of the caller's live sessions (404 for anything else).
void end_session(pqxx::work& tx, user_id who, std::int64_t session_id, const std::string& request_id);
// Refreshes a session's last use, at most once a minute, never waiting for
// a lock (its own statement, after the request's transaction).
void touch_session(pqxx::transaction_base& tx, std::string_view token);

// Password reset: asked for by address, answered the same whether it is
// known (no enumeration); a known, enabled account gets a one-time token,
// stored hashed, in a message in the outbox. Using it sets the password and
// ends every session.
void request_password_reset(pqxx::work& tx, std::string_view email, std::chrono::seconds ttl,
                            const std::string& request_id);
void reset_password(pqxx::work& tx, std::string_view token, std::string_view new_password,
                    const std::string& request_id);

// --- The outbox of messages to people ---------------------------------------

struct outbox_message {
    std::int64_t id = 0;
    std::string recipient;
    std::string kind;
    std::string subject;
    std::string body;
    std::string created_at;
    std::optional<std::string> sent_at;
};
std::vector<outbox_message> outbox(pqxx::transaction_base& tx, bool pending_only, int limit);
// Marks a message delivered; false when there is no such pending message.
bool mark_sent(pqxx::work& tx, std::int64_t id);
// For an erasure: the person's messages lose address and text (marked sent),
// and a reset token not used yet can no longer be.
void forget_messages(pqxx::work& tx, user_id who);

} // namespace schwarm::users
