#include "support/platform.hpp"

#include "base/db.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace schwarm::test {

namespace json = boost::json;

namespace {
// One staff approval suffices for the loans of these stories (risk's four
// eyes are tested in tests/api/risk_test.cpp).
std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) {
    env.emplace("SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "100000000");
    env.emplace("SCHWARM_SESSION_TTL_S", std::to_string(90 * 86'400));
    // Stories settle by hand (POST …/settle) unless they run the job
    // (platform::settling_job): a job racing the request would make them flaky.
    env.emplace("SCHWARM_SETTLEMENT_INTERVAL_MS", "86400000");
    return env;
}

// The database's clock set to `start` before the server comes up.
const std::string& at(const database& db, const std::string& start) {
    db.travel_to(start);
    return db.url();
}
} // namespace

platform::platform(std::map<std::string, std::string> env, const std::string& start)
    : srv(at(db, start), with_defaults(std::move(env))), client(srv.port()),
      staff(create_user_and_login(client, db, "staff@bank.example", "staff")),
      auditor(create_user_and_login(client, db, "auditor@bank.example", "auditor")) {}

std::string id_of(const reply& r) {
    INFO(r.body);
    return std::string(r.json().at("id").as_string());
}

json::object loan_fields(std::int64_t principal_minor, int months, int rate_bp) {
    return {{"kind", "loan"},
            {"goal_minor", principal_minor},
            {"loan_rate_bp", rate_bp},
            {"loan_term_months", months},
            {"loan_schedule", "annuity"}};
}

std::string platform::create_user(const std::string& email, const std::string& role) {
    return create_user_and_login(client, db, email, role);
}

customer platform::register_customer(const std::string& email, investor setup) {
    customer c{register_and_login(client, email), "", email};
    auto me = client.request("GET", "/v1/users/me", {}, auth_headers(c.token));
    REQUIRE(me.status == 200);
    c.id = std::string(me.json().at("id").as_string());
    if (setup == investor::none) return c;
    // Investor protection (risk): a declared net worth of EUR 100,000 (the
    // risk warning from EUR 5,000), the loss simulation seen, the knowledge
    // test passed; so the stories' loan pledges are allowed.
    auto profile = client.request(
        "PUT", "/v1/risk/investor/profile",
        R"({"annual_income_minor":6000000,"liquid_assets_minor":5000000,"annual_commitments_minor":1000000})",
        auth_headers(c.token));
    REQUIRE(profile.status == 200);
    REQUIRE(client.request("POST", "/v1/risk/investor/loss-simulation", {}, auth_headers(c.token)).status == 200);
    auto test = client.request(
        "POST", "/v1/risk/knowledge-test",
        R"({"answers":[{"question_id":"total_loss","option":1},{"question_id":"deposit_guarantee","option":1},)"
        R"({"question_id":"liquidity","option":1},{"question_id":"diversification","option":1},)"
        R"({"question_id":"reflection","option":0}]})",
        auth_headers(c.token));
    INFO(test.body);
    REQUIRE(test.status == 201);
    REQUIRE(test.json().at("passed") == true);
    return c;
}

std::vector<std::int64_t> split_largest_remainder(std::int64_t amount, const std::vector<std::int64_t>& weights) {
    std::int64_t total = std::accumulate(weights.begin(), weights.end(), std::int64_t{0});
    std::vector<std::int64_t> out, remainder;
    std::int64_t given = 0;
    for (auto w : weights) {
        out.push_back(amount * w / total);
        remainder.push_back(amount * w % total);
        given += out.back();
    }
    std::vector<std::size_t> order(weights.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return remainder[a] > remainder[b]; });
    for (std::size_t k = 0; given < amount; ++k, ++given) ++out[order[k]];
    return out;
}

void platform::log_in_again(std::initializer_list<customer*> customers) {
    auto login = [&](const std::string& email) {
        auto r = client.request("POST", "/v1/sessions",
                                json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}));
        INFO(r.body);
        REQUIRE(r.status == 201);
        return std::string(r.json().at("token").as_string());
    };
    staff = login("staff@bank.example");
    auditor = login("auditor@bank.example");
    for (auto* c : customers) c->token = login(c->email);
}

std::string platform::open_project(const customer& owner, json::object changes) {
    std::string id = approved_project(owner, std::move(changes));
    auto r = move(id, "open-funding", staff);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return id;
}

reply platform::propose(const customer& owner, json::object changes) {
    return propose(owner.token, std::move(changes));
}

reply platform::propose(const std::string& owner_token, json::object changes) {
    json::object fields{{"title", "Dorfladen Kleinwalde"},
                        {"summary", "Ein Laden für das Dorf"},
                        {"category", "community"},
                        {"kind", "donation"},
                        {"goal_minor", 10'000},
                        {"currency", "EUR"},
                        {"campaign_mode", "all_or_nothing"},
                        {"deadline", days_from_now(30)}};
    for (const auto& [k, v] : changes) fields[k] = v;
    return client.request("POST", "/v1/projects", json::serialize(fields), auth_headers(owner_token));
}

std::string platform::draft_project(const customer& owner, json::object changes) {
    return draft_project(owner.token, std::move(changes));
}

std::string platform::draft_project(const std::string& owner_token, json::object changes) {
    auto created = propose(owner_token, std::move(changes));
    INFO(created.body);
    REQUIRE(created.status == 201);
    return id_of(created);
}

reply platform::move(const std::string& project, const std::string& action, const std::string& token,
                     const std::string& key, const std::string& reason) {
    std::string body = reason.empty() ? "" : json::serialize(json::object{{"reason", reason}});
    return client.request("POST", "/v1/projects/" + project + "/" + action, body, auth_headers(token, key));
}

reply platform::project(const std::string& id) { return client.request("GET", "/v1/projects/" + id); }

reply platform::settle(const std::string& project, const std::string& key) {
    return move(project, "settle", staff, key);
}

reply platform::disburse(const std::string& loan, const std::string& key) { return move(loan, "disburse", staff, key); }

void platform::settled(const std::string& project, const std::string& outcome) {
    auto r = settle(project, "settle-" + project);
    INFO(r.body);
    REQUIRE(r.status == 200);
    REQUIRE(r.json().at("outcome") == json::value(outcome));
}

reply platform::revoke(const customer& c, const std::string& pledge, const std::string& key) {
    return client.request("POST", "/v1/pledges/" + pledge + "/revoke", {}, auth_headers(c.token, key));
}

reply platform::repay(const customer& c, const std::string& loan, std::int64_t amount_minor, const std::string& key) {
    return client.request("POST", "/v1/loans/" + loan + "/repayments",
                          json::serialize(json::object{{"amount_minor", amount_minor}}), auth_headers(c.token, key));
}

reply platform::loan(const std::string& token, const std::string& loan) {
    return client.request("GET", "/v1/loans/" + loan, {}, auth_headers(token));
}

std::string platform::pledged(const customer& c, const std::string& project, std::int64_t amount_minor,
                              const std::string& key) {
    auto r = pledge(c, project, amount_minor, key);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return id_of(r);
}

reply platform::fund_deposit(std::int64_t amount_minor, const std::string& key) {
    return client.request("POST", "/v1/fund/deposits",
                          json::serialize(json::object{{"amount_minor", amount_minor}, {"currency", "EUR"}}),
                          auth_headers(staff, key));
}

std::int64_t platform::fund_balance() {
    auto r = client.request("GET", "/v1/fund");
    REQUIRE(r.status == 200);
    return r.json().at("balance_minor").as_int64();
}

std::string platform::ledger_account(const std::string& code, const std::string& type, bool no_overdraft) {
    json::object body{{"code", code}, {"name", code}, {"type", type}, {"currency", "EUR"}};
    if (no_overdraft) body["debits_must_not_exceed_credits"] = true;
    auto r = client.request("POST", "/v1/ledger/accounts", json::serialize(body), auth_headers(staff));
    INFO(r.body);
    REQUIRE(r.status == 201);
    return id_of(r);
}

reply platform::transfer(const std::string& from, const std::string& to, std::int64_t amount_minor,
                         const std::string& key, const std::string& token) {
    json::array postings{
        json::object{{"account_id", from}, {"side", "debit"}, {"amount_minor", amount_minor}, {"currency", "EUR"}},
        json::object{{"account_id", to}, {"side", "credit"}, {"amount_minor", amount_minor}, {"currency", "EUR"}}};
    return client.request("POST", "/v1/ledger/entries", json::serialize(json::object{{"postings", postings}}),
                          auth_headers(token.empty() ? staff : token, key));
}

voting_round platform::new_round(json::object changes) {
    json::object fields{{"title", "Dorf 2030"},
                        {"budget_minor", 100'000},
                        {"currency", "EUR"},
                        {"opens_at", "2020-01-01T00:00:00Z"},
                        {"closes_at", "2099-01-01T00:00:00Z"}};
    for (const auto& [k, v] : changes) fields[k] = v;
    auto created = client.request("POST", "/v1/rounds", json::serialize(fields), auth_headers(staff));
    INFO(created.body);
    REQUIRE(created.status == 201);
    return {*this, id_of(created)};
}

reply voting_round::add_project(const std::string& project, std::optional<std::int64_t> cost_minor,
                                const std::string& token) {
    json::object body{{"project_id", project}};
    if (cost_minor) body["cost_minor"] = *cost_minor;
    return p_.client.request("POST", path_ + "/projects", json::serialize(body),
                             auth_headers(token.empty() ? p_.staff : token));
}

reply voting_round::add_item(const std::string& key, std::int64_t cost_minor) {
    return p_.client.request("POST", path_ + "/projects",
                             json::serialize(json::object{{"key", key}, {"name", key}, {"cost_minor", cost_minor}}),
                             auth_headers(p_.staff));
}

reply voting_round::open() { return p_.client.request("POST", path_ + "/open", {}, auth_headers(p_.staff)); }
reply voting_round::close() { return p_.client.request("POST", path_ + "/close", {}, auth_headers(p_.staff)); }
reply voting_round::tally() { return p_.client.request("POST", path_ + "/tally", {}, auth_headers(p_.staff)); }

reply voting_round::ballot(const std::string& token, const std::vector<std::string>& choices) {
    json::array list;
    for (const auto& c : choices) list.push_back(json::object{{"project", c}});
    return p_.client.request("PUT", path_ + "/ballot", json::serialize(json::object{{"choices", list}}),
                             auth_headers(token));
}

reply voting_round::allocate(const std::string& key, json::object body) {
    return p_.client.request("POST", path_ + "/allocate", body.empty() ? "" : json::serialize(body),
                             auth_headers(p_.staff, key));
}

void voting_round::vote_and_allocate(const customer& voter, const std::vector<std::string>& projects) {
    std::vector<std::string> choices;
    for (const auto& project : projects) choices.push_back("project-" + project);
    REQUIRE(open().status == 200);
    REQUIRE(ballot(voter.token, choices).status == 201);
    REQUIRE(close().status == 200);
    REQUIRE(tally().status == 200);
    auto allocated = allocate("allocate-" + id_);
    INFO(allocated.body);
    REQUIRE(allocated.status == 200);
}

std::string platform::approved_project(const customer& owner, json::object changes) {
    bool loan = changes.contains("kind") && changes.at("kind") == "loan";
    std::string id = draft_project(owner, std::move(changes));
    auto step = [&](const std::string& action, const std::string& token) {
        auto r = move(id, action, token);
        INFO(action << ": " << r.body);
        REQUIRE(r.status == 200);
    };
    if (loan) { // the credit inputs the risk check reads
        auto declared =
            client.request("PUT", "/v1/risk/applications/" + id,
                           R"({"applicant_type":"person","monthly_income_minor":2000000,)"
                           R"("monthly_expenses_minor":500000,"existing_debt_minor":0,"purpose":"business"})",
                           auth_headers(owner.token));
        INFO(declared.body);
        REQUIRE(declared.status == 200);
    }
    step("submit", owner.token);
    step("start-review", staff);
    if (!loan) {
        step("approve", staff);
        return id;
    }
    // A loan is approved through its risk review once its credit check is in.
    eventually(
        [&] {
            return db.scalar("SELECT count(*) FROM risk_checks WHERE state = 'completed' AND project_id = " + id) ==
                   "1";
        },
        std::chrono::seconds(10), "the loan's credit check");
    auto approved = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(staff));
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    REQUIRE(state_of(id) == "approved");
    return id;
}

void platform::deposit(const customer& c, std::int64_t amount_minor, const std::string& currency) {
    auto r = client.request("POST", "/v1/wallets/" + c.id + "/deposits",
                            json::serialize(json::object{{"amount_minor", amount_minor}, {"currency", currency}}),
                            auth_headers(staff, "deposit-" + std::to_string(++keys_)));
    INFO(r.body);
    REQUIRE(r.status == 201);
}

std::int64_t platform::available(const customer& c, const std::string& currency) {
    auto r = client.request("GET", "/v1/wallet?currency=" + currency, {}, auth_headers(c.token));
    REQUIRE(r.status == 200);
    return r.json().at("available_minor").as_int64();
}

std::int64_t platform::balance(const customer& c, const std::string& currency) {
    auto r = client.request("GET", "/v1/wallet?currency=" + currency, {}, auth_headers(c.token));
    REQUIRE(r.status == 200);
    return r.json().at("balance_minor").as_int64();
}

reply platform::pledge(const customer& c, const std::string& project, std::int64_t amount_minor, const std::string& key,
                       const std::string& currency, bool acknowledged) {
    json::object body{{"amount_minor", amount_minor}, {"currency", currency}};
    if (acknowledged) body["risk_acknowledged"] = true;
    return client.request("POST", "/v1/projects/" + project + "/pledges", json::serialize(body),
                          auth_headers(c.token, key));
}

void platform::pass_deadline(const std::string& project) {
    db.travel_to(db.scalar("SELECT deadline + interval '1 second' FROM projects WHERE id = " + project));
}

void platform::make_due(const std::string& project) {
    db.travel_to(db.scalar("SELECT settles_at + interval '1 second' FROM projects WHERE id = " + project));
}

std::string platform::days_from_now(int days) {
    return db.scalar("SELECT to_char((schwarm_clock() + make_interval(days => " + std::to_string(days) +
                     ")) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

std::string platform::state_of(const std::string& project) {
    return db.scalar("SELECT state FROM projects WHERE id = " + project);
}

void platform::check_books() {
    auto verify = client.request("GET", "/v1/ledger/verify", {}, auth_headers(auditor));
    INFO(verify.body);
    REQUIRE(verify.status == 200);
    CHECK(verify.json().at("ok") == true);
    auto trial = client.request("GET", "/v1/ledger/trial-balance", {}, auth_headers(auditor));
    REQUIRE(trial.status == 200);
    CHECK(trial.json().at("balanced") == true);
}

} // namespace schwarm::test
