// Deadlines people can work with, through the real binary: staff extend a
// campaign's deadline once within the configured limit, backers are told;
// an owner ends a fully funded campaign early, and it settles when the last
// reflection period is over, not before.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

TEST_CASE("deadlines: extended once by staff, ended early by the owner of a funded campaign", "[e2e][deadlines]") {
    platform p(platform::settling_job({{"SCHWARM_DEADLINE_EXTENSION_MAX_DAYS", "14"}}));
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    p.deposit(anna, 10'000);
    p.deposit(ben, 10'000);
    std::string project = p.open_project(owner, {{"goal_minor", 5'000}});
    std::string deadline(p.project(project).json().at("deadline").as_string());
    p.pledged(anna, project, 3'000, "anna-1");

    auto extend = [&](const std::string& token, const std::string& id, json::object body) {
        return p.client.request("POST", "/v1/projects/" + id + "/extend-deadline", json::serialize(body),
                                auth_headers(token));
    };
    json::object within{{"deadline", p.days_from_now(40)}, {"reason", "Die Presse berichtet erst nächste Woche"}};
    auto too_far = extend(p.staff, project, {{"deadline", p.days_from_now(45)}, {"reason", "x"}});
    CHECK(problem_slug(too_far) == "validation");
    CHECK(too_far.json().at("field") == "deadline");
    CHECK(problem_slug(extend(p.staff, project, {{"deadline", p.days_from_now(20)}, {"reason", "x"}})) == "validation");
    CHECK(problem_slug(extend(p.staff, project, {{"deadline", "tomorrow"}, {"reason", "x"}})) == "validation");
    CHECK(problem_slug(extend(p.staff, project, {{"deadline", p.days_from_now(40)}})) == "validation");
    CHECK(extend(anna.token, project, within).status == 403);
    CHECK(problem_slug(extend(p.staff, "987654", within)) == "not-found");
    std::string draft = p.draft_project(owner);
    CHECK(problem_slug(extend(p.staff, draft, within)) == "project-state");
    CHECK(p.project(project).json().at("deadline") == deadline.c_str());

    auto extended = extend(p.staff, project, within);
    INFO(extended.body);
    REQUIRE(extended.status == 200);
    CHECK(extended.json().at("deadline_before") == deadline.c_str());
    CHECK(extended.json().at("deadline") == within.at("deadline"));
    CHECK(p.project(project).json().at("deadline") == within.at("deadline"));
    CHECK(problem_slug(extend(p.staff, project, {{"deadline", p.days_from_now(41)}, {"reason", "again"}})) ==
          "deadline-extended-already");
    // The backer is told; the audit log has it.
    auto feed = p.client.request("GET", "/v1/me/feed", {}, auth_headers(anna.token));
    REQUIRE(feed.status == 200);
    CHECK(feed.body.find("project.deadline_changed") != std::string::npos);
    auto audit = p.client.request("GET", "/v1/audit-log?limit=200", {}, auth_headers(p.auditor));
    CHECK(audit.body.find("project.deadline_extend") != std::string::npos);

    // Ending early: only its owner, only once the goal is reached.
    auto end = [&](const std::string& token, const std::string& id) {
        return p.client.request("POST", "/v1/projects/" + id + "/end-early", {}, auth_headers(token));
    };
    CHECK(problem_slug(end(owner.token, project)) == "campaign-not-fully-funded");
    CHECK(problem_slug(end(anna.token, project)) == "not-found");
    CHECK(end(p.staff, project).status == 403);
    auto last = p.pledge(ben, project, 2'000, "ben-1");
    REQUIRE(last.status == 201);
    std::string reflection_ends(last.json().at("revocable_until").as_string());
    auto ended = end(owner.token, project);
    INFO(ended.body);
    REQUIRE(ended.status == 200);
    CHECK(ended.json().at("settles_at") == reflection_ends.c_str()); // Ben's reflection period is not cut short
    CHECK(problem_slug(end(owner.token, project)) == "project-deadline-passed");
    CHECK(problem_slug(p.pledge(anna, project, 100, "anna-2")) == "project-not-funding");
    CHECK(p.state_of(project) == "funding");
    CHECK(problem_slug(p.settle(project, "settle-1")) == "settlement-not-due");

    p.make_due(project);
    eventually([&] { return p.state_of(project) == "funded"; }, std::chrono::seconds(20), "the campaign settled");
    CHECK(p.balance(anna) == 7'000);
    CHECK(p.balance(ben) == 8'000);
    p.check_books();
}
