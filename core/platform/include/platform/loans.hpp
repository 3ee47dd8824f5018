#pragma once
// Loans after funding (DESIGN.md 4.3): staff disburse the escrow to the
// borrower's wallet and the schedule is fixed (core/loan_math.hpp); the
// borrower repays from their wallet, each repayment split over the lenders
// pro rata (interest and principal as separate entries); staff may mark a
// loan defaulted, which writes the outstanding principal off.
//
// Principal is split by each lender's outstanding principal, so the last
// repayment pays every lender exactly what they are still owed: each ends
// with their whole share. Interest is split by the lenders' shares. Both
// use the largest remainder (core/loan_math.hpp): no cent is lost.
//
// The ledger carries a memorandum pair per loan: loan receivable (asset) and
// lender claims (liability), opened with the principal, reduced by principal
// repaid, and closed by the write-off of a default.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace schwarm::loans {

namespace problems {
inline constexpr problem_type exceeds_owed{422, "repayment-exceeds-owed", "The repayment exceeds what is still owed"};
inline constexpr problem_type not_repaying{409, "loan-state", "The loan's state does not allow this"};
} // namespace problems

struct instalment_view {
    int no = 0;
    std::string due_on; // YYYY-MM-DD
    std::int64_t principal_minor = 0;
    std::int64_t interest_minor = 0;
    std::int64_t paid_minor = 0;
    std::string status; // paid | upcoming | late (overdue up to 30 days) | missed (longer)
    int days_overdue = 0;
};

// A lender of record: a backer, or the community fund (user id 0 here,
// community_fund true), which lends what a voting round allocated.
struct lender_view {
    user_id lender;
    bool community_fund = false;
    std::int64_t share_minor = 0;
    std::int64_t principal_received_minor = 0;
    std::int64_t interest_received_minor = 0;
};

struct loan_view {
    std::int64_t project_id = 0;
    user_id borrower;
    std::string title;
    std::int64_t principal_minor = 0;
    std::string currency_code;
    int rate_bp = 0;
    int term_months = 0;
    std::string schedule;
    std::string state; // repaying | repaid | defaulted
    std::string disbursed_at;
    std::int64_t principal_repaid_minor = 0;
    std::int64_t interest_repaid_minor = 0;
    std::int64_t owed_minor = 0;    // everything still to pay by the schedule
    std::int64_t arrears_minor = 0; // unpaid amounts of instalments past their due date
    std::vector<instalment_view> instalments;
    std::vector<lender_view> lenders; // staff see all; a lender sees their own line; the borrower none
};

struct repayment {
    std::int64_t id = 0;
    std::int64_t amount_minor = 0;
    std::int64_t principal_minor = 0;
    std::int64_t interest_minor = 0;
    bool replayed = false;
    loan_view loan;
};

// What an instalment still needs.
struct instalment_due {
    int no = 0;
    std::int64_t principal_due_minor = 0;
    std::int64_t interest_due_minor = 0;
};
// Where a payment goes (pure): instalments in order, interest before
// principal, until it is spent; the instalments it touches, with their parts.
struct payment_allocation {
    std::vector<int> nos;
    std::vector<std::int64_t> principal, interest;
    std::int64_t principal_minor = 0;
    std::int64_t interest_minor = 0;
};
payment_allocation allocate_payment(std::span<const instalment_due> dues, std::int64_t amount_minor);

// What each lender receives of a repayment (pure): principal by what each is
// still owed, interest by each one's share, both by largest remainder with
// ties to the earlier lender (the community fund first, then by lender id).
struct lender_split {
    std::vector<std::int64_t> principal, interest; // per lender, in the given order
};
lender_split split_to_lenders(std::span<const lender_view> lenders, std::int64_t principal_minor,
                              std::int64_t interest_minor);

// Staff: a funded loan's escrow to the borrower's wallet; the schedule starts.
// Its principal is everything raised: the backers' posted pledges and what
// the community fund allocated; each is a lender of its share.
loan_view disburse(pqxx::work& tx, projects::project_id id, const projects::actor& by);
// The borrower, the loan's lenders and staff; anyone else: not found.
loan_view find(pqxx::transaction_base& tx, projects::project_id id, const users::principal& viewer);
// The borrower (or staff for them) repays; instalments in order, interest
// before principal; ahead of time is allowed, beyond what is owed is not.
repayment repay(pqxx::work& tx, projects::project_id id, std::int64_t amount_minor, const std::string& idempotency_key,
                const projects::actor& by);
// Staff: the loan defaulted; the outstanding principal is written off.
loan_view mark_defaulted(pqxx::work& tx, projects::project_id id, const std::string& reason, const projects::actor& by);

struct lent_position {
    std::int64_t project_id = 0;
    std::string title;
    std::string state;
    std::string currency_code;
    std::int64_t share_minor = 0;
    std::int64_t principal_received_minor = 0;
    std::int64_t interest_received_minor = 0;
    std::int64_t outstanding_minor = 0;
};
struct borrowed_position {
    std::int64_t project_id = 0;
    std::string title;
    std::string state;
    std::string currency_code;
    std::int64_t owed_minor = 0;
    std::int64_t arrears_minor = 0;
    std::optional<std::string> next_due_on;
};
std::vector<lent_position> lent_by(pqxx::transaction_base& tx, user_id lender);
std::vector<borrowed_position> borrowed_by(pqxx::transaction_base& tx, user_id borrower);

} // namespace schwarm::loans
