#include "platform/phases.hpp"

#include "base/audit.hpp"
#include "platform/events.hpp"
#include "platform/ideas.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace schwarm::phases {

namespace {

using projects::mover;

// The one list of co-creation moves. Platform moves are made by the
// platform's own code: the support that reached the threshold, the project
// whose idea moves along.
const std::vector<rule>& rules() {
    static const std::vector<rule> all{
        // Ideas.
        {"empathise", subject::idea, {"understand"}, "empathise", mover::platform},
        {"reach_threshold", subject::idea, {"understand", "empathise"}, "idea", mover::platform},
        {"accept", subject::idea, {"idea"}, "prototype", mover::staff},
        {"decline", subject::idea, {"understand", "empathise", "idea"}, "declined", mover::staff},
        {"merge", subject::idea, {"understand", "empathise", "idea"}, "merged", mover::staff},
        {"start_test", subject::idea, {"prototype"}, "test", mover::platform, false},
        {"submit", subject::idea, {"test"}, "submitted", mover::platform, false},
        // Projects made from an idea: their owner moves them.
        {"start_test", subject::project, {"prototype"}, "test", mover::owner},
        {"submit", subject::project, {"test"}, "submitted", mover::owner, false},
    };
    return all;
}

problem wrong(const std::string& action, const char* what, const std::string& phase) {
    std::string name = action;
    std::replace(name.begin(), name.end(), '_', ' ');
    return problem(problems::wrong_phase, "Cannot " + name + " " + what + " in the " + phase + " phase")
        .with("phase", phase);
}

// Who may take a rule's move: the owner, staff (never on what they own), or
// the platform's own code (no request maps to a platform move).
void check_mover(const rule& r, user_id owner, const projects::actor& by, const char* what) {
    if (r.by == mover::owner && owner != by.who.id) {
        throw problem(schwarm::problems::forbidden, std::string("Only the ") + what + "'s owner may do this");
    }
    if (r.by == mover::staff) {
        if (by.who.role_ != users::role::staff) throw problem(schwarm::problems::forbidden, "Only staff may do this");
        if (owner == by.who.id) throw problem(schwarm::problems::forbidden, "Staff may not triage their own idea");
    }
}

boost::json::object with(boost::json::object details, const moved& m, const std::string& action) {
    details["action"] = action;
    details["from"] = m.from;
    details["to"] = m.to;
    return details;
}

} // namespace

const std::vector<rule>& transitions() { return rules(); }

const rule* find_rule(subject on, const std::string& action) {
    const auto& all = rules();
    auto it = std::find_if(all.begin(), all.end(), [&](const rule& r) { return r.on == on && action == r.action; });
    return it == all.end() ? nullptr : &*it;
}

bool allowed_from(const rule& r, const std::string& phase) {
    return std::any_of(r.from.begin(), r.from.end(), [&](const char* p) { return phase == p; });
}

moved move_idea(pqxx::work& tx, std::int64_t idea, const std::string& action, const projects::actor& by,
                const boost::json::object& details, const ideas::phase_extra& extra) {
    const rule* r = find_rule(subject::idea, action);
    if (!r) throw problem(schwarm::problems::not_found, "There is no such action");
    auto locked = ideas::lock_phase(tx, ideas::idea_id{idea});
    if (!locked) throw problem(schwarm::problems::not_found, "There is no such idea");
    check_mover(*r, locked->owner, by, "idea");
    if (!allowed_from(*r, locked->phase)) throw wrong(action, "an idea", locked->phase);
    moved m{locked->phase, r->to};
    ideas::set_phase(tx, ideas::idea_id{idea}, m.to, extra);
    auto told = with(details, m, action);
    audit::write(tx, {projects::origin_of(by).actor, "idea." + action, "idea:" + std::to_string(idea), by.request_id,
                      boost::json::serialize(told)});
    if (r->announced) {
        events::publish(tx, events::kinds::idea_phase_changed, events::subject::of_idea(idea), told,
                        projects::origin_of(by));
    }
    return m;
}

moved move_project(pqxx::work& tx, std::int64_t project, const std::string& action, const projects::actor& by,
                   const settings& s, const boost::json::object& details) {
    const rule* r = find_rule(subject::project, action);
    if (!r) throw problem(schwarm::problems::not_found, "There is no such action");
    projects::project_id id{project};
    auto locked = projects::lock_phase(tx, id);
    bool visible = locked && (locked->phase || locked->owner == by.who.id);
    if (!visible) throw problem(schwarm::problems::not_found, "There is no such project");
    check_mover(*r, locked->owner, by, "project");
    if (!locked->phase) {
        throw problem(problems::wrong_phase, "The project was not made from an idea; it has no phases")
            .with("phase", "none");
    }
    if (locked->state != "draft") {
        throw problem(projects::problems::illegal_transition, "The project is " + locked->state + ", no draft")
            .with("state", locked->state);
    }
    if (!allowed_from(*r, *locked->phase)) throw wrong(action, "a project", *locked->phase);
    if (action == "submit" && !locked->feedback_closed) {
        throw problem(problems::window_open, "Members give feedback until " +
                                                 locked->feedback_closes_at.value_or("the window closes") +
                                                 "; submit it then")
            .with("closes_at", locked->feedback_closes_at.value_or(""));
    }
    moved m{*locked->phase, r->to};
    std::optional<int> window;
    if (action == "start_test") window = s.feedback_window_days;
    projects::set_phase(tx, id, m.to, window);
    auto told = with(details, m, action);
    if (window) told["feedback_window_days"] = *window;
    audit::write(tx, {projects::origin_of(by).actor, "project.phase_" + action, "project:" + id.str(), by.request_id,
                      boost::json::serialize(told)});
    if (r->announced) {
        if (window) told["feedback_closes_at"] = projects::phase_of(tx, id)->feedback_closes_at.value_or("");
        events::publish(tx, events::kinds::project_phase_changed, events::subject::of_project(project), told,
                        projects::origin_of(by));
    }
    // Its idea moves along (told by the project's event).
    if (locked->idea && find_rule(subject::idea, action)) {
        move_idea(tx, *locked->idea, action, projects::platform_actor(by.request_id), {{"project_id", id.str()}});
    }
    return m;
}

void submit_prototype(pqxx::work& tx, std::int64_t project, const projects::actor& by) {
    move_project(tx, project, "submit", by, {});
}

} // namespace schwarm::phases
