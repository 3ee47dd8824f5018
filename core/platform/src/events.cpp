#include "platform/events.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace schwarm::events {

namespace {

// The event, then who hears it (followers of its idea and of its project,
// and `also`, never its actor), then their feed items and their webhooks'
// deliveries: one statement, one round trip, inside the change's transaction.
const db::query insert_event{
    "events.publish",
    "WITH e AS (INSERT INTO events (kind, idea_id, project_id, actor_id, request_id, data) "
    "  VALUES ($1, coalesce($2::bigint, (SELECT idea_id FROM projects WHERE id = $3::bigint)), $3::bigint, "
    "          $4::bigint, $5, $6::jsonb) RETURNING id, idea_id, project_id), "
    "r AS (SELECT f.user_id FROM follows f JOIN e ON f.idea_id = e.idea_id WHERE $8 "
    "      UNION SELECT f.user_id FROM follows f JOIN e ON f.project_id = e.project_id WHERE $8 "
    "      UNION SELECT unnest($7::bigint[])), "
    "t AS (SELECT user_id FROM r WHERE user_id IS DISTINCT FROM $4::bigint), "
    "fi AS (INSERT INTO feed_items (user_id, event_id) SELECT t.user_id, e.id FROM t, e), "
    "wd AS (INSERT INTO webhook_deliveries (webhook_id, event_id) SELECT w.id, e.id FROM t "
    "       JOIN webhooks w ON w.user_id = t.user_id AND w.removed_at IS NULL, e) "
    "SELECT id FROM e"};

// One event per platform project of a round (round-only projects have no
// followers), each told to that project's followers and its idea's.
const db::query insert_round_events{
    "events.publish_round",
    "WITH e AS (INSERT INTO events (kind, idea_id, project_id, round_id, actor_id, request_id, data) "
    "  SELECT $1, p.idea_id, p.id, $2, $3::bigint, $4, $5::jsonb || jsonb_build_object('project_key', rp.project_key) "
    "         || CASE WHEN $6::text[] IS NULL THEN '{}'::jsonb "
    "                 ELSE jsonb_build_object('selected', rp.project_key = ANY($6::text[])) END "
    "  FROM round_projects rp JOIN projects p ON p.id = rp.project_id WHERE rp.round_id = $2 ORDER BY p.id "
    "  RETURNING id, idea_id, project_id), "
    "r AS (SELECT e.id AS event_id, f.user_id FROM e JOIN follows f ON f.idea_id = e.idea_id "
    "      UNION SELECT e.id, f.user_id FROM e JOIN follows f ON f.project_id = e.project_id), "
    "t AS (SELECT event_id, user_id FROM r WHERE user_id IS DISTINCT FROM $3::bigint), "
    "fi AS (INSERT INTO feed_items (user_id, event_id) SELECT user_id, event_id FROM t), "
    "wd AS (INSERT INTO webhook_deliveries (webhook_id, event_id) SELECT w.id, t.event_id FROM t "
    "       JOIN webhooks w ON w.user_id = t.user_id AND w.removed_at IS NULL) "
    "SELECT count(*)::int FROM e"};

const db::query insert_follow{"follows.insert",
                              "INSERT INTO follows (user_id, idea_id, project_id, reason) VALUES ($1, $2, $3, $4) "
                              "ON CONFLICT DO NOTHING RETURNING id"};
const db::query insert_follows_of_projects{"follows.insert_projects",
                                           "INSERT INTO follows (user_id, project_id, reason) SELECT DISTINCT u, p, $3 "
                                           "FROM unnest($1::bigint[], $2::bigint[]) AS t(u, p) ON CONFLICT DO NOTHING"};
const db::query insert_follows_of_ideas{"follows.insert_ideas",
                                        "INSERT INTO follows (user_id, idea_id, reason) SELECT DISTINCT u, i, $3 "
                                        "FROM unnest($1::bigint[], $2::bigint[]) AS t(u, i) ON CONFLICT DO NOTHING"};
const db::query copy_followers{"follows.copy_idea",
                               "INSERT INTO follows (user_id, idea_id, reason) "
                               "SELECT user_id, $2, reason FROM follows WHERE idea_id = $1 ORDER BY user_id "
                               "ON CONFLICT DO NOTHING"};
const db::query delete_idea_follow{"follows.delete_idea",
                                   "DELETE FROM follows WHERE idea_id = $2 AND user_id = $1 RETURNING id"};
const db::query delete_project_follow{"follows.delete_project",
                                      "DELETE FROM follows WHERE project_id = $2 AND user_id = $1 RETURNING id"};
const db::query select_follows{"follows.list", "SELECT id, idea_id, project_id, reason, " SCHWARM_SQL_UTC_SECONDS(
                                                   "created_at") " FROM follows WHERE user_id = $1 AND id < $2 "
                                                                 "ORDER BY id DESC LIMIT $3"};

const db::query select_feed{
    "feed.page", "SELECT e.id, e.kind, e.idea_id, e.project_id, e.round_id, e.data::text, " SCHWARM_SQL_UTC_SECONDS(
                     "e.at") ", e.id <= coalesce((SELECT read_up_to FROM feed_state WHERE user_id = $1), 0) "
                             "FROM feed_items fi JOIN events e ON e.id = fi.event_id "
                             "WHERE fi.user_id = $1 AND fi.event_id < $2 ORDER BY fi.event_id DESC LIMIT $3"};
const db::query count_unread{
    "feed.unread",
    "SELECT count(*)::int FROM (SELECT 1 FROM feed_items WHERE user_id = $1 "
    "AND event_id > coalesce((SELECT read_up_to FROM feed_state WHERE user_id = $1), 0) LIMIT $2) AS unread"};
const db::query select_newest{"feed.newest", "SELECT coalesce(max(event_id), 0) FROM feed_items WHERE user_id = $1"};
const db::query upsert_read{"feed.mark_read",
                            "INSERT INTO feed_state (user_id, read_up_to) VALUES ($1, $2) ON CONFLICT (user_id) DO "
                            "UPDATE SET read_up_to = greatest(feed_state.read_up_to, EXCLUDED.read_up_to), "
                            "updated_at = schwarm_now() RETURNING read_up_to"};

std::optional<std::int64_t> actor_of(const audit::origin& by) {
    if (!by.actor) return std::nullopt;
    return by.actor->value;
}

} // namespace

std::int64_t publish(pqxx::work& tx, const char* kind, const subject& about, const boost::json::object& data,
                     const audit::origin& by, const audience& to) {
    std::vector<std::int64_t> also;
    for (auto u : to.also) also.push_back(u.value);
    auto row = tx.exec_prepared(insert_event.name, std::string(kind), about.idea, about.project, actor_of(by),
                                by.request_id, boost::json::serialize(data), db::array_literal(also), to.followers);
    return row[0][0].as<std::int64_t>();
}

int publish_round(pqxx::work& tx, const char* kind, std::int64_t round_id, const boost::json::object& data,
                  const std::optional<std::vector<std::string>>& selected_keys, const audit::origin& by) {
    std::optional<std::string> selected;
    if (selected_keys) selected = db::array_literal(*selected_keys);
    auto row = tx.exec_prepared(insert_round_events.name, std::string(kind), round_id, actor_of(by), by.request_id,
                                boost::json::serialize(data), selected);
    return row[0][0].as<int>();
}

bool follow(pqxx::work& tx, user_id who, const subject& what, const char* reason) {
    return !tx.exec_prepared(insert_follow.name, who.value, what.idea, what.project, std::string(reason)).empty();
}

void follow_projects(pqxx::work& tx, const std::vector<std::int64_t>& users, const std::vector<std::int64_t>& projects,
                     const char* reason) {
    if (users.empty()) return;
    tx.exec_prepared(insert_follows_of_projects.name, db::array_literal(users), db::array_literal(projects),
                     std::string(reason));
}

void follow_ideas(pqxx::work& tx, const std::vector<std::int64_t>& users, const std::vector<std::int64_t>& ideas,
                  const char* reason) {
    if (users.empty()) return;
    tx.exec_prepared(insert_follows_of_ideas.name, db::array_literal(users), db::array_literal(ideas),
                     std::string(reason));
}

int copy_idea_followers(pqxx::work& tx, std::int64_t from_idea, std::int64_t to_idea) {
    return static_cast<int>(tx.exec_prepared(copy_followers.name, from_idea, to_idea).affected_rows());
}

bool unfollow(pqxx::work& tx, user_id who, const subject& what) {
    if (what.idea) return !tx.exec_prepared(delete_idea_follow.name, who.value, *what.idea).empty();
    return !tx.exec_prepared(delete_project_follow.name, who.value, what.project.value_or(0)).empty();
}

std::vector<follow_view> follows_of(pqxx::transaction_base& tx, user_id who, std::optional<std::int64_t> before_id,
                                    int limit) {
    std::vector<follow_view> out;
    for (const auto& r : tx.exec_prepared(select_follows.name, who.value,
                                          before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back({r[0].as<std::int64_t>(), db::nullable<std::int64_t>(r[1]), db::nullable<std::int64_t>(r[2]),
                       r[3].as<std::string>(), r[4].as<std::string>()});
    }
    return out;
}

boost::json::object to_json(const event& e) {
    auto id_or_null = [](const std::optional<std::int64_t>& v) {
        return v ? boost::json::value(std::to_string(*v)) : boost::json::value(nullptr);
    };
    boost::json::object out{{"id", std::to_string(e.id)}, {"type", e.kind}, {"at", e.at}};
    out["idea_id"] = id_or_null(e.idea);
    out["project_id"] = id_or_null(e.project);
    out["round_id"] = id_or_null(e.round);
    out["data"] = boost::json::parse(e.data_json);
    return out;
}

std::vector<event> feed(pqxx::transaction_base& tx, user_id who, std::optional<std::int64_t> before_id, int limit) {
    std::vector<event> out;
    for (const auto& r : tx.exec_prepared(select_feed.name, who.value,
                                          before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), db::nullable<std::int64_t>(r[2]),
                       db::nullable<std::int64_t>(r[3]), db::nullable<std::int64_t>(r[4]), r[5].as<std::string>(),
                       r[6].as<std::string>(), r[7].as<bool>()});
    }
    return out;
}

int unread(pqxx::transaction_base& tx, user_id who, int cap) {
    return tx.exec_prepared(count_unread.name, who.value, cap)[0][0].as<int>();
}

std::int64_t mark_read(pqxx::work& tx, user_id who, std::optional<std::int64_t> up_to, const std::string& request_id) {
    std::int64_t to = up_to ? *up_to : tx.exec_prepared(select_newest.name, who.value)[0][0].as<std::int64_t>();
    auto at = tx.exec_prepared(upsert_read.name, who.value, to)[0][0].as<std::int64_t>();
    audit::write(tx, {who, "feed.read", "user:" + who.str(), request_id,
                      boost::json::serialize(boost::json::object{{"read_up_to", at}})});
    return at;
}

} // namespace schwarm::events
