#pragma once
// Typed ids: an id of a user cannot be passed where a project's is expected.

#include <compare>
#include <cstdint>
#include <string>

namespace schwarm {

template <typename Tag>
struct id {
    std::int64_t value = 0;
    auto operator<=>(const id&) const = default;
    std::string str() const { return std::to_string(value); }
};

struct user_tag;
using user_id = id<user_tag>;

} // namespace schwarm
