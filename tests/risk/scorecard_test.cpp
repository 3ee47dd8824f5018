// The scorecard's arithmetic, without I/O.
#include "risk/scorecard.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::risk;

namespace {

scorecard::card sample_card() {
    scorecard::card c;
    c.version = 7;
    c.base_points = 600;
    c.points = {{"debt_service_ratio_pct", std::nullopt, 30, std::nullopt, 60, "low outgoings"},
                {"debt_service_ratio_pct", 30, std::nullopt, std::nullopt, -140, "high outgoings"},
                {"term_months", std::nullopt, 61, std::nullopt, 10, "short"},
                {"years_in_business", std::nullopt, 2, std::nullopt, -60, "young business"},
                {"purpose", std::nullopt, std::nullopt, "energy", 30, "energy"}};
    c.bands = {{-100000, "E", "decline"}, {560, "C", "refer"}, {660, "A", "approve"}};
    return c;
}

scorecard::inputs sample_inputs() {
    scorecard::inputs in;
    in.applicant_type = "person";
    in.monthly_income_minor = 500'000;
    in.monthly_expenses_minor = 50'000;
    in.existing_debt_minor = 0;
    in.purpose = "energy";
    in.principal_minor = 1'200'000;
    in.term_months = 60;
    in.rate_bp = 0;
    return in;
}

} // namespace

TEST_CASE("scorecard: factors, points, band, decision and the largest reasons first", "[risk]") {
    auto in = sample_inputs();
    auto factors = scorecard::numeric_factors(in);
    // 50,000 expenses + 20,000 instalment = 70,000 of 500,000: 14%.
    CHECK(factors.at("debt_service_ratio_pct") == 14);
    CHECK(factors.at("debt_to_income_pct") == 20); // 1,200,000 of 6,000,000
    CHECK(!factors.contains("years_in_business"));

    auto good = scorecard::score(sample_card(), in);
    CHECK(good.version == 7);
    CHECK(good.score == 700);
    CHECK(good.decision == "approve");
    CHECK(good.pd_band == "A");
    REQUIRE(good.reasons.size() == 3);
    CHECK(good.reasons[0].factor == "debt_service_ratio_pct");
    CHECK(good.reasons[1].factor == "purpose");

    in.monthly_income_minor = 0; // no income: an unbounded ratio, the worst bucket
    auto none = scorecard::score(sample_card(), in);
    CHECK(none.score == 600 - 140 + 10 + 30);
    CHECK(none.decision == "decline");
    CHECK(none.reasons[0].value == "unbounded");

    in = sample_inputs();
    in.applicant_type = "company";
    in.years_in_business = 1;
    CHECK(scorecard::score(sample_card(), in).score == 640);
    CHECK(scorecard::score(sample_card(), in).decision == "refer");
}
