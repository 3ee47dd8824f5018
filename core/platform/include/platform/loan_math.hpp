#pragma once
// Exact loan arithmetic (DESIGN.md 4.3): the monthly repayment schedule and the
// pro-rata split of a repayment over lenders. Pure functions, integer minor
// units and exact rationals only; no floating point decides any amount.

#include <cstdint>
#include <span>
#include <vector>

namespace schwarm::loans {

// Bounds that keep the exact arithmetic cheap ((1+r)^n has about n·log10(1+rate_bp)
// digits) and every amount within int64. The project schema is stricter
// (0–10000 bp, 1–360 months); these only guard the pure functions.
inline constexpr int rate_bp_max = 120'000; // 100% a month
inline constexpr int term_months_max = 1'200;

enum class schedule_kind { annuity, equal_principal };

struct instalment {
    int no; // 1-based
    std::int64_t principal_minor;
    std::int64_t interest_minor;
    std::int64_t total_minor() const { return principal_minor + interest_minor; }
};

// Monthly schedule. rate_bp: annual rate in basis points; the monthly rate is
// r = rate_bp / 120000 exactly. A month's interest is balance × r rounded half up
// to a minor unit.
// Annuity: the payment P·r / (1 − (1+r)^−n) computed exactly and rounded half up;
// each month principal = payment − interest (never below 0 nor above the balance),
// and the last instalment's principal is whatever balance remains, so the
// principals sum to P exactly. With r = 0 the instalments are equal: P / n each,
// the first P mod n one minor unit more (as equal principal).
// Equal principal: P / n each, the first P mod n instalments one minor unit more;
// interest on the balance.
// Throws std::invalid_argument for principal <= 0, rate < 0 or > rate_bp_max,
// term < 1 or > term_months_max, or an instalment that would not fit int64.
std::vector<instalment> schedule(std::int64_t principal_minor, int rate_bp, int term_months, schedule_kind kind);

// Splits amount (>= 0) over weights (each > 0, at least one) pro rata, exactly:
// each gets floor(amount·w/W), then the units left over go one each by largest
// remainder, ties to the lower index. The result sums to amount, always.
// Throws std::invalid_argument for a negative amount, no weights or a weight <= 0.
std::vector<std::int64_t> split_pro_rata(std::int64_t amount_minor, std::span<const std::int64_t> weights);

} // namespace schwarm::loans
