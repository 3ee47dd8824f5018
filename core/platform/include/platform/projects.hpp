#pragma once
// Projects and their lifecycle (DESIGN.md 4.1). Every transition is in one
// table (core/projects.cpp): who may take it, from which states, to which;
// each is checked under a row lock and audited, and an illegal one is a 409
// problem naming the current state.

#include "base/audit.hpp"
#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::projects {

struct project_tag;
using project_id = id<project_tag>;

namespace problems {
inline constexpr problem_type illegal_transition{409, "project-state", "The project's state does not allow this"};
inline constexpr problem_type deadline_passed{409, "project-deadline-passed", "The project's deadline has passed"};
} // namespace problems

struct fields {
    std::string title;
    std::string summary;
    std::string description;
    std::string category;
    std::string kind; // donation | reward | loan
    std::int64_t goal_minor = 0;
    std::string currency_code;
    std::string campaign_mode; // all_or_nothing | keep_it_all
    std::string deadline;      // RFC 3339, in the future
    // Loans only: the goal is the principal.
    std::optional<int> loan_rate_bp = std::nullopt; // annual rate, basis points
    std::optional<int> loan_term_months = std::nullopt;
    std::optional<std::string> loan_schedule = std::nullopt; // annuity | equal_principal
    std::int64_t min_pledge_minor = 100;
    // Pledges beyond the goal: refused unless the campaign allows them
    // (donations and rewards only; never a loan).
    bool allow_overfunding = false;
};

struct project {
    project_id id;
    user_id owner;
    fields f;
    std::string state;
    std::string created_at;
    std::string updated_at;
    // Funding, kept with each pledge: held and posted pledges.
    std::int64_t pledged_minor = 0;
    int backers = 0;
    int days_left = 0;            // whole days until the deadline, rounded up; 0 once it passed
    std::int64_t deadline_us = 0; // the deadline in µs since the epoch (listing cursors)
    // When a campaign settles: the later of its deadline and the end of the
    // last reflection period a pledge to it began (core/settlement.hpp).
    std::string settles_at;
    // Co-creation (core/platform/phases.hpp): a project made from an idea
    // has its idea and a phase (prototype, test, submitted), and in the test
    // phase a feedback window; a project made directly has none of them.
    std::optional<std::int64_t> idea;
    std::optional<std::string> phase;
    std::optional<std::string> feedback_opens_at;
    std::optional<std::string> feedback_closes_at;
};

struct actor {
    users::principal who;
    std::string request_id;
};
// The platform itself (settlement, loan servicing): user id 0, audited with no actor.
actor platform_actor(std::string request_id);
// As the audit log names it: no actor for the platform itself.
audit::origin origin_of(const actor& by);

// Customers create drafts and edit them while they are drafts.
project create(pqxx::work& tx, const fields& f, const actor& by);
project update(pqxx::work& tx, project_id id, const fields& f, const actor& by);

// Drafts are seen only by their owner and staff; everything else is public,
// drafts made from an idea too (they are prototyped and tested in the open).
project find(pqxx::transaction_base& tx, project_id id, const std::optional<users::principal>& viewer);

// The lifecycle: `action` is one of the names in transitions() (submit,
// withdraw, start_review, approve, reject, open_funding, …). Moves made by
// the platform itself (settlement, loan servicing) pass `by` as the system
// or the staff member whose request caused them.
project transition(pqxx::work& tx, project_id id, const std::string& action, const std::string& reason,
                   const actor& by);

enum class mover { owner, staff, platform };

struct transition_rule {
    const char* action;
    std::vector<const char*> from;
    const char* to;
    mover by;
    // Told to followers as project.state_changed (core/platform/events.hpp);
    // settlement tells its own, richer event.
    bool announced = true;
};
const std::vector<transition_rule>& transitions();

enum class listing_order { newest, deadline, funded, backers };

struct listing_query {
    std::vector<std::string> states; // empty: every public state
    std::optional<std::string> kind;
    std::optional<std::string> category;
    std::optional<std::string> text; // full-text search, German and English
    listing_order order = listing_order::newest;
    std::optional<std::string> cursor; // from next_cursor() of the previous page's last item
    int limit = 50;
};
// newest: id descending; deadline: soonest first; funded: pledged/goal
// descending; backers: most first. Ties by id. Throws a field problem for a
// cursor that does not belong to the order.
std::vector<project> list(pqxx::transaction_base& tx, const listing_query& q);
std::string next_cursor(const project& last, listing_order order);
// A customer's own projects, drafts included, newest first.
// What pledges and settlement need of a project, read under a row lock
// (FOR NO KEY UPDATE), so that pledges to one project, revocations and its
// settlement are serialised.
struct funding {
    project_id id;
    user_id owner;
    std::string kind;
    std::string state;
    std::string campaign_mode;
    std::string currency_code;
    std::int64_t goal_minor = 0;
    std::int64_t min_pledge_minor = 0;
    bool allow_overfunding = false;
    std::int64_t pledged_minor = 0;
    int backers = 0;
    bool before_deadline = false;          // by the clock now, not the transaction's start
    bool before_settlement = false;        // settles_at is still to come (by the clock now)
    std::string settles_at;                // RFC 3339
    std::optional<std::string> settlement; // funded | failed, once decided
    std::int64_t fee_minor = 0;
};
// Locks the projects in id order; unknown ids are left out.
std::vector<funding> lock_funding(pqxx::work& tx, std::vector<std::int64_t> ids);
// A pledge batch's (or a revocation's) change of the counters. A batch with
// pledges that may be revoked (`reflection_begins`) moves settles_at to the
// end of their reflection period.
void add_funding(pqxx::work& tx, project_id id, std::int64_t pledged_delta_minor, int backers_delta,
                 bool reflection_begins = false);
// A stopped campaign holds nothing any more: its counters to zero.
void clear_funding(pqxx::work& tx, project_id id);
// Settlement: the next project in funding that is due (settles_at passed),
// not set aside for a later retry, and that no other transaction holds (SKIP
// LOCKED), locked.
std::optional<funding> claim_due(pqxx::work& tx);
// Records the settlement decision once (the project row is locked).
void decide_settlement(pqxx::work& tx, project_id id, const std::string& outcome, std::int64_t fee_minor);
// A settlement that failed: its reason kept for staff, retried after a
// backoff that doubles per attempt (1 minute to 1 hour). Cleared once it
// settles.
void set_settlement_aside(pqxx::work& tx, project_id id, const std::string& reason);
void clear_settlement_error(pqxx::work& tx, project_id id);

// What staff see of a campaign's settlement.
struct settlement_view {
    project_id id;
    std::string state;
    std::string deadline;
    std::string settles_at;
    bool due = false;
    std::optional<std::string> outcome;
    std::int64_t fee_minor = 0;
    std::int64_t pledged_minor = 0;
    std::int64_t goal_minor = 0;
    std::optional<std::string> error;
    int attempts = 0;
    std::optional<std::string> retry_at;
};
settlement_view settlement_of(pqxx::transaction_base& tx, project_id id);
// Campaigns in funding that are due or set aside, oldest due first (keyset on id).
std::vector<settlement_view> settlements_pending(pqxx::transaction_base& tx, bool set_aside_only,
                                                 std::optional<std::int64_t> after_id, int limit);

std::vector<project> list_own(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before_id,
                              int limit);

// Co-creation's needs of the projects table (core/platform/phases.hpp,
// prototypes.hpp): a project's phase and feedback window, read (and locked:
// FOR NO KEY UPDATE, as the lifecycle locks it) or set.
struct phase_row {
    user_id owner;
    std::string state;
    std::optional<std::string> phase;
    std::optional<std::int64_t> idea;
    bool feedback_open = false;   // now within the window
    bool feedback_closed = false; // the window has ended
    std::optional<std::string> feedback_opens_at;
    std::optional<std::string> feedback_closes_at;
};
std::optional<phase_row> phase_of(pqxx::transaction_base& tx, project_id id);
std::optional<phase_row> lock_phase(pqxx::work& tx, project_id id);
// With `feedback_window_days`, the window opens now for that many calendar days.
void set_phase(pqxx::work& tx, project_id id, const std::string& phase,
               std::optional<int> feedback_window_days = std::nullopt);
// Makes a new draft the prototype of an idea (phase prototype).
void link_to_idea(pqxx::work& tx, project_id id, std::int64_t idea);

} // namespace schwarm::projects
