#pragma once
// What the platform's domain asks of the ledger (DESIGN.md 2 and 4.3): core
// declares this small interface, ledger/ does the bookkeeping, api's main()
// binds the two (api/ledger_port.cpp). Domain code names accounts by role
// (a customer's wallet, a project's escrow) and moves money between them;
// every rule of the ledger (balance, currency, balance flags, idempotency,
// holds resolved exactly once) still applies and its refusals come back as
// they are.

#include "base/audit.hpp"
#include "base/ids.hpp"
#include "base/problem.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace schwarm::ledger_port {

// The platform's chart of accounts, one account per role, owner and currency.
enum class account_role {
    bank_cash,         // asset: the bank's money at its payment providers
    wallet,            // liability: a customer's money (owner: user id); may not go below zero
    escrow,            // liability: pledges to a project (owner: project id); may not go below zero
    fee_income,        // income: platform fees
    community_fund,    // liability: the members' community fund that voting rounds allocate
    loan_receivable,   // asset, memorandum: principal a borrower still owes (owner: project id)
    lender_claims,     // liability, memorandum: principal owed on to the lenders (owner: project id)
};

struct account_key {
    account_role role;
    std::int64_t owner = 0; // user or project id; 0 for the bank's own accounts
    std::string currency_code;
};

struct movement {
    std::int64_t debit_account = 0;  // account ids as account() returned them
    std::int64_t credit_account = 0;
    std::int64_t amount_minor = 0;
};

enum class booking_kind { transfer, hold, post_hold, void_hold };

struct booking {
    std::string idempotency_key;          // unique across the ledger: prefix it by purpose
    booking_kind kind = booking_kind::transfer;
    std::vector<movement> movements;      // transfer, hold; post_hold: empty = in full
    std::string currency_code;
    std::optional<std::int64_t> hold;     // post_hold, void_hold: the hold's entry id
    std::string description;
    std::optional<user_id> actor;
    std::string request_id;
};

struct booked {
    std::int64_t entry_id = 0;
    bool replayed = false;                // an earlier booking with the same key and content
};
using outcome = std::variant<booked, problem>;

struct balance {
    std::int64_t debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0;
};

struct statement_line {
    std::int64_t entry_id = 0;
    int seq = 0;             // the posting within its entry (one entry may pay an account many times)
    std::string at;          // RFC 3339
    std::string kind;        // posted | pending | post_pending | void_pending
    bool credit = false;     // credit: into a wallet; debit: out of it
    std::int64_t amount_minor = 0;
    std::string description;
};

class port {
public:
    virtual ~port() = default;
    // The account for a role, created on first use (idempotent under
    // concurrency); a new one is audited as opened by `by`.
    virtual std::int64_t account(pqxx::work& tx, const account_key& key, const audit::origin& by) const = 0;
    // The account if it exists.
    virtual std::optional<std::int64_t> find_account(pqxx::transaction_base& tx, const account_key& key) const = 0;
    // Many at once, in order.
    virtual std::vector<std::optional<std::int64_t>> find_accounts(pqxx::transaction_base& tx,
                                                                   std::span<const account_key> keys) const = 0;
    virtual balance balance_of(pqxx::transaction_base& tx, std::int64_t account) const = 0;
    // An account's postings, newest first, before the posting `before`
    // ("<entry>.<seq>" of a line, keyset); a cursor that is not one is a
    // validation problem.
    virtual std::vector<statement_line> statement(pqxx::transaction_base& tx, std::int64_t account,
                                                  const std::optional<std::string>& before, int limit) const = 0;
    // Books in order; linked: all or none. One outcome per booking.
    virtual std::vector<outcome> book(pqxx::work& tx, std::span<const booking> bookings, bool linked) const = 0;
};

// Books `bookings` linked (all or none) through the bound port; returns their
// entry ids in order, or throws the refusal that caused it (not the
// linked-entry-failed of the others).
std::vector<std::int64_t> book_all(pqxx::work& tx, std::span<const booking> bookings);

// Bookings happen only where a retry is safe. While a request runs whose
// route is not marked as moving money (api/http.hpp: its retries replay), a
// booking is refused as a programming error: a new route cannot move money
// and forget its Idempotency-Key. Background jobs and the command line book
// freely.
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

// The bound port; throws std::logic_error when nothing is bound.
const port& current();
void bind(const port* p);

} // namespace schwarm::ledger_port
