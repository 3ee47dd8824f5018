// The web front's stories in a real browser: Debian's chromium, driven by
// playwright-core (tests/web/stories.mjs, pinned in package-lock.json),
// against the real binary and a real PostgreSQL. Each test sets up what its
// story needs through the API, runs the story in the browser, and then checks
// through the API that what the browser showed is what happened.
// Screenshots of the main pages go to $SCHWARM_TEST_SCREENSHOTS (test.sh:
// build/screenshots), else $SCHWARM_TEST_SCRATCH/screenshots.
#include "support/platform.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs `story` of stories.mjs with `fixture`; what the story reports (its
// last line of output, JSON) once it has passed. Fails with the story's log
// if it fails or takes longer than three minutes.
json::object run_story(const std::string& story, const server& srv, json::object fixture) {
    std::string dir = required_env("SCHWARM_TEST_SCRATCH") + "/web-" + story + "-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    fixture["base_url"] = "https://localhost:" + std::to_string(srv.port());
    const char* shots = std::getenv("SCHWARM_TEST_SCREENSHOTS");
    fixture["screenshots"] =
        shots && *shots ? std::string(shots) : required_env("SCHWARM_TEST_SCRATCH") + "/screenshots";
    fixture["work"] = dir;
    std::string fixture_path = dir + "/fixture.json";
    std::ofstream(fixture_path) << json::serialize(fixture);
    std::string result_path = dir + "/result.json";
    std::filesystem::remove(result_path);

    process node({"/usr/bin/env", "node", std::string(SCHWARM_SOURCE_DIR) + "/tests/web/stories.mjs", story,
                  fixture_path, result_path},
                 {});
    bool finished = within(
        std::chrono::minutes(3), [&] { return !node.running(); }, std::chrono::milliseconds(50));
    INFO("the story's log:\n" << node.log());
    REQUIRE(finished);
    REQUIRE(std::filesystem::exists(result_path)); // written only when every step passed
    return json::parse(read_all(result_path)).as_object();
}

std::string text(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

} // namespace

TEST_CASE("web front in a browser: a customer registers, backs a project and revokes", "[e2e][web][browser]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    std::string project = p.open_project(owner, {{"title", "Dorfladen Kleinwalde"}, {"goal_minor", 100'000}});

    auto result = run_story("back-and-revoke", p.srv,
                            {{"project_id", project},
                             {"staff_token", p.staff},
                             {"email", "neu@example.org"},
                             {"password", "ein langes Passwort"}});

    // What the browser did, as the API sees it: one pledge of 25.00 EUR,
    // revoked; the wallet whole again; the project without pledged money.
    std::string customer_token = text(result, "token");
    auto pledges = p.client.request("GET", "/v1/pledges", {}, auth_headers(customer_token));
    REQUIRE(pledges.status == 200);
    auto items = pledges.json().at("items").as_array();
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("state") == "revoked");
    CHECK(items[0].at("amount_minor") == 2500);
    CHECK(items[0].at("project_id").as_string() == project);
    auto wallet = p.client.request("GET", "/v1/wallet?currency=EUR", {}, auth_headers(customer_token));
    CHECK(wallet.json().at("available_minor") == 5000);
    CHECK(p.project(project).json().at("pledged_minor") == 0);
    // The session the page ended on logging out is gone.
    CHECK(p.client.request("GET", "/v1/users/me", {}, auth_headers(text(result, "logged_out_token"))).status == 401);
    p.check_books();
}

TEST_CASE("web front in a browser: a loan pledge asks for the investor profile, the test and the risk warning",
          "[e2e][web][browser]") {
    platform p;
    auto borrower = p.register_customer("borrower@example.org");
    std::string loan = p.open_project(borrower, loan_fields(500'000, 12)); // 5,000.00 EUR
    auto investor = p.register_customer("anlegerin@example.org", investor::none);
    p.deposit(investor, 300'000);

    run_story(
        "loan-protection", p.srv,
        {{"project_id", loan},
         {"title", p.project(loan).json().at("title")},
         {"email", investor.email},
         {"password", "correct horse battery"},
         {"answers",
          {{"total_loss", 1}, {"deposit_guarantee", 1}, {"liquidity", 1}, {"diversification", 1}, {"reflection", 0}}}});

    // Net worth 40,000.00 EUR: the warning from 2,000.00 EUR; the pledge of
    // 2,500.00 EUR is held with the warning acknowledged.
    auto pledges = p.client.request("GET", "/v1/pledges", {}, auth_headers(investor.token));
    auto items = pledges.json().at("items").as_array();
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("amount_minor") == 250'000);
    CHECK(items[0].at("state") == "held");
    CHECK(items[0].at("risk_acknowledged") == true);
    auto me = p.client.request("GET", "/v1/risk/investor", {}, auth_headers(investor.token)).json();
    CHECK(me.at("profile").at("net_worth_minor") == 4'000'000);
    CHECK(me.at("risk_warning_threshold_minor") == 200'000);
    CHECK_FALSE(me.at("loss_simulated_at").is_null());
    CHECK(me.at("knowledge_test").at("status") == "passed");
}

TEST_CASE("web front in a browser: a member votes and finds the receipt in the published ballots",
          "[e2e][web][browser]") {
    platform p;
    auto voter = p.register_customer("waehlerin@example.org");
    auto round = p.new_round({{"title", "Dorf 2030"}, {"max_projects", 1}});
    REQUIRE(round.add_item("spielplatz", 40'000).status == 201);
    REQUIRE(round.add_item("bibliothek", 30'000).status == 201);
    REQUIRE(round.open().status == 200);

    auto result = run_story("vote", p.srv,
                            {{"round_id", round.id()},
                             {"staff_token", p.staff},
                             {"email", voter.email},
                             {"password", "correct horse battery"}});

    // The receipt the page showed is the published ballot for the playground.
    auto ballots = p.client.request("GET", round.path() + "/ballots");
    REQUIRE(ballots.status == 200);
    auto items = ballots.json().at("items").as_array();
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("receipt") == result.at("receipt"));
    REQUIRE(items[0].at("choices").as_array().size() == 1);
    CHECK(items[0].at("choices").as_array()[0].at("project") == "spielplatz");
}

TEST_CASE("web front in a browser: staff approve a large loan with four eyes, book a deposit and a payout",
          "[e2e][web][browser]") {
    // The configuration's default: loans above 25,000.00 EUR need two approvals.
    platform p(std::map<std::string, std::string>{{"SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "2500000"}});
    p.create_user("staff2@bank.example", "staff"); // logs in through the page
    auto borrower = p.register_customer("borrower@example.org");
    // 30,000.00 EUR: two approvals.
    std::string loan = p.draft_project(borrower, loan_fields(3'000'000, 24));
    auto declared = p.client.request("PUT", "/v1/risk/applications/" + loan,
                                     R"({"applicant_type":"person","monthly_income_minor":2000000,)"
                                     R"("monthly_expenses_minor":500000,"existing_debt_minor":0,"purpose":"business"})",
                                     auth_headers(borrower.token));
    REQUIRE(declared.status == 200);
    REQUIRE(p.move(loan, "submit", borrower.token).status == 200);
    REQUIRE(p.move(loan, "start-review", p.staff).status == 200);
    eventually(
        [&] {
            return p.db.scalar("SELECT count(*) FROM risk_checks WHERE state = 'completed' AND project_id = " + loan) ==
                   "1";
        },
        std::chrono::seconds(10), "the loan's credit check");

    run_story("four-eyes", p.srv,
              {{"project_id", loan},
               {"first", "staff@bank.example"},
               {"second", "staff2@bank.example"},
               {"borrower_id", borrower.id},
               {"password", "correct horse battery"}});

    CHECK(p.state_of(loan) == "approved");
    // 100.00 EUR in, 40.00 EUR out, through the page; the refused payout booked nothing.
    CHECK(p.balance(borrower) == 6'000);
    CHECK(p.db.scalar("SELECT count(DISTINCT reviewer_id) FROM risk_review_actions WHERE project_id = " + loan +
                      " AND action = 'approve'") == "2");
}

TEST_CASE("web front in a browser: an auditor checks the books and downloads an export", "[e2e][web][browser]") {
    platform p;
    auto customer = p.register_customer("kundin@example.org");
    p.deposit(customer, 12'345);

    auto result =
        run_story("auditor", p.srv, {{"email", "auditor@bank.example"}, {"password", "correct horse battery"}});

    // The file the browser saved is the export the API gives the auditor.
    std::string saved = read_all(text(result, "csv_path"));
    auto direct = p.client.request("GET", "/v1/ledger/export?format=csv", {}, auth_headers(p.auditor));
    REQUIRE(direct.status == 200);
    CHECK(saved == direct.body);
    CHECK(saved.find("12345") != std::string::npos);
    CHECK(text(result, "csv_name").ends_with(".csv"));
}
