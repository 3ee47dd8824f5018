// Loans the members choose and the community fund finances (issue 11, item
// 2): the fund is a lender of record for what it allocated, repaid pro rata
// like the backers, so the vote decides which loans go to whom and the money
// comes back for the next round.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

json::object shop_loan(std::int64_t goal, platform& p) {
    auto fields = loan_fields(goal, 6, 600);
    fields["title"] = "Genossenschaftsladen";
    fields["deadline"] = p.days_from_now(20);
    return fields;
}

// Every instalment paid on time by the borrower.
void repay_in_full(platform& p, const std::string& loan, const customer& borrower, const json::array& schedule) {
    for (const auto& i : schedule) {
        auto r = p.repay(borrower, loan, i.at("total_minor").as_int64(),
                         "repay-" + loan + "-" + std::to_string(i.at("no").as_int64()));
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
    std::string loan = p.approved_project(borrower, shop_loan(10'000, p));
    std::string donation = p.approved_project(owner, {{"goal_minor", 3'000}});
    std::string reward = p.approved_project(owner, {{"kind", "reward"}, {"title", "Tassen für alle"}});
    REQUIRE(p.fund_deposit(7'000, "f").status == 201);

    auto round = p.new_round({{"title", "Fonds 2030"}, {"budget_minor", 7'000}});
    auto refused = round.add_project(reward, 1'000);
    CHECK(problem_slug(refused) == "round-project-kind");
    CHECK(refused.json().at("kind") == "reward");
    REQUIRE(round.add_project(loan, 4'000).status == 201);
    REQUIRE(round.add_project(donation, 3'000).status == 201);
    round.vote_and_allocate(anna, {loan, donation});
    CHECK(p.fund_balance() == 0);

    // The donation is financed by the fund alone; the loan by the fund and Anna.
    for (const auto& project : {loan, donation}) REQUIRE(p.move(project, "open-funding", p.staff).status == 200);
    p.deposit(anna, 6'000);
    REQUIRE(p.pledge(anna, loan, 6'000, "a").status == 201);
    p.make_due(loan);
    p.make_due(donation);
    eventually([&] { return p.state_of(loan) != "funding" && p.state_of(donation) != "funding"; },
               std::chrono::seconds(10), "both campaigns to settle");
    REQUIRE(p.state_of(loan) == "funded");
    REQUIRE(p.state_of(donation) == "funded");
    CHECK(p.balance(owner) == 3'000 - 60);

    auto disbursed = p.disburse(loan, "d");
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
    CHECK(p.fund_balance() == 4'000 + fund_interest);
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
    std::string loan = p.approved_project(borrower, shop_loan(5'000, p));
    // Only approved projects enter a vote; a loan is approved only through its credit review.
    auto fields = shop_loan(5'000, p);
    fields["summary"] = "Noch in Prüfung";
    std::string unreviewed = p.draft_project(borrower, fields);
    REQUIRE(p.move(unreviewed, "submit", borrower.token).status == 200);
    REQUIRE(p.move(unreviewed, "start-review", p.staff).status == 200);
    REQUIRE(p.fund_deposit(5'000, "f").status == 201);
    auto round = p.new_round({{"title", "Fonds 2030"}, {"budget_minor", 5'000}});
    CHECK(problem_slug(round.add_project(unreviewed, 1'000)) == "project-state");
    REQUIRE(round.add_project(loan, 5'000).status == 201);
    round.vote_and_allocate(anna, {loan});
    REQUIRE(p.move(loan, "open-funding", p.staff).status == 200);
    p.make_due(loan);
    REQUIRE(p.settle(loan, "s").status == 200);

    auto disbursed = p.disburse(loan, "d");
    INFO(disbursed.body);
    REQUIRE(disbursed.status == 201);
    REQUIRE(disbursed.json().at("lenders").as_array().size() == 1);
    std::int64_t interest = 0;
    auto schedule = disbursed.json().at("instalments").as_array();
    for (const auto& i : schedule) interest += i.at("interest_minor").as_int64();
    p.deposit(borrower, 1'000);
    repay_in_full(p, loan, borrower, schedule);
    CHECK(p.fund_balance() == 5'000 + interest);
    CHECK(p.balance(borrower) == 5'000 - 100 + 1'000 - 5'000 - interest);
    p.check_books();
}
