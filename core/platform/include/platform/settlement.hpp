#pragma once
// Settlement (DESIGN.md 4.3): all_or_nothing campaigns post every hold when
// the goal is met and void them all otherwise; keep_it_all campaigns post
// (failed only with nothing raised). The platform fee is an entry from escrow
// to fee income; a funded donation or reward campaign is paid out to its
// owner's wallet at once, a funded loan waits in escrow for staff to
// disburse it.
//
// When: at the later of the deadline and the end of the last reflection
// period a pledge began (projects.settles_at). Pledges stop at the deadline,
// so at that moment no pledge can still be revoked: the reflection period is
// never cut short, and what the decision counts cannot change after it.
//
// The decision is recorded once, in the first transaction, from what the
// escrow really holds (held pledges and any allocation from the community
// fund), checked against the project's counters; the fee never exceeds what
// was raised. The holds are then resolved in chunks, each its own
// transaction, each hold under a ledger key derived from the pledge, so a
// crash between chunks resumes where it left off and nothing is booked twice.
// The project row is locked by each chunk (SKIP LOCKED for the background
// job), so several server processes share the work without doing any twice.
//
// A campaign whose settlement fails is set aside with its reason (visible to
// staff), retried with backoff, and never holds up the others.

#include "platform/projects.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>

namespace schwarm::settlement {

namespace problems {
inline constexpr problem_type not_due{409, "settlement-not-due", "The campaign is not due for settlement"};
} // namespace problems

struct progress {
    projects::project_id project;
    std::string outcome;   // funded | failed; empty when set aside
    int resolved = 0;      // holds posted or voided
    bool finished = false; // the project moved to funded or failed
    bool set_aside = false;
};

struct settings {
    int fee_bp = 0;   // platform fee in basis points of what was raised
    int chunk = 5000; // holds per transaction
};

// The fee on `raised`: floor(raised × fee_bp / 10000), never above `raised`.
std::int64_t fee_of(std::int64_t raised_minor, int fee_bp);

// The background job: one chunk of the next due campaign, in a transaction
// of its own on `connection`; nullopt when nothing is due. A chunk that
// fails is rolled back and its campaign set aside (progress.set_aside).
std::optional<progress> settle_next(pqxx::connection& connection, const settings& s, const std::string& request_id);

// Staff: settle one campaign now, whole, in this transaction. Refuses a
// project not in funding (409 naming its state, so a second settlement is
// refused) or not yet due (its deadline, or a reflection period, still runs).
progress settle_now(pqxx::work& tx, projects::project_id id, const settings& s, const projects::actor& by);

// Stops a campaign: `action` is withdraw (its owner) or cancel (staff, with
// a reason), as the lifecycle allows. In the same transaction every hold is
// voided, posted pledges (a funded loan not yet disbursed) are paid back to
// their backers with the platform's fee, and what the community fund
// allocated goes back to it.
projects::project stop_campaign(pqxx::work& tx, projects::project_id id, const std::string& action,
                                const std::string& reason, const settings& s, const projects::actor& by);

} // namespace schwarm::settlement
