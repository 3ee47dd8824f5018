#include "platform/projects.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "base/money.hpp"
#include "platform/events.hpp"
#include "platform/phases.hpp"
#include "platform/pledges.hpp"
#include "platform/prototypes.hpp"
#include "platform/risk_port.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <limits>
#include <map>

namespace schwarm::projects {

namespace {

#define PROJECT_COLUMNS                                                                                                \
    "p.id, p.owner_id, p.title, p.summary, p.description, p.category, p.kind::text, p.goal_minor, p.currency, "        \
    "p.campaign_mode::text, " SCHWARM_SQL_UTC_SECONDS(                                                                 \
        "p.deadline") ", "                                                                                             \
                      "p.loan_rate_bp, p.loan_term_months, p.loan_schedule::text, "                                    \
                      "p.state::text, " SCHWARM_SQL_UTC_SECONDS("p.created_at") ", " SCHWARM_SQL_UTC_SECONDS(          \
                          "p.updated_at") ", "                                                                         \
                                          "p.min_pledge_minor, p.pledged_minor, p.backers, "                           \
                                          "greatest(0, ceil(extract(epoch FROM p.deadline - schwarm_now()) / "         \
                                          "86400))::int, "                                                             \
                                          "(extract(epoch FROM p.deadline) * "                                         \
                                          "1000000)::bigint, " SCHWARM_SQL_UTC_SECONDS(                                \
                                              "p.settles_at") ", "                                                     \
                                                              "p.allow_overfunding, p.idea_id, "                       \
                                                              "p.phase::text, " SCHWARM_SQL_UTC_SECONDS(               \
                                                                  "p.feedback_opens_at") ", " SCHWARM_SQL_UTC_SECONDS("p.feedback_closes_at")

const db::query insert_project{
    "projects.insert",
    "INSERT INTO projects (owner_id, title, summary, description, category, kind, goal_minor, currency, "
    "campaign_mode, deadline, loan_rate_bp, loan_term_months, loan_schedule, min_pledge_minor, allow_overfunding) "
    "VALUES ($1, $2, $3, $4, $5, $6::project_kind, $7, $8, $9::campaign_mode, $10::timestamptz, $11, $12, "
    "$13::loan_schedule, $14, $15) RETURNING id"};

const db::query update_project{
    "projects.update",
    "UPDATE projects SET title = $2, summary = $3, description = $4, category = $5, kind = $6::project_kind, "
    "goal_minor = $7, currency = $8, campaign_mode = $9::campaign_mode, deadline = $10::timestamptz, "
    "loan_rate_bp = $11, loan_term_months = $12, loan_schedule = $13::loan_schedule, min_pledge_minor = $14, "
    "allow_overfunding = $15, "
    "updated_at = schwarm_now() "
    "WHERE id = $1"};

const db::query select_project{"projects.select", "SELECT " PROJECT_COLUMNS " FROM projects p WHERE p.id = $1"};
const db::query lock_project{
    "projects.lock",
    "SELECT owner_id, state::text, kind::text, goal_minor, currency, deadline > schwarm_clock(), phase::text "
    "FROM projects WHERE id = $1 FOR NO KEY UPDATE"};
const db::query set_state{"projects.set_state",
                          "UPDATE projects SET state = $2::project_state, updated_at = schwarm_now() WHERE id = $1"};
const db::query deadline_ok{"projects.deadline_ok", "SELECT $1::timestamptz > schwarm_now()"};

// Co-creation: a project's phase and its feedback window.
#define PHASE_COLUMNS                                                                                                  \
    "owner_id, state::text, phase::text, idea_id, "                                                                    \
    "coalesce(feedback_opens_at <= schwarm_clock() AND schwarm_clock() < feedback_closes_at, false), "                 \
    "coalesce(feedback_closes_at <= schwarm_clock(), false), " SCHWARM_SQL_UTC_SECONDS(                                \
        "feedback_opens_at") ", " SCHWARM_SQL_UTC_SECONDS("feedback_closes_at")
const db::query select_phase{"projects.phase", "SELECT " PHASE_COLUMNS " FROM projects WHERE id = $1"};
const db::query lock_phase_row{"projects.lock_phase",
                               "SELECT " PHASE_COLUMNS " FROM projects WHERE id = $1 FOR NO KEY UPDATE"};
#undef PHASE_COLUMNS
const db::query update_phase{
    "projects.set_phase",
    "UPDATE projects SET phase = $2::cocreation_phase, "
    "feedback_opens_at = CASE WHEN $3::int IS NULL THEN feedback_opens_at ELSE schwarm_now() END, "
    "feedback_closes_at = CASE WHEN $3::int IS NULL THEN feedback_closes_at "
    "ELSE schwarm_local_add(schwarm_now(), make_interval(days => $3::int)) END, updated_at = schwarm_now() "
    "WHERE id = $1"};
const db::query update_idea_link{"projects.link_to_idea",
                                 "UPDATE projects SET idea_id = $2, phase = 'prototype' WHERE id = $1"};

// Public listing: every state but draft unless states are named; text
// search against both languages; per order a keyset on (sort key, id) that
// an index serves. A prepared statement's generic plan cannot see which
// optional filter is absent (`$2 IS NULL OR …`) and sorts whole tables
// instead of walking the index; so there is one statement per order and set
// of filters present (128), in which an absent filter is `($n IS NULL OR
// true)`, folded away when planned. Each page then reads about `limit` rows
// and is planned once per connection. (Drafts are never listed: the partial
// indexes say so too, and the planner uses them only when the query repeats
// it literally.)
// only_funding: the states named are just `funding`, the listing people browse most; the
// literal lets the planner use the partial index of projects in funding.
constexpr unsigned has_states = 1, has_kind = 2, has_category = 4, has_text = 8, only_funding = 16, filter_sets = 32;
constexpr int listing_orders = 4;

std::string listing_sql(listing_order order, unsigned filters) {
    auto when = [&](unsigned f, const char* present, const char* absent) {
        return std::string(filters & f ? present : absent);
    };
    std::string sql = "SELECT " PROJECT_COLUMNS " FROM projects p WHERE p.state <> 'draft' ";
    if (filters & only_funding) sql += "AND p.state = 'funding' AND ($1::text[] IS NULL OR true) ";
    else sql += when(has_states, "AND p.state::text = ANY($1::text[]) ", "AND ($1::text[] IS NULL OR true) ");
    sql += when(has_kind, "AND p.kind::text = $2::text ", "AND ($2::text IS NULL OR true) ");
    sql += when(has_category, "AND p.category = $3::text ", "AND ($3::text IS NULL OR true) ");
    sql +=
        when(has_text,
             "AND p.search @@ (websearch_to_tsquery('german', $4::text) || websearch_to_tsquery('english', $4::text)) ",
             "AND ($4::text IS NULL OR true) ");
    switch (order) {
    case listing_order::newest: return sql + "AND p.id < $5 ORDER BY p.id DESC LIMIT $6";
    case listing_order::deadline: // cursor: deadline in µs since the epoch, id
        return sql + "AND (p.deadline, p.id) > (timestamptz 'epoch' + $5 * interval '1 microsecond', $6) "
                     "ORDER BY p.deadline, p.id LIMIT $7";
    case listing_order::funded: // cursor: pledged, goal, id; compared as an exact fraction
        return sql + "AND (p.pledged_minor::numeric / p.goal_minor, p.id) < ($5::numeric / $6, $7) "
                     "ORDER BY p.pledged_minor::numeric / p.goal_minor DESC, p.id DESC LIMIT $8";
    case listing_order::backers:
        return sql + "AND (p.backers, p.id) < ($5::bigint, $6) ORDER BY p.backers DESC, p.id DESC LIMIT $7";
    }
    throw std::logic_error("unknown listing order");
}

// Registered at start-up like every other query (core/db.hpp); a deque, so
// that the queries never move once registered.
struct listing_statements {
    std::deque<std::string> names, texts;
    std::deque<db::query> queries;
    listing_statements() {
        for (int o = 0; o < listing_orders; ++o) {
            for (unsigned f = 0; f < filter_sets; ++f) {
                names.push_back("projects.list." + std::to_string(o) + "." + std::to_string(f));
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

const db::query select_own{"projects.list_own",
                           "SELECT " PROJECT_COLUMNS
                           " FROM projects p WHERE p.owner_id = $1 AND p.id < $2 ORDER BY p.id DESC LIMIT $3"};
#undef PROJECT_COLUMNS

#define FUNDING_COLUMNS                                                                                                \
    "id, owner_id, kind::text, state::text, campaign_mode::text, currency, goal_minor, min_pledge_minor, "             \
    "allow_overfunding, "                                                                                              \
    "pledged_minor, backers, deadline > schwarm_clock(), settles_at > schwarm_clock(), " SCHWARM_SQL_UTC_SECONDS(      \
        "settles_at") ", settlement, coalesce(fee_minor, 0) "
const db::query lock_funding_rows{"projects.lock_funding",
                                  "SELECT " FUNDING_COLUMNS
                                  "FROM projects WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE"};
const db::query claim_due_row{"projects.claim_due",
                              "SELECT " FUNDING_COLUMNS
                              "FROM projects WHERE state = 'funding' AND settles_at <= schwarm_clock() "
                              "AND (settlement_retry_at IS NULL OR settlement_retry_at <= schwarm_clock()) "
                              "ORDER BY settles_at, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"};
#undef FUNDING_COLUMNS
// The reflection period's end is computed as the pledges' revocable_until
// is (core/pledges.cpp), in the same transaction: the same instant.
const db::query update_funding{
    "projects.add_funding",
    "UPDATE projects SET pledged_minor = pledged_minor + $2, backers = backers + $3, "
    "reflection_ends_at = CASE WHEN $4 THEN greatest(reflection_ends_at, "
    "schwarm_local_add(schwarm_now(), make_interval(days => $5))) ELSE reflection_ends_at END WHERE id = $1"};
const db::query update_funding_cleared{"projects.clear_funding",
                                       "UPDATE projects SET pledged_minor = 0, backers = 0 WHERE id = $1"};
const db::query update_settlement{
    "projects.decide_settlement",
    "UPDATE projects SET settlement = $2, fee_minor = $3 WHERE id = $1 AND settlement IS NULL"};
const db::query update_settlement_aside{
    "projects.set_settlement_aside",
    "UPDATE projects SET settlement_error = $2, settlement_attempts = settlement_attempts + 1, "
    "settlement_retry_at = schwarm_now() + make_interval(secs => least(3600, 60 * power(2, least(settlement_attempts, "
    "6)))) "
    "WHERE id = $1"};
const db::query update_settlement_cleared{
    "projects.clear_settlement_error",
    "UPDATE projects SET settlement_error = NULL, settlement_retry_at = NULL WHERE id = $1"};
#define SETTLEMENT_COLUMNS                                                                                             \
    "id, state::text, " SCHWARM_SQL_UTC_SECONDS("deadline") ", " SCHWARM_SQL_UTC_SECONDS(                              \
        "settles_at") ", "                                                                                             \
                      "state = 'funding' AND settles_at <= schwarm_now(), settlement, coalesce(fee_minor, 0), "        \
                      "pledged_minor, goal_minor, "                                                                    \
                      "settlement_error, settlement_attempts, " SCHWARM_SQL_UTC_SECONDS("settlement_retry_at") " "
const db::query select_settlement{"projects.settlement",
                                  "SELECT " SETTLEMENT_COLUMNS "FROM projects WHERE id = $1 AND state <> 'draft'"};
const db::query select_settlements_pending{
    "projects.settlements_pending",
    "SELECT " SETTLEMENT_COLUMNS "FROM projects WHERE state = 'funding' AND settles_at <= schwarm_now() "
    "AND ($1 = false OR settlement_error IS NOT NULL) AND id > $2 ORDER BY id LIMIT $3"};
#undef SETTLEMENT_COLUMNS

// The one list of lifecycle moves. "Any open state may end rejected or
// withdrawn"; platform moves are made by settlement and loan servicing.
const std::vector<transition_rule>& rules() {
    static const std::vector<transition_rule> all{
        {"submit", {"draft"}, "submitted", mover::owner},
        // Until the deadline (checked below); money already in escrow goes
        // back (core/settlement.cpp, stop_campaign).
        {"withdraw", {"draft", "submitted", "in_review", "approved", "selected", "funding"}, "withdrawn", mover::owner},
        {"start_review", {"submitted"}, "in_review", mover::staff},
        {"approve", {"in_review"}, "approved", mover::staff},
        {"reject", {"submitted", "in_review", "approved", "in_vote"}, "rejected", mover::staff},
        {"enter_vote", {"approved"}, "in_vote", mover::staff},
        {"select", {"in_vote"}, "selected", mover::staff},
        {"return_from_vote", {"in_vote"}, "approved", mover::staff},
        {"open_funding", {"approved", "selected"}, "funding", mover::staff},
        // Staff stop a campaign with money in it; a funded donation or reward
        // was paid out at settlement and cannot be (checked below).
        {"cancel", {"selected", "funding", "funded"}, "cancelled", mover::staff},
        {"settle_funded", {"funding"}, "funded", mover::platform, false},
        {"settle_failed", {"funding"}, "failed", mover::platform, false},
        {"disburse", {"funded"}, "disbursed", mover::staff},
        {"start_repaying", {"disbursed"}, "repaying", mover::platform},
        {"repaid", {"disbursed", "repaying"}, "repaid", mover::platform},
        {"default", {"disbursed", "repaying"}, "defaulted", mover::staff},
    };
    return all;
}

project read(const pqxx::row& r) {
    project p;
    p.id = project_id{r[0].as<std::int64_t>()};
    p.owner = user_id{r[1].as<std::int64_t>()};
    p.f = {r[2].as<std::string>(),   r[3].as<std::string>(),   r[4].as<std::string>(),
           r[5].as<std::string>(),   r[6].as<std::string>(),   r[7].as<std::int64_t>(),
           r[8].as<std::string>(),   r[9].as<std::string>(),   r[10].as<std::string>(),
           db::nullable<int>(r[11]), db::nullable<int>(r[12]), db::nullable<std::string>(r[13])};
    p.state = r[14].as<std::string>();
    p.created_at = r[15].as<std::string>();
    p.updated_at = r[16].as<std::string>();
    p.f.min_pledge_minor = r[17].as<std::int64_t>();
    p.pledged_minor = r[18].as<std::int64_t>();
    p.backers = r[19].as<int>();
    p.days_left = r[20].as<int>();
    p.deadline_us = r[21].as<std::int64_t>();
    p.settles_at = r[22].as<std::string>();
    p.f.allow_overfunding = r[23].as<bool>();
    p.idea = db::nullable<std::int64_t>(r[24]);
    p.phase = db::nullable<std::string>(r[25]);
    p.feedback_opens_at = db::nullable<std::string>(r[26]);
    p.feedback_closes_at = db::nullable<std::string>(r[27]);
    return p;
}

funding read_funding(const pqxx::row& r) {
    return {project_id{r[0].as<std::int64_t>()},
            user_id{r[1].as<std::int64_t>()},
            r[2].as<std::string>(),
            r[3].as<std::string>(),
            r[4].as<std::string>(),
            r[5].as<std::string>(),
            r[6].as<std::int64_t>(),
            r[7].as<std::int64_t>(),
            r[8].as<bool>(),
            r[9].as<std::int64_t>(),
            r[10].as<int>(),
            r[11].as<bool>(),
            r[12].as<bool>(),
            r[13].as<std::string>(),
            db::nullable<std::string>(r[14]),
            r[15].as<std::int64_t>()};
}

settlement_view read_settlement(const pqxx::row& r) {
    return {project_id{r[0].as<std::int64_t>()},
            r[1].as<std::string>(),
            r[2].as<std::string>(),
            r[3].as<std::string>(),
            r[4].as<bool>(),
            db::nullable<std::string>(r[5]),
            r[6].as<std::int64_t>(),
            r[7].as<std::int64_t>(),
            r[8].as<std::int64_t>(),
            db::nullable<std::string>(r[9]),
            r[10].as<int>(),
            db::nullable<std::string>(r[11])};
}

void check(pqxx::work& tx, const fields& f) {
    if (f.title.size() < 3) throw field_problem("title", "title must be 3 to 200 characters long");
    if (f.kind != "donation" && f.kind != "reward" && f.kind != "loan") {
        throw field_problem("kind", "kind must be donation, reward or loan");
    }
    if (f.campaign_mode != "all_or_nothing" && f.campaign_mode != "keep_it_all") {
        throw field_problem("campaign_mode", "campaign_mode must be all_or_nothing or keep_it_all");
    }
    if (f.goal_minor <= 0) throw field_problem("goal_minor", "goal_minor must be positive");
    if (f.min_pledge_minor <= 0 || f.min_pledge_minor > f.goal_minor) {
        throw field_problem("min_pledge_minor", "min_pledge_minor must be positive and at most the goal");
    }
    if (!currency::parse(f.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    bool category_ok = !f.category.empty() && f.category.size() <= 40 && f.category[0] >= 'a' && f.category[0] <= 'z' &&
                       std::all_of(f.category.begin(), f.category.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (!category_ok) throw field_problem("category", "category must be lower-case letters, digits and -");
    bool loan = f.kind == "loan";
    if (loan != (f.loan_rate_bp && f.loan_term_months && f.loan_schedule)) {
        throw field_problem(loan ? "loan_rate_bp" : "kind",
                            loan ? "A loan needs loan_rate_bp, loan_term_months and loan_schedule"
                                 : "Loan terms belong only to loans");
    }
    if (loan && f.allow_overfunding) {
        throw field_problem("allow_overfunding", "A loan raises its principal and no more");
    }
    if (f.loan_schedule && *f.loan_schedule != "annuity" && *f.loan_schedule != "equal_principal") {
        throw field_problem("loan_schedule", "loan_schedule must be annuity or equal_principal");
    }
    try {
        pqxx::subtransaction guard(tx, "deadline");
        bool future = guard.exec_prepared(deadline_ok.name, f.deadline)[0][0].as<bool>();
        guard.commit();
        if (!future) throw field_problem("deadline", "deadline must be in the future");
    } catch (const pqxx::data_exception&) {
        throw field_problem("deadline", "deadline must be an RFC 3339 time, e.g. 2027-06-30T23:59:59Z");
    }
}

void write_fields(pqxx::work& tx, const db::query& q, std::int64_t first, const fields& f) {
    try {
        pqxx::subtransaction guard(tx, "project_fields");
        guard.exec_prepared(q.name, first, f.title, f.summary, f.description, f.category, f.kind, f.goal_minor,
                            f.currency_code, f.campaign_mode, f.deadline, f.loan_rate_bp, f.loan_term_months,
                            f.loan_schedule, f.min_pledge_minor, f.allow_overfunding);
        guard.commit();
    } catch (const pqxx::check_violation&) {
        throw field_problem("summary", "A field is out of range (title 3–200, summary 1–500, description up to "
                                       "20000 characters; loan rate 0–10000 bp, term 1–360 months)");
    }
}

// Actions and states as a person says them, for problem details: the
// machine names stay in the member `state` and in the audit log.
const std::map<std::string, std::pair<std::string, std::string>, std::less<>>& action_words() {
    // action: {what staff or the owner may do, what a project cannot be}
    static const std::map<std::string, std::pair<std::string, std::string>, std::less<>> words{
        {"edit", {"edit", "edited"}},
        {"submit", {"submit", "submitted"}},
        {"withdraw", {"withdraw", "withdrawn"}},
        {"start_review", {"take into review", "taken into review"}},
        {"approve", {"approve", "approved"}},
        {"reject", {"reject", "rejected"}},
        {"enter_vote", {"put to a vote", "put to a vote"}},
        {"select", {"select", "selected"}},
        {"return_from_vote", {"return from its vote", "returned from a vote"}},
        {"open_funding", {"open for funding", "opened for funding"}},
        {"cancel", {"cancel", "cancelled"}},
        {"settle_funded", {"settle", "settled"}},
        {"settle_failed", {"settle", "settled"}},
        {"disburse", {"disburse", "disbursed"}},
        {"start_repaying", {"start repayments of", "repaid"}},
        {"repaid", {"mark as repaid", "marked as repaid"}},
        {"default", {"mark as defaulted", "marked as defaulted"}}};
    return words;
}

std::string spoken_action(const std::string& action) {
    auto found = action_words().find(action);
    return found == action_words().end() ? action : found->second.first;
}

std::string spoken_state(const std::string& state) {
    if (state == "in_review") return "in review";
    if (state == "in_vote") return "in a vote";
    if (state == "funding") return "raising funds";
    return state;
}

problem illegal(const std::string& action, const std::string& state) {
    auto found = action_words().find(action);
    std::string done = found == action_words().end() ? action : found->second.second;
    return problem(problems::illegal_transition, "A project that is " + spoken_state(state) + " cannot be " + done)
        .with("state", state);
}

} // namespace

const std::vector<transition_rule>& transitions() { return rules(); }

actor platform_actor(std::string request_id) {
    actor a;
    a.who.id = user_id{0};
    a.who.role_ = users::role::staff;
    a.request_id = std::move(request_id);
    return a;
}

audit::origin origin_of(const actor& by) {
    if (by.who.id.value == 0) return {std::nullopt, by.request_id};
    return {by.who.id, by.request_id};
}

project create(pqxx::work& tx, const fields& f, const actor& by) {
    check(tx, f);
    pqxx::result rows;
    try {
        pqxx::subtransaction guard(tx, "project_insert");
        rows = guard.exec_prepared(insert_project.name, by.who.id.value, f.title, f.summary, f.description, f.category,
                                   f.kind, f.goal_minor, f.currency_code, f.campaign_mode, f.deadline, f.loan_rate_bp,
                                   f.loan_term_months, f.loan_schedule, f.min_pledge_minor, f.allow_overfunding);
        guard.commit();
    } catch (const pqxx::check_violation&) {
        throw field_problem("summary", "A field is out of range (title 3–200, summary 1–500, description up to "
                                       "20000 characters; loan rate 0–10000 bp, term 1–360 months)");
    }
    project_id id{rows[0][0].as<std::int64_t>()};
    events::follow(tx, by.who.id, events::subject::of_project(id.value), "owner");
    audit::write(tx, {by.who.id, "project.create", "project:" + id.str(), by.request_id});
    return find(tx, id, by.who);
}

project update(pqxx::work& tx, project_id id, const fields& f, const actor& by) {
    auto locked = tx.exec_prepared(lock_project.name, id.value);
    // A prototype's co-authors work on its draft with its owner.
    bool phased = !locked.empty() && !locked[0][6].is_null();
    bool author = !locked.empty() && (user_id{locked[0][0].as<std::int64_t>()} == by.who.id ||
                                      (phased && prototypes::is_co_author(tx, id, by.who.id)));
    if (!author) throw problem(schwarm::problems::not_found, "There is no such project of yours");
    auto state = locked[0][1].as<std::string>();
    if (state != "draft") throw illegal("edit", state);
    check(tx, f);
    write_fields(tx, update_project, id.value, f);
    audit::write(tx, {by.who.id, "project.update", "project:" + id.str(), by.request_id});
    if (phased) { // supporters follow a prototype's changes
        events::publish(tx, events::kinds::draft_changed, events::subject::of_project(id.value),
                        {{"title", f.title}, {"phase", locked[0][6].as<std::string>()}}, origin_of(by));
    }
    return find(tx, id, by.who);
}

project find(pqxx::transaction_base& tx, project_id id, const std::optional<users::principal>& viewer) {
    auto rows = tx.exec_prepared(select_project.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such project");
    project p = read(rows[0]);
    bool private_draft =
        p.state == "draft" && !p.phase && !(viewer && (viewer->id == p.owner || viewer->role_ == users::role::staff));
    if (private_draft) throw problem(schwarm::problems::not_found, "There is no such project");
    return p;
}

project transition(pqxx::work& tx, project_id id, const std::string& action, const std::string& reason,
                   const actor& by) {
    const auto& all = rules();
    auto rule = std::find_if(all.begin(), all.end(), [&](const transition_rule& r) { return action == r.action; });
    if (rule == all.end()) throw problem(schwarm::problems::not_found, "There is no such action");
    auto locked = tx.exec_prepared(lock_project.name, id.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "There is no such project");
    user_id owner{locked[0][0].as<std::int64_t>()};
    auto state = locked[0][1].as<std::string>();
    bool is_owner = owner == by.who.id;
    bool phased = !locked[0][6].is_null(); // made from an idea: public as a draft too
    if (rule->by == mover::owner && !is_owner) {
        // Not the owner's project: as if it did not exist, unless it is public.
        if (state == "draft" && !phased) throw problem(schwarm::problems::not_found, "There is no such project");
        throw problem(schwarm::problems::forbidden, "Only the project's owner may " + spoken_action(action) + " it");
    }
    if (rule->by == mover::staff) {
        if (by.who.role_ != users::role::staff)
            throw problem(schwarm::problems::forbidden, "Only staff may " + spoken_action(action) + " a project");
        // Nobody reviews their own project (risk adds relationships).
        if (is_owner)
            throw problem(schwarm::problems::forbidden,
                          "Staff may not " + spoken_action(action) + " their own project");
    }
    if (std::none_of(rule->from.begin(), rule->from.end(), [&](const char* s) { return state == s; })) {
        throw illegal(action, state);
    }
    if ((action == "reject" || action == "cancel") && reason.empty()) {
        throw field_problem("reason",
                            action == "reject" ? "A rejection needs a reason" : "A cancellation needs a reason");
    }
    bool before_deadline = locked[0][5].as<bool>();
    bool needs_time = action == "approve" || action == "enter_vote" || action == "open_funding" ||
                      (action == "withdraw" && state == "funding");
    if (needs_time && !before_deadline) {
        throw problem(problems::deadline_passed,
                      action == "withdraw"
                          ? "The campaign's deadline has passed: it settles as it stands"
                          : "The project's deadline has passed; it cannot be " +
                                std::string(action == "approve" ? "approved" : "opened for funding or a vote"))
            .with("state", state);
    }
    if (action == "cancel" && state == "funded" && locked[0][2].as<std::string>() != "loan") {
        throw problem(problems::illegal_transition, "A funded campaign was paid out to its owner when it settled")
            .with("state", state);
    }
    const auto& risk = risk_port::current();
    risk_port::transition_request move{id.value,
                                       owner,
                                       locked[0][2].as<std::string>(),
                                       locked[0][3].as<std::int64_t>(),
                                       locked[0][4].as<std::string>(),
                                       action,
                                       state,
                                       rule->to,
                                       by.who,
                                       by.request_id};
    if (auto refused = risk.transition_allowed(tx, move)) throw *refused;
    // A prototype is submitted from its test phase once the window closed.
    if (action == "submit" && phased) phases::submit_prototype(tx, id.value, by);
    tx.exec_prepared(set_state.name, id.value, std::string(rule->to));
    std::optional<user_id> audit_actor;
    if (by.who.id.value != 0) audit_actor = by.who.id; // 0: the platform itself
    audit::write(tx,
                 {audit_actor, "project." + action, "project:" + id.str(), by.request_id,
                  boost::json::serialize(boost::json::object{{"from", state}, {"to", rule->to}, {"reason", reason}})});
    if (rule->announced) {
        boost::json::object told{{"action", action}, {"from", state}, {"to", rule->to}};
        if (!reason.empty()) told["reason"] = reason;
        if (action == "submit" && phased) told["phase"] = "submitted";
        events::publish(tx, events::kinds::project_state_changed, events::subject::of_project(id.value), told,
                        origin_of(by));
    }
    risk.transitioned(tx, move);
    return find(tx, id, by.who);
}

namespace {

// Cursors are the sort key and the id, joined by '.': "d.<deadline µs>.<id>",
// "f.<pledged>.<goal>.<id>", "b.<backers>.<id>"; newest is the bare id.
std::vector<std::int64_t> cursor_numbers(const std::string& cursor, char tag, std::size_t count) {
    auto bad = [] { return field_problem("cursor", "cursor must be a value from an earlier page of the same sort"); };
    std::vector<std::int64_t> out;
    std::string_view rest(cursor);
    if (tag != 0) {
        if (rest.size() < 2 || rest[0] != tag || rest[1] != '.') throw bad();
        rest.remove_prefix(2);
    }
    while (true) {
        auto dot = rest.find('.');
        std::string_view part = rest.substr(0, dot);
        std::int64_t value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec != std::errc{} || end != part.data() + part.size() || part.empty()) throw bad();
        out.push_back(value);
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    if (out.size() != count) throw bad();
    return out;
}

} // namespace

std::string next_cursor(const project& last, listing_order order) {
    switch (order) {
    case listing_order::newest: return last.id.str();
    case listing_order::deadline: return "d." + std::to_string(last.deadline_us) + "." + last.id.str();
    case listing_order::funded:
        return "f." + std::to_string(last.pledged_minor) + "." + std::to_string(last.f.goal_minor) + "." +
               last.id.str();
    case listing_order::backers: return "b." + std::to_string(last.backers) + "." + last.id.str();
    }
    return last.id.str();
}

std::vector<project> list(pqxx::transaction_base& tx, const listing_query& q) {
    std::optional<std::string> states;
    if (!q.states.empty()) states = db::array_literal(q.states);
    bool funding_only = q.states.size() == 1 && q.states[0] == "funding";
    unsigned filters = (funding_only ? only_funding
                        : states     ? has_states
                                     : 0u) |
                       (q.kind ? has_kind : 0u) | (q.category ? has_category : 0u) | (q.text ? has_text : 0u);
    const std::string& statement = listing.name(q.order, filters);
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    pqxx::result rows;
    switch (q.order) {
    case listing_order::newest: {
        std::int64_t before = q.cursor ? cursor_numbers(*q.cursor, 0, 1)[0] : max;
        rows = tx.exec_prepared(statement, states, q.kind, q.category, q.text, before, q.limit);
        break;
    }
    case listing_order::deadline: {
        // About ±3000 years around 1970: inside PostgreSQL's range for timestamps.
        constexpr std::int64_t far_us = 100'000'000'000'000'000;
        auto c = q.cursor ? cursor_numbers(*q.cursor, 'd', 2) : std::vector<std::int64_t>{-far_us, 0};
        if (c[0] < -far_us || c[0] > far_us) {
            throw field_problem("cursor", "cursor must be a value from an earlier page of the same sort");
        }
        rows = tx.exec_prepared(statement, states, q.kind, q.category, q.text, c[0], c[1], q.limit);
        break;
    }
    case listing_order::funded: {
        // Above every real share: pledged can never be a million times the goal.
        auto c = q.cursor ? cursor_numbers(*q.cursor, 'f', 3) : std::vector<std::int64_t>{max, 1, max};
        if (c[1] <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page of the same sort");
        rows = tx.exec_prepared(statement, states, q.kind, q.category, q.text, c[0], c[1], c[2], q.limit);
        break;
    }
    case listing_order::backers: {
        auto c = q.cursor ? cursor_numbers(*q.cursor, 'b', 2) : std::vector<std::int64_t>{max, max};
        rows = tx.exec_prepared(statement, states, q.kind, q.category, q.text, c[0], c[1], q.limit);
        break;
    }
    }
    std::vector<project> out;
    for (const auto& row : rows) out.push_back(read(row));
    return out;
}

std::vector<funding> lock_funding(pqxx::work& tx, std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<funding> out;
    for (const auto& row : tx.exec_prepared(lock_funding_rows.name, db::array_literal(ids)))
        out.push_back(read_funding(row));
    return out;
}

void add_funding(pqxx::work& tx, project_id id, std::int64_t pledged_delta_minor, int backers_delta,
                 bool reflection_begins) {
    tx.exec_prepared(update_funding.name, id.value, pledged_delta_minor, backers_delta, reflection_begins,
                     pledges::reflection_days);
}

std::optional<funding> claim_due(pqxx::work& tx) {
    auto rows = tx.exec_prepared(claim_due_row.name);
    if (rows.empty()) return std::nullopt;
    return read_funding(rows[0]);
}

void clear_funding(pqxx::work& tx, project_id id) { tx.exec_prepared(update_funding_cleared.name, id.value); }

void decide_settlement(pqxx::work& tx, project_id id, const std::string& outcome, std::int64_t fee_minor) {
    tx.exec_prepared(update_settlement.name, id.value, outcome, fee_minor);
}

void set_settlement_aside(pqxx::work& tx, project_id id, const std::string& reason) {
    tx.exec_prepared(update_settlement_aside.name, id.value, reason.substr(0, 1000));
}

void clear_settlement_error(pqxx::work& tx, project_id id) {
    tx.exec_prepared(update_settlement_cleared.name, id.value);
}

settlement_view settlement_of(pqxx::transaction_base& tx, project_id id) {
    auto rows = tx.exec_prepared(select_settlement.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such project");
    return read_settlement(rows[0]);
}

std::vector<settlement_view> settlements_pending(pqxx::transaction_base& tx, bool set_aside_only,
                                                 std::optional<std::int64_t> after_id, int limit) {
    std::vector<settlement_view> out;
    for (const auto& row :
         tx.exec_prepared(select_settlements_pending.name, set_aside_only, after_id.value_or(0), limit)) {
        out.push_back(read_settlement(row));
    }
    return out;
}

std::vector<project> list_own(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before_id,
                              int limit) {
    std::vector<project> out;
    auto rows = tx.exec_prepared(select_own.name, owner.value,
                                 before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit);
    for (const auto& row : rows) out.push_back(read(row));
    return out;
}

namespace {
std::optional<phase_row> read_phase(const pqxx::result& rows) {
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    return phase_row{user_id{r[0].as<std::int64_t>()},
                     r[1].as<std::string>(),
                     db::nullable<std::string>(r[2]),
                     db::nullable<std::int64_t>(r[3]),
                     r[4].as<bool>(),
                     r[5].as<bool>(),
                     db::nullable<std::string>(r[6]),
                     db::nullable<std::string>(r[7])};
}
} // namespace

std::optional<phase_row> phase_of(pqxx::transaction_base& tx, project_id id) {
    return read_phase(tx.exec_prepared(select_phase.name, id.value));
}

std::optional<phase_row> lock_phase(pqxx::work& tx, project_id id) {
    return read_phase(tx.exec_prepared(lock_phase_row.name, id.value));
}

void set_phase(pqxx::work& tx, project_id id, const std::string& phase, std::optional<int> feedback_window_days) {
    tx.exec_prepared(update_phase.name, id.value, phase, feedback_window_days);
}

void link_to_idea(pqxx::work& tx, project_id id, std::int64_t idea) {
    tx.exec_prepared(update_idea_link.name, id.value, idea);
}

} // namespace schwarm::projects
