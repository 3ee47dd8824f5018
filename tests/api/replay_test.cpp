// A retried request never has a different effect (issue 11, item 4). This
// test walks the server's own route table: every route that moves money
// with an Idempotency-Key is sent twice under one key and must answer the
// same both times, and a different request under that key gets 409. A money
// route without a scenario here fails the test, so a new one cannot forget.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <sstream>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

struct call {
    std::string target, body, token;
    std::string other_target, other_body; // a different request under the same key
};

// The money routes of the real binary and where their keys come from.
std::map<std::string, std::string> money_routes() {
    std::string output;
    REQUIRE(run_cli({"routes", "--money"}, {}, "", output) == 0);
    std::map<std::string, std::string> out;
    std::istringstream lines(output);
    std::string method, pattern, keys;
    while (lines >> method >> pattern >> keys) out.emplace(method + " " + pattern, keys);
    REQUIRE(out.size() >= 15);
    return out;
}

std::string amount(std::int64_t minor) {
    return json::serialize(json::object{{"amount_minor", minor}, {"currency", "EUR"}});
}

std::string payout_body(std::int64_t minor) {
    return json::serialize(
        json::object{{"amount_minor", minor}, {"currency", "EUR"}, {"iban", "DE89370400440532013000"}});
}

struct world {
    platform p;
    customer owner, anna, ben;
    int keys = 0;

    // The settlement job waits a day between looks: the scenarios settle by hand.
    world()
        : p(std::map<std::string, std::string>{{"SCHWARM_SETTLEMENT_INTERVAL_MS", "86400000"}}),
          owner(p.register_customer("owner@example.org")), anna(p.register_customer("anna@example.org")),
          ben(p.register_customer("ben@example.org")) {
        p.deposit(anna, 1'000'000);
        p.deposit(ben, 1'000'000);
    }
    std::string key() { return "setup-" + std::to_string(++keys); }
    std::string pledge(const customer& c, const std::string& project, std::int64_t minor) {
        return p.pledged(c, project, minor, key());
    }
    // Ben's payout request, waiting for staff; its id.
    std::string payout() {
        auto r = p.client.request("POST", "/v1/wallet/payouts", payout_body(100), auth_headers(ben.token, key()));
        REQUIRE(r.status == 201);
        return std::string(r.json().at("id").as_string());
    }
    std::string due_project(std::int64_t goal = 1'000) {
        std::string project = p.open_project(owner, {{"goal_minor", goal}, {"deadline", p.days_from_now(5)}});
        pledge(anna, project, 1'000);
        p.make_due(project);
        return project;
    }
    std::string funded_loan() {
        auto fields = loan_fields(10'000);
        fields["deadline"] = p.days_from_now(5);
        std::string loan = p.open_project(owner, fields);
        pledge(anna, loan, 10'000);
        p.make_due(loan);
        REQUIRE(p.settle(loan, key()).status == 200);
        return loan;
    }
    std::string disbursed_loan() {
        std::string loan = funded_loan();
        REQUIRE(p.disburse(loan, key()).status == 201);
        p.deposit(owner, 20'000);
        return loan;
    }
    std::string tallied_round() {
        std::string project = p.approved_project(owner, {{"goal_minor", 5'000}});
        REQUIRE(p.fund_deposit(5'000, key()).status == 201);
        auto round = p.new_round({{"title", "Runde"}, {"budget_minor", 5'000}});
        REQUIRE(round.add_project(project).status == 201);
        REQUIRE(round.open().status == 200);
        REQUIRE(round.ballot(anna.token, {"project-" + project}).status == 201);
        REQUIRE(round.close().status == 200);
        REQUIRE(round.tally().status == 200);
        return round.path();
    }
    std::string account(const std::string& code) { return p.ledger_account(code, "asset"); }
    std::string entry_body(const std::string& kind, std::int64_t minor) {
        static int n = 0;
        std::string from = account("replay:from:" + std::to_string(++n)),
                    to = account("replay:to:" + std::to_string(n));
        json::array postings{
            json::object{{"account_id", from}, {"side", "debit"}, {"amount_minor", minor}, {"currency", "EUR"}},
            json::object{{"account_id", to}, {"side", "credit"}, {"amount_minor", minor}, {"currency", "EUR"}}};
        return json::serialize(json::object{{"kind", kind}, {"postings", postings}});
    }
    std::string hold() {
        auto r =
            p.client.request("POST", "/v1/ledger/entries", entry_body("pending", 10), auth_headers(p.staff, key()));
        REQUIRE(r.status == 201);
        return id_of(r);
    }
};

// One scenario per money route: the request to send twice, set up first.
std::map<std::string, std::function<call(world&)>> scenarios() {
    return {
        {"POST /v1/projects/{id}/pledges",
         [](world& w) {
             std::string project = w.p.open_project(w.owner, {{"goal_minor", 100'000}});
             return call{"/v1/projects/" + project + "/pledges", amount(100), w.anna.token, "", amount(200)};
         }},
        {"POST /v1/pledges/{id}/revoke",
         [](world& w) {
             std::string project = w.p.open_project(w.owner, {{"goal_minor", 100'000}});
             std::string a = w.pledge(w.anna, project, 100), b = w.pledge(w.anna, project, 100);
             return call{"/v1/pledges/" + a + "/revoke", "", w.anna.token, "/v1/pledges/" + b + "/revoke", ""};
         }},
        {"POST /v1/projects/{id}/settle",
         [](world& w) {
             std::string a = w.due_project(), b = w.due_project();
             return call{"/v1/projects/" + a + "/settle", "", w.p.staff, "/v1/projects/" + b + "/settle", ""};
         }},
        {"POST /v1/projects/{id}/disburse",
         [](world& w) {
             std::string loan = w.funded_loan();
             return call{"/v1/projects/" + loan + "/disburse", "", w.p.staff, "/v1/projects/" + loan + "/disburse?x=1",
                         ""};
         }},
        {"POST /v1/loans/{id}/repayments",
         [](world& w) {
             std::string loan = w.disbursed_loan();
             return call{"/v1/loans/" + loan + "/repayments", R"({"amount_minor": 500})", w.owner.token, "",
                         R"({"amount_minor": 600})"};
         }},
        {"POST /v1/loans/{id}/default",
         [](world& w) {
             std::string loan = w.disbursed_loan();
             return call{"/v1/loans/" + loan + "/default", R"({"reason": "gone"})", w.p.staff, "",
                         R"({"reason": "other"})"};
         }},
        {"POST /v1/rounds/{id}/allocate",
         [](world& w) {
             std::string round = w.tallied_round();
             return call{round + "/allocate", "", w.p.staff, "", R"({"reject": [], "reason": "x"})"};
         }},
        {"POST /v1/wallets/{user_id}/deposits",
         [](world& w) {
             return call{"/v1/wallets/" + w.ben.id + "/deposits", amount(100), w.p.staff, "", amount(101)};
         }},
        {"POST /v1/wallets/{user_id}/payouts",
         [](world& w) {
             return call{"/v1/wallets/" + w.ben.id + "/payouts", amount(100), w.p.staff, "", amount(101)};
         }},
        {"POST /v1/wallet/deposits",
         [](world& w) {
             return call{"/v1/wallet/deposits", amount(100), w.anna.token, "", amount(101)};
         }},
        {"POST /v1/wallet/payouts",
         [](world& w) {
             return call{"/v1/wallet/payouts", payout_body(100), w.anna.token, "", payout_body(101)};
         }},
        {"POST /v1/payouts/{id}/approve",
         [](world& w) {
             std::string a = w.payout(), b = w.payout();
             return call{"/v1/payouts/" + a + "/approve", "", w.p.staff, "/v1/payouts/" + b + "/approve", ""};
         }},
        {"POST /v1/payouts/{id}/reject",
         [](world& w) {
             std::string a = w.payout();
             return call{"/v1/payouts/" + a + "/reject", R"({"reason": "Konto unbekannt"})", w.p.staff, "",
                         R"({"reason": "anders"})"};
         }},
        {"POST /v1/fund/deposits",
         [](world& w) {
             return call{"/v1/fund/deposits", amount(100), w.p.staff, "", amount(101)};
         }},
        {"POST /v1/ledger/entries",
         [](world& w) {
             return call{"/v1/ledger/entries", w.entry_body("posted", 5), w.p.staff, "", w.entry_body("posted", 6)};
         }},
        {"POST /v1/ledger/entries/{id}/post",
         [](world& w) {
             std::string a = w.hold(), b = w.hold();
             return call{"/v1/ledger/entries/" + a + "/post", "", w.p.staff, "/v1/ledger/entries/" + b + "/post", ""};
         }},
        {"POST /v1/ledger/entries/{id}/void",
         [](world& w) {
             std::string a = w.hold(), b = w.hold();
             return call{"/v1/ledger/entries/" + a + "/void", "", w.p.staff, "/v1/ledger/entries/" + b + "/void", ""};
         }},
        {"POST /v1/projects/{id}/withdraw",
         [](world& w) {
             std::string project = w.p.open_project(w.owner, {{"goal_minor", 100'000}});
             w.pledge(w.anna, project, 100);
             return call{"/v1/projects/" + project + "/withdraw", "", w.owner.token, "", R"({"reason": "x"})"};
         }},
        {"POST /v1/projects/{id}/cancel",
         [](world& w) {
             std::string project = w.p.open_project(w.owner, {{"goal_minor", 100'000}});
             w.pledge(w.anna, project, 100);
             return call{"/v1/projects/" + project + "/cancel", R"({"reason": "Betrug"})", w.p.staff, "",
                         R"({"reason": "anders"})"};
         }},
    };
}

} // namespace

TEST_CASE("replays: every route that moves money answers a retry as it answered first", "[e2e][replays]") {
    world w;
    auto all = scenarios();
    auto routes = money_routes();
    for (const auto& [route, keys] : routes) {
        if (keys != "header") continue; // keys in the body: each entry replays by its own key
        INFO(route);
        auto scenario = all.find(route);
        REQUIRE(scenario != all.end()); // a money route needs a scenario here
        call c = scenario->second(w);
        std::string method = route.substr(0, route.find(' '));
        std::string key = "replay-" + route;
        std::replace(key.begin(), key.end(), ' ', '_');
        auto first = w.p.client.request(method, c.target, c.body, auth_headers(c.token, key));
        INFO(first.body);
        REQUIRE(first.status >= 200);
        REQUIRE(first.status < 300);
        CHECK(first.header("idempotent-replayed") == "");
        // Its audit record, with its caller and request id, in the same transaction.
        CHECK(w.p.db.scalar("SELECT count(*) FROM audit_log WHERE actor_id IS NOT NULL AND request_id = '" +
                            first.header("x-request-id") + "'") != "0");
        auto second = w.p.client.request(method, c.target, c.body, auth_headers(c.token, key));
        CHECK(second.status == first.status);
        CHECK(second.body == first.body);
        CHECK(second.header("location") == first.header("location"));
        CHECK(second.header("idempotent-replayed") == "true");
        auto other = w.p.client.request(method, c.other_target.empty() ? c.target : c.other_target,
                                        c.other_body.empty() ? c.body : c.other_body, auth_headers(c.token, key));
        CHECK(problem_slug(other) == "idempotency-conflict");
        all.erase(scenario);
    }
    for (const auto& [route, unused] : all) {
        INFO("a scenario for a route that is not marked as moving money: " << route);
        CHECK(false);
    }
    w.p.check_books();
}

TEST_CASE("replays: a key is the caller's own, and concurrent retries book once", "[e2e][replays]") {
    world w;
    std::string staff2 = w.p.create_user("sam@bank.example", "staff");
    auto first =
        w.p.client.request("POST", "/v1/wallets/" + w.ben.id + "/deposits", amount(100), auth_headers(w.p.staff, "k"));
    REQUIRE(first.status == 201);
    // Another staff member's same key: their own request, not the first one's answer.
    auto theirs =
        w.p.client.request("POST", "/v1/wallets/" + w.ben.id + "/deposits", amount(300), auth_headers(staff2, "k"));
    CHECK(theirs.status == 201);
    CHECK(theirs.header("idempotent-replayed") == "");
    CHECK(theirs.body != first.body);
    CHECK(w.p.balance(w.ben) == 1'000'400);

    // Ten clients send the same settlement at once: one books, all answer alike.
    std::string project = w.due_project();
    std::vector<std::thread> threads;
    std::vector<reply> answers(10);
    for (int i = 0; i < 10; ++i) {
        threads.emplace_back([&, i] {
            https_client c(w.p.srv.port());
            answers[i] =
                c.request("POST", "/v1/projects/" + project + "/settle", {}, auth_headers(w.p.staff, "together"));
        });
    }
    for (auto& t : threads) t.join();
    int replays = 0;
    for (const auto& a : answers) {
        INFO(a.body);
        CHECK(a.status == 200);
        CHECK(a.body == answers[0].body);
        if (a.header("idempotent-replayed") == "true") ++replays;
    }
    CHECK(replays == 9);
    CHECK(w.p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.settlement_decided'") == "1");
    w.p.check_books();
}
