#include "core/projects.hpp"

#include "core/audit.hpp"
#include "core/db.hpp"
#include "core/money.hpp"
#include "core/risk_port.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace schwarm::projects {

namespace {

#define PROJECT_COLUMNS \
    "p.id, p.owner_id, p.title, p.summary, p.description, p.category, p.kind::text, p.goal_minor, p.currency, " \
    "p.campaign_mode::text, " SCHWARM_SQL_UTC_SECONDS("p.deadline") ", " \
    "p.loan_rate_bp, p.loan_term_months, p.loan_schedule::text, p.state::text, " \
    SCHWARM_SQL_UTC_SECONDS("p.created_at") ", " SCHWARM_SQL_UTC_SECONDS("p.updated_at")

const db::query insert_project{
    "projects.insert",
    "INSERT INTO projects (owner_id, title, summary, description, category, kind, goal_minor, currency, "
    "campaign_mode, deadline, loan_rate_bp, loan_term_months, loan_schedule) "
    "VALUES ($1, $2, $3, $4, $5, $6::project_kind, $7, $8, $9::campaign_mode, $10::timestamptz, $11, $12, "
    "$13::loan_schedule) RETURNING id"};

const db::query update_project{
    "projects.update",
    "UPDATE projects SET title = $2, summary = $3, description = $4, category = $5, kind = $6::project_kind, "
    "goal_minor = $7, currency = $8, campaign_mode = $9::campaign_mode, deadline = $10::timestamptz, "
    "loan_rate_bp = $11, loan_term_months = $12, loan_schedule = $13::loan_schedule, updated_at = now() "
    "WHERE id = $1"};

const db::query select_project{"projects.select", "SELECT " PROJECT_COLUMNS " FROM projects p WHERE p.id = $1"};
const db::query lock_project{
    "projects.lock",
    "SELECT owner_id, state::text, kind::text, goal_minor, currency FROM projects WHERE id = $1 FOR NO KEY UPDATE"};
const db::query set_state{
    "projects.set_state", "UPDATE projects SET state = $2::project_state, updated_at = now() WHERE id = $1"};
const db::query deadline_ok{"projects.deadline_ok", "SELECT $1::timestamptz > now()"};

// Public listing: every state but draft unless states are named; text
// search against both languages; newest first, keyset on id.
const db::query select_listing{
    "projects.list",
    "SELECT " PROJECT_COLUMNS " FROM projects p "
    "WHERE ($1::text[] IS NULL AND p.state <> 'draft' OR p.state::text = ANY($1::text[])) "
    "AND ($2::text IS NULL OR p.kind::text = $2) AND ($3::text IS NULL OR p.category = $3) "
    "AND ($4::text IS NULL OR p.search @@ (websearch_to_tsquery('german', $4) || websearch_to_tsquery('english', $4))) "
    "AND p.id < $5 ORDER BY p.id DESC LIMIT $6"};

const db::query select_own{
    "projects.list_own",
    "SELECT " PROJECT_COLUMNS " FROM projects p WHERE p.owner_id = $1 AND p.id < $2 ORDER BY p.id DESC LIMIT $3"};
#undef PROJECT_COLUMNS

// The one list of lifecycle moves. "Any open state may end rejected or
// withdrawn"; the later moves (votes, funding, loans) come with their issues.
const std::vector<transition_rule>& rules() {
    static const std::vector<transition_rule> all{
        {"submit", {"draft"}, "submitted", true},
        {"withdraw", {"draft", "submitted", "in_review", "approved"}, "withdrawn", true},
        {"start_review", {"submitted"}, "in_review", false},
        {"approve", {"in_review"}, "approved", false},
        {"reject", {"submitted", "in_review", "approved", "in_vote"}, "rejected", false},
        {"open_funding", {"approved", "selected"}, "funding", false},
    };
    return all;
}

project read(const pqxx::row& r) {
    project p;
    p.id = project_id{r[0].as<std::int64_t>()};
    p.owner = user_id{r[1].as<std::int64_t>()};
    p.f = {r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
           r[6].as<std::string>(), r[7].as<std::int64_t>(), r[8].as<std::string>(), r[9].as<std::string>(),
           r[10].as<std::string>(), db::nullable<int>(r[11]), db::nullable<int>(r[12]), db::nullable<std::string>(r[13])};
    p.state = r[14].as<std::string>();
    p.created_at = r[15].as<std::string>();
    p.updated_at = r[16].as<std::string>();
    return p;
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
    if (!currency::parse(f.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    bool category_ok = !f.category.empty() && f.category.size() <= 40 && f.category[0] >= 'a' && f.category[0] <= 'z' &&
                       std::all_of(f.category.begin(), f.category.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                       });
    if (!category_ok) throw field_problem("category", "category must be lower-case letters, digits and -");
    bool loan = f.kind == "loan";
    if (loan != (f.loan_rate_bp && f.loan_term_months && f.loan_schedule)) {
        throw field_problem(loan ? "loan_rate_bp" : "kind",
                            loan ? "A loan needs loan_rate_bp, loan_term_months and loan_schedule"
                                 : "Loan terms belong only to loans");
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
                            f.loan_schedule);
        guard.commit();
    } catch (const pqxx::check_violation&) {
        throw field_problem("summary", "A field is out of range (title 3–200, summary 1–500, description up to "
                                       "20000 characters; loan rate 0–10000 bp, term 1–360 months)");
    }
}

problem illegal(const std::string& action, const std::string& state) {
    return problem(problems::illegal_transition, "Cannot " + action + " a project that is " + state)
        .with("state", state);
}

} // namespace

const std::vector<transition_rule>& transitions() { return rules(); }

project create(pqxx::work& tx, const fields& f, const actor& by) {
    check(tx, f);
    pqxx::result rows;
    try {
        pqxx::subtransaction guard(tx, "project_insert");
        rows = guard.exec_prepared(insert_project.name, by.who.id.value, f.title, f.summary, f.description, f.category,
                                   f.kind, f.goal_minor, f.currency_code, f.campaign_mode, f.deadline, f.loan_rate_bp,
                                   f.loan_term_months, f.loan_schedule);
        guard.commit();
    } catch (const pqxx::check_violation&) {
        throw field_problem("summary", "A field is out of range (title 3–200, summary 1–500, description up to "
                                       "20000 characters; loan rate 0–10000 bp, term 1–360 months)");
    }
    project_id id{rows[0][0].as<std::int64_t>()};
    audit::write(tx, {by.who.id, "project.create", "project:" + id.str(), by.request_id});
    return find(tx, id, by.who);
}

project update(pqxx::work& tx, project_id id, const fields& f, const actor& by) {
    auto locked = tx.exec_prepared(lock_project.name, id.value);
    if (locked.empty() || user_id{locked[0][0].as<std::int64_t>()} != by.who.id) {
        throw problem(schwarm::problems::not_found, "There is no such project of yours");
    }
    auto state = locked[0][1].as<std::string>();
    if (state != "draft") throw illegal("edit", state);
    check(tx, f);
    write_fields(tx, update_project, id.value, f);
    audit::write(tx, {by.who.id, "project.update", "project:" + id.str(), by.request_id});
    return find(tx, id, by.who);
}

project find(pqxx::transaction_base& tx, project_id id, const std::optional<users::principal>& viewer) {
    auto rows = tx.exec_prepared(select_project.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such project");
    project p = read(rows[0]);
    bool private_draft = p.state == "draft" &&
                         !(viewer && (viewer->id == p.owner || viewer->role_ == users::role::staff));
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
    if (rule->by_owner && !is_owner) {
        // Not the owner's project: as if it did not exist, unless it is public.
        if (state == "draft") throw problem(schwarm::problems::not_found, "There is no such project");
        throw problem(schwarm::problems::forbidden, "Only the project's owner may " + action + " it");
    }
    if (!rule->by_owner) {
        if (by.who.role_ != users::role::staff) throw problem(schwarm::problems::forbidden, "Only staff may " + action);
        // Nobody reviews their own project (risk adds relationships).
        if (is_owner) throw problem(schwarm::problems::forbidden, "Staff may not " + action + " their own project");
    }
    if (std::none_of(rule->from.begin(), rule->from.end(), [&](const char* s) { return state == s; })) {
        throw illegal(action, state);
    }
    if (action == "reject" && reason.empty()) throw field_problem("reason", "A rejection needs a reason");
    const auto& risk = risk_port::current();
    risk_port::transition_request move{id.value, owner, locked[0][2].as<std::string>(),
                                       locked[0][3].as<std::int64_t>(), locked[0][4].as<std::string>(),
                                       action, state, rule->to, by.who, by.request_id};
    if (auto refused = risk.transition_allowed(tx, move)) throw *refused;
    tx.exec_prepared(set_state.name, id.value, std::string(rule->to));
    audit::write(tx, {by.who.id, "project." + action, "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"from", state}, {"to", rule->to}, {"reason", reason}})});
    risk.transitioned(tx, move);
    return find(tx, id, by.who);
}

std::vector<project> list(pqxx::transaction_base& tx, const listing_query& q) {
    std::optional<std::string> states;
    if (!q.states.empty()) states = db::array_literal(q.states);
    std::vector<project> out;
    auto rows = tx.exec_prepared(select_listing.name, states, q.kind, q.category, q.text,
                                 q.before_id.value_or(std::numeric_limits<std::int64_t>::max()), q.limit);
    for (const auto& row : rows) out.push_back(read(row));
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

} // namespace schwarm::projects
