// A voting round decides which projects the community fund finances; the
// allocation moves the money through the ledger.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

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

    auto round = p.new_round({{"title", "Dorf 2027"}, {"max_projects", 2}});
    auto project = [](const std::string& id) { return "project-" + id; };
    CHECK(round.add_project(bench, std::nullopt, anna.token).status == 403);
    CHECK(problem_slug(round.add_project(funding)) == "project-state");
    CHECK(problem_slug(round.add_project(garden, 90'000)) == "validation"); // above its goal
    REQUIRE(round.add_project(bench).status == 201);
    REQUIRE(round.add_project(garden, 60'000).status == 201);
    REQUIRE(round.add_project(library).status == 201);
    CHECK(problem_slug(round.add_project(bench)) == "project-state"); // in_vote now
    CHECK(p.state_of(bench) == "in_vote");

    REQUIRE(round.open().status == 200);
    REQUIRE(round.ballot(anna.token, {project(bench), project(garden)}).status == 201);
    REQUIRE(round.ballot(ben.token, {project(garden), project(library)}).status == 201);
    REQUIRE(round.ballot(carl.token, {project(bench)}).status == 201);
    CHECK(problem_slug(round.allocate("a-0")) == "round-state");
    REQUIRE(round.close().status == 200);
    REQUIRE(round.tally().status == 200);

    // The fund is empty: nothing moves, nothing changes state.
    auto poor = round.allocate("a-1");
    CHECK(problem_slug(poor) == "insufficient-funds");
    CHECK(poor.json().at("needed_minor") == 90000);
    CHECK(p.state_of(bench) == "in_vote");
    CHECK(p.client.request("POST", round.path() + "/allocate", {}, auth_headers(anna.token, "a-2")).status == 403);

    REQUIRE(p.fund_deposit(100'000, "f-1").status == 201);
    CHECK(p.fund_balance() == 100'000);
    CHECK(problem_slug(round.allocate("a-3", {{"reject", json::array{library}}})) ==
          "validation"); // a rejection needs a reason
    CHECK(problem_slug(round.allocate("a-4", {{"reject", json::array{bench}}, {"reason", "x"}})) ==
          "validation"); // bench was selected
    auto allocated = round.allocate("a-5", {{"reject", json::array{library}}, {"reason", "Standort ungeklärt"}});
    INFO(allocated.body);
    REQUIRE(allocated.status == 200);
    CHECK(allocated.json().at("funded").as_array().size() == 2);
    CHECK(p.state_of(bench) == "selected");
    CHECK(p.state_of(garden) == "selected");
    CHECK(p.state_of(library) == "rejected");
    CHECK(p.fund_balance() == 10'000);
    CHECK(problem_slug(round.allocate("a-6")) == "round-state");

    // The bench is fully financed and settles funded; the garden misses the
    // rest of its goal, and its allocation goes back to the fund.
    for (const auto& id : {bench, garden}) REQUIRE(p.move(id, "open-funding", p.staff).status == 200);
    for (const auto& id : {bench, garden}) {
        p.make_due(id);
        REQUIRE(p.settle(id, "s-" + id).status == 200);
    }
    CHECK(p.state_of(bench) == "funded");
    CHECK(p.state_of(garden) == "failed");
    CHECK(p.balance(owner) == 30'000 - 600);
    CHECK(p.fund_balance() == 70'000);
    p.check_books();
}
