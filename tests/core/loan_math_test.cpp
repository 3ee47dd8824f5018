#include "platform/loan_math.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

using namespace schwarm::loans;

namespace {

std::int64_t principal_sum(const std::vector<instalment>& s) {
    std::int64_t sum = 0;
    for (const auto& i : s) sum += i.principal_minor;
    return sum;
}

// The textbook annuity P·r / (1 − (1+r)^−n) in long double: only a cross-check
// within a minor unit, never what decides an amount.
long double textbook_payment(std::int64_t principal_minor, int rate_bp, int term_months) {
    const long double r = static_cast<long double>(rate_bp) / 120000.0L;
    return static_cast<long double>(principal_minor) * r / (1.0L - std::pow(1.0L + r, -term_months));
}

// |interest − balance·rate_bp/120000| <= 1/2, in integers.
bool interest_rounded_from(std::int64_t interest, std::int64_t balance, int rate_bp) {
    const __int128 diff = static_cast<__int128>(interest) * 120000 - static_cast<__int128>(balance) * rate_bp;
    return 2 * (diff < 0 ? -diff : diff) <= 120000;
}

} // namespace

TEST_CASE("loan schedule: 10,000.00 at 5% over 12 months, annuity", "[loans]") {
    auto s = schedule(1'000'000, 500, 12, schedule_kind::annuity);
    REQUIRE(s.size() == 12);
    // r = 1/240. Payment 85,607.48… → 856.07; month 1: 1,000,000 / 240 = 4,166.67 → 41.67.
    CHECK(s[0].no == 1);
    CHECK(s[0].total_minor() == 85'607);
    CHECK(s[0].interest_minor == 4'167);
    CHECK(s[0].principal_minor == 81'440);
    // Month 2 on 918,560: 3,827.33 → 38.27.
    CHECK(s[1].interest_minor == 3'827);
    CHECK(s[1].principal_minor == 81'780);
    for (int k = 0; k < 11; ++k) CHECK(s[static_cast<std::size_t>(k)].total_minor() == 85'607);
    CHECK(s[11].no == 12);
    CHECK(principal_sum(s) == 1'000'000);
    // The last instalment clears the balance: the payment was rounded down by 0.48 cents
    // a month, so 852.57 are left, with 3.55 interest (checked with exact fractions).
    CHECK(s[11].principal_minor == 85'257);
    CHECK(s[11].interest_minor == 355);
    CHECK(std::fabs(textbook_payment(1'000'000, 500, 12) - 85'607.0L) < 1.0L);
}

TEST_CASE("loan schedule: interest is rounded half up", "[loans]") {
    // 12% a year is 1% a month: 50 → 0.5 → 1; 150 → 1.5 → 2; 149 → 1.49 → 1.
    CHECK(schedule(50, 1200, 1, schedule_kind::equal_principal)[0].interest_minor == 1);
    CHECK(schedule(150, 1200, 1, schedule_kind::equal_principal)[0].interest_minor == 2);
    CHECK(schedule(149, 1200, 1, schedule_kind::equal_principal)[0].interest_minor == 1);
    // One month of an annuity is principal plus one month's interest.
    auto one = schedule(150, 1200, 1, schedule_kind::annuity);
    REQUIRE(one.size() == 1);
    CHECK(one[0].principal_minor == 150);
    CHECK(one[0].interest_minor == 2);
}

TEST_CASE("loan schedule: equal principal puts the remainder on the first instalments", "[loans]") {
    // 10.00 over 3 months at 12%: 3.34, 3.33, 3.33; interest 1% of 10.00, 6.66, 3.33.
    auto s = schedule(1'000, 1200, 3, schedule_kind::equal_principal);
    REQUIRE(s.size() == 3);
    CHECK(s[0].principal_minor == 334);
    CHECK(s[1].principal_minor == 333);
    CHECK(s[2].principal_minor == 333);
    CHECK(s[0].interest_minor == 10);
    CHECK(s[1].interest_minor == 7);
    CHECK(s[2].interest_minor == 3);

    // 1,000.05 over 12: 83.34 for the first 5 (5 = 100005 mod 12), 83.33 after.
    auto t = schedule(100'005, 0, 12, schedule_kind::equal_principal);
    for (std::size_t k = 0; k < 12; ++k) {
        CHECK(t[k].principal_minor == (k < 9 ? 8'334 : 8'333));
        CHECK(t[k].interest_minor == 0);
    }
    CHECK(principal_sum(t) == 100'005);
}

TEST_CASE("loan schedule: a rate of 0 gives equal instalments for both kinds", "[loans]") {
    for (auto kind : {schedule_kind::annuity, schedule_kind::equal_principal}) {
        auto s = schedule(100, 0, 3, kind);
        REQUIRE(s.size() == 3);
        CHECK(s[0].total_minor() == 34);
        CHECK(s[1].total_minor() == 33);
        CHECK(s[2].total_minor() == 33);
        for (const auto& i : s) CHECK(i.interest_minor == 0);
    }
    // Fewer units than months: the first ones get a unit, the rest nothing.
    auto tiny = schedule(2, 0, 5, schedule_kind::annuity);
    CHECK(tiny[0].principal_minor == 1);
    CHECK(tiny[1].principal_minor == 1);
    CHECK(tiny[4].principal_minor == 0);
}

TEST_CASE("loan schedule: principals sum exactly for random loans", "[loans]") {
    std::mt19937_64 rng(20240501);
    std::uniform_int_distribution<std::int64_t> principal(1, 100'000'000'000); // up to 1 bn in major units
    std::uniform_int_distribution<int> rate(0, 10'000);
    std::uniform_int_distribution<int> term(1, 360);
    int annuities_checked = 0;
    for (int round = 0; round < 400; ++round) {
        // Small principals too, where rounding dominates.
        const std::int64_t p = round % 4 == 0 ? principal(rng) % 1'000 + 1 : principal(rng);
        const int bp = round % 10 == 0 ? 0 : rate(rng);
        const int n = round % 7 == 0 ? 360 : term(rng);
        for (auto kind : {schedule_kind::annuity, schedule_kind::equal_principal}) {
            INFO("P=" << p << " bp=" << bp << " n=" << n << " annuity=" << (kind == schedule_kind::annuity));
            auto s = schedule(p, bp, n, kind);
            REQUIRE(s.size() == static_cast<std::size_t>(n));
            REQUIRE(principal_sum(s) == p);
            std::int64_t balance = p;
            for (std::size_t k = 0; k < s.size(); ++k) {
                REQUIRE(s[k].no == static_cast<int>(k) + 1);
                REQUIRE(s[k].principal_minor >= 0);
                REQUIRE(s[k].principal_minor <= balance);
                REQUIRE(interest_rounded_from(s[k].interest_minor, balance, bp));
                if (kind == schedule_kind::equal_principal || bp == 0) {
                    REQUIRE(s[k].principal_minor == p / n + (static_cast<std::int64_t>(k) < p % n ? 1 : 0));
                } else if (k + 1 < s.size() && balance > 0) {
                    // Every month but the last pays the payment, unless it clears the balance early.
                    REQUIRE((s[k].total_minor() == s[0].total_minor() || s[k].principal_minor == balance));
                }
                balance -= s[k].principal_minor;
            }
            REQUIRE(balance == 0);
            if (kind == schedule_kind::annuity && bp > 0 && n > 1) {
                ++annuities_checked;
                REQUIRE(std::fabs(textbook_payment(p, bp, n) - static_cast<long double>(s[0].total_minor())) <= 1.0L);
            }
        }
    }
    CHECK(annuities_checked > 300);
}

TEST_CASE("loan schedule: extreme but valid inputs stay exact", "[loans]") {
    auto s = schedule(std::numeric_limits<std::int64_t>::max() / 4, 10'000, 360, schedule_kind::annuity);
    CHECK(principal_sum(s) == std::numeric_limits<std::int64_t>::max() / 4);
    auto t = schedule(1, rate_bp_max, term_months_max, schedule_kind::annuity);
    CHECK(principal_sum(t) == 1);
    // A principal so large that a month's total cannot be represented is refused, not wrapped.
    CHECK_THROWS_AS(schedule(std::numeric_limits<std::int64_t>::max(), rate_bp_max, 2, schedule_kind::equal_principal),
                    std::invalid_argument);
}

TEST_CASE("loan schedule: refuses what is not a loan", "[loans]") {
    for (auto kind : {schedule_kind::annuity, schedule_kind::equal_principal}) {
        CHECK_THROWS_AS(schedule(0, 500, 12, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(-1, 500, 12, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(1'000, -1, 12, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(1'000, rate_bp_max + 1, 12, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(1'000, 500, 0, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(1'000, 500, -3, kind), std::invalid_argument);
        CHECK_THROWS_AS(schedule(1'000, 500, term_months_max + 1, kind), std::invalid_argument);
        CHECK_NOTHROW(schedule(1, 0, 1, kind));
    }
}

TEST_CASE("split pro rata: largest remainder, ties to the lower index", "[loans]") {
    const std::vector<std::int64_t> thirds{1, 1, 1};
    CHECK(split_pro_rata(100, thirds) == std::vector<std::int64_t>{34, 33, 33});
    CHECK(split_pro_rata(101, thirds) == std::vector<std::int64_t>{34, 34, 33});
    // 7 over 5:3:2 is 3.5, 2.1, 1.4: floors 3, 2, 1, the unit left goes to the .5.
    const std::vector<std::int64_t> w{5, 3, 2};
    CHECK(split_pro_rata(7, w) == std::vector<std::int64_t>{4, 2, 1});
    // 1 over 1:2 is 1/3, 2/3: the larger remainder wins though its index is higher.
    const std::vector<std::int64_t> one_two{1, 2};
    CHECK(split_pro_rata(1, one_two) == std::vector<std::int64_t>{0, 1});
    // 2:1:2:1 makes equal remainders in pairs; the lower index of a pair goes first.
    const std::vector<std::int64_t> mixed{2, 1, 2, 1};
    CHECK(split_pro_rata(1, mixed) == std::vector<std::int64_t>{1, 0, 0, 0});
    CHECK(split_pro_rata(2, mixed) == std::vector<std::int64_t>{1, 0, 1, 0});
    CHECK(split_pro_rata(3, mixed) == std::vector<std::int64_t>{1, 1, 1, 0});
    CHECK(split_pro_rata(0, mixed) == std::vector<std::int64_t>{0, 0, 0, 0});
    const std::vector<std::int64_t> single{42};
    CHECK(split_pro_rata(12'345, single) == std::vector<std::int64_t>{12'345});
}

TEST_CASE("split pro rata: huge amounts and weights do not overflow", "[loans]") {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    const std::vector<std::int64_t> w{max, max, 1};
    auto shares = split_pro_rata(max, w);
    CHECK(std::accumulate(shares.begin(), shares.end(), __int128{0}) == max);
    // W = 2·max + 1. The big weights get floor (max − 1)/2 with remainder (max + 1)/2 each;
    // the weight 1 gets 0 with remainder max, the largest, so the one unit left is its.
    CHECK(shares[0] == (max - 1) / 2);
    CHECK(shares[1] == (max - 1) / 2);
    CHECK(shares[2] == 1);
}

TEST_CASE("split pro rata: the sum is exact and every share is floor or floor + 1", "[loans]") {
    std::mt19937_64 rng(77);
    std::uniform_int_distribution<std::int64_t> amount(0, 1'000'000'000'000);
    std::uniform_int_distribution<std::int64_t> weight(1, 10'000'000'000);
    std::uniform_int_distribution<int> count(1, 300);
    for (int round = 0; round < 300; ++round) {
        std::vector<std::int64_t> w(static_cast<std::size_t>(count(rng)));
        for (auto& x : w) x = round % 3 == 0 ? weight(rng) % 5 + 1 : weight(rng); // many ties too
        const std::int64_t a = amount(rng);
        auto shares = split_pro_rata(a, w);
        REQUIRE(shares.size() == w.size());
        REQUIRE(std::accumulate(shares.begin(), shares.end(), std::int64_t{0}) == a);
        const __int128 total = std::accumulate(w.begin(), w.end(), __int128{0});
        __int128 smallest_rounded_up = total, largest_rounded_down = -1;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const __int128 product = static_cast<__int128>(a) * w[i];
            const __int128 floor = product / total;
            const __int128 remainder = product % total;
            REQUIRE((shares[i] == floor || shares[i] == floor + 1));
            if (shares[i] == floor + 1) smallest_rounded_up = std::min(smallest_rounded_up, remainder);
            else largest_rounded_down = std::max(largest_rounded_down, remainder);
        }
        // Largest remainder: nobody rounded down had a larger remainder than anybody rounded up.
        if (largest_rounded_down >= 0 && smallest_rounded_up < total) {
            REQUIRE(largest_rounded_down <= smallest_rounded_up);
        }
    }
}

TEST_CASE("split pro rata: refuses what cannot be split", "[loans]") {
    const std::vector<std::int64_t> ok{1, 2};
    const std::vector<std::int64_t> zero{1, 0};
    const std::vector<std::int64_t> negative{3, -1};
    const std::vector<std::int64_t> none;
    CHECK_THROWS_AS(split_pro_rata(-1, ok), std::invalid_argument);
    CHECK_THROWS_AS(split_pro_rata(10, zero), std::invalid_argument);
    CHECK_THROWS_AS(split_pro_rata(10, negative), std::invalid_argument);
    CHECK_THROWS_AS(split_pro_rata(10, none), std::invalid_argument);
}
