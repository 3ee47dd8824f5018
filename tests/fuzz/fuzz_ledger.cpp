// ledger::validate: entry requests built from the fuzzer's bytes, judged
// against a model of the rules written here in 128-bit arithmetic. What
// validate accepts must obey every rule; what obeys every rule must pass.
#include "ledger/ledger.hpp"
#include "support.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

using namespace schwarm;
using fuzz::require;

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

std::int64_t amount(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<std::int64_t>(-2, 1000);
    case 1: return in.PickValueInArray({int64_max, int64_max - 1, int64_min, int64_min + 1, std::int64_t{0}});
    case 2: return int64_max - in.ConsumeIntegralInRange<std::int64_t>(0, 1000);
    default: return in.ConsumeIntegral<std::int64_t>();
    }
}

ledger::entry_request request_from(FuzzedDataProvider& in) {
    ledger::entry_request r;
    std::size_t key_length = in.PickValueInArray<std::size_t>({0, 1, 8, 200, 201});
    r.idempotency_key = in.ConsumeBool() ? std::string(key_length, 'k') : in.ConsumeRandomLengthString(210);
    r.kind = static_cast<ledger::entry_kind>(in.ConsumeIntegralInRange(0, 3));
    if (in.ConsumeBool()) r.pending = ledger::entry_id{in.ConsumeIntegral<std::int64_t>()};
    if (in.ConsumeBool()) r.expires_in_s = in.ConsumeIntegralInRange<std::int64_t>(-2, 1'000'000);
    r.description = std::string(in.PickValueInArray<std::size_t>({0, 10, 500, 501}), 'd');
    std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, ledger::postings_per_entry_max + 2);
    for (std::size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
        std::string code = in.ConsumeBool() ? in.PickValueInArray<std::string>({"EUR", "USD", "JPY", "XXX", "eur", ""})
                                            : in.ConsumeBytesAsString(3);
        r.postings.push_back({ledger::account_id{in.ConsumeIntegralInRange<std::int64_t>(1, 4)},
                              in.ConsumeBool() ? ledger::side::debit : ledger::side::credit, amount(in), code});
    }
    return r;
}

// The rules as docs and ledger.hpp state them.
bool shape_ok(const ledger::entry_request& r) {
    using ledger::entry_kind;
    if (r.idempotency_key.empty() || r.idempotency_key.size() > ledger::idempotency_key_length_max) return false;
    if (r.description.size() > ledger::description_length_max) return false;
    bool resolves = r.kind == entry_kind::post_pending || r.kind == entry_kind::void_pending;
    if (resolves != r.pending.has_value()) return false;
    if (r.expires_in_s && (r.kind != entry_kind::pending || *r.expires_in_s < 1)) return false;
    if (r.kind == entry_kind::void_pending && !r.postings.empty()) return false;
    if (!resolves && r.postings.size() < 2) return false;
    if (r.postings.size() > ledger::postings_per_entry_max) return false;
    for (const auto& p : r.postings) {
        if (p.amount_minor <= 0 || !currency::parse(p.currency_code)) return false;
    }
    return true;
}

struct balance_model {
    bool zero = true;           // debits equal credits in every currency
    bool stays_in_range = true; // every running sum fits in 64 bits
};

balance_model balance_of(const ledger::entry_request& r) {
    std::map<std::string, __int128> net;
    balance_model model;
    for (const auto& p : r.postings) {
        __int128& sum = net[p.currency_code];
        sum += p.side_ == ledger::side::debit ? p.amount_minor : -static_cast<__int128>(p.amount_minor);
        if (sum > int64_max || sum < int64_min) model.stays_in_range = false;
    }
    for (const auto& [code, sum] : net) model.zero = model.zero && sum == 0;
    return model;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    ledger::entry_request r = request_from(in);
    bool accepted = true;
    try {
        ledger::validate(r);
    } catch (const problem& p) {
        require(p.status() == 400 || p.status() == 422, "a refused entry is a 400 or 422 problem");
        accepted = false;
    }
    bool shape = shape_ok(r);
    balance_model balance = balance_of(r);
    bool balanced = r.pending || (balance.zero && balance.stays_in_range);
    if (accepted) {
        require(shape, "validate accepted an entry of the wrong shape");
        require(r.pending || balance.zero, "validate accepted an unbalanced entry");
    } else {
        require(!shape || !balanced, "validate refused a well-formed balanced entry");
    }
    return 0;
}
