#include "platform/deadlines.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::deadlines {

namespace {

// The event followers get (README, glossary: event).
constexpr const char* deadline_changed = "project.deadline_changed";

// Locked as a pledge locks it (FOR NO KEY UPDATE), so a pledge and a change
// of the deadline are serialised.
const db::query lock_campaign{
    "deadlines.lock",
    "SELECT owner_id, state::text, deadline > schwarm_clock(), deadline_extended_at IS NOT NULL, "
    "pledged_minor >= goal_minor, " SCHWARM_SQL_UTC_SECONDS("deadline") " FROM projects WHERE id = $1 "
                                                                        "FOR NO KEY UPDATE"};
// The new deadline: later than the one in force, at most max_days after it.
const db::query check_extension{"deadlines.check_extension", "SELECT $1::timestamptz > deadline, "
                                                             "$1::timestamptz <= deadline + make_interval(days => $2) "
                                                             "FROM projects WHERE id = $3"};
const db::query set_extended{
    "deadlines.set_extended",
    "UPDATE projects SET deadline_first = deadline, deadline_extended_at = schwarm_now(), "
    "deadline = $2::timestamptz, updated_at = schwarm_now() WHERE id = $1 "
    "RETURNING " SCHWARM_SQL_UTC_SECONDS("deadline") ", " SCHWARM_SQL_UTC_SECONDS("settles_at")};
const db::query set_ended{"deadlines.set_ended",
                          "UPDATE projects SET deadline = schwarm_now(), ended_early_at = schwarm_now(), "
                          "updated_at = schwarm_now() WHERE id = $1 "
                          "RETURNING " SCHWARM_SQL_UTC_SECONDS("deadline") ", " SCHWARM_SQL_UTC_SECONDS("settles_at")};

struct campaign {
    user_id owner;
    bool before_deadline;
    bool extended;
    bool fully_funded;
    std::string deadline;
};

campaign lock(pqxx::work& tx, projects::project_id id) {
    auto rows = tx.exec_prepared(lock_campaign.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such project");
    const auto& r = rows[0];
    auto state = r[1].as<std::string>();
    if (state != "funding") {
        throw problem(projects::problems::illegal_transition, "The project is " + state + ", not in funding")
            .with("state", state);
    }
    campaign c{user_id{r[0].as<std::int64_t>()}, r[2].as<bool>(), r[3].as<bool>(), r[4].as<bool>(),
               r[5].as<std::string>()};
    if (!c.before_deadline) {
        throw problem(projects::problems::deadline_passed, "The deadline " + c.deadline + " has passed")
            .with("deadline", c.deadline);
    }
    return c;
}

void tell(pqxx::work& tx, projects::project_id id, const char* action, const changed& c, const projects::actor& by,
          const std::string& reason) {
    boost::json::object details{
        {"deadline_before", c.deadline_before}, {"deadline", c.deadline}, {"settles_at", c.settles_at}};
    if (!reason.empty()) details["reason"] = reason;
    audit::write(tx, {by.who.id, action, "project:" + id.str(), by.request_id, boost::json::serialize(details)});
    events::publish(tx, deadline_changed, events::subject::of_project(id.value), details, {by.who.id, by.request_id});
}

} // namespace

changed extend(pqxx::work& tx, projects::project_id id, const std::string& new_deadline, const std::string& reason,
               int max_days, const projects::actor& by) {
    auto c = lock(tx, id);
    if (c.owner == by.who.id) {
        throw problem(schwarm::problems::forbidden, "Staff do not extend the deadline of their own project");
    }
    if (c.extended) throw problem(problems::extended_already, "The deadline has been extended once already");
    pqxx::result check;
    try {
        pqxx::subtransaction guard(tx, "deadline");
        check = guard.exec_prepared(check_extension.name, new_deadline, max_days, id.value);
        guard.commit();
    } catch (const pqxx::data_exception&) {
        throw field_problem("deadline", "deadline must be an RFC 3339 time, e.g. 2027-06-30T23:59:59Z");
    }
    if (!check[0][0].as<bool>()) throw field_problem("deadline", "deadline must be later than " + c.deadline);
    if (!check[0][1].as<bool>()) {
        throw field_problem("deadline",
                            "deadline may be at most " + std::to_string(max_days) + " days after " + c.deadline);
    }
    auto rows = tx.exec_prepared(set_extended.name, id.value, new_deadline);
    changed out{c.deadline, rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
    tell(tx, id, "project.deadline_extend", out, by, reason);
    return out;
}

changed end_early(pqxx::work& tx, projects::project_id id, const projects::actor& by) {
    auto c = lock(tx, id);
    // Someone else's campaign does not exist for this caller.
    if (c.owner != by.who.id) throw problem(schwarm::problems::not_found, "There is no such project");
    if (!c.fully_funded) {
        throw problem(problems::not_fully_funded, "The campaign has not reached its goal; it runs to its deadline");
    }
    auto rows = tx.exec_prepared(set_ended.name, id.value);
    changed out{c.deadline, rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
    tell(tx, id, "project.end_early", out, by, {});
    return out;
}

} // namespace schwarm::deadlines
