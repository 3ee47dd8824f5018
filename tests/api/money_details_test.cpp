// Smaller money defects a new user found (issue 11, item 10): statements page
// by line, wallets belong to customers only, refusals say why, and a
// campaign takes pledges beyond its goal only when it says so.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace schwarm::test;
namespace json = boost::json;

TEST_CASE("money details: a statement pages line by line through an entry with many lines", "[e2e][wallets]") {
    platform p;
    auto borrower = p.register_customer("bora@example.org");
    std::vector<customer> lenders;
    for (int i = 0; i < 3; ++i) lenders.push_back(p.register_customer("lender" + std::to_string(i) + "@example.org"));
    auto fields = loan_fields(9'000, 3, 600);
    fields["deadline"] = p.days_from_now(10);
    std::string loan = p.open_project(borrower, fields);
    for (auto& l : lenders) {
        p.deposit(l, 3'000);
        REQUIRE(p.pledge(l, loan, 3'000, "l").status == 201);
    }
    p.make_due(loan);
    REQUIRE(p.settle(loan, "s").status == 200);
    REQUIRE(p.disburse(loan, "d").status == 201);
    // One repayment: an interest entry and a principal entry, each paying three lenders.
    auto repaid = p.repay(borrower, loan, 3'000, "r");
    REQUIRE(repaid.status == 201);

    std::set<std::string> seen;
    std::int64_t out = 0;
    std::string cursor;
    int pages = 0;
    do {
        auto page =
            p.client.request("GET", "/v1/wallet/statement?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor), {},
                             auth_headers(borrower.token));
        REQUIRE(page.status == 200);
        auto body = page.json();
        for (const auto& line : body.at("items").as_array()) {
            std::string id = std::string(line.at("entry_id").as_string()) + "/" + std::to_string(out);
            if (line.at("direction") == "out") out += line.at("amount_minor").as_int64();
            seen.insert(id);
        }
        cursor = body.at("next_cursor").is_null() ? "" : std::string(body.at("next_cursor").as_string());
        REQUIRE(++pages < 50);
    } while (!cursor.empty());
    CHECK(out == 3'000);     // every line of the repayment, none skipped
    CHECK(seen.size() == 7); // six repayment lines and the disbursement in
    CHECK(problem_slug(p.client.request("GET", "/v1/wallet/statement?cursor=12", {}, auth_headers(borrower.token))) ==
          "validation");
}

TEST_CASE("money details: wallets are customers', refusals say why, over-funding is the campaign's choice",
          "[e2e][wallets][pledges]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    std::string staff_id(
        p.client.request("GET", "/v1/users/me", {}, auth_headers(p.staff)).json().at("id").as_string());
    auto to_staff = p.client.request("POST", "/v1/wallets/" + staff_id + "/deposits",
                                     R"({"amount_minor": 100, "currency": "EUR"})", auth_headers(p.staff, "x"));
    CHECK(problem_slug(to_staff) == "wallet-not-a-customer");
    CHECK(to_staff.json().at("role") == "staff");
    CHECK(p.db.scalar("SELECT count(*) FROM ledger_entries") == "0");

    std::string capped = p.open_project(owner, {{"goal_minor", 1'000}});
    auto nothing = p.pledge(anna, capped, 500, "a-0");
    CHECK(problem_slug(nothing) == "insufficient-funds");
    CHECK(std::string(nothing.json().at("detail").as_string()).find("deposit") != std::string::npos);

    p.deposit(anna, 5'000);
    REQUIRE(p.pledge(anna, capped, 800, "a-1").status == 201);
    auto beyond = p.pledge(anna, capped, 300, "a-2");
    CHECK(problem_slug(beyond) == "pledge-above-goal");
    CHECK(beyond.json().at("remaining_minor") == 200);
    CHECK(p.pledge(anna, capped, 200, "a-3").status == 201);

    std::string open = p.open_project(owner, {{"goal_minor", 1'000}, {"allow_overfunding", true}});
    CHECK(p.project(open).json().at("allow_overfunding") == true);
    CHECK(p.pledge(anna, open, 3'000, "a-4").status == 201);
    auto overfunded_loan = loan_fields(1'000);
    overfunded_loan["title"] = "Kredit";
    overfunded_loan["summary"] = "x";
    overfunded_loan["deadline"] = p.days_from_now(10);
    overfunded_loan["allow_overfunding"] = true;
    auto loan = p.propose(owner, overfunded_loan);
    CHECK(problem_slug(loan) == "validation");
    CHECK(loan.json().at("field") == "allow_overfunding");
    p.check_books();
}
