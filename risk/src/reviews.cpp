// Loan applications, their credit checks' queue entries, and staff reviews.
#include "internal.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "platform/pledges.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace schwarm::risk {

namespace {

const db::query select_application{
    "risk.application.select",
    "SELECT applicant_type, monthly_income_minor, monthly_expenses_minor, existing_debt_minor, purpose, "
    "years_in_business, " SCHWARM_SQL_UTC_SECONDS("updated_at") " FROM risk_applications WHERE project_id = $1"};
const db::query upsert_application{
    "risk.application.upsert",
    "INSERT INTO risk_applications (project_id, applicant_type, monthly_income_minor, monthly_expenses_minor, "
    "existing_debt_minor, purpose, years_in_business) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (project_id) DO UPDATE SET applicant_type = EXCLUDED.applicant_type, "
    "monthly_income_minor = EXCLUDED.monthly_income_minor, monthly_expenses_minor = EXCLUDED.monthly_expenses_minor, "
    "existing_debt_minor = EXCLUDED.existing_debt_minor, purpose = EXCLUDED.purpose, "
    "years_in_business = EXCLUDED.years_in_business, updated_at = schwarm_now()"};
const db::query insert_check{
    "risk.checks.insert",
    "INSERT INTO risk_checks (project_id, provider, state, request, error, requested_by, finished_at) "
    "VALUES ($1, $2, $3, $4::jsonb, $5, $6, CASE WHEN $3 = 'failed' THEN schwarm_now() END) RETURNING id"};
const db::query select_latest_checks{
    "risk.checks.latest", "SELECT DISTINCT ON (provider) provider, state, decision, score, error FROM risk_checks "
                          "WHERE project_id = $1 ORDER BY provider, id DESC"};
const db::query select_checks{
    "risk.checks.of_project",
    "SELECT id, provider, state, request::text, response::text, score, pd_band, decision, reasons::text, "
    "scorecard_version, error, attempts, " SCHWARM_SQL_UTC_SECONDS("created_at") ", " SCHWARM_SQL_UTC_SECONDS(
        "finished_at") ", duration_ms FROM risk_checks WHERE project_id = $1 ORDER BY id DESC"};
const db::query insert_review{
    "risk.reviews.insert",
    "INSERT INTO risk_reviews (project_id, principal_minor, currency, approvals_needed) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (project_id) DO NOTHING"};
const db::query lock_review{
    "risk.reviews.lock",
    "SELECT state, approvals_needed, round, principal_minor FROM risk_reviews WHERE project_id = $1 FOR UPDATE"};
const db::query select_review{
    "risk.reviews.select",
    "SELECT r.project_id, r.state, r.principal_minor, r.currency, r.approvals_needed, r.round, "
    "(SELECT count(*) FROM risk_review_actions a WHERE a.project_id = r.project_id AND a.round = r.round "
    " AND a.action = 'approve'), d.decision, " SCHWARM_SQL_UTC_SECONDS("r.created_at") ", " SCHWARM_SQL_UTC_SECONDS(
        "r.updated_at") " FROM risk_reviews r "
                        "LEFT JOIN LATERAL (SELECT decision FROM risk_checks c WHERE c.project_id = r.project_id "
                        " AND c.state = 'completed' ORDER BY c.id DESC LIMIT 1) d ON true "
                        "WHERE r.project_id = $1"};
const db::query select_queue{
    "risk.reviews.queue",
    "SELECT r.project_id, r.state, r.principal_minor, r.currency, r.approvals_needed, r.round, "
    "(SELECT count(*) FROM risk_review_actions a WHERE a.project_id = r.project_id AND a.round = r.round "
    " AND a.action = 'approve'), d.decision, " SCHWARM_SQL_UTC_SECONDS("r.created_at") ", " SCHWARM_SQL_UTC_SECONDS(
        "r.updated_at") " FROM risk_reviews r "
                        "LEFT JOIN LATERAL (SELECT decision FROM risk_checks c WHERE c.project_id = r.project_id "
                        " AND c.state = 'completed' ORDER BY c.id DESC LIMIT 1) d ON true "
                        "WHERE ($1::text IS NULL OR r.state = $1) AND ($2::text IS NULL OR d.decision = $2) AND "
                        "r.project_id > $3 "
                        "ORDER BY r.project_id LIMIT $4"};
const db::query select_actions{"risk.reviews.actions",
                               "SELECT id, round, reviewer_id, action, message, " SCHWARM_SQL_UTC_SECONDS(
                                   "created_at") " FROM risk_review_actions WHERE project_id = $1 ORDER BY id"};
const db::query count_approvals{"risk.reviews.approvals",
                                "SELECT count(*) FILTER (WHERE reviewer_id = $3), count(*) FROM risk_review_actions "
                                "WHERE project_id = $1 AND round = $2 AND action = 'approve'"};
const db::query insert_action{
    "risk.reviews.act",
    "INSERT INTO risk_review_actions (project_id, round, reviewer_id, action, message) VALUES ($1, $2, $3, $4, $5)"};
const db::query set_review_state{
    "risk.reviews.set_state", "UPDATE risk_reviews SET state = $2, updated_at = schwarm_now() WHERE project_id = $1"};
const db::query next_round{"risk.reviews.next_round",
                           "UPDATE risk_reviews SET state = 'waiting', round = round + 1, updated_at = schwarm_now() "
                           "WHERE project_id = $1 AND state IN ('waiting', 'info_requested')"};
const db::query select_related{
    "risk.relationships.exists",
    "SELECT EXISTS (SELECT 1 FROM risk_relationships WHERE staff_id = $1 AND customer_id = $2)"};
const db::query insert_relationship{
    "risk.relationships.insert",
    "INSERT INTO risk_relationships (staff_id, customer_id, kind, recorded_by) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (staff_id, customer_id) DO UPDATE SET kind = EXCLUDED.kind"};

projects::project loan_of(pqxx::transaction_base& tx, projects::project_id id, const users::principal& viewer) {
    auto p = projects::find(tx, id, viewer);
    if (p.f.kind != "loan") throw problem(problems::not_a_loan, "Project " + id.str() + " is not a loan");
    return p;
}

boost::json::object application_json(const pqxx::row& r) {
    return {{"applicant_type", r[0].as<std::string>()},
            {"monthly_income_minor", r[1].as<std::int64_t>()},
            {"monthly_expenses_minor", r[2].as<std::int64_t>()},
            {"existing_debt_minor", r[3].as<std::int64_t>()},
            {"purpose", r[4].as<std::string>()},
            {"years_in_business", detail::nullable_int(r[5])},
            {"updated_at", r[6].as<std::string>()}};
}

// What each provider is asked. The scorecard gets the application's
// figures; the bureau only what it needs: no name, no address, no e-mail,
// and the applicant as a pseudonym it can match across its own records.
boost::json::object request_for(const std::string& provider, const settings& s, const projects::project& p,
                                const pqxx::row& app) {
    boost::json::object out{{"applicant_type", app[0].as<std::string>()},
                            {"monthly_income_minor", app[1].as<std::int64_t>()},
                            {"monthly_expenses_minor", app[2].as<std::int64_t>()},
                            {"existing_debt_minor", app[3].as<std::int64_t>()},
                            {"years_in_business", detail::nullable_int(app[5])},
                            {"principal_minor", p.f.goal_minor},
                            {"currency", p.f.currency_code},
                            {"term_months", p.f.loan_term_months.value_or(1)}};
    if (provider == "scorecard") {
        out["purpose"] = app[4].as<std::string>();
        out["rate_bp"] = p.f.loan_rate_bp.value_or(0);
    } else {
        out["subject"] = crypto::hmac_sha256_hex(s.bureau_key, "subject:" + p.owner.str()).substr(0, 32);
    }
    return out;
}

boost::json::object review_json(const pqxx::row& r) {
    return {{"project_id", r[0].as<std::string>()},
            {"state", r[1].as<std::string>()},
            {"principal_minor", r[2].as<std::int64_t>()},
            {"currency", r[3].as<std::string>()},
            {"approvals_needed", r[4].as<int>()},
            {"round", r[5].as<int>()},
            {"approvals", r[6].as<int>()},
            {"latest_decision", detail::nullable_text(r[7])},
            {"created_at", r[8].as<std::string>()},
            {"updated_at", r[9].as<std::string>()}};
}

boost::json::value parsed(const pqxx::field& f) {
    if (f.is_null()) return nullptr;
    return boost::json::parse(f.c_str());
}

struct locked_review {
    std::string state;
    int approvals_needed;
    int round;
};

locked_review lock(pqxx::work& tx, projects::project_id id) {
    auto rows = tx.exec_prepared(lock_review.name, id.value);
    if (rows.empty())
        throw problem(schwarm::problems::not_found, "Project " + id.str() + " has no review (not submitted)");
    return {rows[0][0].as<std::string>(), rows[0][1].as<int>(), rows[0][2].as<int>()};
}

void check_reviewer(pqxx::transaction_base& tx, const projects::project& p, const projects::actor& by) {
    if (p.owner == by.who.id) {
        throw problem(problems::conflict_of_interest, "Staff may not review their own project").with("rule", "owner");
    }
    if (auto refused = detail::conflict(tx, by.who.id, p.id.value, p.owner)) throw *refused;
}

void audit_review(pqxx::work& tx, const char* action, projects::project_id id, const projects::actor& by,
                  boost::json::object details = {}) {
    audit::write(tx, {by.who.id, action, "project:" + id.str(), by.request_id, boost::json::serialize(details)});
}

} // namespace

namespace detail {

std::string str(std::int64_t v) { return std::to_string(v); }

boost::json::value nullable_int(const pqxx::field& f) {
    if (f.is_null()) return nullptr;
    return f.as<std::int64_t>();
}

boost::json::value nullable_text(const pqxx::field& f) {
    if (f.is_null()) return nullptr;
    return boost::json::value(f.as<std::string>());
}

void queue_checks(pqxx::work& tx, const settings& s, const projects::project& p, std::optional<user_id> requested_by) {
    auto app = tx.exec_prepared(select_application.name, p.id.value);
    std::optional<std::int64_t> by;
    if (requested_by) by = requested_by->value;
    static const std::optional<std::string> missing{
        "application-missing: the owner has not declared the credit application (PUT /v1/risk/applications/{id})"};
    static const std::optional<std::string> no_error;
    for (const auto& provider : s.providers) {
        bool have = !app.empty();
        std::string request = have ? boost::json::serialize(request_for(provider, s, p, app[0])) : "{}";
        tx.exec_prepared(insert_check.name, p.id.value, provider, std::string(have ? "queued" : "failed"), request,
                         have ? no_error : missing, by);
    }
}

std::optional<problem> checks_problem(pqxx::transaction_base& tx, const settings& s, std::int64_t project_id) {
    auto rows = tx.exec_prepared(select_latest_checks.name, project_id);
    for (const auto& provider : s.providers) {
        auto it = std::find_if(rows.begin(), rows.end(),
                               [&](const pqxx::row& r) { return r[0].as<std::string>() == provider; });
        if (it == rows.end()) {
            return problem(problems::check_outstanding, "There is no " + provider + " check of this loan")
                .with("provider", provider)
                .with("check_state", "none");
        }
        auto state = (*it)[1].as<std::string>();
        if (state != "completed") {
            return problem(problems::check_outstanding, "The latest " + provider + " check is " + state +
                                                            (state == "failed" ? "; run the checks again" : ""))
                .with("provider", provider)
                .with("check_state", state);
        }
        if ((*it)[2].as<std::string>() == "decline") {
            return problem(problems::check_declined, "The " + provider + " check declined the loan")
                .with("provider", provider)
                .with("score", (*it)[3].is_null() ? boost::json::value(nullptr)
                                                  : boost::json::value((*it)[3].as<std::int64_t>()));
        }
    }
    return std::nullopt;
}

std::optional<problem> conflict(pqxx::transaction_base& tx, user_id staff, std::int64_t project_id, user_id owner) {
    if (staff == owner) {
        return problem(problems::conflict_of_interest, "Staff may not review their own project").with("rule", "owner");
    }
    if (pledges::has_backed(tx, staff, project_id)) {
        return problem(problems::conflict_of_interest, "Staff may not review a project they back")
            .with("rule", "backer");
    }
    if (tx.exec_prepared(select_related.name, staff.value, owner.value)[0][0].as<bool>()) {
        return problem(problems::conflict_of_interest, "Staff may not review a project of someone they are related to")
            .with("rule", "relationship");
    }
    return std::nullopt;
}

void close_review(pqxx::work& tx, std::int64_t project_id, const std::string& state) {
    tx.exec_prepared(set_review_state.name, project_id, state);
}

void open_review(pqxx::work& tx, const settings& s, std::int64_t project_id) {
    auto p = projects::find(tx, projects::project_id{project_id}, std::nullopt);
    int needed = p.f.goal_minor > s.four_eyes_above_minor ? 2 : 1;
    tx.exec_prepared(insert_review.name, project_id, p.f.goal_minor, p.f.currency_code, needed);
    queue_checks(tx, s, p, std::nullopt);
}

std::optional<problem> approval_problem(pqxx::transaction_base& tx, const settings& s, std::int64_t project_id) {
    auto rows = tx.exec_prepared(select_review.name, project_id);
    if (rows.empty()) {
        return problem(problems::review_incomplete, "The loan has no staff review");
    }
    auto state = rows[0][1].as<std::string>();
    if (state != "waiting") {
        return problem(problems::review_state, "The review is " + state).with("review_state", state);
    }
    int needed = rows[0][4].as<int>();
    int approvals = rows[0][6].as<int>();
    if (approvals < needed) {
        return problem(problems::review_incomplete, "The loan has " + std::to_string(approvals) + " of " +
                                                        std::to_string(needed) +
                                                        " staff approvals; approve through POST /v1/risk/reviews/" +
                                                        std::to_string(project_id) + "/approve")
            .with("approvals", approvals)
            .with("approvals_needed", needed)
            .with("four_eyes_above_minor", s.four_eyes_above_minor);
    }
    return checks_problem(tx, s, project_id);
}

} // namespace detail

boost::json::object put_application(pqxx::work& tx, const settings& s, projects::project_id project,
                                    const application_input& in, const projects::actor& by) {
    auto p = projects::find(tx, project, by.who);
    if (p.owner != by.who.id) throw problem(schwarm::problems::not_found, "There is no such project of yours");
    if (p.f.kind != "loan") throw problem(problems::not_a_loan, "Project " + project.str() + " is not a loan");
    if (p.state != "draft" && p.state != "submitted" && p.state != "in_review") {
        throw problem(problems::application_closed,
                      "The application of a project that is " + p.state + " can no longer be changed")
            .with("state", p.state);
    }
    if (in.applicant_type != "person" && in.applicant_type != "company") {
        throw field_problem("applicant_type", "applicant_type must be person or company");
    }
    if ((in.applicant_type == "company") != in.years_in_business.has_value()) {
        throw field_problem("years_in_business", "years_in_business is required for companies and only for them");
    }
    for (auto [field, value] : {std::pair{"monthly_income_minor", in.monthly_income_minor},
                                std::pair{"monthly_expenses_minor", in.monthly_expenses_minor},
                                std::pair{"existing_debt_minor", in.existing_debt_minor}}) {
        if (value < 0) throw field_problem(field, std::string(field) + " must not be negative");
    }
    bool purpose_ok =
        !in.purpose.empty() && in.purpose.size() <= 40 && in.purpose[0] >= 'a' && in.purpose[0] <= 'z' &&
        std::all_of(in.purpose.begin(), in.purpose.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
    if (!purpose_ok) throw field_problem("purpose", "purpose must be lower-case letters and _, e.g. energy");
    tx.exec_prepared(upsert_application.name, project.value, in.applicant_type, in.monthly_income_minor,
                     in.monthly_expenses_minor, in.existing_debt_minor, in.purpose, in.years_in_business);
    audit_review(tx, "risk.application.update", project, by);
    // A changed application after submission: approvals so far no longer
    // count, and the checks run again on the new figures.
    if (tx.exec_prepared(next_round.name, project.value).affected_rows() > 0) detail::queue_checks(tx, s, p, by.who.id);
    return read_application(tx, project, by.who);
}

boost::json::object read_application(pqxx::transaction_base& tx, projects::project_id project,
                                     const users::principal& viewer) {
    auto p = projects::find(tx, project, viewer);
    if (viewer.role_ != users::role::staff && p.owner != viewer.id) {
        throw problem(schwarm::problems::not_found, "There is no such project of yours");
    }
    auto rows = tx.exec_prepared(select_application.name, project.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "The project has no credit application yet");
    auto out = application_json(rows[0]);
    out["project_id"] = project.str();
    return out;
}

boost::json::array list_reviews(pqxx::transaction_base& tx, const review_filter& f) {
    boost::json::array out;
    for (const auto& row :
         tx.exec_prepared(select_queue.name, f.state, f.decision, f.after_project_id.value_or(0), f.limit)) {
        out.push_back(review_json(row));
    }
    return out;
}

boost::json::object read_review(pqxx::transaction_base& tx, projects::project_id project) {
    auto rows = tx.exec_prepared(select_review.name, project.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "Project " + project.str() + " has no review");
    auto out = review_json(rows[0]);
    auto p = projects::find(tx, project, std::nullopt);
    out["project"] = {{"title", p.f.title},
                      {"owner_id", p.owner.str()},
                      {"state", p.state},
                      {"term_months", p.f.loan_term_months.value_or(0)},
                      {"rate_bp", p.f.loan_rate_bp.value_or(0)}};
    auto app = tx.exec_prepared(select_application.name, project.value);
    out["application"] = app.empty() ? boost::json::value(nullptr) : boost::json::value(application_json(app[0]));
    boost::json::array checks;
    for (const auto& r : tx.exec_prepared(select_checks.name, project.value)) {
        checks.push_back({{"id", r[0].as<std::string>()},
                          {"provider", r[1].as<std::string>()},
                          {"state", r[2].as<std::string>()},
                          {"request", parsed(r[3])},
                          {"response", parsed(r[4])},
                          {"score", detail::nullable_int(r[5])},
                          {"pd_band", detail::nullable_text(r[6])},
                          {"decision", detail::nullable_text(r[7])},
                          {"reasons", parsed(r[8])},
                          {"scorecard_version", detail::nullable_int(r[9])},
                          {"error", detail::nullable_text(r[10])},
                          {"attempts", r[11].as<int>()},
                          {"created_at", r[12].as<std::string>()},
                          {"finished_at", detail::nullable_text(r[13])},
                          {"duration_ms", detail::nullable_int(r[14])}});
    }
    out["checks"] = std::move(checks);
    boost::json::array actions;
    for (const auto& r : tx.exec_prepared(select_actions.name, project.value)) {
        actions.push_back({{"id", r[0].as<std::string>()},
                           {"round", r[1].as<int>()},
                           {"reviewer_id", r[2].as<std::string>()},
                           {"action", r[3].as<std::string>()},
                           {"message", r[4].as<std::string>()},
                           {"at", r[5].as<std::string>()}});
    }
    out["actions"] = std::move(actions);
    return out;
}

boost::json::object approve(pqxx::work& tx, const settings& s, projects::project_id project,
                            const projects::actor& by) {
    auto p = loan_of(tx, project, by.who);
    check_reviewer(tx, p, by);
    auto review = lock(tx, project);
    if (review.state != "waiting") {
        throw problem(problems::review_state, "The review is " + review.state).with("review_state", review.state);
    }
    if (auto outstanding = detail::checks_problem(tx, s, project.value)) throw *outstanding;
    auto counts = tx.exec_prepared(count_approvals.name, project.value, review.round, by.who.id.value);
    if (counts[0][0].as<int>() > 0) {
        throw problem(problems::already_approved, "You have already approved this loan; a second staff member must")
            .with("approvals", counts[0][1].as<std::string>())
            .with("approvals_needed", review.approvals_needed);
    }
    if (p.state == "submitted") projects::transition(tx, project, "start_review", "", by);
    tx.exec_prepared(insert_action.name, project.value, review.round, by.who.id.value, std::string("approve"),
                     std::string());
    int approvals = counts[0][1].as<int>() + 1;
    audit_review(tx, "risk.review.approve", project, by,
                 {{"round", review.round}, {"approvals", approvals}, {"approvals_needed", review.approvals_needed}});
    if (approvals >= review.approvals_needed) projects::transition(tx, project, "approve", "", by);
    return read_review(tx, project);
}

boost::json::object reject(pqxx::work& tx, projects::project_id project, const std::string& reason,
                           const projects::actor& by) {
    if (reason.empty()) throw field_problem("reason", "A rejection needs a reason");
    auto p = loan_of(tx, project, by.who);
    check_reviewer(tx, p, by);
    auto review = lock(tx, project);
    if (review.state != "waiting" && review.state != "info_requested") {
        throw problem(problems::review_state, "The review is " + review.state).with("review_state", review.state);
    }
    tx.exec_prepared(insert_action.name, project.value, review.round, by.who.id.value, std::string("reject"), reason);
    audit_review(tx, "risk.review.reject", project, by, {{"round", review.round}});
    projects::transition(tx, project, "reject", reason, by);
    return read_review(tx, project);
}

boost::json::object request_info(pqxx::work& tx, projects::project_id project, const std::string& message,
                                 const projects::actor& by) {
    if (message.empty()) throw field_problem("message", "Say what information is needed");
    auto p = loan_of(tx, project, by.who);
    check_reviewer(tx, p, by);
    auto review = lock(tx, project);
    if (review.state != "waiting") {
        throw problem(problems::review_state, "The review is " + review.state).with("review_state", review.state);
    }
    tx.exec_prepared(insert_action.name, project.value, review.round, by.who.id.value, std::string("request_info"),
                     message);
    tx.exec_prepared(set_review_state.name, project.value, std::string("info_requested"));
    audit_review(tx, "risk.review.request_info", project, by, {{"round", review.round}});
    return read_review(tx, project);
}

boost::json::object rerun_checks(pqxx::work& tx, const settings& s, projects::project_id project,
                                 const projects::actor& by) {
    auto p = loan_of(tx, project, by.who);
    check_reviewer(tx, p, by);
    auto review = lock(tx, project);
    if (review.state != "waiting" && review.state != "info_requested") {
        throw problem(problems::review_state, "The review is " + review.state).with("review_state", review.state);
    }
    detail::queue_checks(tx, s, p, by.who.id);
    audit_review(tx, "risk.checks.rerun", project, by);
    return read_review(tx, project);
}

void record_relationship(pqxx::work& tx, user_id staff, user_id customer, const std::string& kind,
                         const projects::actor& by) {
    if (staff == customer) throw field_problem("customer_id", "A relationship is between two people");
    auto account = users::find(tx, staff);
    if (account.role_ != users::role::staff) throw field_problem("staff_id", "staff_id must name a staff member");
    users::find(tx, customer);
    tx.exec_prepared(insert_relationship.name, staff.value, customer.value, kind, by.who.id.value);
    audit::write(tx, {by.who.id, "risk.relationship.record", "user:" + staff.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"customer_id", customer.str()}, {"kind", kind}})});
}

} // namespace schwarm::risk
