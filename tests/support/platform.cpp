#include "support/platform.hpp"

#include "base/db.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>

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

customer platform::register_customer(const std::string& email) {
    customer c{register_and_login(client, email), "", email};
    auto me = client.request("GET", "/v1/users/me", {}, auth_headers(c.token));
    REQUIRE(me.status == 200);
    c.id = std::string(me.json().at("id").as_string());
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
    auto r = client.request("POST", "/v1/projects/" + id + "/open-funding", {}, auth_headers(staff));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return id;
}

std::string platform::approved_project(const customer& owner, json::object changes) {
    json::object fields{{"title", "Dorfladen Kleinwalde"},
                        {"summary", "Ein Laden für das Dorf"},
                        {"category", "community"},
                        {"kind", "donation"},
                        {"goal_minor", 10'000},
                        {"currency", "EUR"},
                        {"campaign_mode", "all_or_nothing"},
                        {"deadline", days_from_now(30)}};
    for (const auto& [k, v] : changes) fields[k] = v;
    auto created = client.request("POST", "/v1/projects", json::serialize(fields), auth_headers(owner.token));
    INFO(created.body);
    REQUIRE(created.status == 201);
    std::string id(created.json().at("id").as_string());
    auto move = [&](const std::string& action, const std::string& token) {
        auto r = client.request("POST", "/v1/projects/" + id + "/" + action, {}, auth_headers(token));
        INFO(action << ": " << r.body);
        REQUIRE(r.status == 200);
    };
    bool loan = fields.at("kind") == "loan";
    if (loan) { // the credit inputs the risk check reads
        auto declared =
            client.request("PUT", "/v1/risk/applications/" + id,
                           R"({"applicant_type":"person","monthly_income_minor":2000000,)"
                           R"("monthly_expenses_minor":500000,"existing_debt_minor":0,"purpose":"business"})",
                           auth_headers(owner.token));
        INFO(declared.body);
        REQUIRE(declared.status == 200);
    }
    move("submit", owner.token);
    move("start-review", staff);
    if (!loan) {
        move("approve", staff);
        return id;
    }
    // A loan is approved through its risk review once its credit check is in.
    for (int i = 0;
         i < 400 &&
         db.scalar("SELECT count(*) FROM risk_checks WHERE state = 'completed' AND project_id = " + id) == "0";
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
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
