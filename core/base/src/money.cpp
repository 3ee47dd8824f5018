#include "base/money.hpp"

#include <algorithm>

namespace schwarm {

namespace {
struct known_currency {
    std::string_view code;
    int minor_digits;
};
// The currencies a European cooperative bank plausibly books, with their
// ISO 4217 minor units. Extend here; the database stores the code.
constexpr std::array<known_currency, 16> known{{
    {"EUR", 2},
    {"USD", 2},
    {"GBP", 2},
    {"CHF", 2},
    {"PLN", 2},
    {"CZK", 2},
    {"SEK", 2},
    {"NOK", 2},
    {"DKK", 2},
    {"HUF", 2},
    {"RON", 2},
    {"BGN", 2},
    {"JPY", 0},
    {"ISK", 0},
    {"KWD", 3},
    {"CAD", 2},
}};
} // namespace

std::optional<currency> currency::parse(std::string_view code) {
    auto it = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.code == code; });
    if (it == known.end()) return std::nullopt;
    return currency({code[0], code[1], code[2]}, it->minor_digits);
}

money operator+(const money& a, const money& b) {
    if (!(a.cur == b.cur)) {
        throw problem(problems::currency_mismatch,
                      "Cannot add " + std::string(a.cur.code()) + " and " + std::string(b.cur.code()));
    }
    auto sum = checked_add(a.amount_minor, b.amount_minor);
    if (!sum) throw problem(problems::amount_overflow, "The sum exceeds the largest amount we can book");
    return {*sum, a.cur};
}

std::string format_decimal(std::int64_t amount_minor, int minor_digits) {
    bool negative = amount_minor < 0;
    // Work in unsigned so that INT64_MIN has a magnitude.
    std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(amount_minor) : static_cast<std::uint64_t>(amount_minor);
    std::string digits = std::to_string(magnitude);
    if (minor_digits > 0) {
        if (digits.size() <= static_cast<std::size_t>(minor_digits)) {
            digits.insert(0, static_cast<std::size_t>(minor_digits) + 1 - digits.size(), '0');
        }
        digits.insert(digits.size() - static_cast<std::size_t>(minor_digits), 1, '.');
    }
    return negative ? "-" + digits : digits;
}

} // namespace schwarm
