#pragma once
// The double-entry ledger: accounts with balances, entries of two or more
// postings that balance per currency, holds (pending entries) that are later
// posted or voided exactly once. Entries are booked in batches: each batch is
// one database transaction that locks every account it touches once, checks
// every entry in memory in order, and writes all accepted entries with a few
// set-based statements; so concurrent requests coalesced into one batch
// update a hot account's row once, not once per request.

#include "base/audit.hpp"
#include "base/ids.hpp"
#include "base/money.hpp"
#include "base/problem.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace schwarm::ledger {

struct account_tag;
using account_id = id<account_tag>;
struct entry_tag;
using entry_id = id<entry_tag>;

inline constexpr std::size_t postings_per_entry_max = 64;
inline constexpr std::size_t entries_per_batch_max = 8190;
inline constexpr std::size_t idempotency_key_length_max = 200;
inline constexpr std::size_t description_length_max = 500;

namespace problems {
inline constexpr problem_type entry_unbalanced{422, "entry-unbalanced", "Debits and credits do not balance"};
inline constexpr problem_type too_few_postings{422, "too-few-postings", "An entry needs at least two postings"};
inline constexpr problem_type too_many_postings{422, "too-many-postings", "Too many postings in one entry"};
inline constexpr problem_type batch_too_large{422, "batch-too-large", "Too many entries in one batch"};
inline constexpr problem_type amount_not_positive{422, "amount-not-positive", "Amounts must be positive"};
inline constexpr problem_type account_unknown{422, "account-unknown", "No such account"};
inline constexpr problem_type account_closed{422, "account-closed", "The account is closed"};
inline constexpr problem_type account_currency{422, "account-currency-mismatch",
                                               "The posting's currency is not the account's"};
inline constexpr problem_type balance_limit{422, "balance-limit-exceeded", "The account's balance rule refuses this"};
inline constexpr problem_type hold_unknown{422, "hold-unknown", "No such hold"};
inline constexpr problem_type hold_resolved{409, "hold-already-resolved", "The hold was already posted or voided"};
inline constexpr problem_type hold_expired{409, "hold-expired", "The hold has expired"};
inline constexpr problem_type post_exceeds_hold{422, "post-exceeds-hold", "The posting exceeds what the hold reserved"};
inline constexpr problem_type linked_failed{422, "linked-entry-failed",
                                            "Another entry of the linked batch was refused"};
inline constexpr problem_type code_taken{409, "account-code-taken", "The account code is taken"};
} // namespace problems

enum class account_type { asset, liability, equity, income, expense };
enum class side { debit, credit };
enum class entry_kind { posted, pending, post_pending, void_pending };

std::string_view to_string(account_type t);
std::string_view to_string(side s);
std::string_view to_string(entry_kind k);
std::optional<account_type> parse_account_type(std::string_view text);
std::optional<side> parse_side(std::string_view text);

struct balances {
    std::int64_t debits_posted = 0;
    std::int64_t credits_posted = 0;
    std::int64_t debits_pending = 0;
    std::int64_t credits_pending = 0;
    bool operator==(const balances&) const = default;
};

struct account_spec {
    std::string code;
    std::string name;
    account_type type;
    currency cur;
    std::optional<user_id> owner_user = std::nullopt;
    std::optional<std::int64_t> owner_project = std::nullopt;
    bool debits_must_not_exceed_credits = false;
    bool credits_must_not_exceed_debits = false;
};

struct account {
    account_id id;
    account_spec spec;
    bool closed = false;
    balances bal;
};

struct posting {
    account_id account;
    side side_;
    std::int64_t amount_minor;
    std::string currency_code;
    bool operator==(const posting&) const = default;
};

// Who books: the kernel's one "who did it" (an actor, or none for the
// platform's own jobs, and the request id), as every audit record names it.
using who = audit::origin;

struct entry_request {
    std::string idempotency_key;
    entry_kind kind = entry_kind::posted;
    std::vector<posting> postings;            // posted, pending; post_pending: empty = in full
    std::optional<entry_id> pending;          // post_pending, void_pending
    std::optional<std::int64_t> expires_in_s; // pending only
    std::string description;
    // Who asks, when requests from several callers share one batch; empty:
    // the batch's caller.
    std::optional<who> by = std::nullopt;
};

struct entry {
    entry_id id;
    entry_kind kind;
    std::vector<posting> postings;
    std::optional<entry_id> pending;
    std::optional<std::string> expires_at;
    std::string description;
    std::string created_at;
    bool replayed = false; // an earlier request with the same key and content
};

using entry_result = std::variant<entry, problem>;

// What book() checks of a request before it reads the database: the shape
// (key, description, kind and pending_id, expiry, posting count, positive
// amounts, known currencies) and, for posted and pending entries, that the
// postings balance per currency. Throws the problem book() would answer.
void validate(const entry_request& r);

// Accounts. create() refuses a taken code (code_taken) and writes an audit record.
account create_account(pqxx::work& tx, const account_spec& spec, const who& by);
std::optional<account> find_account(pqxx::transaction_base& tx, account_id id);
std::optional<account_id> find_account_by_code(pqxx::transaction_base& tx, const std::string& code);
// The ids of the accounts a user owns (their wallets), oldest first.
std::vector<account_id> accounts_owned_by(pqxx::transaction_base& tx, user_id owner);
// Many codes at once: the ids of those that exist, by code.
std::map<std::string, account_id> find_accounts_by_code(pqxx::transaction_base& tx,
                                                        const std::vector<std::string>& codes);
// The account with spec.code, created (and audited) if there is none yet;
// safe when several transactions ask for the same new code at once.
account_id ensure_account(pqxx::work& tx, const account_spec& spec, const who& by);
void close_account(pqxx::work& tx, account_id id, const who& by);

// Bookings happen only where a retry is safe. While a request runs whose
// route is not marked as moving money (api: its retries replay), the server
// opens a scope that refuses bookings: book() then throws
// invariant_violation, so a new route cannot move money and forget its
// Idempotency-Key. Background jobs and the command line book freely.
class booking_scope {
public:
    explicit booking_scope(bool allowed);
    ~booking_scope();
    booking_scope(const booking_scope&) = delete;
    booking_scope& operator=(const booking_scope&) = delete;
    static bool allowed();

private:
    bool before_;
};

// Books entries in order. Unlinked: each is booked or refused on its own.
// Linked: all are booked, or none (each refused entry names its reason; the
// others get linked_failed). A request whose idempotency key was booked
// before returns that entry (replayed) if the content is the same, and
// idempotency_conflict if not. Throws only for database failures.
std::vector<entry_result> book(pqxx::work& tx, std::span<const entry_request> requests, bool linked, const who& by);

// Voids holds whose expiry has passed, at most `limit`; returns how many.
// Safe with several server processes (rows are claimed with SKIP LOCKED).
int void_expired_holds(pqxx::work& tx, int limit);

struct statement_line {
    entry_id entry;
    int seq = 0; // the posting within its entry: one entry may touch an account many times
    std::string at;
    entry_kind kind;
    side side_;
    std::int64_t amount_minor;
    std::string description;
};
// Where a statement page starts: before this posting (entry, seq).
struct statement_cursor {
    entry_id entry;
    int seq = 0;
};
// "<entry>.<seq>" of a line, and back (nullopt for anything else).
std::string to_cursor(const statement_line& line);
std::optional<statement_cursor> parse_statement_cursor(std::string_view text);
// An account's postings, newest first, before `before` (keyset by posting),
// at most `limit`.
std::vector<statement_line> statement(pqxx::transaction_base& tx, account_id id, std::optional<statement_cursor> before,
                                      int limit);

struct trial_balance_line {
    account_id id;
    std::string code;
    std::string name;
    account_type type;
    std::string currency_code;
    std::int64_t debits_minor;
    std::int64_t credits_minor;
};
// Posted balances per account from the postings as of `as_of` (RFC 3339;
// empty: now).
std::vector<trial_balance_line> trial_balance(pqxx::transaction_base& tx, const std::string& as_of);

struct verify_report {
    bool ok = true;
    std::int64_t entries_checked = 0;
    std::int64_t accounts_checked = 0;
    std::string first_discrepancy; // empty when ok
};
// Recomputes every account's balances from the postings and checks every
// entry balances per currency.
verify_report verify(pqxx::transaction_base& tx);

} // namespace schwarm::ledger
