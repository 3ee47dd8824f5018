// Regression tests for what an adversarial test of the running server found
// in the money paths (issue 11, item 9): one client's bad request failing
// others', a limit passed by two concurrent requests, and staff ledger keys
// colliding with the platform's own.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <barrier>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

TEST_CASE("attacks: a bad pledge fails only itself, never the honest ones batched with it", "[e2e][attacks]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> honest;
    for (int i = 0; i < 6; ++i) honest.push_back(p.register_customer("honest" + std::to_string(i) + "@example.org"));
    auto mallory = p.register_customer("mallory@example.org");
    std::string project = p.open_project(owner, {{"goal_minor", 1'000'000}});
    for (auto& c : honest) p.deposit(c, 100'000);
    p.deposit(mallory, 100'000);
    // A fault the database raises for one value, standing in for any input
    // that passes validation and still fails in the transaction.
    p.db.exec("CREATE FUNCTION refuse_4242() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
              "IF NEW.amount_minor = 4242 THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; "
              "CREATE TRIGGER refuse_4242 BEFORE INSERT ON pledges FOR EACH ROW EXECUTE FUNCTION refuse_4242()");

    constexpr int rounds = 20;
    std::atomic<int> honest_ok{0}, honest_bad{0}, nul_400{0}, fault_500{0}, other{0};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < honest.size() + 2; ++t) {
        threads.emplace_back([&, t] {
            https_client c(p.srv.port());
            for (int i = 0; i < rounds; ++i) {
                std::string key = "k-" + std::to_string(t) + "-" + std::to_string(i);
                if (t < honest.size()) {
                    auto r =
                        c.request("POST", "/v1/projects/" + project + "/pledges",
                                  R"({"amount_minor": 100, "currency": "EUR"})", auth_headers(honest[t].token, key));
                    (r.status == 201 ? honest_ok : honest_bad)++;
                } else if (t == honest.size()) { // a NUL byte where the currency goes
                    auto r =
                        c.request("POST", "/v1/projects/" + project + "/pledges",
                                  R"({"amount_minor": 100, "currency": "E\u0000R"})", auth_headers(mallory.token, key));
                    (r.status == 400 && problem_slug(r) == "validation" ? nul_400 : other)++;
                } else {
                    auto r =
                        c.request("POST", "/v1/projects/" + project + "/pledges",
                                  R"({"amount_minor": 4242, "currency": "EUR"})", auth_headers(mallory.token, key));
                    (r.status == 500 ? fault_500 : other)++;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(honest_bad == 0);
    CHECK(honest_ok == static_cast<int>(honest.size()) * rounds);
    CHECK(nul_400 == rounds);
    CHECK(fault_500 == rounds);
    CHECK(other == 0);
    CHECK(p.db.scalar("SELECT count(*) FROM pledges") == std::to_string(honest.size() * rounds));
    CHECK(p.available(mallory) == 100'000);
    p.check_books();
}

TEST_CASE("attacks: the per-owner limit holds against pledges sent together to two loans of one owner",
          "[e2e][attacks]") {
    platform p(std::map<std::string, std::string>{{"SCHWARM_RISK_OWNER_LIMIT_MINOR", "10000"}});
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    p.deposit(anna, 1'000'000);
    p.deposit(ben, 1'000'000);
    auto loan = [&](const customer& owner, const std::string& title) {
        auto fields = loan_fields(10'000);
        fields["title"] = title;
        return p.open_project(owner, fields);
    };
    constexpr int pairs = 4;
    int both = 0, one = 0;
    for (int n = 0; n < pairs; ++n) {
        auto owner = p.register_customer("owner" + std::to_string(n) + "@example.org");
        std::string first = loan(owner, "Kredit A " + std::to_string(n));
        std::string second = loan(owner, "Kredit B " + std::to_string(n));
        std::barrier start(2);
        std::atomic<int> allowed{0}, limited{0};
        auto send = [&](const customer& who, const std::string& project) {
            https_client c(p.srv.port());
            start.arrive_and_wait();
            auto r = c.request("POST", "/v1/projects/" + project + "/pledges",
                               R"({"amount_minor": 6000, "currency": "EUR"})",
                               auth_headers(who.token, "pair-" + std::to_string(n)));
            if (r.status == 201) ++allowed;
            else if (problem_slug(r) == "risk-owner-limit") ++limited;
        };
        std::thread a([&] { send(anna, first); });
        std::thread b([&] { send(ben, second); });
        a.join();
        b.join();
        CHECK(allowed == 1);
        CHECK(limited == 1);
        (allowed == 2 ? both : one)++;
        CHECK(p.db.scalar("SELECT sum(g.amount_minor) FROM pledges g JOIN projects x ON x.id = g.project_id "
                          "WHERE x.owner_id = " +
                          owner.id) == "6000");
    }
    CHECK(both == 0);
    p.check_books();
}

TEST_CASE("attacks: staff ledger keys live apart from the platform's and from each other's", "[e2e][attacks]") {
    platform p(platform::settling_job());
    std::string staff2 = p.create_user("sam@bank.example", "staff");
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    p.deposit(anna, 5'000);
    std::string project = p.open_project(owner, {{"goal_minor", 1'000}, {"deadline", p.days_from_now(10)}});
    std::string pledge = p.pledged(anna, project, 1'000, "a");

    // Staff book entries under the very keys the platform will use for this
    // pledge's revocation and settlement, and for the project's fee.
    std::string x = p.ledger_account("staff:x", "asset"), y = p.ledger_account("staff:y", "asset");
    auto entry = [&](const std::string& token, const std::string& key, std::int64_t amount) {
        return p.transfer(x, y, amount, key, token);
    };
    std::string next_pledge = std::to_string(std::stoll(pledge) + 1);
    for (const std::string& key : {"pledge-revoke:" + pledge, "settle:" + next_pledge, "fee:" + project}) {
        REQUIRE(entry(p.staff, key, 1).status == 201);
    }
    // Another staff member's same key is their own entry, not a replay of
    // (or a conflict with) the first one's.
    auto theirs = entry(staff2, "fee:" + project, 2);
    CHECK(theirs.status == 201);
    CHECK(theirs.header("idempotent-replayed") == "");
    CHECK(entry(p.staff, "fee:" + project, 1).header("idempotent-replayed") == "true");

    // The platform's own bookings under those keys go through.
    auto revoked = p.revoke(anna, pledge, "r");
    INFO(revoked.body);
    CHECK(revoked.status == 200);
    REQUIRE(p.pledge(anna, project, 1'000, "b").status == 201);
    p.make_due(project);
    eventually([&] { return p.state_of(project) != "funding"; }, std::chrono::seconds(10), "the campaign to settle");
    CHECK(p.state_of(project) == "funded");
    CHECK(p.balance(owner) == 980);
    p.check_books();
}
