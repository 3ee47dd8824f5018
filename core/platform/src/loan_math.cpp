#include "platform/loan_math.hpp"

#include "base/problem.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace schwarm::loans {
namespace {

using boost::multiprecision::cpp_int;
using int128 = __int128;

// r = rate_bp / 120000: basis points (1/10000) of an annual rate over 12 months.
constexpr std::int64_t monthly_rate_denominator = 120'000;

// a / b rounded half up, for a >= 0 and b > 0.
template <typename Int>
Int divide_half_up(const Int& a, const Int& b) {
    return (2 * a + b) / (2 * b);
}

std::int64_t interest_on(std::int64_t balance_minor, int rate_bp) {
    SCHWARM_INVARIANT(balance_minor >= 0, "a negative loan balance");
    // balance < 2^63 and rate_bp <= 120000 < 2^17: the product fits 128 bits.
    int128 interest = divide_half_up<int128>(int128{balance_minor} * rate_bp, monthly_rate_denominator);
    // r <= 1, so the interest never exceeds the balance.
    SCHWARM_INVARIANT(interest <= balance_minor, "a month's interest above the balance");
    return static_cast<std::int64_t>(interest);
}

instalment make_instalment(int no, std::int64_t principal_minor, std::int64_t interest_minor) {
    SCHWARM_INVARIANT(principal_minor >= 0 && interest_minor >= 0, "a negative instalment");
    std::int64_t total;
    if (__builtin_add_overflow(principal_minor, interest_minor, &total)) {
        throw std::invalid_argument("loan schedule: an instalment's total does not fit 64 bits");
    }
    return {no, principal_minor, interest_minor};
}

// P·r / (1 − (1+r)^−n) with r = a/b, rewritten without negative powers as
// P·a·(b+a)^n / (b·((b+a)^n − b^n)), exactly, then rounded half up.
std::int64_t annuity_payment(std::int64_t principal_minor, int rate_bp, int term_months) {
    SCHWARM_INVARIANT(rate_bp > 0, "an annuity at no interest");
    const cpp_int a = rate_bp;
    const cpp_int b = monthly_rate_denominator;
    const cpp_int grown = boost::multiprecision::pow(b + a, static_cast<unsigned>(term_months));
    const cpp_int base = boost::multiprecision::pow(b, static_cast<unsigned>(term_months));
    const cpp_int numerator = cpp_int(principal_minor) * a * grown;
    const cpp_int denominator = b * (grown - base);
    const cpp_int payment = divide_half_up(numerator, denominator);
    if (payment > std::numeric_limits<std::int64_t>::max()) {
        throw std::invalid_argument("loan schedule: the payment does not fit 64 bits");
    }
    return payment.convert_to<std::int64_t>();
}

// P / n each, the first P mod n one unit more.
std::int64_t equal_share(std::int64_t principal_minor, int term_months, int no) {
    return principal_minor / term_months + (no <= principal_minor % term_months ? 1 : 0);
}

std::vector<instalment> annuity_schedule(std::int64_t principal_minor, int rate_bp, int term_months) {
    const std::int64_t payment = annuity_payment(principal_minor, rate_bp, term_months);
    std::vector<instalment> out;
    out.reserve(static_cast<std::size_t>(term_months));
    std::int64_t balance = principal_minor;
    for (int no = 1; no <= term_months; ++no) {
        const std::int64_t interest = interest_on(balance, rate_bp);
        // Rounding can leave a payment a little short of or beyond what the
        // balance needs near the end (tiny principals, long terms): the
        // principal never goes below 0 nor beyond the balance, and the last
        // month settles the rest.
        const std::int64_t principal =
            no == term_months ? balance : std::clamp<std::int64_t>(payment - interest, 0, balance);
        out.push_back(make_instalment(no, principal, interest));
        balance -= principal;
    }
    SCHWARM_INVARIANT(balance == 0, "a schedule that does not repay the principal");
    return out;
}

std::vector<instalment> equal_principal_schedule(std::int64_t principal_minor, int rate_bp, int term_months) {
    std::vector<instalment> out;
    out.reserve(static_cast<std::size_t>(term_months));
    std::int64_t balance = principal_minor;
    for (int no = 1; no <= term_months; ++no) {
        const std::int64_t principal = equal_share(principal_minor, term_months, no);
        out.push_back(make_instalment(no, principal, interest_on(balance, rate_bp)));
        balance -= principal;
    }
    SCHWARM_INVARIANT(balance == 0, "a schedule that does not repay the principal");
    return out;
}

} // namespace

std::vector<instalment> schedule(std::int64_t principal_minor, int rate_bp, int term_months, schedule_kind kind) {
    if (principal_minor <= 0) throw std::invalid_argument("loan schedule: principal must be positive");
    if (rate_bp < 0 || rate_bp > rate_bp_max) throw std::invalid_argument("loan schedule: rate out of range");
    if (term_months < 1 || term_months > term_months_max) {
        throw std::invalid_argument("loan schedule: term out of range");
    }
    if (kind == schedule_kind::annuity && rate_bp > 0) {
        return annuity_schedule(principal_minor, rate_bp, term_months);
    }
    // Equal principal, and an interest-free annuity: equal instalments.
    return equal_principal_schedule(principal_minor, rate_bp, term_months);
}

std::vector<std::int64_t> split_pro_rata(std::int64_t amount_minor, std::span<const std::int64_t> weights) {
    if (amount_minor < 0) throw std::invalid_argument("split: amount must not be negative");
    if (weights.empty()) throw std::invalid_argument("split: no weights");
    // Each weight < 2^63, so up to 2^64 of them sum within 128 bits; amount·w < 2^126.
    int128 total_weight = 0;
    for (std::int64_t w : weights) {
        if (w <= 0) throw std::invalid_argument("split: weights must be positive");
        total_weight += w;
    }

    const std::size_t count = weights.size();
    std::vector<std::int64_t> shares(count);
    std::vector<int128> remainders(count);
    int128 allotted = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const int128 product = int128{amount_minor} * weights[i];
        shares[i] = static_cast<std::int64_t>(product / total_weight);
        remainders[i] = product % total_weight;
        allotted += shares[i];
    }
    // Σ floor(amount·wᵢ/W) > amount − count, so fewer units are left than weights.
    const int128 left = int128{amount_minor} - allotted;
    SCHWARM_INVARIANT(left >= 0 && left < static_cast<int128>(count), "a remainder out of range");

    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        if (remainders[x] != remainders[y]) return remainders[x] > remainders[y];
        return x < y;
    });
    for (std::size_t k = 0; k < static_cast<std::size_t>(left); ++k) ++shares[order[k]];

    SCHWARM_INVARIANT(std::accumulate(shares.begin(), shares.end(), int128{0}) == amount_minor,
                      "a pro-rata split that does not add up");
    return shares;
}

} // namespace schwarm::loans
