#include "platform/prototypes.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/comments.hpp"
#include "platform/events.hpp"
#include "platform/phases.hpp"
#include "platform/users.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace schwarm::prototypes {

namespace {

#define UTC(column) SCHWARM_SQL_UTC_SECONDS(column)
#define AUTHOR_COLUMNS "user_id, invited_by, " UTC("invited_at") ", " UTC("accepted_at")
const db::query count_authors{"prototypes.count_authors", "SELECT count(*) FROM project_authors WHERE project_id = $1"};
const db::query insert_author{"prototypes.invite",
                              "INSERT INTO project_authors (project_id, user_id, invited_by) VALUES ($1, $2, $3) "
                              "ON CONFLICT DO NOTHING RETURNING " AUTHOR_COLUMNS};
const db::query accept_author{"prototypes.accept",
                              "UPDATE project_authors SET accepted_at = coalesce(accepted_at, schwarm_now()) "
                              "WHERE project_id = $1 AND user_id = $2 RETURNING " AUTHOR_COLUMNS};
const db::query select_authors{"prototypes.authors", "SELECT " AUTHOR_COLUMNS " FROM project_authors "
                                                     "WHERE project_id = $1 ORDER BY invited_at, user_id"};
const db::query select_is_author{"prototypes.is_author",
                                 "SELECT EXISTS (SELECT 1 FROM project_authors WHERE project_id = $1 AND user_id = $2 "
                                 "AND accepted_at IS NOT NULL)"};
#undef AUTHOR_COLUMNS

#define FEEDBACK_COLUMNS                                                                                               \
    "id, project_id, author_id, would_use, would_back, concerns, comment, " UTC("created_at") ", " UTC(                \
        "updated_at") ", answer, answered_by, " UTC("answered_at")
const db::query lock_own_feedback{"feedback.lock_own", "SELECT answer IS NOT NULL FROM project_feedback "
                                                       "WHERE project_id = $1 AND author_id = $2 FOR UPDATE"};
const db::query upsert_feedback{
    "feedback.upsert",
    "INSERT INTO project_feedback AS f (project_id, author_id, would_use, would_back, concerns, comment) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, author_id) DO UPDATE SET would_use = EXCLUDED.would_use, "
    "would_back = EXCLUDED.would_back, concerns = EXCLUDED.concerns, comment = EXCLUDED.comment, "
    "updated_at = schwarm_now() WHERE f.answer IS NULL RETURNING " FEEDBACK_COLUMNS};
const db::query lock_feedback{"feedback.lock", "SELECT " FEEDBACK_COLUMNS " FROM project_feedback "
                                               "WHERE id = $1 AND project_id = $2 FOR UPDATE"};
const db::query update_answer{"feedback.answer",
                              "UPDATE project_feedback SET answer = $2, answered_by = $3, answered_at = schwarm_now() "
                              "WHERE id = $1 RETURNING " FEEDBACK_COLUMNS};
const db::query select_feedback{"feedback.list", "SELECT " FEEDBACK_COLUMNS " FROM project_feedback "
                                                 "WHERE project_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
#undef FEEDBACK_COLUMNS
const db::query select_summary{
    "feedback.summary",
    "SELECT count(*)::int, (count(*) FILTER (WHERE would_use))::int, (count(*) FILTER (WHERE would_back))::int, "
    "(count(*) FILTER (WHERE concerns IS NOT NULL))::int, (count(*) FILTER (WHERE answer IS NOT NULL))::int "
    "FROM project_feedback WHERE project_id = $1"};
#undef UTC

co_author read_author(const pqxx::row& r) {
    return {user_id{r[0].as<std::int64_t>()}, user_id{r[1].as<std::int64_t>()}, r[2].as<std::string>(),
            db::nullable<std::string>(r[3])};
}

feedback read_feedback(const pqxx::row& r) {
    feedback f;
    f.id = r[0].as<std::int64_t>();
    f.project = projects::project_id{r[1].as<std::int64_t>()};
    f.author = user_id{r[2].as<std::int64_t>()};
    f.f = {r[3].as<bool>(), r[4].as<bool>(), db::nullable<std::string>(r[5]), db::nullable<std::string>(r[6])};
    f.created_at = r[7].as<std::string>();
    f.updated_at = r[8].as<std::string>();
    f.answer = db::nullable<std::string>(r[9]);
    if (auto by = db::nullable<std::int64_t>(r[10])) f.answered_by = user_id{*by};
    f.answered_at = db::nullable<std::string>(r[11]);
    return f;
}

// A project made from an idea, visible to everyone; anything else is no
// prototype (404), as a private draft is.
projects::phase_row prototype(std::optional<projects::phase_row> found) {
    if (!found || !found->phase) throw problem(schwarm::problems::not_found, "There is no such prototype");
    return *found;
}

bool is_author(pqxx::transaction_base& tx, projects::project_id project, const projects::phase_row& p, user_id who) {
    return p.owner == who || is_co_author(tx, project, who);
}

void require_draft(const projects::phase_row& p) {
    if (p.state != "draft") {
        throw problem(projects::problems::illegal_transition, "The project is " + p.state + ", no longer a draft")
            .with("state", p.state);
    }
}

std::string json_text(const boost::json::object& o) { return boost::json::serialize(o); }

} // namespace

projects::project make_project(pqxx::work& tx, ideas::idea_id idea, const projects::fields& f,
                               const projects::actor& by) {
    auto locked = ideas::lock_phase(tx, idea);
    if (!locked) throw problem(schwarm::problems::not_found, "There is no such idea");
    if (locked->owner != by.who.id) {
        throw problem(schwarm::problems::forbidden, "Only the idea's owner makes its project draft");
    }
    if (locked->phase != "prototype") {
        throw problem(phases::problems::wrong_phase,
                      "An idea becomes a project draft once staff accepted it for prototyping; it is in the " +
                          locked->phase + " phase")
            .with("phase", locked->phase);
    }
    if (auto existing = ideas::find(tx, idea).project) {
        throw problem(ideas::problems::has_project, "The idea's project draft is project " + std::to_string(*existing))
            .with("project_id", std::to_string(*existing));
    }
    auto made = projects::create(tx, f, by);
    projects::link_to_idea(tx, made.id, idea.value);
    audit::write(tx, {by.who.id, "project.from_idea", "project:" + made.id.str(), by.request_id,
                      json_text({{"idea_id", idea.str()}})});
    events::publish(tx, events::kinds::project_drafted, {idea.value, made.id.value},
                    {{"project_id", made.id.str()}, {"title", f.title}, {"kind", f.kind}}, projects::origin_of(by));
    return projects::find(tx, made.id, by.who);
}

// --- Co-authors ---------------------------------------------------------

co_author invite(pqxx::work& tx, projects::project_id project, user_id invitee, const projects::actor& by) {
    auto p = projects::lock_phase(tx, project);
    if (!p || (!p->phase && p->owner != by.who.id))
        throw problem(schwarm::problems::not_found, "There is no such project");
    if (p->owner != by.who.id)
        throw problem(schwarm::problems::forbidden, "Only the project's owner invites co-authors");
    if (!p->phase) {
        throw problem(phases::problems::wrong_phase, "Co-authors work on projects made from an idea")
            .with("phase", "none");
    }
    require_draft(*p);
    std::optional<users::user> who;
    try {
        who = users::find(tx, invitee);
    } catch (const problem& unknown) {
        if (!unknown.is(schwarm::problems::not_found)) throw;
    }
    if (!who || who->role_ != users::role::customer) {
        throw problem(problems::not_customer, "User " + invitee.str() + " is not a customer of the platform")
            .with("user_id", invitee.str());
    }
    if (invitee == p->owner) throw problem(problems::co_author_exists, "The owner is an author already");
    if (tx.exec_prepared(count_authors.name, project.value)[0][0].as<int>() >= co_authors_max) {
        throw problem(problems::co_authors_limit,
                      "A project may have at most " + std::to_string(co_authors_max) + " co-authors")
            .with("limit", co_authors_max);
    }
    auto rows = tx.exec_prepared(insert_author.name, project.value, invitee.value, by.who.id.value);
    if (rows.empty()) throw problem(problems::co_author_exists, "User " + invitee.str() + " is invited already");
    audit::write(tx, {by.who.id, "project.co_author_invite", "project:" + project.str(), by.request_id,
                      json_text({{"user_id", invitee.str()}})});
    events::publish(tx, events::kinds::co_author_invited, events::subject::of_project(project.value),
                    {{"user_id", invitee.str()}}, projects::origin_of(by), {{invitee}, true});
    return read_author(rows[0]);
}

co_author accept(pqxx::work& tx, projects::project_id project, const projects::actor& by) {
    auto p = prototype(projects::lock_phase(tx, project));
    require_draft(p);
    auto rows = tx.exec_prepared(accept_author.name, project.value, by.who.id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "You are not invited to this project");
    events::follow(tx, by.who.id, events::subject::of_project(project.value), "co_author");
    audit::write(tx, {by.who.id, "project.co_author_accept", "project:" + project.str(), by.request_id});
    events::publish(tx, events::kinds::co_author_joined, events::subject::of_project(project.value),
                    {{"user_id", by.who.id.str()}}, projects::origin_of(by));
    return read_author(rows[0]);
}

std::vector<co_author> co_authors(pqxx::transaction_base& tx, projects::project_id project) {
    prototype(projects::phase_of(tx, project));
    std::vector<co_author> out;
    for (const auto& r : tx.exec_prepared(select_authors.name, project.value)) out.push_back(read_author(r));
    return out;
}

bool is_co_author(pqxx::transaction_base& tx, projects::project_id project, user_id user) {
    return tx.exec_prepared(select_is_author.name, project.value, user.value)[0][0].as<bool>();
}

// --- Feedback -----------------------------------------------------------

feedback give(pqxx::work& tx, projects::project_id project, const feedback_input& in, const projects::actor& by) {
    if (in.concerns) comments::check_text("concerns", *in.concerns, feedback_text_length_max);
    if (in.comment) comments::check_text("comment", *in.comment, feedback_text_length_max);
    auto p = prototype(projects::phase_of(tx, project));
    if (is_author(tx, project, p, by.who.id)) {
        throw problem(problems::own_project, "The project's owner and co-authors answer feedback; they give none");
    }
    if (*p.phase != "test" || p.state != "draft" || !p.feedback_open) {
        auto refused = problem(problems::window_closed,
                               p.feedback_closed || *p.phase != "prototype"
                                   ? "The feedback window closed" +
                                         (p.feedback_closes_at ? " at " + *p.feedback_closes_at : std::string())
                                   : "The feedback window opens when the owner moves the prototype to test");
        refused.with("phase", *p.phase);
        if (p.feedback_closes_at) refused.with("closes_at", *p.feedback_closes_at);
        throw refused;
    }
    auto earlier = tx.exec_prepared(lock_own_feedback.name, project.value, by.who.id.value);
    if (!earlier.empty() && earlier[0][0].as<bool>()) {
        throw problem(problems::answered, "Your feedback was answered; it stays as it was");
    }
    auto f = read_feedback(tx.exec_prepared(upsert_feedback.name, project.value, by.who.id.value, in.would_use,
                                            in.would_back, in.concerns, in.comment)[0]);
    f.replaced = !earlier.empty();
    audit::write(tx, {by.who.id, f.replaced ? "feedback.replace" : "feedback.give", "project:" + project.str(),
                      by.request_id, json_text({{"feedback_id", std::to_string(f.id)}})});
    return f;
}

feedback answer(pqxx::work& tx, projects::project_id project, std::int64_t feedback_id, const std::string& text,
                const projects::actor& by) {
    comments::check_text("text", text, feedback_text_length_max);
    auto p = prototype(projects::phase_of(tx, project));
    auto locked = tx.exec_prepared(lock_feedback.name, feedback_id, project.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "There is no such feedback on this project");
    if (!is_author(tx, project, p, by.who.id)) {
        throw problem(schwarm::problems::forbidden, "Only the project's owner and co-authors answer feedback");
    }
    auto current = read_feedback(locked[0]);
    if (current.answer) {
        throw problem(problems::answered, "The feedback was answered at " + current.answered_at.value_or(""))
            .with("answered_at", current.answered_at.value_or(""));
    }
    auto f = read_feedback(tx.exec_prepared(update_answer.name, feedback_id, text, by.who.id.value)[0]);
    audit::write(tx, {by.who.id, "feedback.answer", "project:" + project.str(), by.request_id,
                      json_text({{"feedback_id", std::to_string(feedback_id)}})});
    events::publish(tx, events::kinds::feedback_answered, events::subject::of_project(project.value),
                    {{"feedback_id", std::to_string(feedback_id)}}, projects::origin_of(by), {{f.author}, false});
    return f;
}

std::vector<feedback> feedback_of(pqxx::transaction_base& tx, projects::project_id project,
                                  std::optional<std::int64_t> before_id, int limit) {
    prototype(projects::phase_of(tx, project));
    std::vector<feedback> out;
    for (const auto& r : tx.exec_prepared(select_feedback.name, project.value,
                                          before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(read_feedback(r));
    }
    return out;
}

summary summary_of(pqxx::transaction_base& tx, projects::project_id project) {
    auto p = prototype(projects::phase_of(tx, project));
    auto r = tx.exec_prepared(select_summary.name, project.value)[0];
    summary s;
    s.count = r[0].as<int>();
    s.would_use = r[1].as<int>();
    s.would_back = r[2].as<int>();
    s.with_concerns = r[3].as<int>();
    s.answered = r[4].as<int>();
    s.opens_at = p.feedback_opens_at;
    s.closes_at = p.feedback_closes_at;
    s.open = *p.phase == "test" && p.state == "draft" && p.feedback_open;
    return s;
}

} // namespace schwarm::prototypes
