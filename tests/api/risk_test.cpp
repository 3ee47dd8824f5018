// Risk through the real binary: credit applications, the scorecard check,
// staff reviews with four eyes and their refusals, investor protection.
#include "support/platform.hpp"
#include "support/risk_world.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
using namespace schwarm::test::risk;

namespace {

std::string state_of(https_client& client, const std::string& id) {
    return std::string(client.request("GET", "/v1/projects/" + id).json().at("state").as_string());
}

} // namespace

TEST_CASE("risk: a scorecard check, then four eyes approve a large loan", "[e2e][risk]") {
    // Four eyes above EUR 10,000: the EUR 50,000 loan needs two approvals.
    platform p(std::map<std::string, std::string>{{"SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "1000000"}});
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string anna = p.create_user("anna@bank.example", "staff");
    std::string bert = p.create_user("bert@bank.example", "staff");
    std::string id = submitted_loan(client, owner, 5'000'000, sound_application());

    auto review = wait_review(client, anna, id, latest_check_settled);
    CHECK(review.at("state") == "waiting");
    CHECK(review.at("approvals_needed") == 2);
    const auto& check = review.at("checks").as_array().at(0);
    CHECK(check.at("provider") == "scorecard");
    CHECK(check.at("state") == "completed");
    CHECK(check.at("decision") == "approve");
    CHECK(check.at("scorecard_version") == 1);
    CHECK(check.at("score").as_int64() >= 660);
    CHECK(!check.at("reasons").as_array().empty());
    CHECK(check.at("request").at("monthly_income_minor") == 2'000'000);

    auto first = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    INFO(first.body);
    REQUIRE(first.status == 200);
    CHECK(first.json().at("approvals") == 1);
    CHECK(state_of(client, id) == "in_review");

    // The lifecycle's own approve is refused until the review is complete.
    auto direct = client.request("POST", "/v1/projects/" + id + "/approve", {}, auth_headers(anna));
    CHECK(direct.status == 409);
    CHECK(type_of(direct) == problem_type("risk-review-incomplete"));
    CHECK(direct.json().at("approvals") == 1);
    CHECK(direct.json().at("approvals_needed") == 2);

    // The same person again is not four eyes: refused, nothing changes.
    auto again = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    CHECK(again.status == 409);
    CHECK(type_of(again) == problem_type("risk-second-approval-same-person"));
    CHECK(db.scalar("SELECT count(*) FROM risk_review_actions WHERE project_id = " + id) == "1");
    CHECK(state_of(client, id) == "in_review");

    auto second = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(bert));
    INFO(second.body);
    REQUIRE(second.status == 200);
    CHECK(second.json().at("state") == "approved");
    CHECK(second.json().at("approvals") == 2);
    CHECK(state_of(client, id) == "approved");
    CHECK(db.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE subject = 'project:" + id +
                    "' AND action LIKE 'risk.review%'") == "risk.review.approve,risk.review.approve");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE subject = 'project:" + id +
                    "' AND action = 'project.approve'") == "1");
}

TEST_CASE("risk: a small loan needs one approval, reviews refuse conflicts and wrong roles", "[e2e][risk]") {
    // The server's own four-eyes principal (EUR 25,000), which the EUR 20,000 loan is below.
    platform p(std::map<std::string, std::string>{{"SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "2500000"}});
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string anna = p.create_user("anna@bank.example", "staff");
    std::string cleo = p.create_user("cleo@bank.example", "staff");
    std::string admin = p.create_user("adam@bank.example", "admin");
    std::string id = submitted_loan(client, owner, 2'000'000, sound_application());
    wait_review(client, anna, id, latest_check_settled);

    // Wrong roles: a customer neither lists nor decides; no token is 401.
    CHECK(client.request("GET", "/v1/risk/reviews", {}, auth_headers(owner)).status == 403);
    CHECK(client.request("GET", "/v1/risk/reviews").status == 401);
    auto by_customer = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(owner));
    CHECK(by_customer.status == 403);
    CHECK(type_of(by_customer) == problem_type("forbidden"));

    // A recorded relationship bars the reviewer.
    std::string cleo_id = db.scalar("SELECT id FROM users WHERE email = 'cleo@bank.example'");
    std::string owner_id = db.scalar("SELECT id FROM users WHERE email = 'olga@example.org'");
    auto related = client.request(
        "POST", "/v1/risk/relationships",
        json::serialize(
            json::object{{"staff_id", std::stoll(cleo_id)}, {"customer_id", std::stoll(owner_id)}, {"kind", "family"}}),
        auth_headers(admin));
    REQUIRE(related.status == 201);
    auto by_related = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(cleo));
    CHECK(by_related.status == 403);
    CHECK(type_of(by_related) == problem_type("risk-conflict-of-interest"));
    CHECK(by_related.json().at("rule") == "relationship");
    // …also through the lifecycle's own routes.
    CHECK(client.request("POST", "/v1/projects/" + id + "/start-review", {}, auth_headers(cleo)).status == 403);

    // The owner, made staff, may still not review their own project.
    db.exec("UPDATE users SET role = 'staff' WHERE id = " + owner_id);
    auto by_owner = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(owner));
    CHECK(by_owner.status == 403);
    CHECK(type_of(by_owner) == problem_type("risk-conflict-of-interest"));
    CHECK(by_owner.json().at("rule") == "owner");
    db.exec("UPDATE users SET role = 'customer' WHERE id = " + owner_id);

    // A rejection needs a reason.
    auto no_reason = client.request("POST", "/v1/risk/reviews/" + id + "/reject", "{}", auth_headers(anna));
    CHECK(no_reason.status == 400);
    CHECK(no_reason.json().at("field") == "reason");
    CHECK(db.scalar("SELECT count(*) FROM risk_review_actions WHERE project_id = " + id) == "0");

    // Below the four-eyes principal, one approval approves.
    auto approved = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    CHECK(approved.json().at("approvals_needed") == 1);
    CHECK(state_of(client, id) == "approved");
    auto after = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    CHECK(after.status == 409);
    CHECK(type_of(after) == problem_type("risk-review-state"));
}

TEST_CASE("risk: nobody reviews a donation or reward of someone they are related to", "[e2e][risk]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string owner = register_and_login(client, "olga@example.org");
    std::string anna = create_user_and_login(client, db, "anna@bank.example", "staff");
    std::string cleo = create_user_and_login(client, db, "cleo@bank.example", "staff");
    std::string admin = create_user_and_login(client, db, "adam@bank.example", "admin");
    std::string cleo_id = db.scalar("SELECT id FROM users WHERE email = 'cleo@bank.example'");
    std::string owner_id = db.scalar("SELECT id FROM users WHERE email = 'olga@example.org'");
    REQUIRE(
        client
            .request("POST", "/v1/risk/relationships",
                     json::serialize(json::object{
                         {"staff_id", std::stoll(cleo_id)}, {"customer_id", std::stoll(owner_id)}, {"kind", "family"}}),
                     auth_headers(admin))
            .status == 201);
    for (const char* kind : {"donation", "reward"}) {
        INFO(kind);
        json::object fields = loan();
        for (const char* loan_only : {"loan_rate_bp", "loan_term_months", "loan_schedule"}) fields.erase(loan_only);
        fields["kind"] = kind;
        auto created = client.request("POST", "/v1/projects", json::serialize(fields), auth_headers(owner));
        REQUIRE(created.status == 201);
        std::string id(created.json().at("id").as_string());
        REQUIRE(client.request("POST", "/v1/projects/" + id + "/submit", {}, auth_headers(owner)).status == 200);
        const int audit_before = std::stoi(db.scalar("SELECT count(*) FROM audit_log"));

        for (const char* move : {"start-review", "reject"}) {
            auto refused =
                client.request("POST", "/v1/projects/" + id + "/" + move, R"({"reason":"no"})", auth_headers(cleo));
            CHECK(refused.status == 403);
            CHECK(type_of(refused) == problem_type("risk-conflict-of-interest"));
            CHECK(refused.json().at("rule") == "relationship");
        }
        CHECK(state_of(client, id) == "submitted");
        CHECK(std::stoi(db.scalar("SELECT count(*) FROM audit_log")) == audit_before);
        // Staff without a tie review it as before.
        REQUIRE(client.request("POST", "/v1/projects/" + id + "/start-review", {}, auth_headers(anna)).status == 200);
        CHECK(client.request("POST", "/v1/projects/" + id + "/approve", {}, auth_headers(cleo)).status == 403);
        REQUIRE(client.request("POST", "/v1/projects/" + id + "/approve", {}, auth_headers(anna)).status == 200);
        CHECK(state_of(client, id) == "approved");
        CHECK(client.request("POST", "/v1/projects/" + id + "/open-funding", {}, auth_headers(cleo)).status == 403);
        CHECK(state_of(client, id) == "approved");
    }
}

TEST_CASE("risk: without an application the check fails and nothing is approved, request-info and reject",
          "[e2e][risk]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string other = p.register_customer("otto@example.org", investor::none).token;
    const std::string& anna = p.staff;
    std::string id = submitted_loan(client, owner, 2'000'000, nullptr);

    auto review = wait_review(client, anna, id, latest_check_settled);
    const auto& check = review.at("checks").as_array().at(0);
    CHECK(check.at("state") == "failed");
    CHECK(std::string(check.at("error").as_string()).starts_with("application-missing"));
    auto approve = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    CHECK(approve.status == 409);
    CHECK(type_of(approve) == problem_type("risk-check-outstanding"));
    CHECK(approve.json().at("check_state") == "failed");
    CHECK(state_of(client, id) == "submitted");

    auto no_message = client.request("POST", "/v1/risk/reviews/" + id + "/request-info", {}, auth_headers(anna));
    CHECK(no_message.status == 400);
    auto asked = client.request("POST", "/v1/risk/reviews/" + id + "/request-info",
                                R"({"message":"Please declare your income and debts"})", auth_headers(anna));
    REQUIRE(asked.status == 200);
    CHECK(asked.json().at("state") == "info_requested");

    // Only the owner answers, with valid figures.
    CHECK(
        client.request("PUT", "/v1/risk/applications/" + id, json::serialize(sound_application()), auth_headers(other))
            .status == 404);
    auto negative = sound_application();
    negative["monthly_income_minor"] = -1;
    auto refused = client.request("PUT", "/v1/risk/applications/" + id, json::serialize(negative), auth_headers(owner));
    CHECK(refused.status == 400);
    CHECK(refused.json().at("field") == "monthly_income_minor");
    auto person_with_years = sound_application();
    person_with_years["applicant_type"] = "person";
    CHECK(client.request("PUT", "/v1/risk/applications/" + id, json::serialize(person_with_years), auth_headers(owner))
              .json()
              .at("field") == "years_in_business");
    CHECK(db.scalar("SELECT count(*) FROM risk_applications") == "0");

    // A poor application: outgoings above income; a new round, a new check.
    json::object poor{{"applicant_type", "person"},
                      {"monthly_income_minor", 150'000},
                      {"monthly_expenses_minor", 140'000},
                      {"existing_debt_minor", 3'000'000},
                      {"purpose", "refinancing"}};
    REQUIRE(client.request("PUT", "/v1/risk/applications/" + id, json::serialize(poor), auth_headers(owner)).status ==
            200);
    review = wait_review(client, anna, id,
                         [](const json::value& r) { return r.at("round") == 2 && latest_check_settled(r); });
    CHECK(review.at("state") == "waiting");
    const auto& declined = review.at("checks").as_array().at(0);
    CHECK(declined.at("state") == "completed");
    CHECK(declined.at("decision") == "decline");
    CHECK(declined.at("pd_band") == "E");
    // The largest move first: outgoings above 60% of income.
    CHECK(declined.at("reasons").as_array().at(0).at("factor") == "debt_service_ratio_pct");
    auto declined_approve = client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(anna));
    CHECK(declined_approve.status == 409);
    CHECK(type_of(declined_approve) == problem_type("risk-check-declined"));

    auto rejected = client.request("POST", "/v1/risk/reviews/" + id + "/reject",
                                   R"({"reason":"Debt service too high"})", auth_headers(anna));
    REQUIRE(rejected.status == 200);
    CHECK(rejected.json().at("state") == "rejected");
    CHECK(state_of(client, id) == "rejected");
    CHECK(client.request("PUT", "/v1/risk/applications/" + id, json::serialize(poor), auth_headers(owner)).status ==
          409);
}

TEST_CASE("risk: the review queue filters and pages by keyset", "[e2e][risk]") {
    platform p;
    auto& client = p.client;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    const std::string& anna = p.staff;
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) ids.push_back(submitted_loan(client, owner, 1'000'000, sound_application()));
    for (const auto& id : ids) wait_review(client, anna, id, latest_check_settled);
    REQUIRE(client
                .request("POST", "/v1/risk/reviews/" + ids[1] + "/request-info", R"({"message":"Bank statements?"})",
                         auth_headers(anna))
                .status == 200);

    auto first = client.request("GET", "/v1/risk/reviews?limit=2", {}, auth_headers(anna));
    REQUIRE(first.status == 200);
    auto page = first.json();
    const auto& items = page.at("items").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("project_id").as_string() == ids[0]); // oldest first
    std::string next(page.at("next_cursor").as_string());
    auto rest = client.request("GET", "/v1/risk/reviews?limit=2&cursor=" + next, {}, auth_headers(anna));
    REQUIRE(rest.json().at("items").as_array().size() == 1);
    CHECK(rest.json().at("items").as_array()[0].at("project_id").as_string() == ids[2]);
    CHECK(rest.json().at("next_cursor").is_null());

    auto waiting =
        client.request("GET", "/v1/risk/reviews?state=waiting", {}, auth_headers(anna)).json().at("items").as_array();
    CHECK(waiting.size() == 2);
    auto asked = client.request("GET", "/v1/risk/reviews?state=info_requested", {}, auth_headers(anna))
                     .json()
                     .at("items")
                     .as_array();
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].at("project_id").as_string() == ids[1]);
    CHECK(client.request("GET", "/v1/risk/reviews?decision=approve", {}, auth_headers(anna))
              .json()
              .at("items")
              .as_array()
              .size() == 3);
    CHECK(client.request("GET", "/v1/risk/reviews?decision=decline", {}, auth_headers(anna))
              .json()
              .at("items")
              .as_array()
              .empty());
    CHECK(client.request("GET", "/v1/risk/reviews?state=lost", {}, auth_headers(anna)).status == 400);
}

TEST_CASE("risk: investor profile, loss simulation, knowledge test, sophistication", "[e2e][risk]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    std::string ivo = p.register_customer("ivo@example.org", investor::none).token;
    const std::string& anna = p.staff;

    auto fresh = client.request("GET", "/v1/risk/investor", {}, auth_headers(ivo)).json();
    CHECK(fresh.at("category") == "non_sophisticated");
    CHECK(fresh.at("knowledge_test").at("status") == "none");
    CHECK(fresh.at("may_revoke") == true);
    CHECK(fresh.at("risk_warning_threshold_minor") == 100'000);

    // The simulation needs a declared net worth; a negative income is refused.
    auto early = client.request("POST", "/v1/risk/investor/loss-simulation", {}, auth_headers(ivo));
    CHECK(early.status == 409);
    CHECK(type_of(early) == problem_type("risk-profile-required"));
    auto negative = client.request(
        "PUT", "/v1/risk/investor/profile",
        R"({"annual_income_minor":-5000000,"liquid_assets_minor":0,"annual_commitments_minor":0})", auth_headers(ivo));
    CHECK(negative.status == 400);
    CHECK(negative.json().at("field") == "annual_income_minor");
    CHECK(db.scalar("SELECT count(*) FROM risk_investor_profiles") == "0");

    auto declared = client.request(
        "PUT", "/v1/risk/investor/profile",
        R"({"annual_income_minor":6000000,"liquid_assets_minor":5000000,"annual_commitments_minor":1000000})",
        auth_headers(ivo));
    REQUIRE(declared.status == 200);
    CHECK(declared.json().at("profile").at("net_worth_minor") == 10'000'000);
    CHECK(declared.json().at("risk_warning_threshold_minor") == 500'000); // 5% of EUR 100,000 > EUR 1,000
    auto simulated = client.request("POST", "/v1/risk/investor/loss-simulation", {}, auth_headers(ivo));
    REQUIRE(simulated.status == 200);
    CHECK(simulated.json().at("loss_capacity_minor") == 1'000'000);
    CHECK(!client.request("GET", "/v1/risk/investor", {}, auth_headers(ivo)).json().at("loss_simulated_at").is_null());

    // The knowledge test: questions are data; answers are checked.
    auto questions =
        client.request("GET", "/v1/risk/knowledge-test", {}, auth_headers(ivo)).json().at("questions").as_array();
    REQUIRE(questions.size() == 5);
    CHECK(!questions[0].as_object().contains("correct"));
    auto unknown = client.request("POST", "/v1/risk/knowledge-test",
                                  R"({"answers":[{"question_id":"moon_landing","option":0}]})", auth_headers(ivo));
    CHECK(unknown.status == 400);
    CHECK(unknown.json().at("field") == "answers[0].question_id");
    CHECK(unknown.json().at("question_id") == "moon_landing");
    auto partial = client.request("POST", "/v1/risk/knowledge-test",
                                  R"({"answers":[{"question_id":"total_loss","option":1}]})", auth_headers(ivo));
    CHECK(partial.status == 400);
    CHECK(partial.json().at("field") == "answers");
    auto out_of_range = client.request("POST", "/v1/risk/knowledge-test",
                                       R"({"answers":[{"question_id":"total_loss","option":7}]})", auth_headers(ivo));
    CHECK(out_of_range.status == 400);
    CHECK(out_of_range.json().at("field") == "answers[0].option");
    CHECK(db.scalar("SELECT count(*) FROM risk_knowledge_tests") == "0");

    auto answers = [](int wrong) {
        json::array a;
        const char* ids[] = {"total_loss", "deposit_guarantee", "liquidity", "diversification", "reflection"};
        const int right[] = {1, 1, 1, 1, 0};
        for (int i = 0; i < 5; ++i)
            a.push_back({{"question_id", ids[i]}, {"option", i < wrong ? (right[i] + 1) % 2 + 0 : right[i]}});
        return json::serialize(json::object{{"answers", a}});
    };
    auto failed = client.request("POST", "/v1/risk/knowledge-test", answers(2), auth_headers(ivo));
    REQUIRE(failed.status == 201);
    CHECK(failed.json().at("passed") == false);
    CHECK(failed.json().at("correct") == 3);
    auto passed = client.request("POST", "/v1/risk/knowledge-test", answers(0), auth_headers(ivo));
    REQUIRE(passed.status == 201);
    CHECK(passed.json().at("passed") == true);
    CHECK(db.scalar(
              "SELECT taken_at + interval '2 years' = expires_at FROM risk_knowledge_tests ORDER BY id DESC LIMIT 1") ==
          "t");
    CHECK(client.request("GET", "/v1/risk/investor", {}, auth_headers(ivo)).json().at("knowledge_test").at("status") ==
          "passed");

    // Sophisticated only on staff approval of a request.
    auto request = client.request("POST", "/v1/risk/investor/sophistication-requests",
                                  R"({"evidence":"Portfolio above EUR 500,000; ten years in asset management"})",
                                  auth_headers(ivo));
    REQUIRE(request.status == 201);
    std::string request_id(request.json().at("id").as_string());
    CHECK(
        client
            .request("POST", "/v1/risk/investor/sophistication-requests", R"({"evidence":"again"})", auth_headers(ivo))
            .status == 409);
    CHECK(client.request("POST", "/v1/risk/sophistication-requests/" + request_id + "/approve", {}, auth_headers(ivo))
              .status == 403);
    CHECK(client.request("POST", "/v1/risk/sophistication-requests/" + request_id + "/reject", {}, auth_headers(anna))
              .status == 400);
    auto pending = client.request("GET", "/v1/risk/sophistication-requests?state=pending", {}, auth_headers(anna));
    REQUIRE(pending.json().at("items").as_array().size() == 1);
    auto approved =
        client.request("POST", "/v1/risk/sophistication-requests/" + request_id + "/approve", {}, auth_headers(anna));
    REQUIRE(approved.status == 200);
    auto now = client.request("GET", "/v1/risk/investor", {}, auth_headers(ivo)).json();
    CHECK(now.at("category") == "sophisticated");
    CHECK(now.at("may_revoke") == false);
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'risk.investor.sophistication_approve'") == "1");
}
