#pragma once
// Shared by the fuzz targets: how a target reports a broken invariant.

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace schwarm::fuzz {

// A finding: libFuzzer treats the abort as a crash and saves the input.
[[noreturn]] inline void fail(std::string_view what) {
    std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

inline void require(bool holds, std::string_view what) {
    if (!holds) fail(what);
}

} // namespace schwarm::fuzz
