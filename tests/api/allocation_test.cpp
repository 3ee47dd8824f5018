// A voting round decides which projects the community fund finances; the
// allocation moves the money through the ledger.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string vote(std::initializer_list<std::string> projects) {
    json::array choices;
    for (const auto& p : projects) choices.push_back(json::object{{"project", "project-" + p}});
    return json::serialize(json::object{{"choices", choices}});
}

} // namespace

TEST_CASE("rounds: allocation funds the selected projects from the community fund", "[e2e][rounds][allocation]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    auto carl = p.register_customer("carl@example.org");
    std::string bench = p.approved_project(owner, {{"title", "Bank am Dorfteich"}, {"goal_minor", 30'000}});
    std::string garden = p.approved_project(owner, {{"title", "Schulgarten"}, {"goal_minor", 80'000}});
    std::string library = p.approved_project(owner, {{"title", "Bücherschrank"}, {"goal_minor", 50'000}});
    std::string funding = p.open_project(owner, {{"title", "Schon in Finanzierung"}});

    auto created =
        p.client.request("POST", "/v1/rounds",
                         R"({"title":"Dorf 2027","budget_minor":100000,"currency":"EUR",)"
                         R"("opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z","max_projects":2})",
                         auth_headers(p.staff));
    REQUIRE(created.status == 201);
    std::string base = "/v1/rounds/" + std::string(created.json().at("id").as_string());
    auto add = [&](const std::string& project, std::optional<std::int64_t> cost, const std::string& token) {
        json::object body{{"project_id", project}};
        if (cost) body["cost_minor"] = *cost;
        return p.client.request("POST", base + "/projects", json::serialize(body), auth_headers(token));
    };
    CHECK(add(bench, std::nullopt, anna.token).status == 403);
    CHECK(problem_slug(add(funding, std::nullopt, p.staff)) == "project-state");
    CHECK(problem_slug(add(garden, 90'000, p.staff)) == "validation"); // above its goal
    REQUIRE(add(bench, std::nullopt, p.staff).status == 201);
    REQUIRE(add(garden, 60'000, p.staff).status == 201);
    REQUIRE(add(library, std::nullopt, p.staff).status == 201);
    CHECK(problem_slug(add(bench, std::nullopt, p.staff)) == "project-state"); // in_vote now
    CHECK(p.state_of(bench) == "in_vote");

    REQUIRE(p.client.request("POST", base + "/open", {}, auth_headers(p.staff)).status == 200);
    REQUIRE(p.client.request("PUT", base + "/ballot", vote({bench, garden}), auth_headers(anna.token)).status == 201);
    REQUIRE(p.client.request("PUT", base + "/ballot", vote({garden, library}), auth_headers(ben.token)).status == 201);
    REQUIRE(p.client.request("PUT", base + "/ballot", vote({bench}), auth_headers(carl.token)).status == 201);
    CHECK(problem_slug(p.client.request("POST", base + "/allocate", {}, auth_headers(p.staff, "a-0"))) ==
          "round-state");
    REQUIRE(p.client.request("POST", base + "/close", {}, auth_headers(p.staff)).status == 200);
    REQUIRE(p.client.request("POST", base + "/tally", {}, auth_headers(p.staff)).status == 200);

    // The fund is empty: nothing moves, nothing changes state.
    auto poor = p.client.request("POST", base + "/allocate", {}, auth_headers(p.staff, "a-1"));
    CHECK(problem_slug(poor) == "insufficient-funds");
    CHECK(poor.json().at("needed_minor") == "90000");
    CHECK(p.state_of(bench) == "in_vote");
    CHECK(p.client.request("POST", base + "/allocate", {}, auth_headers(anna.token, "a-2")).status == 403);

    REQUIRE(p.client
                .request("POST", "/v1/fund/deposits", R"({"amount_minor": 100000, "currency": "EUR"})",
                         auth_headers(p.staff, "f-1"))
                .status == 201);
    CHECK(p.client.request("GET", "/v1/fund").json().at("balance_minor") == 100'000);
    CHECK(problem_slug(p.client.request("POST", base + "/allocate",
                                        json::serialize(json::object{{"reject", json::array{library}}}),
                                        auth_headers(p.staff, "a-3"))) == "validation"); // a rejection needs a reason
    CHECK(problem_slug(p.client.request("POST", base + "/allocate",
                                        json::serialize(json::object{{"reject", json::array{bench}}, {"reason", "x"}}),
                                        auth_headers(p.staff, "a-4"))) == "validation"); // bench was selected
    auto allocated = p.client.request(
        "POST", base + "/allocate",
        json::serialize(json::object{{"reject", json::array{library}}, {"reason", "Standort ungeklärt"}}),
        auth_headers(p.staff, "a-5"));
    INFO(allocated.body);
    REQUIRE(allocated.status == 200);
    CHECK(allocated.json().at("funded").as_array().size() == 2);
    CHECK(p.state_of(bench) == "selected");
    CHECK(p.state_of(garden) == "selected");
    CHECK(p.state_of(library) == "rejected");
    CHECK(p.client.request("GET", "/v1/fund").json().at("balance_minor") == 10'000);
    CHECK(problem_slug(p.client.request("POST", base + "/allocate", {}, auth_headers(p.staff, "a-6"))) ==
          "round-state");

    // The bench is fully financed and settles funded; the garden misses the
    // rest of its goal, and its allocation goes back to the fund.
    for (const auto& project : {bench, garden}) {
        REQUIRE(
            p.client.request("POST", "/v1/projects/" + project + "/open-funding", {}, auth_headers(p.staff)).status ==
            200);
    }
    for (const auto& project : {bench, garden}) {
        p.make_due(project);
        REQUIRE(
            p.client.request("POST", "/v1/projects/" + project + "/settle", {}, auth_headers(p.staff, "s-" + project))
                .status == 200);
    }
    CHECK(p.state_of(bench) == "funded");
    CHECK(p.state_of(garden) == "failed");
    CHECK(p.balance(owner) == 30'000 - 600);
    CHECK(p.client.request("GET", "/v1/fund").json().at("balance_minor") == 70'000);
    p.check_books();
}
