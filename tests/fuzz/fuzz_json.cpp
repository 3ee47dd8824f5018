// core/json: parse_object on any bytes, then object_reader over whatever
// parsed, each field read with a method its name picks, nested objects in
// arrays read the same way. A problem is the expected answer to bad input;
// anything else escaping, or a reader that accepts what it should refuse,
// is a finding.
#include "base/json.hpp"
#include "support.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace schwarm;
using fuzz::require;

namespace {

constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

// Bounds as the resources use them, and a few odd ones.
constexpr std::pair<std::int64_t, std::int64_t> int_bounds[] = {
    {int64_min, int64_max}, {1, int64_max}, {0, 1000}, {1, 360}, {int64_min, -1}, {-5, 5},
};
constexpr std::pair<std::size_t, std::size_t> length_bounds[] = {{1, 200}, {0, 500}, {3, 3}, {1, 20}, {0, 0}};

std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
}

void check_problem(const problem& p, const std::string& prefix) {
    require(p.type().slug == problems::validation.slug, "a reader's problem is a validation problem");
    require(p.extensions().contains("field"), "a reader's problem names the field");
    require(p.extension("field").starts_with(prefix), "the field carries the reader's prefix");
}

void read_object(const boost::json::object& object, const std::string& prefix, int depth);

void read_field(json::object_reader& reader, const boost::json::object& object, std::string_view key,
                const std::string& prefix, int depth) {
    const boost::json::value& raw = object.at(key);
    const std::size_t pick = key.size() + (key.empty() ? 0 : static_cast<unsigned char>(key.front()));
    switch (pick % 5) {
    case 0: {
        auto [min, max] = length_bounds[pick / 5 % std::size(length_bounds)];
        auto value = reader.optional_string(key, min, max);
        if (value) {
            require(raw.is_string() && *value == std::string_view(raw.as_string()), "a string reads as itself");
            auto length = utf8_length(*value);
            require(length >= min && length <= max, "a string within its length bounds");
        } else {
            require(raw.is_null(), "only null or absent reads as no string");
        }
        break;
    }
    case 1: {
        auto [min, max] = int_bounds[pick / 5 % std::size(int_bounds)];
        auto value = reader.optional_int(key, min, max);
        if (value) {
            require(*value >= min && *value <= max, "an integer within its bounds");
            bool same = (raw.is_int64() && raw.as_int64() == *value) ||
                        (raw.is_uint64() && *value >= 0 && raw.as_uint64() == static_cast<std::uint64_t>(*value));
            require(same, "an integer reads as the number that was sent");
        } else {
            require(raw.is_null(), "only null or absent reads as no integer");
        }
        break;
    }
    case 2: {
        auto value = reader.optional_bool(key);
        require(value ? raw.is_bool() && raw.as_bool() == *value : raw.is_null(), "a bool reads as itself");
        break;
    }
    default: {
        std::size_t size_max = pick % 7;
        const auto& items = pick % 5 == 3 ? reader.optional_array(key, size_max) : reader.required_array(key, size_max);
        require(items.size() <= size_max, "an array within its size bound");
        if (depth >= 4) break;
        for (std::size_t i = 0; i < items.size(); ++i) {
            std::string name = prefix + std::string(key) + "[" + std::to_string(i) + "]";
            try {
                read_object(json::element_object(items[i], name), name + ".", depth + 1);
            } catch (const problem& p) {
                check_problem(p, name);
            }
        }
        break;
    }
    }
}

void read_object(const boost::json::object& object, const std::string& prefix, int depth) {
    json::object_reader reader(object, prefix);
    std::vector<std::string> keys;
    for (const auto& member : object) keys.emplace_back(member.key());
    for (const auto& key : keys) {
        try {
            read_field(reader, object, key, prefix, depth);
        } catch (const problem& p) {
            check_problem(p, prefix);
        }
    }
    // Every field was asked for: nothing is unknown.
    reader.reject_unknown();
    // A reader that asked for nothing refuses the first field.
    if (!object.empty()) {
        json::object_reader lazy(object, prefix);
        bool refused = false;
        try {
            lazy.reject_unknown();
        } catch (const problem& p) {
            check_problem(p, prefix);
            refused = true;
        }
        require(refused, "reject_unknown refuses a field nobody read");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    boost::json::object object;
    try {
        object = json::parse_object(text);
    } catch (const problem& p) {
        require(p.status() == 400, "unparsable JSON is a 400 malformed-json problem");
        return 0;
    }
    read_object(object, "", 0);
    return 0;
}
