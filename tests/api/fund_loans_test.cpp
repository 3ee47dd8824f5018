// Loans the members choose and the community fund finances (issue 11, item
// 2): the fund is a lender of record for what it allocated, repaid pro rata
// like the backers, so the vote decides which loans go to whom and the money
// comes back for the next round.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

json::object loan_fields(std::int64_t goal, platform& p) {
    return {{"kind", "loan"},
            {"goal_minor", goal},
            {"loan_rate_bp", 600},
            {"loan_term_months", 6},
            {"loan_schedule", "annuity"},
            {"title", "Genossenschaftsladen"},
            {"deadline", p.days_from_now(20)}};
}

std::int64_t fund(platform& p) { return p.client.request("GET", "/v1/fund").json().at("balance_minor").as_int64(); }

struct round_api {
    platform& p;
    std::string base;
    reply add(const std::string& project, std::int64_t cost) {
        return p.client.request("POST", base + "/projects",
                                json::serialize(json::object{{"project_id", project}, {"cost_minor", cost}}),
                                auth_headers(p.staff));
    }
    void vote_and_allocate(const customer& voter, const std::vector<std::string>& projects) {
        json::array choices;
        for (const auto& project : projects) choices.push_back(json::object{{"project", "project-" + project}});
        REQUIRE(p.client.request("POST", base + "/open", {}, auth_headers(p.staff)).status == 200);
        REQUIRE(p.client
                    .request("PUT", base + "/ballot", json::serialize(json::object{{"choices", choices}}),
                             auth_headers(voter.token))
                    .status == 201);
        REQUIRE(p.client.request("POST", base + "/close", {}, auth_headers(p.staff)).status == 200);
        REQUIRE(p.client.request("POST", base + "/tally", {}, auth_headers(p.staff)).status == 200);
        auto allocated = p.client.request("POST", base + "/allocate", {}, auth_headers(p.staff, "allocate" + base));
        INFO(allocated.body);
        REQUIRE(allocated.status == 200);
    }
};

round_api new_round(platform& p, std::int64_t budget) {
    auto created = p.client.request("POST", "/v1/rounds",
                                    json::serialize(json::object{{"title", "Fonds 2030"},
                                                                 {"budget_minor", budget},
                                                                 {"currency", "EUR"},
                                                                 {"opens_at", "2020-01-01T00:00:00Z"},
                                                                 {"closes_at", "2099-01-01T00:00:00Z"}}),
                                    auth_headers(p.staff));
    REQUIRE(created.status == 201);
    return {p, "/v1/rounds/" + std::string(created.json().at("id").as_string())};
}

// Every instalment paid on time by the borrower.
void repay_in_full(platform& p, const std::string& loan, const customer& borrower, const json::array& schedule) {
    for (const auto& i : schedule) {
        auto r = p.client.request(
            "POST", "/v1/loans/" + loan + "/repayments",
            json::serialize(json::object{{"amount_minor", i.at("total_minor")}}),
            auth_headers(borrower.token, "repay-" + loan + "-" + std::to_string(i.at("no").as_int64())));
        INFO(r.body);
        REQUIRE(r.status == 201);
    }
    REQUIRE(p.state_of(loan) == "repaid");
}

} // namespace

TEST_CASE("fund loans: a round selects a loan and a donation, the fund lends, and it is repaid to the cent",
          "[e2e][loans][allocation]") {
    platform p(platform::settling_job());
    auto borrower = p.register_customer("bora@example.org");
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    std::string loan = p.approved_project(borrower, loan_fields(10'000, p));
    std::string donation = p.approved_project(owner, {{"goal_minor", 3'000}});
    std::string reward = p.approved_project(owner, {{"kind", "reward"}, {"title", "Tassen für alle"}});
    REQUIRE(p.client
                .request("POST", "/v1/fund/deposits", R"({"amount_minor": 7000, "currency": "EUR"})",
                         auth_headers(p.staff, "f"))
                .status == 201);

    auto round = new_round(p, 7'000);
    auto refused = round.add(reward, 1'000);
    CHECK(problem_slug(refused) == "round-project-kind");
    CHECK(refused.json().at("kind") == "reward");
    REQUIRE(round.add(loan, 4'000).status == 201);
    REQUIRE(round.add(donation, 3'000).status == 201);
    round.vote_and_allocate(anna, {loan, donation});
    CHECK(fund(p) == 0);

    // The donation is financed by the fund alone; the loan by the fund and Anna.
    for (const auto& project : {loan, donation}) {
        REQUIRE(
            p.client.request("POST", "/v1/projects/" + project + "/open-funding", {}, auth_headers(p.staff)).status ==
            200);
    }
    p.deposit(anna, 6'000);
    REQUIRE(p.pledge(anna, loan, 6'000, "a").status == 201);
    p.make_due(loan);
    p.make_due(donation);
    eventually([&] { return p.state_of(loan) != "funding" && p.state_of(donation) != "funding"; },
               std::chrono::seconds(10), "both campaigns to settle");
    REQUIRE(p.state_of(loan) == "funded");
    REQUIRE(p.state_of(donation) == "funded");
    CHECK(p.balance(owner) == 3'000 - 60);

    auto disbursed = p.client.request("POST", "/v1/projects/" + loan + "/disburse", {}, auth_headers(p.staff, "d"));
    INFO(disbursed.body);
    REQUIRE(disbursed.status == 201);
    CHECK(disbursed.json().at("principal_minor") == 10'000);
    auto lenders = disbursed.json().at("lenders").as_array();
    REQUIRE(lenders.size() == 2);
    CHECK(lenders[0].at("community_fund") == true); // the fund first: ties in remainders go to it
    CHECK(lenders[0].at("lender_id").is_null());
    CHECK(lenders[0].at("share_minor") == 4'000);
    CHECK(lenders[1].at("lender_id") == json::value(anna.id));
    CHECK(lenders[1].at("share_minor") == 6'000);
    CHECK(p.balance(borrower) == 10'000 - 200);

    auto schedule = disbursed.json().at("instalments").as_array();
    p.deposit(borrower, 1'000);
    repay_in_full(p, loan, borrower, schedule);
    std::int64_t fund_interest = 0, anna_interest = 0;
    for (const auto& i : schedule) {
        auto parts = split_largest_remainder(i.at("interest_minor").as_int64(), {4'000, 6'000});
        fund_interest += parts[0];
        anna_interest += parts[1];
    }
    CHECK(fund_interest > 0);
    CHECK(fund(p) == 4'000 + fund_interest);
    CHECK(p.balance(anna) == 6'000 + anna_interest);

    // The fund's statement: the deposit, the allocations out, the repayments in.
    auto statement = p.client.request("GET", "/v1/fund/statement?limit=200");
    REQUIRE(statement.status == 200);
    std::int64_t in = 0, out = 0;
    auto lines = statement.json();
    for (const auto& line : lines.at("items").as_array()) {
        (line.at("direction") == "in" ? in : out) += line.at("amount_minor").as_int64();
    }
    CHECK(out == 7'000);
    CHECK(in == 7'000 + 4'000 + fund_interest);
    p.check_books();
}

TEST_CASE("fund loans: a loan the fund finances alone is disbursed and repaid into the fund",
          "[e2e][loans][allocation]") {
    platform p;
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    std::string loan = p.approved_project(borrower, loan_fields(5'000, p));
    // Only approved projects enter a vote; a loan is approved only through its credit review.
    auto fields = loan_fields(5'000, p);
    fields["summary"] = "Noch in Prüfung";
    fields["category"] = "community";
    fields["currency"] = "EUR";
    auto proposed = p.client.request("POST", "/v1/projects", json::serialize(fields), auth_headers(borrower.token));
    INFO(proposed.body);
    REQUIRE(proposed.status == 201);
    std::string unreviewed(proposed.json().at("id").as_string());
    REQUIRE(
        p.client.request("POST", "/v1/projects/" + unreviewed + "/submit", {}, auth_headers(borrower.token)).status ==
        200);
    REQUIRE(
        p.client.request("POST", "/v1/projects/" + unreviewed + "/start-review", {}, auth_headers(p.staff)).status ==
        200);
    REQUIRE(p.client
                .request("POST", "/v1/fund/deposits", R"({"amount_minor": 5000, "currency": "EUR"})",
                         auth_headers(p.staff, "f"))
                .status == 201);
    auto round = new_round(p, 5'000);
    CHECK(problem_slug(round.add(unreviewed, 1'000)) == "project-state");
    REQUIRE(round.add(loan, 5'000).status == 201);
    round.vote_and_allocate(anna, {loan});
    REQUIRE(p.client.request("POST", "/v1/projects/" + loan + "/open-funding", {}, auth_headers(p.staff)).status ==
            200);
    p.make_due(loan);
    REQUIRE(p.client.request("POST", "/v1/projects/" + loan + "/settle", {}, auth_headers(p.staff, "s")).status == 200);

    auto disbursed = p.client.request("POST", "/v1/projects/" + loan + "/disburse", {}, auth_headers(p.staff, "d"));
    INFO(disbursed.body);
    REQUIRE(disbursed.status == 201);
    REQUIRE(disbursed.json().at("lenders").as_array().size() == 1);
    std::int64_t interest = 0;
    auto schedule = disbursed.json().at("instalments").as_array();
    for (const auto& i : schedule) interest += i.at("interest_minor").as_int64();
    p.deposit(borrower, 1'000);
    repay_in_full(p, loan, borrower, schedule);
    CHECK(fund(p) == 5'000 + interest);
    CHECK(p.balance(borrower) == 5'000 - 100 + 1'000 - 5'000 - interest);
    p.check_books();
}
