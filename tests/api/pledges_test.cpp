// Wallets, pledges and settlement through the real binary.
#include "base/crypto.hpp"
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

TEST_CASE("pledges: held from the wallet, revoked, settled when the goal is met", "[e2e][pledges]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    auto carl = p.register_customer("carl@example.org");
    std::string project = p.open_project(owner, {{"min_pledge_minor", 500}, {"allow_overfunding", true}});
    p.deposit(anna, 8'000);
    p.deposit(ben, 6'000);

    auto first = p.pledge(anna, project, 6'000, "a-1");
    INFO(first.body);
    REQUIRE(first.status == 201);
    CHECK(first.json().at("state") == "held");
    CHECK(first.json().at("revocable_until").is_string());
    CHECK(p.available(anna) == 2'000);
    CHECK(p.balance(anna) == 8'000);

    // A retry returns the same pledge; the same key for something else is a conflict.
    auto again = p.pledge(anna, project, 6'000, "a-1");
    CHECK(again.status == 201);
    CHECK(again.header("idempotent-replayed") == "true");
    CHECK(again.json().at("id") == first.json().at("id"));
    CHECK(problem_slug(p.pledge(anna, project, 5'000, "a-1")) == "idempotency-conflict");
    CHECK(p.available(anna) == 2'000);

    // Refusals, each moving nothing.
    CHECK(problem_slug(p.pledge(anna, project, 400, "a-2")) == "pledge-below-minimum");
    CHECK(problem_slug(p.pledge(anna, project, 1'000, "a-3", "CHF")) == "pledge-currency-mismatch");
    CHECK(problem_slug(p.pledge(anna, project, 2'001, "a-4")) == "insufficient-funds");
    CHECK(problem_slug(p.pledge(carl, project, 1'000, "c-1")) == "insufficient-funds"); // no wallet at all
    CHECK(problem_slug(p.pledge(owner, project, 1'000, "o-1")) == "pledge-own-project");
    CHECK(problem_slug(p.pledge(anna, "999999", 1'000, "a-5")) == "not-found");
    auto no_key = p.client.request("POST", "/v1/projects/" + project + "/pledges",
                                   R"({"amount_minor": 1000, "currency": "EUR"})", auth_headers(anna.token));
    CHECK(no_key.status == 400);
    CHECK(p.client
              .request("POST", "/v1/projects/" + project + "/pledges", R"({"amount_minor": 1000, "currency": "EUR"})",
                       auth_headers(p.staff, "s-1"))
              .status == 403);
    std::string draft = p.draft_project(
        owner,
        {{"title", "Noch ein Entwurf"}, {"summary", "x"}, {"goal_minor", 1000}, {"deadline", "2099-01-01T00:00:00Z"}});
    CHECK(problem_slug(p.pledge(anna, draft, 1'000, "a-6")) == "not-found");
    CHECK(p.db.scalar("SELECT count(*) FROM pledges") == "1");

    // Ben pledges and revokes within the reflection period; Carl cannot revoke his pledge.
    auto bens = p.pledge(ben, project, 5'000, "b-1");
    REQUIRE(bens.status == 201);
    std::string bens_id = id_of(bens);
    CHECK(p.revoke(anna, bens_id, "r-0").status == 404);
    CHECK(p.client.request("GET", "/v1/pledges/" + bens_id, {}, auth_headers(anna.token)).status == 404);
    auto revoked = p.revoke(ben, bens_id, "r-1");
    INFO(revoked.body);
    CHECK(revoked.status == 200);
    CHECK(revoked.json().at("state") == "revoked");
    CHECK(p.available(ben) == 6'000);
    CHECK(p.revoke(ben, bens_id, "r-1").status == 200);

    // After the period a pledge stands.
    auto late = p.pledge(ben, project, 4'000, "b-2");
    REQUIRE(late.status == 201);
    std::string late_id = id_of(late);
    p.db.travel_by(4 * 86'400 + 3'600); // four calendar days, and an hour for a change of summer time
    auto refused = p.revoke(ben, late_id, "r-2");
    CHECK(problem_slug(refused) == "pledge-not-revocable");
    CHECK(p.available(ben) == 2'000);

    auto listed = p.project(project);
    CHECK(listed.json().at("pledged_minor") == 10'000);
    CHECK(listed.json().at("backers") == 2);

    // Settlement: not before the deadline, once after it, never twice.
    CHECK(problem_slug(p.settle(project, "s-2")) == "settlement-not-due");
    p.pass_deadline(project);
    CHECK(problem_slug(p.pledge(anna, project, 1'000, "a-7")) == "project-not-funding");
    auto settled = p.settle(project, "s-3");
    INFO(settled.body);
    REQUIRE(settled.status == 200);
    CHECK(settled.json().at("outcome") == "funded");
    CHECK(settled.json().at("pledges_resolved") == 2);
    auto twice = p.settle(project, "s-4");
    CHECK(problem_slug(twice) == "project-state");
    CHECK(twice.json().at("state") == "funded");
    CHECK(p.state_of(project) == "funded");

    // Money: the backers paid, the owner got the proceeds less the 2% fee.
    CHECK(p.balance(anna) == 2'000);
    CHECK(p.balance(ben) == 2'000);
    CHECK(p.balance(owner) == 9'800);
    CHECK(p.db.scalar("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE code = 'income:fees:EUR'") ==
          "200");
    CHECK(p.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "posted,revoked,posted");
    p.check_books();
}

TEST_CASE("pledges: a missed goal voids every hold, by the server's own job", "[e2e][pledges]") {
    platform p(platform::settling_job());
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string project = p.open_project(owner, {{"goal_minor", 50'000}});
    p.deposit(anna, 10'000);
    p.deposit(ben, 10'000);
    REQUIRE(p.pledge(anna, project, 7'000, "a").status == 201);
    REQUIRE(p.pledge(ben, project, 9'000, "b").status == 201);
    CHECK(p.available(anna) == 3'000);
    p.make_due(project);
    eventually([&] { return p.state_of(project) != "funding"; }, std::chrono::seconds(5),
               "the job to settle the campaign");
    CHECK(p.state_of(project) == "failed");
    CHECK(p.available(anna) == 10'000);
    CHECK(p.available(ben) == 10'000);
    CHECK(p.balance(owner) == 0);
    CHECK(p.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "voided,voided");
    CHECK(problem_slug(p.settle(project, "s")) == "project-state");
    p.check_books();
}

TEST_CASE("pledges: a loan takes no more than its goal, keep-it-all keeps what came", "[e2e][pledges]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    std::string loan = p.open_project(owner, loan_fields(10'000));
    p.deposit(anna, 50'000);
    REQUIRE(p.pledge(anna, loan, 8'000, "l-1").status == 201);
    auto over = p.pledge(anna, loan, 2'001, "l-2");
    CHECK(problem_slug(over) == "pledge-above-goal");
    CHECK(over.json().at("remaining_minor") == 2000);
    CHECK(p.pledge(anna, loan, 2'000, "l-3").status == 201);

    std::string keep = p.open_project(owner, {{"campaign_mode", "keep_it_all"}, {"goal_minor", 100'000}});
    REQUIRE(p.pledge(anna, keep, 1'000, "k-1").status == 201);
    p.make_due(keep);
    auto settled = p.settle(keep, "s");
    REQUIRE(settled.status == 200);
    CHECK(settled.json().at("outcome") == "funded");
    CHECK(p.balance(owner) == 980);
    p.check_books();
}

TEST_CASE("pledges: concurrent pledges never spend more than the wallet holds", "[e2e][pledges]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    std::string project = p.open_project(owner, {{"goal_minor", 1'000'000}});
    p.deposit(anna, 1'000);
    std::atomic<int> held{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            https_client c(p.srv.port());
            for (int i = 0; i < 5; ++i) {
                auto r = c.request("POST", "/v1/projects/" + project + "/pledges",
                                   R"({"amount_minor": 100, "currency": "EUR"})",
                                   auth_headers(anna.token, "k-" + std::to_string(t) + "-" + std::to_string(i)));
                if (r.status == 201) ++held;
                else if (r.status == 422) ++refused;
                else ++other;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(held == 10);
    CHECK(refused == 10);
    CHECK(other == 0);
    CHECK(p.available(anna) == 0);
    CHECK(p.db.scalar("SELECT pledged_minor FROM projects WHERE id = " + project) == "1000");
    CHECK(p.db.scalar("SELECT backers FROM projects WHERE id = " + project) == "1");
    p.check_books();
}

TEST_CASE("wallets: payouts within the balance, signed payment callbacks", "[e2e][wallets]") {
    const std::string secret(40, 's');
    platform p({{"SCHWARM_PAYMENT_CALLBACK_SECRET", secret}});
    auto anna = p.register_customer("anna@example.org");
    p.deposit(anna, 5'000);
    auto payout = [&](std::int64_t amount, const std::string& key) {
        return p.client.request("POST", "/v1/wallets/" + anna.id + "/payouts",
                                json::serialize(json::object{{"amount_minor", amount}, {"currency", "EUR"}}),
                                auth_headers(p.staff, key));
    };
    CHECK(problem_slug(payout(5'001, "p-1")) == "insufficient-funds");
    CHECK(payout(2'000, "p-2").status == 201);
    CHECK(payout(2'000, "p-2").header("idempotent-replayed") == "true");
    CHECK(p.balance(anna) == 3'000);
    CHECK(p.client
              .request("POST", "/v1/wallets/" + anna.id + "/payouts", R"({"amount_minor": 1, "currency": "EUR"})",
                       auth_headers(anna.token, "p-3"))
              .status == 403);
    CHECK(problem_slug(p.client.request("POST", "/v1/wallets/424242/deposits",
                                        R"({"amount_minor": 1, "currency": "EUR"})", auth_headers(p.staff, "p-4"))) ==
          "not-found");
    CHECK(problem_slug(p.client.request("POST", "/v1/wallets/" + anna.id + "/deposits",
                                        R"({"amount_minor": -5, "currency": "EUR"})", auth_headers(p.staff, "p-5"))) ==
          "validation");
    CHECK(p.client.request("GET", "/v1/wallets/" + anna.id, {}, auth_headers(anna.token)).status == 403);

    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto callback = [&](const std::string& body, std::int64_t t, const std::string& key) {
        std::string signature = schwarm::crypto::hmac_sha256_hex(key, std::to_string(t) + "." + body);
        return p.client.request("POST", "/v1/payments/callbacks", body,
                                {{"Schwarm-Signature", "t=" + std::to_string(t) + ",v1=" + signature}});
    };
    std::string event = json::serialize(json::object{{"event_id", "evt_1"},
                                                     {"type", "deposit"},
                                                     {"user_id", anna.id},
                                                     {"amount_minor", 1'500},
                                                     {"currency", "EUR"}});
    CHECK(callback(event, now, std::string(40, 'x')).status == 401);                // wrong key
    CHECK(callback(event, now - 3600, secret).status == 401);                       // stale
    CHECK(p.client.request("POST", "/v1/payments/callbacks", event).status == 401); // unsigned
    CHECK(p.balance(anna) == 3'000);
    CHECK(callback(event, now, secret).status == 201);
    CHECK(callback(event, now, secret).header("idempotent-replayed") == "true"); // the provider retries
    CHECK(p.balance(anna) == 4'500);

    auto statement = p.client.request("GET", "/v1/wallet/statement?limit=2", {}, auth_headers(anna.token));
    REQUIRE(statement.status == 200);
    auto items = statement.json().at("items").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("direction") == "in");
    CHECK(items[0].at("amount_minor") == 1'500);
    CHECK(items[1].at("direction") == "out");
    p.check_books();
}

TEST_CASE("projects: listing sorts by deadline, funded share and backers, page by page", "[e2e][projects][pledges]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    p.deposit(anna, 100'000);
    p.deposit(ben, 100'000);
    // a: goal 100.00, 2 backers, 30% funded, latest deadline
    // b: goal 50.00, 1 backer, 80% funded, earliest
    // c: goal 200.00, none
    std::string a =
        p.open_project(owner, {{"title", "Projekt A"}, {"goal_minor", 10'000}, {"deadline", "2099-03-01T00:00:00Z"}});
    std::string b =
        p.open_project(owner, {{"title", "Projekt B"}, {"goal_minor", 5'000}, {"deadline", "2098-01-01T00:00:00Z"}});
    std::string c =
        p.open_project(owner, {{"title", "Projekt C"}, {"goal_minor", 20'000}, {"deadline", "2098-06-01T00:00:00Z"}});
    REQUIRE(p.pledge(anna, a, 1'000, "a1").status == 201);
    REQUIRE(p.pledge(ben, a, 2'000, "a2").status == 201);
    REQUIRE(p.pledge(anna, b, 4'000, "b1").status == 201);
    REQUIRE(p.pledge(anna, a, 500, "a3").status == 201); // Anna again: still 2 backers

    auto order = [&](const std::string& sort) {
        std::vector<std::string> ids;
        std::string cursor;
        do {
            auto r = p.client.request("GET", "/v1/projects?limit=1&sort=" + sort +
                                                 (cursor.empty() ? "" : "&cursor=" + cursor));
            INFO(r.body);
            REQUIRE(r.status == 200);
            auto page = r.json(); // the items must outlive the loop
            for (const auto& item : page.at("items").as_array()) ids.emplace_back(item.at("id").as_string());
            cursor = page.at("next_cursor").is_string() ? std::string(page.at("next_cursor").as_string()) : "";
        } while (!cursor.empty() && ids.size() < 10);
        return ids;
    };
    CHECK(order("deadline") == std::vector<std::string>{b, c, a});
    CHECK(order("funded") == std::vector<std::string>{b, a, c});
    CHECK(order("backers") == std::vector<std::string>{a, b, c});
    CHECK(order("newest") == std::vector<std::string>{c, b, a});
    auto first = p.project(a).json();
    CHECK(first.at("pledged_minor") == 3'500);
    CHECK(first.at("backers") == 2);
    CHECK(first.at("days_left").as_int64() > 365);

    for (const auto& bad : {"sort=loudest", "sort=backers&cursor=b.99999999999999999999.1",
                            "sort=deadline&cursor=d.9223372036854775807.1", "sort=funded&cursor=f.1.0.1",
                            "sort=funded&cursor=b.1.1", "cursor=x"}) {
        auto r = p.client.request("GET", std::string("/v1/projects?") + bad);
        INFO(bad << ": " << r.body);
        CHECK(r.status == 400);
    }
    CHECK(p.client.request("GET", "/v1/projects?sort=backers&cursor=b.9223372036854775807.1").status == 200);
}
