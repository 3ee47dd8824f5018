#pragma once
// The five phases of co-creation (DESIGN.md 4.1) as one explicit field on
// ideas and on the projects made from them, moved only by the one table in
// core/platform/src/phases.cpp: who may take each move, from which phases, to
// which. Every move is checked under a row lock, audited and (unless it only
// mirrors its project's) told to followers. A move from the wrong phase is
// `409 phase-transition` naming the phase; by the wrong role, 403.
//
//   idea:     understand → empathise → idea → prototype → test → submitted
//                 └──────────┴────────┴→ declined | merged
//   project:  prototype → test → submitted   (then the project's own states)

#include "base/problem.hpp"
#include "platform/ideas.hpp"
#include "platform/projects.hpp"

#include <boost/json/object.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::phases {

namespace problems {
inline constexpr problem_type wrong_phase{409, "phase-transition", "The phase does not allow this"};
inline constexpr problem_type window_open{409, "feedback-window-open",
                                          "The feedback window is still open; submit once it has closed"};
} // namespace problems

enum class subject { idea, project };

struct rule {
    const char* action;
    subject on;
    std::vector<const char*> from;
    const char* to;
    projects::mover by;
    // Told to followers; false for an idea's move that mirrors its
    // project's (the project's event reaches the idea's followers already).
    bool announced = true;
};
const std::vector<rule>& transitions();

// The rule for `action` on `on`; nullptr when there is none.
const rule* find_rule(subject on, const std::string& action);
// Whether `phase` may take `action` (pure).
bool allowed_from(const rule& r, const std::string& phase);

struct moved {
    std::string from;
    std::string to;
};

// Moves the idea (locking its row): checks the rule's mover (owner: the
// idea's owner; staff: a staff member; platform: the caller is the platform's
// own code) and the phase; records the audit record `idea.<action>` with
// `details`, and the event. Throws phase-transition, forbidden, not-found.
moved move_idea(pqxx::work& tx, std::int64_t idea, const std::string& action, const projects::actor& by,
                const boost::json::object& details = {}, const ideas::phase_extra& extra = {});

struct settings {
    int feedback_window_days = 14; // the test phase's window, calendar days
};

// The same for a project made from an idea, which must be a draft (its idea
// moves along where the table says so): start_test opens the feedback window
// for `s.feedback_window_days`; submit needs it closed (feedback-window-open).
// `project.phase_<action>` is the audit record.
moved move_project(pqxx::work& tx, std::int64_t project, const std::string& action, const projects::actor& by,
                   const settings& s, const boost::json::object& details = {});

// The project lifecycle's `submit` of a project that has a phase
// (core/platform/src/projects.cpp): test → submitted once its feedback
// window has closed. Not announced: the state change's event says it.
void submit_prototype(pqxx::work& tx, std::int64_t project, const projects::actor& by);

} // namespace schwarm::phases
