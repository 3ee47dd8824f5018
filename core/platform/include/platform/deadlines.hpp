#pragma once
// Deadlines people can work with: staff extend a campaign's deadline once,
// within a configured number of days, with a reason; an owner ends a fully
// funded campaign early. Both are audited and told to the project's
// followers (its backers follow it). Ending early moves the deadline to now:
// pledges stop, and the campaign settles at settles_at, the later of now and
// the end of the last reflection period, so none is cut short
// (core/platform/settlement.hpp).

#include "platform/projects.hpp"

#include <pqxx/pqxx>

#include <string>

namespace schwarm::deadlines {

namespace problems {
inline constexpr problem_type extended_already{409, "deadline-extended-already",
                                               "The deadline has been extended once already"};
inline constexpr problem_type not_fully_funded{409, "campaign-not-fully-funded",
                                               "The campaign has not reached its goal"};
} // namespace problems

struct changed {
    std::string deadline_before;
    std::string deadline;   // RFC 3339 UTC
    std::string settles_at; // RFC 3339 UTC
};

// Staff (not the owner): a campaign in funding whose deadline has not
// passed, extended once, to a later time at most `max_days` after its
// deadline in force.
changed extend(pqxx::work& tx, projects::project_id id, const std::string& new_deadline, const std::string& reason,
               int max_days, const projects::actor& by);

// The owner: a campaign in funding whose deadline has not passed and whose
// pledges reach its goal ends now.
changed end_early(pqxx::work& tx, projects::project_id id, const projects::actor& by);

} // namespace schwarm::deadlines
