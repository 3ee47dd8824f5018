#pragma once
// Reading request bodies. `parse_object` turns text into a JSON object or a
// problem; `object_reader` takes fields out of it one by one, checks their
// type, and at the end refuses any field nobody asked for, naming it.

#include "base/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace schwarm::json {

inline constexpr std::size_t nesting_depth_max = 32;
// Values in one body: a ledger batch of 8190 entries has about 125,000. The
// cap bounds what one request may make the parser allocate (a megabyte of
// "1," is half a million values, some 16 MB once parsed).
inline constexpr std::size_t values_max = 200'000;

// Throws problem(malformed_json) for text that is not a JSON object or that
// has an object with a key twice (anywhere in it), and
// problem(payload_too_large) for one with more than values_max values.
boost::json::object parse_object(std::string_view text);

// The element of an array that must be an object; `field` names it in the
// problem ("postings[2]").
const boost::json::object& element_object(const boost::json::value& element, const std::string& field);

// An RFC 3339 date-time as the API takes them: 2027-06-30T23:59:59Z, with
// optional fractions of a second and a Z or ±hh:mm offset. PostgreSQL would
// also take 'infinity', 'tomorrow' or 'epoch'; the API does not.
bool is_rfc3339_time(std::string_view text);

class object_reader {
public:
    // `prefix` qualifies field names in problems, e.g. "postings[1].".
    explicit object_reader(const boost::json::object& object, std::string prefix = {})
        : object_(object), prefix_(std::move(prefix)) {}

    std::string required_string(std::string_view field, std::size_t length_min, std::size_t length_max);
    std::optional<std::string> optional_string(std::string_view field, std::size_t length_min, std::size_t length_max);
    std::int64_t required_int(std::string_view field, std::int64_t min, std::int64_t max);
    std::optional<std::int64_t> optional_int(std::string_view field, std::int64_t min, std::int64_t max);
    // An RFC 3339 date-time (is_rfc3339_time), as its text.
    std::string required_time(std::string_view field);
    std::optional<bool> optional_bool(std::string_view field);
    // An array of at most `size_max` elements; empty when absent.
    const boost::json::array& optional_array(std::string_view field, std::size_t size_max);
    const boost::json::array& required_array(std::string_view field, std::size_t size_max);
    // An object; empty when absent.
    const boost::json::object& optional_object(std::string_view field);

    // Throws a validation problem for the first field not read above.
    void reject_unknown() const;

private:
    const boost::json::value* find(std::string_view field);

    problem field_error(std::string_view field, const std::string& detail) const;

    const boost::json::object& object_;
    std::string prefix_;
    std::set<std::string, std::less<>> read_;
};

} // namespace schwarm::json
