#pragma once
// Settlement at the deadline (DESIGN.md 4.3): all_or_nothing campaigns post
// every hold when the goal is met and void them all otherwise; keep_it_all
// campaigns post (failed only with nothing pledged). The platform fee is an
// entry from escrow to fee income; a funded donation or reward campaign is
// paid out to its owner's wallet at once, a funded loan waits in escrow for
// staff to disburse it.
//
// The decision is recorded once, in the first transaction; the holds are then
// resolved in chunks, each its own transaction, each hold under a ledger key
// derived from the pledge, so a crash between chunks resumes where it left
// off and nothing is booked twice. The project row is locked by each chunk
// (SKIP LOCKED for the background job), so several server processes share
// the work without doing any of it twice.

#include "core/projects.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>

namespace schwarm::settlement {

namespace problems {
inline constexpr problem_type not_due{409, "settlement-not-due", "The campaign's deadline has not passed"};
} // namespace problems

struct progress {
    projects::project_id project;
    std::string outcome;   // funded | failed
    int resolved = 0;      // holds posted or voided in this chunk
    bool finished = false; // the project moved to funded or failed
};

struct settings {
    int fee_bp = 0;        // platform fee in basis points of what was raised
    int chunk = 5000;      // holds per transaction
};

// The background job: the next due campaign no other transaction holds, one
// chunk of it; nullopt when nothing is due.
std::optional<progress> settle_next(pqxx::work& tx, const settings& s);

// Staff: settle one campaign now, whole, in this transaction. Refuses a
// project not in funding (409 naming its state, so a second settlement is
// refused) or before its deadline.
progress settle_now(pqxx::work& tx, projects::project_id id, const settings& s, const projects::actor& by);

} // namespace schwarm::settlement
