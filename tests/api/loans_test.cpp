// The whole loan story across roles, through the real binary.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

json::object hofladen(std::int64_t goal) {
    auto fields = loan_fields(goal, 6, 600);
    fields["title"] = "Hofladen mit Kühlraum";
    return fields;
}

} // namespace

TEST_CASE("loans: proposed, funded, disbursed, repaid to the cent", "[e2e][loans]") {
    platform p(platform::settling_job());
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    auto carl = p.register_customer("carl@example.org");
    auto dora = p.register_customer("dora@example.org");
    std::string loan = p.open_project(borrower, hofladen(12'000));
    for (const auto* c : {&anna, &ben, &carl, &dora}) p.deposit(*c, 10'000);

    REQUIRE(p.pledge(anna, loan, 3'000, "a").status == 201);
    REQUIRE(p.pledge(ben, loan, 4'000, "b").status == 201);
    std::string doras = p.pledged(dora, loan, 5'000, "d");
    REQUIRE(p.revoke(dora, doras, "d-r").status == 200);
    REQUIRE(p.pledge(carl, loan, 5'000, "c").status == 201);

    // Too early to disburse; then the deadline passes and the job settles.
    CHECK(problem_slug(p.disburse(loan, "x-0")) == "project-state");
    p.make_due(loan);
    eventually([&] { return p.state_of(loan) != "funding"; }, std::chrono::seconds(5), "the job to settle the loan");
    REQUIRE(p.state_of(loan) == "funded");

    CHECK(p.move(loan, "disburse", anna.token, "x-1").status == 403);
    auto disbursed = p.disburse(loan, "x-2");
    INFO(disbursed.body);
    REQUIRE(disbursed.status == 201);
    CHECK(disbursed.json().at("principal_minor") == 12'000);
    auto again = p.disburse(loan, "x-2");
    CHECK(again.status == 201);
    CHECK(again.header("idempotent-replayed") == "true");
    CHECK(p.balance(borrower) == 12'000 - 240); // the 2% fee
    CHECK(p.state_of(loan) == "disbursed");

    auto schedule = disbursed.json().at("instalments").as_array();
    REQUIRE(schedule.size() == 6);
    std::int64_t principal_sum = 0, total_due = 0;
    std::vector<std::int64_t> interests;
    for (const auto& i : schedule) {
        principal_sum += i.at("principal_minor").as_int64();
        total_due += i.at("total_minor").as_int64();
        interests.push_back(i.at("interest_minor").as_int64());
        CHECK(i.at("status") == "upcoming");
    }
    CHECK(principal_sum == 12'000);
    CHECK(schedule[0].at("interest_minor") == 60); // 12,000 × 0.5%

    // Who sees what.
    auto as_lender = p.loan(anna.token, loan);
    REQUIRE(as_lender.status == 200);
    CHECK(as_lender.json().at("lenders").as_array().size() == 1);
    CHECK(p.loan(dora.token, loan).status == 404);
    CHECK(p.loan(p.staff, loan).json().at("lenders").as_array().size() == 3);

    // Refusals move nothing.
    p.deposit(borrower, 1'000);
    auto repay = [&](const customer& who, std::int64_t amount, const std::string& key) {
        return p.repay(who, loan, amount, key);
    };
    CHECK(problem_slug(repay(anna, 100, "r-x")) == "not-found");
    auto too_much = repay(borrower, total_due + 1, "r-y");
    CHECK(problem_slug(too_much) == "repayment-exceeds-owed");
    CHECK(too_much.json().at("owed_minor") == total_due);
    CHECK(p.balance(borrower) == 12'760);

    // Every instalment, once each (a retry books nothing twice).
    for (const auto& i : schedule) {
        std::string key = "r-" + std::to_string(i.at("no").as_int64());
        auto r = repay(borrower, i.at("total_minor").as_int64(), key);
        INFO(r.body);
        REQUIRE(r.status == 201);
        CHECK(r.json().at("interest_minor") == i.at("interest_minor"));
        CHECK(repay(borrower, i.at("total_minor").as_int64(), key).header("idempotent-replayed") == "true");
    }
    CHECK(p.state_of(loan) == "repaid");
    CHECK(p.balance(borrower) == 12'760 - total_due);
    CHECK(problem_slug(repay(borrower, 1, "r-z")) == "loan-state");

    // Each lender: their principal back and their share of each month's interest.
    std::vector<std::int64_t> shares{3'000, 4'000, 5'000}; // anna, ben, carl: in lender-id order
    std::vector<std::int64_t> interest_of(3, 0);
    for (auto interest : interests) {
        auto parts = split_largest_remainder(interest, shares);
        for (int k = 0; k < 3; ++k) interest_of[k] += parts[k];
    }
    CHECK(p.balance(anna) == 10'000 + interest_of[0]);
    CHECK(p.balance(ben) == 10'000 + interest_of[1]);
    CHECK(p.balance(carl) == 10'000 + interest_of[2]);
    CHECK(p.balance(dora) == 10'000);
    CHECK(interest_of[0] + interest_of[1] + interest_of[2] == total_due - 12'000);

    auto positions = p.client.request("GET", "/v1/me/positions", {}, auth_headers(ben.token));
    REQUIRE(positions.status == 200);
    auto lent = positions.json().at("loans_lent").as_array();
    REQUIRE(lent.size() == 1);
    CHECK(lent[0].at("principal_received_minor") == 4'000);
    CHECK(lent[0].at("interest_received_minor") == interest_of[1]);
    CHECK(lent[0].at("outstanding_minor") == 0);
    auto borrowed = p.client.request("GET", "/v1/me/positions", {}, auth_headers(borrower.token))
                        .json()
                        .at("loans_borrowed")
                        .as_array();
    REQUIRE(borrowed.size() == 1);
    CHECK(borrowed[0].at("owed_minor") == 0);
    p.check_books();
    CHECK(p.db.scalar("SELECT debits_posted - credits_posted FROM ledger_accounts WHERE code = 'loan:receivable:" +
                      loan + ":EUR'") == "0");
}

TEST_CASE("loans: arrears are visible and a default writes the rest off", "[e2e][loans]") {
    platform p;
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto fields = hofladen(6'000);
    fields["deadline"] = p.days_from_now(5); // so the story fits in the sessions' 90 days
    std::string loan = p.open_project(borrower, fields);
    p.deposit(anna, 6'000);
    REQUIRE(p.pledge(anna, loan, 6'000, "a").status == 201);
    p.make_due(loan);
    REQUIRE(p.settle(loan, "s").status == 200);
    REQUIRE(p.disburse(loan, "d").status == 201);
    auto first = p.repay(borrower, loan, 1'000, "r1");
    REQUIRE(first.status == 201);
    CHECK(p.state_of(loan) == "repaying");

    // No more payments: the clock moves to noon in the bank's time zone 32
    // days after the first due date. The first instalment is then missed
    // (over 30 days), the second late by 1 to 4 days, whatever the months'
    // lengths (a month is 28 to 31 days).
    std::string due0(first.json().at("loan").at("instalments").at(0).at("due_on").as_string());
    p.db.travel_to(p.db.scalar("SELECT (date '" + due0 + "' + 32 + time '12:00') AT TIME ZONE 'Europe/Berlin'"));
    auto seen = p.loan(borrower.token, loan);
    REQUIRE(seen.status == 200);
    auto instalments = seen.json().at("instalments").as_array();
    CHECK(instalments[0].at("status") == "missed");
    CHECK(instalments[0].at("days_overdue") == 32);
    CHECK(instalments[1].at("status") == "late");
    CHECK(instalments[1].at("days_overdue").as_int64() >= 1);
    CHECK(instalments[1].at("days_overdue").as_int64() <= 4);
    CHECK(instalments[2].at("status") == "upcoming");
    CHECK(seen.json().at("arrears_minor").as_int64() > 0);

    CHECK(p.client
              .request("POST", "/v1/loans/" + loan + "/default", R"({"reason": "no contact"})",
                       auth_headers(borrower.token, "d-0"))
              .status == 403);
    CHECK(p.client.request("POST", "/v1/loans/" + loan + "/default", R"({})", auth_headers(p.staff, "d-1")).status ==
          400);
    CHECK(p.client.request("POST", "/v1/loans/" + loan + "/default", R"({"reason": "no key"})", auth_headers(p.staff))
              .status == 400);
    auto defaulted = p.client.request("POST", "/v1/loans/" + loan + "/default",
                                      R"({"reason": "no contact for 60 days"})", auth_headers(p.staff, "d-2"));
    INFO(defaulted.body);
    REQUIRE(defaulted.status == 200);
    CHECK(defaulted.json().at("state") == "defaulted");
    CHECK(p.state_of(loan) == "defaulted");
    CHECK(problem_slug(p.client.request("POST", "/v1/loans/" + loan + "/default", R"({"reason": "again"})",
                                        auth_headers(p.staff, "d-3"))) == "loan-state");
    auto replayed = p.client.request("POST", "/v1/loans/" + loan + "/default",
                                     R"({"reason": "no contact for 60 days"})", auth_headers(p.staff, "d-2"));
    CHECK(replayed.status == 200);
    CHECK(replayed.header("idempotent-replayed") == "true");
    CHECK(replayed.body == defaulted.body);
    CHECK(p.db.scalar("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE code = 'loan:lender-claims:" +
                      loan + ":EUR'") == "0");
    auto lent =
        p.client.request("GET", "/v1/me/positions", {}, auth_headers(anna.token)).json().at("loans_lent").as_array();
    REQUIRE(lent.size() == 1);
    CHECK(lent[0].at("state") == "defaulted");
    CHECK(lent[0].at("outstanding_minor") == 0);
    p.check_books();
}

TEST_CASE("loans: a missed goal voids every hold and every wallet is as before", "[e2e][loans]") {
    platform p;
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string loan = p.open_project(borrower, hofladen(20'000));
    p.deposit(anna, 9'000);
    p.deposit(ben, 9'000);
    REQUIRE(p.pledge(anna, loan, 9'000, "a").status == 201);
    REQUIRE(p.pledge(ben, loan, 8'000, "b").status == 201);
    p.make_due(loan);
    auto settled = p.settle(loan, "s");
    REQUIRE(settled.status == 200);
    CHECK(settled.json().at("outcome") == "failed");
    CHECK(p.available(anna) == 9'000);
    CHECK(p.available(ben) == 9'000);
    CHECK(p.balance(borrower) == 0);
    CHECK(problem_slug(p.disburse(loan, "d")) == "project-state");
    p.check_books();
}
