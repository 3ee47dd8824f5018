// Date rules on the dates that break naive code (docs/time.md): month ends,
// 28 and 29 February, New Year's Eve, and the changes to and from summer
// time in Europe/Berlin, the bank's time zone. The platform clock is moved
// as a test may; nothing here depends on the day the tests run.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

// A wall-clock time in Europe/Berlin as an RFC 3339 instant.
std::string berlin(platform& p, const std::string& local) {
    return p.db.scalar("SELECT to_char(timestamp '" + local +
                       "' AT TIME ZONE 'Europe/Berlin' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

// A loan of 6,000 minor units over `months`, fully pledged by `lender`.
std::string pledged_loan(platform& p, const customer& borrower, const customer& lender, int months,
                         const std::string& deadline) {
    auto fields = loan_fields(6'000, months, 600);
    fields["title"] = "Werkstatt am Markt";
    fields["deadline"] = deadline;
    std::string loan = p.open_project(borrower, fields);
    p.deposit(lender, 6'000);
    REQUIRE(p.pledge(lender, loan, 6'000, "lend-" + loan).status == 201);
    return loan;
}

// Settled as funded, ready to be disbursed.
void settle(platform& p, const std::string& loan) {
    p.make_due(loan);
    p.settled(loan, "funded");
}

std::vector<std::string> due_dates(const reply& loan) {
    std::vector<std::string> out;
    auto body = loan.json();
    for (const auto& i : body.at("instalments").as_array()) out.emplace_back(i.at("due_on").as_string());
    return out;
}

json::object instalment(platform& p, const std::string& loan, const customer& borrower, int index) {
    auto seen = p.loan(borrower.token, loan);
    REQUIRE(seen.status == 200);
    return seen.json().at("instalments").at(index).as_object();
}

} // namespace

TEST_CASE("time: due dates from the 31st, arrears by the bank's day, four calendar days across summer time",
          "[e2e][time]") {
    platform p({}, "2031-01-20T09:00:00+01:00");
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    auto carl = p.register_customer("carl@example.org");
    std::string loan = pledged_loan(p, borrower, anna, 6, berlin(p, "2031-01-25 18:00"));
    settle(p, loan);

    // Disbursed on 31 January: each due date is the same day of the month,
    // or the month's last day where it has none (not 3 March, not 28 April).
    p.db.travel_to(berlin(p, "2031-01-31 10:00"));
    auto disbursed = p.disburse(loan, "d");
    INFO(disbursed.body);
    REQUIRE(disbursed.status == 201);
    CHECK(due_dates(disbursed) ==
          std::vector<std::string>{"2031-02-28", "2031-03-31", "2031-04-30", "2031-05-31", "2031-06-30", "2031-07-31"});

    // A donation campaign that runs across the change to summer time.
    std::string campaign = p.open_project(borrower, {{"deadline", berlin(p, "2031-04-15 12:00")}});
    p.deposit(ben, 1'000);
    p.deposit(carl, 1'000);

    // Four calendar days from 10:00 on 27 March end at 10:00 summer time on
    // 31 March: 95 hours, not 96.
    p.db.travel_to(berlin(p, "2031-03-27 10:00"));
    auto bens = p.pledge(ben, campaign, 500, "b");
    auto carls = p.pledge(carl, campaign, 500, "c");
    REQUIRE(bens.status == 201);
    REQUIRE(carls.status == 201);
    CHECK(bens.json().at("revocable_until") == "2031-03-31T08:00:00Z");

    // 30 days after 28 February the first instalment is late; from the 31st
    // day (by the bank's calendar, not UTC's) it is missed.
    p.db.travel_to(berlin(p, "2031-03-30 12:00"));
    CHECK(instalment(p, loan, borrower, 0).at("status") == "late");
    CHECK(instalment(p, loan, borrower, 0).at("days_overdue") == 30);
    CHECK(instalment(p, loan, borrower, 1).at("status") == "upcoming");

    p.db.travel_to("2031-03-30T22:30:00Z"); // 00:30 on 31 March in Berlin, still the 30th in UTC
    CHECK(instalment(p, loan, borrower, 0).at("status") == "missed");
    CHECK(instalment(p, loan, borrower, 0).at("days_overdue") == 31);

    p.db.travel_to("2031-03-31T07:59:00Z");
    auto revoked = p.revoke(ben, id_of(bens), "rb");
    INFO(revoked.body);
    CHECK(revoked.status == 200);
    p.db.travel_to("2031-03-31T08:00:30Z"); // 96 hours would still allow this
    CHECK(problem_slug(p.revoke(carl, id_of(carls), "rc")) == "pledge-not-revocable");
    CHECK(p.available(ben) == 1'000);
    CHECK(p.available(carl) == 500);
    p.check_books();
}

TEST_CASE("time: New Year's Eve, 29 February, and a disbursement just before midnight UTC", "[e2e][time]") {
    // Staff settle both loans: the job, which would settle the second while
    // staff settle the first (both fall due together), waits a day here.
    platform p({{"SCHWARM_SETTLEMENT_INTERVAL_MS", "86400000"}}, "2031-12-15T09:00:00+01:00");
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string noon = pledged_loan(p, borrower, anna, 3, berlin(p, "2031-12-20 12:00"));
    std::string late = pledged_loan(p, borrower, ben, 2, berlin(p, "2031-12-20 12:00"));
    settle(p, noon);
    settle(p, late);

    p.db.travel_to(berlin(p, "2031-12-31 12:00"));
    auto first = p.disburse(noon, "d1");
    REQUIRE(first.status == 201);
    CHECK(due_dates(first) == std::vector<std::string>{"2032-01-31", "2032-02-29", "2032-03-31"});

    // 23:30 UTC on 31 December is 00:30 on 1 January at the bank: the loan
    // was disbursed in the new year, and its schedule says so.
    p.db.travel_to("2031-12-31T23:30:00Z");
    auto second = p.disburse(late, "d2");
    REQUIRE(second.status == 201);
    CHECK(due_dates(second) == std::vector<std::string>{"2032-02-01", "2032-03-01"});

    // Late on 29 February, missed after 30 days: on 31 March (March has 31).
    p.db.travel_to(berlin(p, "2032-03-30 09:00"));
    p.log_in_again({&borrower}); // more than 90 days since the first login
    CHECK(instalment(p, noon, borrower, 1).at("status") == "late");
    CHECK(instalment(p, noon, borrower, 1).at("days_overdue") == 30);
    p.db.travel_to(berlin(p, "2032-03-31 09:00"));
    CHECK(instalment(p, noon, borrower, 1).at("status") == "missed");
    CHECK(instalment(p, noon, borrower, 2).at("status") == "upcoming"); // due today
    p.check_books();
}
