// What risk holds about a person, for their data export (GDPR art. 15 and
// 20): the investor profile, knowledge tests, sophistication requests,
// relationships recorded with staff, and the credit applications and checks
// of their loan projects. Kept after an erasure for the periods of
// docs/data-rights.md; nothing here names the person but by id.
#include "risk/risk.hpp"

#include "base/db.hpp"

#include <boost/json/parse.hpp>

namespace schwarm::risk {

namespace {

// Each list is one jsonb array of the rows of its SELECT.
const db::query select_personal_data{
    "risk.personal_data",
    "SELECT jsonb_build_object("
    "'investor_profile', (SELECT to_jsonb(p) FROM risk_investor_profiles p WHERE p.user_id = $1), "
    "'knowledge_tests', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM ("
    "  SELECT id, answers, correct, questions, passed, taken_at, expires_at FROM risk_knowledge_tests"
    "  WHERE user_id = $1) t), "
    "'sophistication_requests', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM ("
    "  SELECT id, evidence, state, reason, created_at, decided_at FROM risk_sophistication_requests"
    "  WHERE user_id = $1) t), "
    "'relationships_with_staff', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.staff_id), '[]') FROM ("
    "  SELECT staff_id, kind, created_at FROM risk_relationships WHERE customer_id = $1) t), "
    "'credit_applications', (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.project_id), '[]') "
    "  FROM risk_applications a JOIN projects pr ON pr.id = a.project_id WHERE pr.owner_id = $1), "
    "'credit_checks', (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.id), '[]') "
    "  FROM risk_checks c JOIN projects pr ON pr.id = c.project_id WHERE pr.owner_id = $1))::text"};

} // namespace

boost::json::object personal_data(pqxx::transaction_base& tx, user_id who) {
    auto rows = tx.exec_prepared(select_personal_data.name, who.value);
    return boost::json::parse(rows[0][0].as<std::string>()).as_object();
}

} // namespace schwarm::risk
