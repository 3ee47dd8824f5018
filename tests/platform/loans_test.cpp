// Loans through the domain's own functions (core/platform/loans.hpp): where a
// payment goes and how it is split over the lenders (pure, by hand), then a
// disbursement and its repayment on a real database.
#include "support/domain_world.hpp"

#include "platform/loans.hpp"
#include "platform/settlement.hpp"

#include <catch2/catch.hpp>

using namespace schwarm;
using namespace schwarm::test;
using namespace schwarm::test::domain;
using loans::instalment_due;
using loans::lender_view;

namespace {

std::vector<std::int64_t> v(std::initializer_list<std::int64_t> values) { return values; }

lender_view lender(std::int64_t id, std::int64_t share, std::int64_t principal_received = 0) {
    return {user_id{id}, id == 0, share, principal_received, 0};
}

} // namespace

TEST_CASE("loan payments: instalments in order, interest before principal, until the money is spent",
          "[platform][loans]") {
    // 12,000 over 6 months at 6 % (r = 0.5 % a month), the first two instalments.
    std::vector<instalment_due> dues{{1, 1'975, 60}, {2, 1'985, 50}, {3, 1'995, 40}};

    SECTION("exactly the first instalment") {
        auto a = loans::allocate_payment(dues, 2'035);
        CHECK(a.nos == std::vector<int>{1});
        CHECK(a.interest == v({60}));
        CHECK(a.principal == v({1'975}));
        CHECK(a.interest_minor == 60);
        CHECK(a.principal_minor == 1'975);
    }
    SECTION("less than its interest: interest only") {
        auto a = loans::allocate_payment(dues, 45);
        CHECK(a.nos == std::vector<int>{1});
        CHECK(a.interest == v({45}));
        CHECK(a.principal == v({0}));
    }
    SECTION("into the next: its interest first (2,035 + 40 = 2,075 pays 40 of instalment 2's 50 interest)") {
        auto a = loans::allocate_payment(dues, 2'075);
        CHECK(a.nos == std::vector<int>{1, 2});
        CHECK(a.interest == v({60, 40}));
        CHECK(a.principal == v({1'975, 0}));
        CHECK(a.interest_minor == 100);
        CHECK(a.principal_minor == 1'975);
    }
    SECTION("ahead of time: 2,035 + 2,035 + 100 covers two instalments and 40 + 60 of the third") {
        auto a = loans::allocate_payment(dues, 4'170);
        CHECK(a.nos == std::vector<int>{1, 2, 3});
        CHECK(a.interest == v({60, 50, 40}));
        CHECK(a.principal == v({1'975, 1'985, 60}));
        CHECK(a.interest_minor + a.principal_minor == 4'170);
    }
    SECTION("paid instalments are skipped, a part-paid one continues where it stopped") {
        std::vector<instalment_due> later{{1, 0, 0}, {2, 1'000, 0}, {3, 1'995, 40}};
        auto a = loans::allocate_payment(later, 1'100);
        CHECK(a.nos == std::vector<int>{2, 3}); // 1 owes nothing: not touched
        CHECK(a.interest == v({0, 40}));
        CHECK(a.principal == v({1'000, 60}));
    }
    SECTION("nothing paid, nothing touched") {
        auto a = loans::allocate_payment(dues, 0);
        CHECK(a.nos.empty());
        CHECK(a.principal_minor == 0);
        CHECK(a.interest_minor == 0);
    }
}

TEST_CASE("loan splits: principal by what each lender is still owed, interest by share, largest remainder",
          "[platform][loans]") {
    // Anna 3,000, Ben 4,000, Carl 5,000 of 12,000.
    std::vector<lender_view> three{lender(11, 3'000), lender(12, 4'000), lender(13, 5'000)};

    SECTION("the first instalment: 1,975 principal and 60 interest") {
        // 1,975 × 3/12 = 493.75, × 4/12 = 658.33, × 5/12 = 822.92: floors 493 + 658 + 822 = 1,973;
        // the 2 left go to the largest remainders, Carl's .92 and Anna's .75.
        // 60 interest splits evenly: 15, 20, 25.
        auto s = loans::split_to_lenders(three, 1'975, 60);
        CHECK(s.principal == v({494, 658, 823}));
        CHECK(s.interest == v({15, 20, 25}));
    }
    SECTION("a tie in remainders goes to the earlier lender") {
        // 150 × 3/12 = 37.5, × 4/12 = 50, × 5/12 = 62.5: one unit left, Anna and Carl tie at .5: Anna.
        CHECK(loans::split_to_lenders(three, 0, 150).interest == v({38, 50, 62}));
        // 2 over three equal shares: .67 each; the first two lenders get one.
        std::vector<lender_view> equal{lender(11, 100), lender(12, 100), lender(13, 100)};
        CHECK(loans::split_to_lenders(equal, 2, 0).principal == v({1, 1, 0}));
        // The community fund is listed first, so a tie goes to it (1 × 1/2 each: the fund's).
        std::vector<lender_view> fund_first{lender(0, 5'000), lender(12, 5'000)};
        auto s = loans::split_to_lenders(fund_first, 1, 1);
        CHECK(s.principal == v({1, 0}));
        CHECK(s.interest == v({1, 0}));
    }
    SECTION("principal by what is still owed, so a lender paid back gets no more principal") {
        // Anna was paid her 3,000 back (ahead); Ben is owed 4,000 − 1,000 = 3,000, Carl 5,000.
        std::vector<lender_view> later{lender(11, 3'000, 3'000), lender(12, 4'000, 1'000), lender(13, 5'000)};
        // 800 × 3/8 = 300, × 5/8 = 500; interest 120 still by the shares 3:4:5 = 30, 40, 50.
        auto s = loans::split_to_lenders(later, 800, 120);
        CHECK(s.principal == v({0, 300, 500}));
        CHECK(s.interest == v({30, 40, 50}));
    }
    SECTION("nothing to split") {
        auto s = loans::split_to_lenders(three, 0, 0);
        CHECK(s.principal == v({0, 0, 0}));
        CHECK(s.interest == v({0, 0, 0}));
    }
}

TEST_CASE("loans: disbursed from escrow, repaid to the cent over the lenders", "[pg][platform][loans]") {
    world w;
    auto borrower = w.customer("bora@example.org");
    auto anna = w.customer("anna@example.org");
    auto ben = w.customer("ben@example.org");
    auto carl = w.customer("carl@example.org");
    auto loan = w.funding_loan(borrower, 12'000, 6);
    std::int64_t share = 3'000;
    for (const auto* lender : {&anna, &ben, &carl}) {
        w.deposit(*lender, 10'000);
        INFO(lender->account.email);
        REQUIRE(outcome_of(w.pledge(*lender, loan, share, "lend")) == "held");
        share += 1'000;
    }
    w.make_due(loan);
    {
        pqxx::work tx(*w.connection);
        REQUIRE(settlement::settle_now(tx, loan, {200, 5000}, w.as(w.staff)).outcome == "funded");
        tx.commit();
    }
    auto disburse = [&](const users::principal& by) {
        pqxx::work tx(*w.connection);
        auto out = loans::disburse(tx, loan, w.as(by));
        tx.commit();
        return out;
    };
    CHECK(caught([&] { disburse(borrower); }).is(problems::forbidden));

    auto disbursed = disburse(w.staff);
    CHECK(disbursed.state == "repaying");
    CHECK(disbursed.principal_minor == 12'000);
    CHECK(w.column(loan, "state") == "disbursed");
    CHECK(w.wallet(borrower).balance_minor == 12'000 - 240); // the 2 % fee stayed with the platform
    CHECK(w.credit_balance({accounts::role::escrow, loan.value, "EUR"}) == 0);
    CHECK(w.credit_balance({accounts::role::lender_claims, loan.value, "EUR"}) == 12'000);
    REQUIRE(disbursed.lenders.size() == 3);
    CHECK(disbursed.lenders[0].lender == anna.id);
    CHECK(disbursed.lenders[0].share_minor == 3'000);
    CHECK(disbursed.lenders[2].share_minor == 5'000);
    // Annuity at r = 0.5 %: payment 2,035.15 → 2,035; interest 60, 50, … on the balance; the last
    // principal is what is left (tests/core/loan_math_test.cpp checks the schedule itself).
    REQUIRE(disbursed.instalments.size() == 6);
    std::vector<std::int64_t> principal, interest;
    for (const auto& i : disbursed.instalments) {
        principal.push_back(i.principal_minor);
        interest.push_back(i.interest_minor);
        CHECK(i.status == "upcoming");
    }
    CHECK(principal == v({1'975, 1'985, 1'995, 2'005, 2'015, 2'025}));
    CHECK(interest == v({60, 50, 40, 30, 20, 10}));
    CHECK(disbursed.owed_minor == 12'210);
    CHECK(caught([&] { disburse(w.staff); }).is(projects::problems::illegal_transition));

    auto repay = [&](const users::principal& by, std::int64_t amount, const std::string& key) {
        pqxx::work tx(*w.connection);
        auto out = loans::repay(tx, loan, amount, key, w.as(by));
        tx.commit();
        return out;
    };
    CHECK(caught([&] { repay(anna, 100, "x"); }).is(problems::not_found)); // not hers to repay
    CHECK(caught([&] { repay(borrower, 0, "x"); }).is(problems::validation));
    auto too_much = caught([&] { repay(borrower, 12'211, "x"); });
    CHECK(too_much.is(loans::problems::exceeds_owed));
    CHECK(too_much.extensions().at("owed_minor") == 12210);

    // The first instalment: lenders as split_to_lenders says (494, 658, 823 and 15, 20, 25 above).
    auto first = repay(borrower, 2'035, "r-1");
    CHECK(first.principal_minor == 1'975);
    CHECK(first.interest_minor == 60);
    CHECK_FALSE(first.replayed);
    CHECK(first.loan.instalments[0].status == "paid");
    CHECK(w.column(loan, "state") == "repaying");
    CHECK(w.wallet(anna).balance_minor == 7'000 + 494 + 15);
    CHECK(w.wallet(ben).balance_minor == 6'000 + 658 + 20);
    CHECK(w.wallet(carl).balance_minor == 5'000 + 823 + 25);
    auto again = repay(borrower, 2'035, "r-1");
    CHECK(again.replayed);
    CHECK(again.id == first.id);
    CHECK(caught([&] { repay(borrower, 2'036, "r-1"); }).is(problems::idempotency_conflict));
    CHECK(w.wallet(anna).balance_minor == 7'000 + 494 + 15);

    // The rest at once, ahead of time: 10,175. The borrower's wallet (11,760 − 2,035) falls short.
    auto short_of = caught([&] { repay(borrower, 10'175, "r-2"); });
    CHECK(short_of.is(pledges::problems::insufficient_funds));
    w.deposit(borrower, 1'000);
    // Principal 10,025 by what each is owed (2,506, 3,342, 4,177: exactly that); interest
    // 150 by share: 37.5, 50, 62.5, the unit left to Anna on the tie.
    auto rest = repay(borrower, 10'175, "r-2");
    CHECK(rest.principal_minor == 10'025);
    CHECK(rest.interest_minor == 150);
    CHECK(rest.loan.state == "repaid");
    CHECK(rest.loan.owed_minor == 0);
    CHECK(w.column(loan, "state") == "repaid");
    CHECK(w.wallet(anna).balance_minor == 10'000 + 15 + 38);
    CHECK(w.wallet(ben).balance_minor == 10'000 + 20 + 50);
    CHECK(w.wallet(carl).balance_minor == 10'000 + 25 + 62);
    CHECK(w.wallet(borrower).balance_minor == 11'760 + 1'000 - 12'210);
    for (const auto& l : rest.loan.lenders) CHECK(l.principal_received_minor == l.share_minor);
    CHECK(w.credit_balance({accounts::role::lender_claims, loan.value, "EUR"}) == 0);
    CHECK(caught([&] { repay(borrower, 1, "r-3"); }).is(loans::problems::not_repaying));
    w.check_books();
}
