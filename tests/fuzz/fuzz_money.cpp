// core/money: currency codes, checked addition and decimal formatting,
// each against a plain reference computed another way (128-bit integers).
#include "base/money.hpp"
#include "support.hpp"
#include "voting/tally.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

using namespace schwarm;
using fuzz::require;

namespace {

std::string reference_decimal(std::int64_t amount, int digits) {
    __int128 value = amount;
    bool negative = value < 0;
    if (negative) value = -value;
    std::string text;
    do {
        text.insert(text.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
        value /= 10;
    } while (value > 0);
    if (digits > 0) {
        while (text.size() <= static_cast<std::size_t>(digits)) text.insert(text.begin(), '0');
        text.insert(text.size() - static_cast<std::size_t>(digits), ".");
    }
    return negative ? "-" + text : text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    std::string code_a = in.ConsumeBytesAsString(3);
    std::string code_b = in.ConsumeBool() ? code_a : in.ConsumeBytesAsString(3);
    std::int64_t a = in.ConsumeIntegral<std::int64_t>();
    std::int64_t b = in.ConsumeIntegral<std::int64_t>();
    int digits = in.ConsumeIntegralInRange(0, 4);

    require(format_decimal(a, digits) == reference_decimal(a, digits), "format_decimal");
    std::string whole = reference_decimal(a, 2);
    if (whole.ends_with(".00")) whole.resize(whole.size() - 3); // pabulib's whole amounts
    require(voting::format_minor(a) == whole, "format_minor");

    auto sum = checked_add(a, b);
    __int128 exact = static_cast<__int128>(a) + b;
    bool fits = exact >= INT64_MIN && exact <= INT64_MAX;
    require(sum.has_value() == fits && (!sum || *sum == exact), "checked_add");

    auto cur_a = currency::parse(code_a);
    auto cur_b = currency::parse(code_b);
    if (cur_a) {
        require(cur_a->code() == code_a, "a currency keeps its code");
        require(cur_a->minor_digits() >= 0 && cur_a->minor_digits() <= 3, "minor digits of a known currency");
    }
    if (cur_a && cur_b) {
        try {
            money total = money{a, *cur_a} + money{b, *cur_b};
            require(*cur_a == *cur_b && fits && total.amount_minor == exact && total.cur == *cur_a, "money addition");
        } catch (const problem& p) {
            require(p.status() == 422 && (!(*cur_a == *cur_b) || !fits), "money addition refuses only what it must");
        }
    }
    return 0;
}
