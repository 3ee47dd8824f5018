#include "platform/comments.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <limits>

namespace schwarm::comments {

namespace {

#define COMMENT_COLUMNS                                                                                                \
    "c.id, c.project_id, c.author_id, c.body, " SCHWARM_SQL_UTC_SECONDS("c.created_at") ", " SCHWARM_SQL_UTC_SECONDS(  \
        "c.hidden_at") ", c.hidden_by, c.hidden_reason"

const db::query insert_comment{
    "comments.insert",
    "INSERT INTO project_comments AS c (project_id, author_id, body) VALUES ($1, $2, $3) RETURNING " COMMENT_COLUMNS};
const db::query lock_comment{"comments.lock",
                             "SELECT " COMMENT_COLUMNS
                             " FROM project_comments c WHERE c.id = $1 AND c.project_id = $2 FOR UPDATE"};
const db::query hide_comment{
    "comments.hide",
    "UPDATE project_comments AS c SET hidden_at = schwarm_now(), hidden_by = $2, hidden_reason = $3 WHERE c.id = $1 "
    "RETURNING " COMMENT_COLUMNS};
const db::query select_comments{"comments.list", "SELECT " COMMENT_COLUMNS
                                                 " FROM project_comments c WHERE c.project_id = $1 AND c.id < $2 "
                                                 "ORDER BY c.id DESC LIMIT $3"};
#undef COMMENT_COLUMNS

#define UPDATE_COLUMNS "u.id, u.project_id, u.author_id, u.title, u.body, " SCHWARM_SQL_UTC_SECONDS("u.created_at")
const db::query insert_update{
    "project_updates.insert",
    "INSERT INTO project_updates AS u (project_id, author_id, title, body) VALUES ($1, $2, $3, $4) "
    "RETURNING " UPDATE_COLUMNS};
const db::query select_updates{"project_updates.list",
                               "SELECT " UPDATE_COLUMNS " FROM project_updates u WHERE u.project_id = $1 AND u.id < $2 "
                               "ORDER BY u.id DESC LIMIT $3"};
#undef UPDATE_COLUMNS

comment read_comment(const pqxx::row& r) {
    comment c{comment_id{r[0].as<std::int64_t>()},
              projects::project_id{r[1].as<std::int64_t>()},
              user_id{r[2].as<std::int64_t>()},
              r[3].as<std::string>(),
              r[4].as<std::string>(),
              std::nullopt};
    if (auto at = db::nullable<std::string>(r[5])) {
        c.hidden = hiding{*at, user_id{r[6].as<std::int64_t>()}, r[7].as<std::string>()};
    }
    return c;
}

// What the public sees of a hidden comment: that it was hidden, and when.
comment redacted(comment c) {
    if (c.hidden) {
        c.text.reset();
        c.hidden->by.reset();
        c.hidden->reason.reset();
    }
    return c;
}

update read_update(const pqxx::row& r) {
    return {update_id{r[0].as<std::int64_t>()},
            projects::project_id{r[1].as<std::int64_t>()},
            user_id{r[2].as<std::int64_t>()},
            r[3].as<std::string>(),
            r[4].as<std::string>(),
            r[5].as<std::string>()};
}

// Nothing is said or announced on a draft: it is not public yet (unless it
// was made from an idea: prototypes are worked on in the open).
void check_public(const projects::project& p, const char* what) {
    if (p.state == "draft" && !p.phase) {
        throw problem(projects::problems::illegal_transition,
                      std::string("Cannot ") + what + " a project that is draft")
            .with("state", p.state);
    }
}

std::int64_t before(const page& p) { return p.before_id.value_or(std::numeric_limits<std::int64_t>::max()); }

std::string audit_details(const boost::json::object& details) { return boost::json::serialize(details); }

} // namespace

std::size_t characters(const std::string& text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

void check_text(const char* field, const std::string& text, std::size_t length_max) {
    if (blank(text) || characters(text) > length_max) {
        throw field_problem(field, std::string(field) + " must be 1 to " + std::to_string(length_max) +
                                       " characters and not only spaces");
    }
}

bool may_moderate(const projects::project& p, const users::principal& who) {
    return who.id == p.owner || who.role_ == users::role::staff;
}

comment add(pqxx::work& tx, projects::project_id project, const std::string& text, const projects::actor& by) {
    check_text("text", text, text_length_max);
    auto p = projects::find(tx, project, by.who);
    check_public(p, "comment on");
    auto c = read_comment(tx.exec_prepared(insert_comment.name, project.value, by.who.id.value, text)[0]);
    audit::write(tx, {by.who.id, "comment.create", "comment:" + c.id.str(), by.request_id,
                      audit_details({{"project_id", project.str()}})});
    return c;
}

comment hide(pqxx::work& tx, projects::project_id project, comment_id id, const std::string& reason,
             const projects::actor& by) {
    auto p = projects::find(tx, project, by.who);
    if (!may_moderate(p, by.who)) {
        throw problem(schwarm::problems::forbidden, "Only the project's owner and staff may hide its comments");
    }
    auto locked = tx.exec_prepared(lock_comment.name, id.value, project.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "There is no such comment on this project");
    auto current = read_comment(locked[0]);
    if (current.hidden) {
        throw problem(problems::already_hidden, "The comment was hidden at " + current.hidden->at)
            .with("hidden_at", current.hidden->at);
    }
    check_text("reason", reason, reason_length_max);
    auto c = read_comment(tx.exec_prepared(hide_comment.name, id.value, by.who.id.value, reason)[0]);
    audit::write(tx, {by.who.id, "comment.hide", "comment:" + c.id.str(), by.request_id,
                      audit_details({{"project_id", project.str()}, {"reason", reason}})});
    return c;
}

std::vector<comment> list(pqxx::transaction_base& tx, projects::project_id project, const page& p) {
    projects::find(tx, project, std::nullopt); // a draft or no project: 404
    std::vector<comment> out;
    for (const auto& row : tx.exec_prepared(select_comments.name, project.value, before(p), p.limit)) {
        out.push_back(redacted(read_comment(row)));
    }
    return out;
}

std::vector<comment> list_for_moderation(pqxx::transaction_base& tx, projects::project_id project,
                                         const users::principal& viewer, const page& p) {
    if (!may_moderate(projects::find(tx, project, viewer), viewer)) {
        throw problem(schwarm::problems::forbidden, "Only the project's owner and staff see hidden comments");
    }
    std::vector<comment> out;
    for (const auto& row : tx.exec_prepared(select_comments.name, project.value, before(p), p.limit)) {
        out.push_back(read_comment(row));
    }
    return out;
}

update post_update(pqxx::work& tx, projects::project_id project, const std::string& title, const std::string& body,
                   const projects::actor& by) {
    check_text("title", title, update_title_length_max);
    check_text("body", body, update_body_length_max);
    auto p = projects::find(tx, project, by.who);
    if (p.owner != by.who.id) throw problem(schwarm::problems::forbidden, "Only the project's owner posts updates");
    check_public(p, "post an update to");
    auto u = read_update(tx.exec_prepared(insert_update.name, project.value, by.who.id.value, title, body)[0]);
    audit::write(tx, {by.who.id, "project_update.create", "project_update:" + u.id.str(), by.request_id,
                      audit_details({{"project_id", project.str()}})});
    events::publish(tx, events::kinds::update_posted, events::subject::of_project(project.value),
                    {{"update_id", u.id.str()}, {"title", u.title}}, projects::origin_of(by));
    return u;
}

std::vector<update> list_updates(pqxx::transaction_base& tx, projects::project_id project, const page& p) {
    projects::find(tx, project, std::nullopt);
    std::vector<update> out;
    for (const auto& row : tx.exec_prepared(select_updates.name, project.value, before(p), p.limit)) {
        out.push_back(read_update(row));
    }
    return out;
}

} // namespace schwarm::comments
