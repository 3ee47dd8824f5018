#include "core/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace schwarm::json {

namespace {
std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
}
} // namespace

boost::json::object parse_object(std::string_view text) {
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
    return std::move(value.as_object());
}

const boost::json::value* object_reader::find(std::string_view field) {
    read_.emplace(field);
    const boost::json::value* value = object_.if_contains(field);
    return value && !value->is_null() ? value : nullptr;
}

std::optional<std::string> object_reader::optional_string(std::string_view field,
                                                          std::size_t length_min,
                                                          std::size_t length_max) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    if (!value->is_string()) throw field_problem(std::string(field), std::string(field) + " must be a string");
    std::string_view text = value->as_string();
    std::size_t length = utf8_length(text);
    if (length < length_min || length > length_max) {
        throw field_problem(std::string(field), std::string(field) + " must be " +
                                                    std::to_string(length_min) + " to " +
                                                    std::to_string(length_max) + " characters long");
    }
    return std::string(text);
}

std::string object_reader::required_string(std::string_view field, std::size_t length_min,
                                           std::size_t length_max) {
    auto value = optional_string(field, length_min, length_max);
    if (!value) throw field_problem(std::string(field), std::string(field) + " is required");
    return *value;
}

std::optional<std::int64_t> object_reader::optional_int(std::string_view field, std::int64_t min,
                                                        std::int64_t max) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    std::int64_t number = 0;
    if (value->is_int64()) {
        number = value->as_int64();
    } else if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(max)) {
        number = static_cast<std::int64_t>(value->as_uint64());
    } else {
        throw field_problem(std::string(field), std::string(field) + " must be a whole number");
    }
    if (number < min || number > max) {
        throw field_problem(std::string(field), std::string(field) + " must be between " +
                                                    std::to_string(min) + " and " + std::to_string(max));
    }
    return number;
}

std::int64_t object_reader::required_int(std::string_view field, std::int64_t min, std::int64_t max) {
    auto value = optional_int(field, min, max);
    if (!value) throw field_problem(std::string(field), std::string(field) + " is required");
    return *value;
}

std::optional<bool> object_reader::optional_bool(std::string_view field) {
    const boost::json::value* value = find(field);
    if (!value) return std::nullopt;
    if (!value->is_bool()) throw field_problem(std::string(field), std::string(field) + " must be true or false");
    return value->as_bool();
}

void object_reader::reject_unknown() const {
    for (const auto& member : object_) {
        if (!read_.contains(member.key())) {
            // Echo at most a short prefix of what the client sent.
            constexpr std::size_t echoed_length_max = 64;
            std::string field(member.key().substr(0, echoed_length_max));
            throw field_problem(field, "unknown field " + field);
        }
    }
}

} // namespace schwarm::json
