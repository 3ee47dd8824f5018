#include "platform/ideas.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/comments.hpp"
#include "platform/events.hpp"
#include "platform/phases.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <set>

namespace schwarm::ideas {

namespace {

#define UTC(column) SCHWARM_SQL_UTC_SECONDS(column)
#define IDEA_COLUMNS                                                                                                   \
    "i.id, i.owner_id, i.title, i.problem, i.audience, i.description, i.category, i.phase::text, i.supports, "         \
    "i.momentum, i.merged_into, i.decline_reason, p.id, " UTC("i.created_at") ", " UTC("i.updated_at") ", " UTC(       \
        "i.phase_changed_at")
#define IDEA_FROM " FROM ideas i LEFT JOIN projects p ON p.idea_id = i.id "

const db::query insert_idea{"ideas.insert",
                            "INSERT INTO ideas (owner_id, title, problem, audience, description, category) "
                            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"};
const db::query select_idea{"ideas.select", "SELECT " IDEA_COLUMNS IDEA_FROM "WHERE i.id = $1"};
const db::query select_own{"ideas.list_own", "SELECT " IDEA_COLUMNS IDEA_FROM
                                             "WHERE i.owner_id = $1 AND i.id < $2 ORDER BY i.id DESC LIMIT $3"};
const db::query lock_one{"ideas.lock", "SELECT owner_id, phase::text FROM ideas WHERE id = $1 FOR NO KEY UPDATE"};
const db::query lock_many{"ideas.lock_many", "SELECT id, owner_id, phase::text, supports FROM ideas "
                                             "WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE"};
const db::query update_phase{
    "ideas.set_phase", "UPDATE ideas SET phase = $2::cocreation_phase, merged_into = coalesce($3, merged_into), "
                       "decline_reason = coalesce($4, decline_reason), phase_changed_at = schwarm_now() WHERE id = $1"};

// Listing: one statement per order and set of filters present (3 × 8), as
// the projects' listing does (core/platform/src/projects.cpp): an absent
// filter is `($n IS NULL OR true)`, folded away when planned, so each page
// walks an index and reads about `limit` rows. Without a phase the listing
// is the open one, written literally so the partial indexes serve it.
constexpr unsigned has_phase = 1, has_category = 2, has_text = 4, filter_sets = 8;
constexpr int listing_orders = 3;

std::string listing_sql(listing_order order, unsigned filters) {
    auto when = [&](unsigned f, const char* present, const char* absent) {
        return std::string(filters & f ? present : absent);
    };
    std::string sql = "SELECT " IDEA_COLUMNS IDEA_FROM "WHERE ";
    sql += when(has_phase, "i.phase = $1::text::cocreation_phase ",
                "i.phase NOT IN ('declined', 'merged') AND ($1::text IS NULL OR true) ");
    sql += when(has_category, "AND i.category = $2::text ", "AND ($2::text IS NULL OR true) ");
    sql +=
        when(has_text,
             "AND i.search @@ (websearch_to_tsquery('german', $3::text) || websearch_to_tsquery('english', $3::text)) ",
             "AND ($3::text IS NULL OR true) ");
    switch (order) {
    case listing_order::newest: return sql + "AND i.id < $4 ORDER BY i.id DESC LIMIT $5";
    case listing_order::support:
        return sql + "AND (i.supports, i.id) < ($4::int, $5) ORDER BY i.supports DESC, i.id DESC LIMIT $6";
    case listing_order::momentum:
        return sql + "AND (i.momentum, i.id) < ($4::int, $5) ORDER BY i.momentum DESC, i.id DESC LIMIT $6";
    }
    throw std::logic_error("unknown listing order");
}

struct listing_statements {
    std::deque<std::string> names, texts;
    std::deque<db::query> queries;
    listing_statements() {
        for (int o = 0; o < listing_orders; ++o) {
            for (unsigned f = 0; f < filter_sets; ++f) {
                names.push_back("ideas.list." + std::to_string(o) + "." + std::to_string(f));
                texts.push_back(listing_sql(static_cast<listing_order>(o), f));
                queries.emplace_back(names.back().c_str(), texts.back().c_str());
            }
        }
    }
    const std::string& name(listing_order order, unsigned filters) const {
        return names[static_cast<std::size_t>(order) * filter_sets + filters];
    }
};
const listing_statements listing;
#undef IDEA_FROM
#undef IDEA_COLUMNS

#define SUPPORT_COLUMNS "idea_id, supporter_id, reason, " UTC("created_at") ", id"
const db::query select_existing_supports{
    "ideas.existing_supports", "SELECT idea_id, supporter_id FROM idea_supports "
                               "WHERE (idea_id, supporter_id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))"};
// A support counts in momentum for 7 calendar days on the bank's wall clock.
const db::query insert_supports{
    "ideas.insert_supports",
    "INSERT INTO idea_supports (idea_id, supporter_id, reason, momentum_until) "
    "SELECT i, s, nullif(r, ''), schwarm_local_add(schwarm_now(), make_interval(days => $4)) "
    "FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(i, s, r) RETURNING " SUPPORT_COLUMNS};
const db::query add_supports{"ideas.add_supports",
                             "UPDATE ideas i SET supports = i.supports + t.n, momentum = i.momentum + t.n "
                             "FROM unnest($1::bigint[], $2::int[]) AS t(id, n) WHERE i.id = t.id "
                             "RETURNING i.id, i.supports, i.momentum, i.phase::text"};
const db::query delete_support{"ideas.delete_support",
                               "DELETE FROM idea_supports WHERE idea_id = $1 AND supporter_id = $2 "
                               "RETURNING momentum_until IS NOT NULL"};
const db::query remove_support{"ideas.remove_support",
                               "UPDATE ideas SET supports = supports - 1, momentum = momentum - $2 WHERE id = $1"};
const db::query select_supports{"ideas.supports", "SELECT " SUPPORT_COLUMNS " FROM idea_supports "
                                                  "WHERE idea_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
#undef SUPPORT_COLUMNS
// A merged duplicate's supports, as they were (their momentum too), for the
// target's supporters that are new to it; its owner never supports it.
const db::query move_supports{
    "ideas.move_supports",
    "WITH moved AS (INSERT INTO idea_supports (idea_id, supporter_id, reason, created_at, momentum_until) "
    "  SELECT $2, s.supporter_id, s.reason, s.created_at, s.momentum_until FROM idea_supports s "
    "  WHERE s.idea_id = $1 AND s.supporter_id <> $3 ORDER BY s.supporter_id ON CONFLICT DO NOTHING "
    "  RETURNING momentum_until IS NOT NULL AS counted) "
    "UPDATE ideas SET supports = supports + (SELECT count(*) FROM moved), "
    "momentum = momentum + (SELECT count(*) FILTER (WHERE counted) FROM moved) WHERE id = $2 "
    "RETURNING supports, (SELECT count(*) FROM moved)::int"};

// Momentum: the ideas with supports past their window, oldest first, then
// (ideas locked) those supports, cleared, and the ideas' momentum lowered.
const db::query select_aged{"ideas.aged", "SELECT DISTINCT idea_id FROM (SELECT idea_id FROM idea_supports "
                                          "WHERE momentum_until <= schwarm_now() ORDER BY momentum_until LIMIT $1) a"};
const db::query clear_aged{
    "ideas.clear_aged",
    "WITH aged AS (SELECT idea_id, supporter_id FROM idea_supports WHERE idea_id = ANY($1::bigint[]) "
    "              AND momentum_until <= schwarm_now() ORDER BY momentum_until LIMIT $2), "
    "cleared AS (UPDATE idea_supports s SET momentum_until = NULL FROM aged a "
    "            WHERE s.idea_id = a.idea_id AND s.supporter_id = a.supporter_id RETURNING s.idea_id), "
    "counts AS (SELECT idea_id, count(*)::int AS n FROM cleared GROUP BY idea_id) "
    "UPDATE ideas i SET momentum = i.momentum - c.n FROM counts c WHERE i.id = c.idea_id RETURNING c.n"};

#define COMMENT_COLUMNS                                                                                                \
    "c.id, c.idea_id, c.author_id, c.body, " UTC("c.created_at") ", " UTC("c.hidden_at") ", c.hidden_by, "             \
                                                                                         "c.hidden_reason"
const db::query insert_comment{"ideas.comments.insert", "INSERT INTO idea_comments AS c (idea_id, author_id, body) "
                                                        "VALUES ($1, $2, $3) RETURNING " COMMENT_COLUMNS};
const db::query lock_comment{"ideas.comments.lock", "SELECT " COMMENT_COLUMNS " FROM idea_comments c "
                                                    "WHERE c.id = $1 AND c.idea_id = $2 FOR UPDATE"};
const db::query hide_comment_row{"ideas.comments.hide",
                                 "UPDATE idea_comments AS c SET hidden_at = schwarm_now(), hidden_by = $2, "
                                 "hidden_reason = $3 WHERE c.id = $1 RETURNING " COMMENT_COLUMNS};
const db::query select_comments{"ideas.comments.list",
                                "SELECT " COMMENT_COLUMNS " FROM idea_comments c "
                                "WHERE c.idea_id = $1 AND c.id < $2 ORDER BY c.id DESC LIMIT $3"};
#undef COMMENT_COLUMNS
#undef UTC

constexpr const char* phase_names[] = {"understand", "empathise", "idea",     "prototype",
                                       "test",       "submitted", "declined", "merged"};

idea read(const pqxx::row& r) {
    idea i;
    i.id = idea_id{r[0].as<std::int64_t>()};
    i.owner = user_id{r[1].as<std::int64_t>()};
    i.f = {r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
           r[6].as<std::string>()};
    i.phase = r[7].as<std::string>();
    i.supports = r[8].as<int>();
    i.momentum = r[9].as<int>();
    i.merged_into = db::nullable<std::int64_t>(r[10]);
    i.decline_reason = db::nullable<std::string>(r[11]);
    i.project = db::nullable<std::int64_t>(r[12]);
    i.created_at = r[13].as<std::string>();
    i.updated_at = r[14].as<std::string>();
    i.phase_changed_at = r[15].as<std::string>();
    return i;
}

support read_support(const pqxx::row& r) {
    support s;
    s.idea = idea_id{r[0].as<std::int64_t>()};
    s.supporter = user_id{r[1].as<std::int64_t>()};
    s.reason = db::nullable<std::string>(r[2]);
    s.created_at = r[3].as<std::string>();
    s.key = r[4].as<std::int64_t>();
    return s;
}

comment read_comment(const pqxx::row& r) {
    comment c;
    c.id = r[0].as<std::int64_t>();
    c.idea = idea_id{r[1].as<std::int64_t>()};
    c.author = user_id{r[2].as<std::int64_t>()};
    c.text = r[3].as<std::string>();
    c.created_at = r[4].as<std::string>();
    c.hidden_at = db::nullable<std::string>(r[5]);
    if (auto by = db::nullable<std::int64_t>(r[6])) c.hidden_by = user_id{*by};
    c.hidden_reason = db::nullable<std::string>(r[7]);
    return c;
}

comment redacted(comment c) {
    if (c.hidden_at) {
        c.text.reset();
        c.hidden_by.reset();
        c.hidden_reason.reset();
    }
    return c;
}

bool is_closed(const std::string& phase) { return phase == "declined" || phase == "merged"; }

problem closed_problem(const std::string& phase) {
    return problem(problems::closed, "The idea was " + phase + "; it takes no more support").with("phase", phase);
}

void check(const fields& f) {
    comments::check_text("title", f.title, 200);
    if (comments::characters(f.title) < 3) throw field_problem("title", "title must be 3 to 200 characters long");
    comments::check_text("problem", f.problem, 2000);
    comments::check_text("audience", f.audience, 500);
    if (comments::characters(f.description) > 20000)
        throw field_problem("description", "description must be at most 20000 characters");
    bool category_ok = !f.category.empty() && f.category.size() <= 40 && f.category[0] >= 'a' && f.category[0] <= 'z' &&
                       std::all_of(f.category.begin(), f.category.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (!category_ok) throw field_problem("category", "category must be lower-case letters, digits and -");
}

std::string details(const boost::json::object& o) { return boost::json::serialize(o); }

// After an idea's supports grew (a batch, a merge): its first support takes
// it to empathise, reaching the threshold to the idea phase, where staff
// triage it. The platform moves it, in the request that made the difference.
void advance(pqxx::work& tx, std::int64_t idea, std::string phase, int supports, const settings& s,
             const std::string& request_id) {
    auto platform = projects::platform_actor(request_id);
    if (phase == "understand" && supports > 0) {
        phase = phases::move_idea(tx, idea, "empathise", platform).to;
    }
    if ((phase == "understand" || phase == "empathise") && supports >= s.support_threshold) {
        phases::move_idea(tx, idea, "reach_threshold", platform,
                          {{"supports", supports}, {"threshold", s.support_threshold}});
    }
}

// Cursors: newest is the id; the others "s.<supports>.<id>", "m.<momentum>.<id>".
std::pair<std::int64_t, std::int64_t> keyset(const std::string& cursor, char tag) {
    auto bad = [] { return field_problem("cursor", "cursor must be a value from an earlier page of the same sort"); };
    if (cursor.size() < 4 || cursor[0] != tag || cursor[1] != '.') throw bad();
    std::string_view rest = std::string_view(cursor).substr(2);
    auto dot = rest.find('.');
    if (dot == std::string_view::npos) throw bad();
    std::int64_t key = 0, id = 0;
    auto a = std::from_chars(rest.data(), rest.data() + dot, key);
    auto b = std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), id);
    if (a.ec != std::errc{} || a.ptr != rest.data() + dot || b.ec != std::errc{} ||
        b.ptr != rest.data() + rest.size() || key < 0 || key > std::numeric_limits<int>::max() || id <= 0) {
        throw bad();
    }
    return {key, id};
}

} // namespace

bool is_phase(const std::string& phase) {
    return std::any_of(std::begin(phase_names), std::end(phase_names), [&](const char* n) { return phase == n; });
}

idea create(pqxx::work& tx, const fields& f, const projects::actor& by) {
    check(f);
    auto id = tx.exec_prepared(insert_idea.name, by.who.id.value, f.title, f.problem, f.audience, f.description,
                               f.category)[0][0]
                  .as<std::int64_t>();
    events::follow(tx, by.who.id, events::subject::of_idea(id), "owner");
    audit::write(tx, {by.who.id, "idea.create", "idea:" + std::to_string(id), by.request_id,
                      details({{"category", f.category}})});
    return find(tx, idea_id{id});
}

idea find(pqxx::transaction_base& tx, idea_id id) {
    auto rows = tx.exec_prepared(select_idea.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such idea");
    return read(rows[0]);
}

std::vector<idea> list(pqxx::transaction_base& tx, const listing_query& q) {
    unsigned filters = (q.phase ? has_phase : 0u) | (q.category ? has_category : 0u) | (q.text ? has_text : 0u);
    const std::string& statement = listing.name(q.order, filters);
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    pqxx::result rows;
    if (q.order == listing_order::newest) {
        std::int64_t before = max;
        if (q.cursor) {
            auto [end, ec] = std::from_chars(q.cursor->data(), q.cursor->data() + q.cursor->size(), before);
            if (ec != std::errc{} || end != q.cursor->data() + q.cursor->size() || before <= 0) {
                throw field_problem("cursor", "cursor must be a value from an earlier page of the same sort");
            }
        }
        rows = tx.exec_prepared(statement, q.phase, q.category, q.text, before, q.limit);
    } else {
        char tag = q.order == listing_order::support ? 's' : 'm';
        auto c = q.cursor ? keyset(*q.cursor, tag)
                          : std::pair<std::int64_t, std::int64_t>{std::numeric_limits<int>::max(), max};
        rows = tx.exec_prepared(statement, q.phase, q.category, q.text, static_cast<int>(c.first), c.second, q.limit);
    }
    std::vector<idea> out;
    for (const auto& row : rows) out.push_back(read(row));
    return out;
}

std::string next_cursor(const idea& last, listing_order order) {
    switch (order) {
    case listing_order::newest: return last.id.str();
    case listing_order::support: return "s." + std::to_string(last.supports) + "." + last.id.str();
    case listing_order::momentum: return "m." + std::to_string(last.momentum) + "." + last.id.str();
    }
    return last.id.str();
}

std::vector<idea> list_own(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before_id,
                           int limit) {
    std::vector<idea> out;
    for (const auto& row : tx.exec_prepared(select_own.name, owner.value,
                                            before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(read(row));
    }
    return out;
}

// --- Supports -----------------------------------------------------------

namespace {

struct locked_idea {
    user_id owner;
    std::string phase;
};

// One slot per request, filled by the first rule that refuses it.
std::vector<std::optional<problem>> judge(std::span<const support_request> requests,
                                          const std::map<std::int64_t, locked_idea>& ideas,
                                          const std::set<std::pair<std::int64_t, std::int64_t>>& existing) {
    std::vector<std::optional<problem>> out(requests.size());
    std::set<std::pair<std::int64_t, std::int64_t>> seen = existing;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        auto it = ideas.find(r.idea);
        if (it == ideas.end()) {
            out[i] = problem(schwarm::problems::not_found, "There is no such idea");
        } else if (is_closed(it->second.phase)) {
            out[i] = closed_problem(it->second.phase);
        } else if (it->second.owner == r.supporter) {
            out[i] = problem(problems::own_idea, "You may not support your own idea");
        } else if (!seen.insert({r.idea, r.supporter.value}).second) {
            out[i] = problem(problems::support_exists, "You support this idea already; withdraw it first to change it");
        }
    }
    return out;
}

} // namespace

std::vector<support_result> support_many(pqxx::work& tx, std::span<const support_request> requests, const settings& s) {
    std::vector<std::int64_t> ids, pair_ideas, pair_users;
    for (const auto& r : requests) {
        ids.push_back(r.idea);
        pair_ideas.push_back(r.idea);
        pair_users.push_back(r.supporter.value);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    // Unlocked reads first, then the ideas' rows in id order (no deadlock
    // between batches), held as briefly as can be.
    std::set<std::pair<std::int64_t, std::int64_t>> existing;
    std::map<std::int64_t, locked_idea> ideas;
    for (const auto& row : tx.exec_prepared(lock_many.name, db::array_literal(ids))) {
        ideas.emplace(row[0].as<std::int64_t>(),
                      locked_idea{user_id{row[1].as<std::int64_t>()}, row[2].as<std::string>()});
    }
    for (const auto& row : tx.exec_prepared(select_existing_supports.name, db::array_literal(pair_ideas),
                                            db::array_literal(pair_users))) {
        existing.emplace(row[0].as<std::int64_t>(), row[1].as<std::int64_t>());
    }
    auto refused = judge(requests, ideas, existing);

    std::vector<std::int64_t> idea_col, user_col;
    std::vector<std::string> reason_col;
    std::map<std::int64_t, int> added;
    std::map<std::int64_t, std::string> last_request; // per idea: the request that made the difference
    std::vector<audit::record> records;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (refused[i]) continue;
        const auto& r = requests[i];
        idea_col.push_back(r.idea);
        user_col.push_back(r.supporter.value);
        reason_col.push_back(r.reason.value_or(""));
        ++added[r.idea];
        last_request[r.idea] = r.request_id;
        boost::json::object d;
        if (r.reason) d["reason"] = *r.reason;
        records.push_back({r.supporter, "idea.support", "idea:" + std::to_string(r.idea), r.request_id, details(d)});
    }
    std::vector<support_result> out;
    out.reserve(requests.size());
    if (idea_col.empty()) {
        for (auto& p : refused) out.emplace_back(std::move(*p));
        return out;
    }
    std::map<std::pair<std::int64_t, std::int64_t>, support> made;
    for (const auto& row :
         tx.exec_prepared(insert_supports.name, db::array_literal(idea_col), db::array_literal(user_col),
                          db::array_literal(reason_col), momentum_days)) {
        auto sup = read_support(row);
        made.emplace(std::pair{sup.idea.value, sup.supporter.value}, sup);
    }
    std::vector<std::int64_t> count_ids;
    std::vector<std::int64_t> counts;
    for (const auto& [idea, n] : added) {
        count_ids.push_back(idea);
        counts.push_back(n);
    }
    struct after {
        int supports, momentum;
        std::string phase;
    };
    std::map<std::int64_t, after> now;
    for (const auto& row :
         tx.exec_prepared(add_supports.name, db::array_literal(count_ids), db::array_literal(counts))) {
        now[row[0].as<std::int64_t>()] = {row[1].as<int>(), row[2].as<int>(), row[3].as<std::string>()};
    }
    events::follow_ideas(tx, user_col, idea_col, "supporter");
    audit::write_many(tx, records);
    for (auto& [idea, a] : now) {
        advance(tx, idea, a.phase, a.supports, s, last_request[idea]);
        a.phase = ideas::find(tx, idea_id{idea}).phase;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (refused[i]) {
            out.emplace_back(std::move(*refused[i]));
            continue;
        }
        support sup = made.at({requests[i].idea, requests[i].supporter.value});
        const auto& a = now.at(requests[i].idea);
        sup.supports = a.supports;
        sup.momentum = a.momentum;
        sup.phase = a.phase;
        out.emplace_back(std::move(sup));
    }
    return out;
}

idea withdraw_support(pqxx::work& tx, idea_id id, const projects::actor& by) {
    auto locked = lock_phase(tx, id);
    if (!locked) throw problem(schwarm::problems::not_found, "There is no such idea");
    if (is_closed(locked->phase)) throw closed_problem(locked->phase);
    auto gone = tx.exec_prepared(delete_support.name, id.value, by.who.id.value);
    if (gone.empty()) throw problem(schwarm::problems::not_found, "You do not support this idea");
    bool counted = gone[0][0].as<bool>();
    tx.exec_prepared(remove_support.name, id.value, counted ? 1 : 0);
    // The phase does not move back: an idea that reached triage stays there.
    audit::write(tx, {by.who.id, "idea.support_withdraw", "idea:" + id.str(), by.request_id});
    return find(tx, id);
}

std::vector<support> supports_of(pqxx::transaction_base& tx, idea_id id, std::optional<std::int64_t> before_key,
                                 int limit) {
    find(tx, id);
    std::vector<support> out;
    for (const auto& row : tx.exec_prepared(select_supports.name, id.value,
                                            before_key.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(read_support(row));
    }
    return out;
}

int decay_momentum(pqxx::work& tx, int limit, const std::string& request_id) {
    std::vector<std::int64_t> ids;
    for (const auto& row : tx.exec_prepared(select_aged.name, limit)) ids.push_back(row[0].as<std::int64_t>());
    if (ids.empty()) return 0;
    std::sort(ids.begin(), ids.end());
    tx.exec_prepared(lock_many.name, db::array_literal(ids)); // in id order, as support batches lock them
    int decayed = 0;
    for (const auto& row : tx.exec_prepared(clear_aged.name, db::array_literal(ids), limit))
        decayed += row[0].as<int>();
    if (decayed > 0) {
        audit::write(tx, {std::nullopt, "idea.momentum_decay", "ideas", request_id,
                          details({{"supports", decayed}, {"ideas", static_cast<std::int64_t>(ids.size())}})});
    }
    return decayed;
}

// --- Triage -------------------------------------------------------------

idea accept(pqxx::work& tx, idea_id id, const projects::actor& by) {
    phases::move_idea(tx, id.value, "accept", by);
    return find(tx, id);
}

idea decline(pqxx::work& tx, idea_id id, const std::string& reason, const projects::actor& by) {
    comments::check_text("reason", reason, 1000);
    phases::move_idea(tx, id.value, "decline", by, {{"reason", reason}}, {std::nullopt, reason});
    return find(tx, id);
}

idea merge(pqxx::work& tx, idea_id duplicate, idea_id into, const std::string& reason, const projects::actor& by,
           const settings& s) {
    if (!reason.empty()) comments::check_text("reason", reason, 1000);
    std::vector<std::int64_t> both{std::min(duplicate.value, into.value), std::max(duplicate.value, into.value)};
    std::map<std::int64_t, locked_idea> locked;
    for (const auto& row : tx.exec_prepared(lock_many.name, db::array_literal(both))) {
        locked.emplace(row[0].as<std::int64_t>(),
                       locked_idea{user_id{row[1].as<std::int64_t>()}, row[2].as<std::string>()});
    }
    if (!locked.contains(duplicate.value)) throw problem(schwarm::problems::not_found, "There is no such idea");
    auto target = locked.find(into.value);
    if (duplicate == into || target == locked.end() || is_closed(target->second.phase)) {
        throw problem(problems::merge_target, "Merge into another idea that is neither declined nor merged")
            .with("field", "into");
    }
    // The move first: it checks who may merge and from which phase.
    boost::json::object d{{"into", into.str()}};
    if (!reason.empty()) d["reason"] = reason;
    phases::move_idea(tx, duplicate.value, "merge", by, d, {into.value, std::nullopt});
    auto moved = tx.exec_prepared(move_supports.name, duplicate.value, into.value, target->second.owner.value)[0];
    events::copy_idea_followers(tx, duplicate.value, into.value);
    audit::write(tx, {by.who.id, "idea.merged_in", "idea:" + into.str(), by.request_id,
                      details({{"from", duplicate.str()}, {"supports_moved", moved[1].as<int>()}})});
    advance(tx, into.value, target->second.phase, moved[0].as<int>(), s, by.request_id);
    return find(tx, duplicate);
}

// --- The phase table's needs -------------------------------------------

std::optional<phase_row> lock_phase(pqxx::work& tx, idea_id id) {
    auto rows = tx.exec_prepared(lock_one.name, id.value);
    if (rows.empty()) return std::nullopt;
    return phase_row{user_id{rows[0][0].as<std::int64_t>()}, rows[0][1].as<std::string>()};
}

void set_phase(pqxx::work& tx, idea_id id, const std::string& phase, const phase_extra& extra) {
    tx.exec_prepared(update_phase.name, id.value, phase, extra.merged_into, extra.decline_reason);
}

// --- Comments -----------------------------------------------------------

comment add_comment(pqxx::work& tx, idea_id id, const std::string& text, const projects::actor& by) {
    comments::check_text("text", text, comments::text_length_max);
    find(tx, id);
    auto c = read_comment(tx.exec_prepared(insert_comment.name, id.value, by.who.id.value, text)[0]);
    audit::write(tx, {by.who.id, "idea_comment.create", "idea_comment:" + std::to_string(c.id), by.request_id,
                      details({{"idea_id", id.str()}})});
    return c;
}

comment hide_comment(pqxx::work& tx, idea_id id, std::int64_t comment_id, const std::string& reason,
                     const projects::actor& by) {
    auto i = find(tx, id);
    if (i.owner != by.who.id && by.who.role_ != users::role::staff) {
        throw problem(schwarm::problems::forbidden, "Only the idea's owner and staff may hide its comments");
    }
    auto locked = tx.exec_prepared(lock_comment.name, comment_id, id.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "There is no such comment on this idea");
    auto current = read_comment(locked[0]);
    if (current.hidden_at) {
        throw problem(comments::problems::already_hidden, "The comment was hidden at " + *current.hidden_at)
            .with("hidden_at", *current.hidden_at);
    }
    comments::check_text("reason", reason, comments::reason_length_max);
    auto c = read_comment(tx.exec_prepared(hide_comment_row.name, comment_id, by.who.id.value, reason)[0]);
    audit::write(tx, {by.who.id, "idea_comment.hide", "idea_comment:" + std::to_string(c.id), by.request_id,
                      details({{"idea_id", id.str()}, {"reason", reason}})});
    return c;
}

std::vector<comment> comments(pqxx::transaction_base& tx, idea_id id, std::optional<std::int64_t> before_id,
                              int limit) {
    find(tx, id);
    std::vector<comment> out;
    for (const auto& row : tx.exec_prepared(select_comments.name, id.value,
                                            before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(redacted(read_comment(row)));
    }
    return out;
}

std::vector<comment> comments_for_moderation(pqxx::transaction_base& tx, idea_id id, const users::principal& viewer,
                                             std::optional<std::int64_t> before_id, int limit) {
    auto i = find(tx, id);
    if (i.owner != viewer.id && viewer.role_ != users::role::staff) {
        throw problem(schwarm::problems::forbidden, "Only the idea's owner and staff see hidden comments");
    }
    std::vector<comment> out;
    for (const auto& row : tx.exec_prepared(select_comments.name, id.value,
                                            before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(read_comment(row));
    }
    return out;
}

} // namespace schwarm::ideas
