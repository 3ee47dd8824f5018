// Investor protection (EU crowdfunding regulation 2020/1503 art. 21): the
// investor's category, declared net worth, loss simulation, entry knowledge
// test, and the rules a pledge must pass.
#include "internal.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "base/money.hpp"
#include "platform/pledges.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <set>

namespace schwarm::risk {

namespace {

// Serialises the per-owner limit across concurrent pledge transactions: two
// pledges to two loans of one owner (different project rows) would each read
// the same 12-month sum otherwise. Taken after the project rows (as every
// pledge transaction does), in owner order, so no two wait on each other.
constexpr int owner_limit_lock_space = 0x5c4a0002;
const db::query lock_owner{"risk.investors.lock_owner", "SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::integer)"};

const db::query select_sophisticated{
    "risk.investors.sophisticated",
    "SELECT user_id FROM risk_investor_profiles WHERE user_id = ANY($1::bigint[]) AND category = 'sophisticated'"};
const db::query select_profile{
    "risk.investors.profile",
    "SELECT category, annual_income_minor, liquid_assets_minor, annual_commitments_minor, " SCHWARM_SQL_UTC_SECONDS(
        "declared_at") ", " SCHWARM_SQL_UTC_SECONDS("loss_simulated_at") " FROM risk_investor_profiles WHERE user_id = "
                                                                         "$1"};
const db::query upsert_profile{
    "risk.investors.upsert_profile",
    "INSERT INTO risk_investor_profiles (user_id, annual_income_minor, liquid_assets_minor, annual_commitments_minor, "
    "declared_at) VALUES ($1, $2, $3, $4, schwarm_now()) ON CONFLICT (user_id) DO UPDATE SET "
    "annual_income_minor = EXCLUDED.annual_income_minor, liquid_assets_minor = EXCLUDED.liquid_assets_minor, "
    "annual_commitments_minor = EXCLUDED.annual_commitments_minor, declared_at = schwarm_now(), "
    // The simulation showed the loss for the figures then declared.
    "loss_simulated_at = NULL, updated_at = schwarm_now()"};
const db::query set_simulated{"risk.investors.simulated",
                              "UPDATE risk_investor_profiles SET loss_simulated_at = schwarm_now(), updated_at = "
                              "schwarm_now() WHERE user_id = $1"};
const db::query set_category{
    "risk.investors.category",
    "INSERT INTO risk_investor_profiles (user_id, category) VALUES ($1, $2) "
    "ON CONFLICT (user_id) DO UPDATE SET category = EXCLUDED.category, updated_at = schwarm_now()"};
const db::query select_latest_test{
    "risk.investors.latest_test",
    "SELECT passed, correct, questions, " SCHWARM_SQL_UTC_SECONDS("taken_at") ", " SCHWARM_SQL_UTC_SECONDS(
        "expires_at") ", expires_at > schwarm_now() FROM risk_knowledge_tests WHERE user_id = $1 ORDER BY id DESC "
                      "LIMIT 1"};
const db::query select_questions{
    "risk.investors.questions",
    "SELECT id, text, options::text, correct FROM risk_knowledge_questions WHERE active ORDER BY position"};
const db::query insert_test{
    "risk.investors.insert_test",
    "INSERT INTO risk_knowledge_tests (user_id, answers, correct, questions, passed, expires_at) "
    "VALUES ($1, $2::jsonb, $3, $4, $5, schwarm_local_add(schwarm_now(), $6 * interval '1 year')) "
    "RETURNING " SCHWARM_SQL_UTC_SECONDS("expires_at")};
const db::query insert_request{"risk.investors.request_sophistication",
                               "INSERT INTO risk_sophistication_requests (user_id, evidence) VALUES ($1, $2) "
                               "ON CONFLICT (user_id) WHERE state = 'pending' DO NOTHING RETURNING id"};
const db::query select_requests{
    "risk.investors.requests",
    "SELECT id, user_id, evidence, state, decided_by, reason, " SCHWARM_SQL_UTC_SECONDS(
        "created_at") ", " SCHWARM_SQL_UTC_SECONDS("decided_at") " FROM risk_sophistication_requests "
                                                                 "WHERE ($1::text IS NULL OR state = $1) AND id > $2 "
                                                                 "ORDER BY id LIMIT $3"};
const db::query select_open_request{
    "risk.investors.open_request",
    "SELECT id, " SCHWARM_SQL_UTC_SECONDS(
        "created_at") " FROM risk_sophistication_requests WHERE user_id = $1 AND state = 'pending'"};
const db::query lock_request{"risk.investors.lock_request",
                             "SELECT user_id, state FROM risk_sophistication_requests WHERE id = $1 FOR UPDATE"};
const db::query decide_request{
    "risk.investors.decide_request",
    "UPDATE risk_sophistication_requests SET state = $2, decided_by = $3, reason = $4, decided_at = schwarm_now() "
    "WHERE id = $1"};

constexpr int pass_percent = 80;
constexpr std::size_t answers_max = 100;

// What the pledge rules need to know of one investor.
struct investor_facts {
    bool sophisticated = false;
    std::optional<std::int64_t> net_worth_minor; // declared
    bool loss_simulated = false;
    std::string test_status = "none"; // none | failed | expired | passed
};

// Income plus liquid assets minus commitments; nullopt before a declaration.
std::optional<std::int64_t> net_worth(const pqxx::row& profile) {
    if (profile[1].is_null() || profile[2].is_null() || profile[3].is_null()) return std::nullopt;
    __int128 w = static_cast<__int128>(profile[1].as<std::int64_t>()) + profile[2].as<std::int64_t>() -
                 profile[3].as<std::int64_t>();
    return static_cast<std::int64_t>(w); // each term is a bigint ≥ 0: the sum of two fits after the subtraction
}

investor_facts facts_of(pqxx::transaction_base& tx, user_id who) {
    investor_facts f;
    auto profile = tx.exec_prepared(select_profile.name, who.value);
    if (!profile.empty()) {
        f.sophisticated = profile[0][0].as<std::string>() == "sophisticated";
        f.net_worth_minor = net_worth(profile[0]);
        f.loss_simulated = !profile[0][5].is_null();
    }
    auto test = tx.exec_prepared(select_latest_test.name, who.value);
    if (!test.empty()) {
        bool passed = test[0][0].as<bool>();
        bool current = test[0][5].as<bool>();
        f.test_status = !current ? "expired" : passed ? "passed" : "failed";
    }
    return f;
}

// The risk warning's threshold: the higher of EUR 1,000 and 5 % of net worth.
std::int64_t warning_threshold(const investor_facts& f) {
    std::int64_t share =
        f.net_worth_minor && *f.net_worth_minor > 0
            ? static_cast<std::int64_t>(static_cast<__int128>(*f.net_worth_minor) * warning_net_worth_bp / 10000)
            : 0;
    return std::max(warning_floor_minor, share);
}

std::int64_t saturating_sum(std::int64_t a, std::int64_t b) { return checked_add(a, b).value_or(INT64_MAX); }

} // namespace

// --- the pledge rules ------------------------------------------------------------

namespace {

// What a span of pledge requests has seen so far, per backer, project and
// owner: read from the database at a key's first request, then counting the
// requests allowed before in the span (not yet in the database).
struct span_state {
    std::map<std::int64_t, investor_facts> investors;
    std::map<std::int64_t, bool> pledged_to_loan;                              // by backer
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> per_project; // (backer, project) → pledged so far
    std::map<std::int64_t, std::int64_t> per_owner;                            // owner → raised in 12 months so far
};

// One loan pledge request against what came before it.
struct pledge_view {
    const investor_facts& facts;
    bool& pledged_to_loan;
    std::int64_t& pledged_here;
    std::int64_t& raised_by_owner;
    std::int64_t total_here = 0;  // with this request
    std::int64_t total_owner = 0; // with this request
};

// The per-owner limit's lock, for every loan owner of the span, in owner order.
void lock_owners(pqxx::work& tx, std::span<const risk_port::pledge_request> requests) {
    std::set<std::int64_t> owners;
    for (const auto& r : requests) {
        if (r.project_kind == "loan") owners.insert(r.project_owner.value);
    }
    for (auto owner : owners) tx.exec_prepared(lock_owner.name, owner_limit_lock_space, owner);
}

pledge_view view_of(pqxx::work& tx, span_state& span, const risk_port::pledge_request& r) {
    auto& facts = span.investors.try_emplace(r.backer.value, facts_of(tx, r.backer)).first->second;
    auto [seen, fresh] = span.pledged_to_loan.try_emplace(r.backer.value, false);
    if (fresh) seen->second = pledges::has_pledged_to_loan(tx, r.backer);
    auto [so_far, first_here] = span.per_project.try_emplace(std::pair{r.backer.value, r.project_id}, 0);
    if (first_here) so_far->second = pledges::pledged_by(tx, r.backer, r.project_id);
    auto [raised, first_owner] = span.per_owner.try_emplace(r.project_owner.value, 0);
    if (first_owner) raised->second = pledges::raised_by_owner_last_12_months(tx, r.project_owner);
    return {facts,
            seen->second,
            so_far->second,
            raised->second,
            saturating_sum(so_far->second, r.amount_minor),
            saturating_sum(raised->second, r.amount_minor)};
}

// Art. 21: before a first loan pledge the entry test and the loss simulation;
// above the warning threshold, an acknowledged risk warning. For
// non-sophisticated investors only.
std::optional<problem> protection_problem(const pledge_view& v, const risk_port::pledge_request& r) {
    const investor_facts& facts = v.facts;
    bool first_loan = !v.pledged_to_loan;
    if ((first_loan && facts.test_status != "passed") || facts.test_status == "expired") {
        return problem(problems::knowledge_test_required,
                       "Before a first loan pledge a non-sophisticated investor passes the entry knowledge "
                       "test (valid " +
                           std::to_string(knowledge_test_valid_years) + " years); yours: " + facts.test_status)
            .with("rule", "EU 2020/1503 art. 21(2)(a): entry knowledge test")
            .with("test_status", facts.test_status);
    }
    if (first_loan && !facts.loss_simulated) {
        return problem(problems::loss_simulation_required,
                       "Before a first loan pledge a non-sophisticated investor declares their net worth and "
                       "runs the loss simulation (10% of net worth)")
            .with("rule", "EU 2020/1503 art. 21(2)(b): simulation of the ability to bear loss")
            .with("profile_declared", facts.net_worth_minor.has_value());
    }
    std::int64_t threshold = warning_threshold(facts);
    if (v.total_here > threshold && !r.risk_acknowledged) {
        return problem(problems::acknowledgement_required,
                       "Pledges of " + std::to_string(v.total_here) + " to this project exceed " +
                           std::to_string(threshold) +
                           " (the higher of EUR 1,000 and 5% of net worth): acknowledge the risk warning")
            .with("rule", "EU 2020/1503 art. 21(7): risk warning above EUR 1,000 or 5% of net worth")
            .with("threshold_minor", threshold)
            .with("total_minor", v.total_here)
            .with("net_worth_minor",
                  facts.net_worth_minor ? boost::json::value(*facts.net_worth_minor) : boost::json::value(nullptr));
    }
    return std::nullopt;
}

// The limits per investor per project and per owner per 12 months, for
// every investor.
std::optional<problem> limit_problem(const settings& s, const pledge_view& v, const risk_port::pledge_request& r) {
    if (v.total_here > s.pledge_limit_per_project_minor) {
        return problem(problems::investor_project_limit, "Pledges to one project are limited to " +
                                                             std::to_string(s.pledge_limit_per_project_minor) +
                                                             " per investor")
            .with("rule", "per investor per project")
            .with("limit_minor", s.pledge_limit_per_project_minor)
            .with("pledged_minor", v.pledged_here)
            .with("requested_minor", r.amount_minor);
    }
    if (v.total_owner > s.owner_limit_minor) {
        return problem(problems::owner_limit, "The project's owner may raise at most " +
                                                  std::to_string(s.owner_limit_minor) +
                                                  " in 12 months across the platform")
            .with("rule", "EU 2020/1503 art. 1(2)(c): EUR 5,000,000 per project owner per 12 months")
            .with("limit_minor", s.owner_limit_minor)
            .with("raised_minor", v.raised_by_owner)
            .with("requested_minor", r.amount_minor);
    }
    return std::nullopt;
}

// Allowed: later requests of the same span count it.
void count_allowed(pledge_view& v) {
    v.pledged_here = v.total_here;
    v.raised_by_owner = v.total_owner;
    v.pledged_to_loan = true;
}

} // namespace

std::vector<std::optional<problem>> gate::pledges_allowed(pqxx::work& tx,
                                                          std::span<const risk_port::pledge_request> requests) const {
    std::vector<std::optional<problem>> out(requests.size());
    lock_owners(tx, requests);
    span_state span;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        // The regulation covers crowdfunding services: loans here. Donations
        // and rewards are not investments.
        if (r.project_kind != "loan") continue;
        auto view = view_of(tx, span, r);
        if (!view.facts.sophisticated) out[i] = protection_problem(view, r);
        if (!out[i]) out[i] = limit_problem(settings_, view, r);
        if (!out[i]) count_allowed(view);
    }
    return out;
}

std::vector<bool> gate::may_revoke(pqxx::transaction_base& tx, std::span<const user_id> backers) const {
    std::vector<std::int64_t> ids;
    for (auto b : backers) ids.push_back(b.value);
    std::set<std::int64_t> sophisticated;
    for (const auto& row : tx.exec_prepared(select_sophisticated.name, db::array_literal(ids))) {
        sophisticated.insert(row[0].as<std::int64_t>());
    }
    std::vector<bool> out;
    for (auto b : backers) out.push_back(!sophisticated.contains(b.value));
    return out;
}

// --- the investor's own records -----------------------------------------------------

boost::json::object read_investor(pqxx::transaction_base& tx, user_id who) {
    auto profile = tx.exec_prepared(select_profile.name, who.value);
    boost::json::object out{{"user_id", who.str()}, {"category", "non_sophisticated"}};
    boost::json::value declared = nullptr;
    std::optional<std::int64_t> worth;
    if (!profile.empty()) {
        const auto& p = profile[0];
        out["category"] = p[0].as<std::string>();
        worth = net_worth(p);
        if (worth) {
            declared = {{"annual_income_minor", p[1].as<std::int64_t>()},
                        {"liquid_assets_minor", p[2].as<std::int64_t>()},
                        {"annual_commitments_minor", p[3].as<std::int64_t>()},
                        {"net_worth_minor", *worth},
                        {"declared_at", p[4].as<std::string>()}};
        }
        out["loss_simulated_at"] = detail::nullable_text(p[5]);
    } else {
        out["loss_simulated_at"] = nullptr;
    }
    out["profile"] = declared;
    investor_facts f = facts_of(tx, who);
    out["risk_warning_threshold_minor"] = warning_threshold(f);
    auto test = tx.exec_prepared(select_latest_test.name, who.value);
    if (test.empty()) {
        out["knowledge_test"] = {{"status", "none"}};
    } else {
        out["knowledge_test"] = {{"status", f.test_status},
                                 {"correct", test[0][1].as<int>()},
                                 {"questions", test[0][2].as<int>()},
                                 {"taken_at", test[0][3].as<std::string>()},
                                 {"expires_at", test[0][4].as<std::string>()}};
    }
    auto open = tx.exec_prepared(select_open_request.name, who.value);
    out["sophistication_request"] =
        open.empty()
            ? boost::json::value(nullptr)
            : boost::json::value({{"id", open[0][0].as<std::string>()}, {"created_at", open[0][1].as<std::string>()}});
    out["may_revoke"] = !f.sophisticated;
    return out;
}

boost::json::object put_profile(pqxx::work& tx, user_id who, const profile_input& in, const std::string& request_id) {
    for (auto [field, value] : {std::pair{"annual_income_minor", in.annual_income_minor},
                                std::pair{"liquid_assets_minor", in.liquid_assets_minor},
                                std::pair{"annual_commitments_minor", in.annual_commitments_minor}}) {
        if (value < 0) throw field_problem(field, std::string(field) + " must not be negative");
    }
    tx.exec_prepared(upsert_profile.name, who.value, in.annual_income_minor, in.liquid_assets_minor,
                     in.annual_commitments_minor);
    // The figures are personal data: the audit record says that they changed, not what they are.
    audit::write(tx, {who, "risk.investor.profile", "user:" + who.str(), request_id});
    return read_investor(tx, who);
}

boost::json::object run_loss_simulation(pqxx::work& tx, user_id who, const std::string& request_id) {
    auto profile = tx.exec_prepared(select_profile.name, who.value);
    auto worth = profile.empty() ? std::nullopt : net_worth(profile[0]);
    if (!worth)
        throw problem(problems::profile_required,
                      "Declare income, liquid assets and commitments first (PUT /v1/risk/investor/profile)");
    tx.exec_prepared(set_simulated.name, who.value);
    audit::write(tx, {who, "risk.investor.loss_simulation", "user:" + who.str(), request_id});
    std::int64_t capacity =
        *worth > 0 ? static_cast<std::int64_t>(static_cast<__int128>(*worth) * loss_simulation_bp / 10000) : 0;
    return {{"net_worth_minor", *worth},
            {"loss_capacity_minor", capacity},
            {"loss_capacity_bp", loss_simulation_bp},
            {"explanation", "You could lose all of any amount you lend. Losing more than the loss capacity shown (10% "
                            "of your net worth) could affect your standard of living."},
            {"simulated", true}};
}

boost::json::array knowledge_questions(pqxx::transaction_base& tx) {
    boost::json::array out;
    for (const auto& r : tx.exec_prepared(select_questions.name)) {
        out.push_back({{"id", r[0].as<std::string>()},
                       {"text", r[1].as<std::string>()},
                       {"options", boost::json::parse(r[2].c_str())}});
    }
    return out;
}

boost::json::object take_knowledge_test(pqxx::work& tx, user_id who, const std::vector<answer>& answers,
                                        const std::string& request_id) {
    if (answers.size() > answers_max) throw field_problem("answers", "Too many answers");
    struct question {
        std::size_t options;
        int correct;
    };
    std::map<std::string, question> questions;
    for (const auto& r : tx.exec_prepared(select_questions.name)) {
        questions[r[0].as<std::string>()] = {boost::json::parse(r[2].c_str()).as_array().size(), r[3].as<int>()};
    }
    std::set<std::string> answered;
    int correct = 0;
    boost::json::array stored;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& a = answers[i];
        auto field = "answers[" + std::to_string(i) + "]";
        auto q = questions.find(a.question_id);
        if (q == questions.end()) {
            throw field_problem(field + ".question_id", "There is no question " + a.question_id)
                .with("question_id", a.question_id);
        }
        if (!answered.insert(a.question_id).second) {
            throw field_problem(field + ".question_id", "Question " + a.question_id + " is answered twice");
        }
        if (a.option < 0 || static_cast<std::size_t>(a.option) >= q->second.options) {
            throw field_problem(field + ".option", "Question " + a.question_id + " has options 0 to " +
                                                       std::to_string(q->second.options - 1));
        }
        if (a.option == q->second.correct) ++correct;
        stored.push_back({{"question_id", a.question_id}, {"option", a.option}});
    }
    for (const auto& [id, q] : questions) {
        if (!answered.contains(id))
            throw field_problem("answers", "Question " + id + " is not answered").with("question_id", id);
    }
    int total = static_cast<int>(questions.size());
    bool passed = correct * 100 >= total * pass_percent;
    auto expires = tx.exec_prepared(insert_test.name, who.value, boost::json::serialize(stored), correct, total, passed,
                                    knowledge_test_valid_years);
    audit::write(tx, {who, "risk.investor.knowledge_test", "user:" + who.str(), request_id,
                      boost::json::serialize(boost::json::object{{"passed", passed}})});
    return {{"passed", passed},
            {"correct", correct},
            {"questions", total},
            {"pass_percent", pass_percent},
            {"expires_at", expires[0][0].as<std::string>()}};
}

boost::json::object request_sophistication(pqxx::work& tx, user_id who, const std::string& evidence,
                                           const std::string& request_id) {
    if (evidence.empty()) throw field_problem("evidence", "Describe why you qualify as a sophisticated investor");
    auto rows = tx.exec_prepared(insert_request.name, who.value, evidence);
    if (rows.empty())
        throw problem(schwarm::problems::conflict, "A request of yours is already waiting for a decision");
    audit::write(tx, {who, "risk.investor.sophistication_request", "user:" + who.str(), request_id});
    return {{"id", rows[0][0].as<std::string>()}, {"state", "pending"}};
}

boost::json::array list_sophistication_requests(pqxx::transaction_base& tx, std::optional<std::string> state,
                                                std::optional<std::int64_t> after_id, int limit) {
    boost::json::array out;
    for (const auto& r : tx.exec_prepared(select_requests.name, state, after_id.value_or(0), limit)) {
        out.push_back(
            {{"id", r[0].as<std::string>()},
             {"user_id", r[1].as<std::string>()},
             {"evidence", r[2].as<std::string>()},
             {"state", r[3].as<std::string>()},
             {"decided_by", r[4].is_null() ? boost::json::value(nullptr) : boost::json::value(r[4].as<std::string>())},
             {"reason", detail::nullable_text(r[5])},
             {"created_at", r[6].as<std::string>()},
             {"decided_at", detail::nullable_text(r[7])}});
    }
    return out;
}

boost::json::object decide_sophistication(pqxx::work& tx, std::int64_t id, bool approved, const std::string& reason,
                                          const projects::actor& by) {
    if (!approved && reason.empty()) throw field_problem("reason", "A rejection needs a reason");
    auto rows = tx.exec_prepared(lock_request.name, id);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such request");
    user_id customer{rows[0][0].as<std::int64_t>()};
    if (customer == by.who.id) {
        throw problem(problems::conflict_of_interest, "Staff may not decide their own request").with("rule", "owner");
    }
    auto state = rows[0][1].as<std::string>();
    if (state != "pending")
        throw problem(schwarm::problems::conflict, "The request is already " + state).with("state", state);
    std::optional<std::string> why;
    if (!reason.empty()) why = reason;
    tx.exec_prepared(decide_request.name, id, std::string(approved ? "approved" : "rejected"), by.who.id.value, why);
    if (approved) tx.exec_prepared(set_category.name, customer.value, std::string("sophisticated"));
    audit::write(tx,
                 {by.who.id, approved ? "risk.investor.sophistication_approve" : "risk.investor.sophistication_reject",
                  "user:" + customer.str(), by.request_id});
    return {{"id", std::to_string(id)},
            {"user_id", customer.str()},
            {"state", approved ? "approved" : "rejected"},
            {"category", approved ? "sophisticated" : "non_sophisticated"}};
}

// --- the lifecycle -----------------------------------------------------------------

std::optional<problem> gate::transition_allowed(pqxx::work& tx, const risk_port::transition_request& move) const {
    // Nobody moves a project they own, back or are related to, whatever its
    // kind: a donation's or a reward's reviewer can favour a relative as well
    // as a loan's. The owner's own moves and the platform's (settlement, loan
    // servicing: no person) are no review.
    bool owner_move = move.action == "submit" || move.action == "withdraw";
    bool platform_move = move.actor.id.value == 0;
    if (!owner_move && !platform_move) {
        if (auto refused = detail::conflict(tx, move.actor.id, move.project_id, move.owner)) return refused;
    }
    // The credit review's own rule is for loans.
    if (move.kind == "loan" && move.action == "approve") {
        return detail::approval_problem(tx, settings_, move.project_id);
    }
    return std::nullopt;
}

void gate::transitioned(pqxx::work& tx, const risk_port::transition_request& move) const {
    if (move.kind != "loan") return;
    if (move.action == "submit") return detail::open_review(tx, settings_, move.project_id);
    if (move.action == "approve") return detail::close_review(tx, move.project_id, "approved");
    if (move.action == "reject") return detail::close_review(tx, move.project_id, "rejected");
    if (move.action == "withdraw") return detail::close_review(tx, move.project_id, "withdrawn");
}

} // namespace schwarm::risk
