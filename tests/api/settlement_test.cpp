// Settlement as an auditor and an attacker would try it (issue 11, items 3
// and 9): the reflection period is never cut short, what the decision counts
// cannot change after it, the fee never exceeds what was raised, and a
// campaign whose settlement fails waits aside without holding up the rest.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

reply settlement_of(platform& p, const std::string& project) {
    return p.client.request("GET", "/v1/projects/" + project + "/settlement", {}, auth_headers(p.staff));
}

} // namespace

TEST_CASE("settlement: waits for the last reflection period, and a revocation inside it changes the outcome",
          "[e2e][settlement]") {
    platform p(platform::settling_job());
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string project = p.open_project(owner, {{"goal_minor", 10'000}, {"deadline", p.days_from_now(10)}});
    p.deposit(anna, 6'000);
    p.deposit(ben, 4'000);
    REQUIRE(p.pledge(anna, project, 6'000, "a").status == 201);

    // Ben pledges the rest one day before the deadline: the goal is met, and
    // his four days run three days past it.
    p.db.travel_to(p.db.scalar("SELECT deadline - interval '1 day' FROM projects WHERE id = " + project));
    auto bens = p.pledge(ben, project, 4'000, "b");
    REQUIRE(bens.status == 201);
    auto listed = p.project(project).json();
    CHECK(listed.at("settles_at") == bens.json().at("revocable_until"));
    CHECK(listed.at("pledged_minor") == 10'000);

    p.pass_deadline(project);
    auto refused = p.settle(project, "s-1");
    CHECK(problem_slug(refused) == "settlement-not-due");
    CHECK(refused.json().at("settles_at") == listed.at("settles_at"));
    auto view = settlement_of(p, project);
    REQUIRE(view.status == 200);
    CHECK(view.json().at("due") == false);
    CHECK(view.json().at("outcome").is_null());
    CHECK(p.state_of(project) == "funding");
    CHECK(p.db.scalar("SELECT count(*) FROM pledges WHERE state = 'posted'") ==
          "0"); // nothing posted while Ben may revoke

    // Two days after the deadline Ben revokes, as is his right.
    p.db.travel_by(2 * 86'400);
    auto revoked = p.revoke(ben, id_of(bens), "r");
    INFO(revoked.body);
    REQUIRE(revoked.status == 200);

    // When his period ends the campaign is decided: failed, 6,000 of 10,000.
    p.make_due(project);
    eventually([&] { return p.state_of(project) != "funding"; }, std::chrono::seconds(10), "the job to settle");
    CHECK(p.state_of(project) == "failed");
    CHECK(p.available(anna) == 6'000);
    CHECK(p.available(ben) == 4'000);
    CHECK(p.balance(owner) == 0);
    CHECK(settlement_of(p, project).json().at("outcome") == "failed");
    p.check_books();
}

TEST_CASE("settlement: decided once from the escrow, and no pledge can be revoked while its chunks run",
          "[e2e][settlement]") {
    platform p(platform::settling_job({{"SCHWARM_SETTLEMENT_CHUNK", "1"}}));
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> backers;
    for (int i = 0; i < 4; ++i) backers.push_back(p.register_customer("backer" + std::to_string(i) + "@example.org"));
    std::string project =
        p.open_project(owner, {{"goal_minor", 10'000}, {"deadline", p.days_from_now(10)}, {"allow_overfunding", true}});
    std::vector<std::string> pledge_ids;
    for (std::size_t i = 0; i < backers.size(); ++i) {
        p.deposit(backers[i], 5'000);
        auto r = p.pledge(backers[i], project, i == 0 ? 5'000 : 2'000, "k");
        REQUIRE(r.status == 201);
        pledge_ids.push_back(id_of(r));
    }
    // Everyone's period is over before the deadline. The big pledge's owner
    // tries to take it back while the job settles one hold per transaction.
    p.make_due(project);
    int refusals = 0;
    while (p.state_of(project) == "funding") {
        auto r = p.revoke(backers[0], pledge_ids[0], "r" + std::to_string(refusals));
        REQUIRE(problem_slug(r) == "pledge-not-revocable");
        ++refusals;
        REQUIRE(refusals < 1000);
    }
    CHECK(p.state_of(project) == "funded");
    CHECK(p.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "posted,posted,posted,posted");
    CHECK(p.balance(owner) == 11'000 - 220);
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.settlement_decided'") == "1");
    p.check_books();
}

TEST_CASE("settlement: the fee never exceeds what was raised, and a failing campaign waits aside",
          "[e2e][settlement]") {
    platform p(platform::settling_job());
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> backers;
    for (int i = 0; i < 6; ++i) backers.push_back(p.register_customer("cent" + std::to_string(i) + "@example.org"));
    // A campaign of one-cent pledges, and one whose books disagree with
    // themselves (its counter tampered with), due first.
    std::string cents = p.open_project(
        owner,
        {{"goal_minor", 5}, {"min_pledge_minor", 1}, {"deadline", p.days_from_now(20)}, {"allow_overfunding", true}});
    std::string broken = p.open_project(owner, {{"goal_minor", 1'000}, {"deadline", p.days_from_now(10)}});
    for (auto& b : backers) {
        p.deposit(b, 100);
        REQUIRE(p.pledge(b, cents, 1, "c").status == 201);
    }
    p.db.exec("UPDATE projects SET pledged_minor = pledged_minor + 1000 WHERE id = " + broken);

    p.make_due(cents);
    eventually([&] { return p.state_of(cents) != "funding"; }, std::chrono::seconds(10),
               "the one-cent campaign to settle");
    CHECK(p.state_of(cents) == "funded");
    CHECK(p.db.scalar("SELECT coalesce((SELECT credits_posted - debits_posted FROM ledger_accounts WHERE code = "
                      "'income:fees:EUR'), 0)") == "0"); // 2% of 6 cents rounds down to nothing
    CHECK(p.balance(owner) == 6);

    // The broken one was due first, failed, and waits with its reason.
    CHECK(p.state_of(broken) == "funding");
    auto aside = p.client.request("GET", "/v1/settlements?set_aside=true", {}, auth_headers(p.staff));
    REQUIRE(aside.status == 200);
    auto items = aside.json().at("items").as_array();
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("project_id") == json::value(broken));
    CHECK(std::string(items[0].at("error").as_string()).find("escrow holds 0") != std::string::npos);
    CHECK(items[0].at("attempts").as_int64() >= 1);
    CHECK(!items[0].at("retry_at").is_null());
    auto manual = p.settle(broken, "m");
    CHECK(manual.status == 500);
    CHECK(manual.body.find("escrow") == std::string::npos); // the reason is for the log, not the client
    CHECK(p.state_of(broken) == "funding");
    CHECK(p.client.request("GET", "/v1/settlements?set_aside=true", {}, auth_headers(owner.token)).status == 403);

    // Repaired, it settles at its next try.
    p.db.exec("UPDATE projects SET pledged_minor = 0 WHERE id = " + broken);
    p.db.travel_by(3'601);
    eventually([&] { return p.state_of(broken) != "funding"; }, std::chrono::seconds(10), "the retry");
    CHECK(p.state_of(broken) == "failed");
    CHECK(settlement_of(p, broken).json().at("error").is_null());
    p.check_books();
}

TEST_CASE("settlement: a failed campaign's counters say what is held or posted now, a funded one's stay",
          "[e2e][settlement]") {
    platform p(platform::settling_job({{"SCHWARM_SETTLEMENT_CHUNK", "1"}}));
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> backers;
    for (int i = 0; i < 3; ++i) backers.push_back(p.register_customer("backer" + std::to_string(i) + "@example.org"));
    std::string failing = p.open_project(owner, {{"goal_minor", 100'000}, {"deadline", p.days_from_now(10)}});
    std::string funded = p.open_project(owner, {{"goal_minor", 3'000}, {"deadline", p.days_from_now(10)}});
    for (std::size_t i = 0; i < backers.size(); ++i) {
        p.deposit(backers[i], 3'000);
        REQUIRE(p.pledge(backers[i], failing, 2'000, "f" + std::to_string(i)).status == 201);
        REQUIRE(p.pledge(backers[i], funded, 1'000, "g" + std::to_string(i)).status == 201);
    }
    auto counters = [&](const std::string& project) {
        auto view = p.client.request("GET", "/v1/projects/" + project).json();
        return std::pair{view.at("pledged_minor").as_int64(), view.at("backers").as_int64()};
    };
    CHECK(counters(failing) == std::pair<std::int64_t, std::int64_t>{6'000, 3});

    p.make_due(failing);
    p.make_due(funded);
    eventually([&] { return p.state_of(failing) == "failed" && p.state_of(funded) == "funded"; },
               std::chrono::seconds(15), "both campaigns to settle");
    // Every hold of the failed one was voided (in three chunks): nothing is
    // held or posted, and its public counters say so, in the listing too.
    CHECK(p.db.scalar("SELECT count(*) FROM pledges WHERE project_id = " + failing + " AND state = 'held'") == "0");
    CHECK(counters(failing) == std::pair<std::int64_t, std::int64_t>{0, 0});
    auto listing = p.client.request("GET", "/v1/projects?state=failed").json();
    REQUIRE(listing.at("items").as_array().size() == 1);
    CHECK(listing.at("items").as_array()[0].at("pledged_minor") == 0);
    CHECK(listing.at("items").as_array()[0].at("backers") == 0);
    // The funded one's pledges were posted: its counters still hold.
    CHECK(counters(funded) == std::pair<std::int64_t, std::int64_t>{3'000, 3});
    for (const auto& b : backers) CHECK(p.available(b) == 2'000);
    p.check_books();
}
