#include "base/json.hpp"

#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace schwarm;
using schwarm::test::caught;

namespace {
std::string field_of(const problem& p) {
    auto it = p.extensions().find("field");
    return it == p.extensions().end() ? "" : it->second;
}

} // namespace

TEST_CASE("json: RFC 3339 times, and what PostgreSQL takes that the API does not", "[json]") {
    for (const char* good : {"2027-06-30T23:59:59Z", "2027-06-30t23:59:59z", "2027-06-30T23:59:59.123456Z",
                             "2027-06-30T23:59:59+02:00", "2027-06-30T23:59:59-05:30", "2016-12-31T23:59:60Z"}) {
        INFO(good);
        CHECK(json::is_rfc3339_time(good));
    }
    for (const char* bad :
         {"", "infinity", "-infinity", "tomorrow", "now", "epoch", "2027-06-30", "2027-06-30 23:59:59Z",
          "2027-06-30T23:59:59", "2027-00-10T00:00:00Z", "2027-13-01T00:00:00Z", "2027-06-00T00:00:00Z",
          "2027-06-30T24:00:00Z", "2027-06-30T23:59:59.Z", "2027-06-30T23:59:59.1234567890Z",
          "2027-06-30T23:59:59+2:00", "2027-06-30T23:59:59+02:60", "12027-06-30T23:59:59Z", "2027-06-30T23:59:59Z "}) {
        INFO(bad);
        CHECK_FALSE(json::is_rfc3339_time(bad));
    }
}

TEST_CASE("json: bodies that are not one JSON object", "[json]") {
    CHECK(caught([] { json::parse_object("{"); }).type().slug == "malformed-json");
    CHECK(caught([] { json::parse_object("[1]"); }).type().slug == "malformed-json");
    CHECK(caught([] { json::parse_object(""); }).type().slug == "malformed-json");
    std::string deep(json::nesting_depth_max + 5, '[');
    CHECK(caught([&] { json::parse_object("{\"a\":" + deep); }).type().slug == "malformed-json");
    CHECK(json::parse_object(R"({"a":1})").at("a").as_int64() == 1);
}

TEST_CASE("json: an object with a key twice is refused, wherever it is", "[json]") {
    for (const char* text : {R"({"a":1,"a":2})", R"({"a":1, "b":2, "a" : 1})", R"({"x":{"a":1,"a":1}})",
                             R"({"x":[{"a":1},{"b":1,"b":2}]})", R"({"x":{"a":{"c":1},"a":{"d":1}}})",
                             R"({"x":[[{"y":{"k":1,"k":2}}]]})", R"({"ab":1,"ab":2})"}) {
        INFO(text);
        auto p = caught([&] { json::parse_object(text); });
        CHECK(p.type().slug == "malformed-json");
        CHECK(p.status() == 400);
        CHECK(p.detail().find("same key twice") != std::string::npos);
    }
    // Colons, braces and quotes inside strings are text; the same key in two
    // different objects is two keys.
    CHECK(json::parse_object(R"({"a:b":"{:}","a":{"a":1},"b":[{"a":1},{"a":2}],"c\"":":"})").size() == 4);
    CHECK(json::parse_object(R"({"x":{},"y":[{}, {"z":{}}]})").size() == 2);
}

TEST_CASE("json: a body with too many values is refused before it is parsed", "[json]") {
    std::string many = "{\"a\":[";
    for (std::size_t i = 0; i < json::values_max; ++i) many += "1,";
    many += "1]}";
    CHECK(caught([&] { json::parse_object(many); }).type().slug == "payload-too-large");
    // Commas and brackets inside strings are text, not values.
    std::string text = "{\"a\":\"" + std::string(json::values_max + 10, ',') + "\"}";
    CHECK(json::parse_object(text).at("a").as_string().size() == json::values_max + 10);
    std::string escaped = "{\"a\":\"\\\"" + std::string(json::values_max + 10, '[') + "\"}";
    CHECK(json::parse_object(escaped).at("a").as_string().size() == json::values_max + 11);
}

TEST_CASE("json: fields are typed, bounded and named in refusals", "[json]") {
    auto object = json::parse_object(R"({"name":"Ada","age":36,"nick":7,"big":18446744073709551615,"extra":true})");
    json::object_reader r(object);
    CHECK(r.required_string("name", 1, 10) == "Ada");
    CHECK(r.required_int("age", 0, 200) == 36);

    auto wrong_type = caught([&] { r.required_string("nick", 1, 10); });
    CHECK(wrong_type.status() == 400);
    CHECK(field_of(wrong_type) == "nick");

    auto too_big = caught([&] { r.required_int("big", 0, 1000); });
    CHECK(field_of(too_big) == "big");

    auto missing = caught([&] { r.required_string("email", 1, 10); });
    CHECK(missing.detail() == "email is required");

    auto too_long = caught([&] { json::object_reader(object).required_string("name", 1, 2); });
    CHECK(field_of(too_long) == "name");

    auto unknown = caught([&] { r.reject_unknown(); });
    CHECK(field_of(unknown) == "extra");
}

// Found by fuzz_json: with a negative upper bound, 2^64-1 was cast to -1 and
// accepted as a number the client never sent.
TEST_CASE("json: a large unsigned number is not read as a negative one", "[json][fuzz]") {
    auto object = json::parse_object(R"({"n":18446744073709551615,"m":9223372036854775808,"k":-3})");
    json::object_reader r(object);
    CHECK(field_of(caught([&] { r.required_int("n", std::numeric_limits<std::int64_t>::min(), -1); })) == "n");
    CHECK(field_of(caught([&] { r.optional_int("m", -10, -1); })) == "m");
    CHECK(r.required_int("k", -10, -1) == -3);
}

TEST_CASE("json: string length counts characters, not bytes", "[json]") {
    auto object = json::parse_object(R"({"name":"Jürgen"})");
    CHECK(json::object_reader(object).required_string("name", 6, 6) == "Jürgen");
}
