#include "base/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace schwarm::json {

namespace {
std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
}

// What a cheap pass over the text says before parsing: how many values it
// has (separators and openings outside strings: an upper bound of one per
// value, near enough) and how many keys each object has (the colons at its
// level), objects in the order their braces open. Stops counting past
// values_max.
struct text_shape {
    std::size_t values = 1;
    std::vector<std::uint32_t> keys_per_object;
};

text_shape shape_of(std::string_view text) {
    text_shape out;
    constexpr std::size_t not_an_object = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> open; // per open bracket: its object's index, or not_an_object
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        switch (c) {
        case '"': in_string = true; break;
        case ',': ++out.values; break;
        case '{':
            ++out.values;
            open.push_back(out.keys_per_object.size());
            out.keys_per_object.push_back(0);
            break;
        case '[':
            ++out.values;
            open.push_back(not_an_object);
            break;
        case ':':
            if (!open.empty() && open.back() != not_an_object) ++out.keys_per_object[open.back()];
            break;
        case '}':
        case ']':
            if (!open.empty()) open.pop_back();
            break;
        default: break;
        }
        if (out.values > values_max) break;
    }
    return out;
}

// Boost.JSON keeps the last of an object's members with one key; the text
// had more keys than the parsed object has members then. Objects are visited
// in the order their braces opened (a parent before what it holds), so the
// first object that differs is the one with a key twice.
bool has_duplicate_key(const boost::json::value& value, const std::vector<std::uint32_t>& keys, std::size_t& next) {
    if (value.is_object()) {
        const auto& object = value.as_object();
        if (next >= keys.size() || object.size() != keys[next++]) return true;
        for (const auto& member : object) {
            if (has_duplicate_key(member.value(), keys, next)) return true;
        }
    } else if (value.is_array()) {
        for (const auto& element : value.as_array()) {
            if (has_duplicate_key(element, keys, next)) return true;
        }
    }
    return false;
}

} // namespace

boost::json::object parse_object(std::string_view text) {
    text_shape shape = shape_of(text);
    if (shape.values > values_max) {
        throw problem(problems::payload_too_large,
                      "The body has more than " + std::to_string(values_max) + " JSON values");
    }
    boost::json::parse_options options;
    options.max_depth = nesting_depth_max;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec) {
        throw problem(problems::malformed_json, "The body is not valid JSON: " + ec.message());
    }
    if (!value.is_object()) {
        throw problem(problems::malformed_json, "The body must be a JSON object");
    }
    // Two readers of one body must never read two meanings (RFC 8259 4: with
    // duplicate names, behaviour is unpredictable): refused, not last-wins.
    std::size_t next = 0;
    if (has_duplicate_key(value, shape.keys_per_object, next)) {
        throw problem(problems::malformed_json, "An object in the body has the same key twice");
    }
    return std::move(value.as_object());
}

problem object_reader::field_error(std::string_view field, const std::string& detail) const {
    std::string name = prefix_ + std::string(field);
    return field_problem(name, name + detail);
}

const boost::json::value* object_reader::find(std::string_view field) {
    read_.emplace(field);
    const boost::json::value* value = object_.if_contains(field);
    return value && !value->is_null() ? value : nullptr;
}

std::optional<std::string> object_reader::optional_string(std::string_view field, std::size_t length_min,
                                                          std::size_t length_max) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    if (!value->is_string()) throw field_error(field, " must be a string");
    std::string_view text = value->as_string();
    // PostgreSQL text cannot hold NUL: refused here, for this request alone,
    // not by the database for a whole transaction of others' requests.
    if (text.find('\0') != std::string_view::npos) throw field_error(field, " must not contain NUL characters");
    std::size_t length = utf8_length(text);
    if (length < length_min || length > length_max) {
        throw field_error(field, " must be " + std::to_string(length_min) + " to " + std::to_string(length_max) +
                                     " characters long");
    }
    return std::string(text);
}

bool is_rfc3339_time(std::string_view t) {
    auto digits = [&](std::size_t at, std::size_t n, int max) {
        if (at + n > t.size()) return false;
        int value = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            value = value * 10 + (t[i] - '0');
        }
        return value <= max;
    };
    // YYYY-MM-DDThh:mm:ss
    if (t.size() < 20 || t.size() > 40 || !digits(0, 4, 9999) || t[4] != '-' || !digits(5, 2, 12) || t[7] != '-' ||
        !digits(8, 2, 31) || (t[10] != 'T' && t[10] != 't') || !digits(11, 2, 23) || t[13] != ':' ||
        !digits(14, 2, 59) || t[16] != ':' || !digits(17, 2, 60) || t.substr(5, 2) == "00" || t.substr(8, 2) == "00") {
        return false;
    }
    std::size_t at = 19;
    if (t[at] == '.') {
        std::size_t start = ++at;
        while (at < t.size() && t[at] >= '0' && t[at] <= '9') ++at;
        if (at == start || at - start > 9) return false;
    }
    std::string_view zone = t.substr(at);
    if (zone == "Z" || zone == "z") return true;
    return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(at + 1, 2, 23) && zone[3] == ':' &&
           digits(at + 4, 2, 59);
}

std::string object_reader::required_time(std::string_view field) {
    std::string text = required_string(field, 1, 40);
    if (!is_rfc3339_time(text)) throw field_error(field, " must be an RFC 3339 time, e.g. 2027-06-30T23:59:59Z");
    return text;
}

std::string object_reader::required_string(std::string_view field, std::size_t length_min, std::size_t length_max) {
    auto value = optional_string(field, length_min, length_max);
    if (!value) throw field_error(field, " is required");
    return *value;
}

std::optional<std::int64_t> object_reader::optional_int(std::string_view field, std::int64_t min, std::int64_t max) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    std::int64_t number = 0;
    if (value->is_int64()) {
        number = value->as_int64();
    } else if (value->is_uint64() && max >= 0 && value->as_uint64() <= static_cast<std::uint64_t>(max)) {
        // (max >= 0 first: a negative max cast to unsigned is huge, and the
        // number would wrap to a negative one inside the bounds.)
        number = static_cast<std::int64_t>(value->as_uint64());
    } else {
        throw field_error(field, " must be a whole number");
    }
    if (number < min || number > max) {
        throw field_error(field, " must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return number;
}

std::int64_t object_reader::required_int(std::string_view field, std::int64_t min, std::int64_t max) {
    auto value = optional_int(field, min, max);
    if (!value) throw field_error(field, " is required");
    return *value;
}

std::optional<bool> object_reader::optional_bool(std::string_view field) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    if (!value->is_bool()) throw field_error(field, " must be true or false");
    return value->as_bool();
}

const boost::json::array& object_reader::optional_array(std::string_view field, std::size_t size_max) {
    static const boost::json::array empty;
    const boost::json::value* value = find(field);
    if (!value) return empty;
    if (!value->is_array()) throw field_error(field, " must be an array");
    if (value->as_array().size() > size_max) {
        throw field_error(field, " may have at most " + std::to_string(size_max) + " elements");
    }
    return value->as_array();
}

const boost::json::object& object_reader::optional_object(std::string_view field) {
    static const boost::json::object empty;
    const boost::json::value* value = find(field);
    if (!value) return empty;
    if (!value->is_object()) throw field_error(field, " must be an object");
    return value->as_object();
}

const boost::json::array& object_reader::required_array(std::string_view field, std::size_t size_max) {
    if (!object_.if_contains(field) || object_.at(field).is_null()) {
        read_.emplace(field);
        throw field_error(field, " is required");
    }
    return optional_array(field, size_max);
}

const boost::json::object& element_object(const boost::json::value& element, const std::string& field) {
    if (!element.is_object()) throw field_problem(field, field + " must be an object");
    return element.as_object();
}

void object_reader::reject_unknown() const {
    for (const auto& member : object_) {
        if (!read_.contains(member.key())) {
            // Echo at most a short prefix of what the client sent.
            constexpr std::size_t echoed_length_max = 64;
            std::string field(member.key().substr(0, echoed_length_max));
            throw field_problem(prefix_ + field, "unknown field " + prefix_ + field);
        }
    }
}

} // namespace schwarm::json
