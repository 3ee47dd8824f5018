#pragma once
// Money: integer minor units with an ISO 4217 currency. No floating point.
// Arithmetic refuses overflow and mixing currencies.

#include "base/problem.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace schwarm {

namespace problems {
inline constexpr problem_type amount_overflow{422, "amount-overflow", "The amount is out of range"};
inline constexpr problem_type currency_mismatch{422, "currency-mismatch", "The currencies do not match"};
} // namespace problems

// A three-letter ISO 4217 code that we know the minor unit of.
class currency {
public:
    // nullopt for anything not in our table.
    static std::optional<currency> parse(std::string_view code);
    std::string_view code() const { return {code_.data(), 3}; }
    int minor_digits() const { return minor_digits_; }
    bool operator==(const currency&) const = default;

private:
    currency(std::array<char, 3> code, int digits) : code_(code), minor_digits_(digits) {}
    std::array<char, 3> code_;
    int minor_digits_;
};

struct money {
    std::int64_t amount_minor;
    currency cur;
    bool operator==(const money&) const = default;
};

// Checked addition of minor units; nullopt on overflow.
inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
    std::int64_t out;
    if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
    return out;
}

money operator+(const money& a, const money& b); // throws problem on overflow or mismatch

// "12.34" for 1234 minor units of a 2-digit currency; "-0.05"; "100" for JPY.
std::string format_decimal(std::int64_t amount_minor, int minor_digits);

} // namespace schwarm
