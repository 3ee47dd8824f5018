#include "pipeline/router.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::api;

namespace {
response ok(context&) { return {}; }
router sample() {
    return router({{http::verb::get, "/v1/projects", access::anyone, db_use::none, ok},
                   {http::verb::post, "/v1/projects", any_user, db_use::write, ok},
                   {http::verb::get, "/v1/projects/{id}", access::anyone, db_use::read, ok},
                   {http::verb::get, "/v1/projects/mine", any_user, db_use::read, ok}});
}
} // namespace

TEST_CASE("router: exact paths and parameters", "[router]") {
    auto r = sample();
    auto m = r.match(http::verb::get, "/v1/projects/42");
    REQUIRE(std::holds_alternative<route_match>(m));
    CHECK(std::get<route_match>(m).path_params.at("id") == "42");
    CHECK(std::get<route_match>(m).matched->pattern == "/v1/projects/{id}");
    CHECK(std::holds_alternative<route_match>(r.match(http::verb::post, "/v1/projects")));
}

TEST_CASE("router: unknown paths and wrong methods", "[router]") {
    auto r = sample();
    CHECK(std::holds_alternative<no_route>(r.match(http::verb::get, "/v1/nothing")));
    CHECK(std::holds_alternative<no_route>(r.match(http::verb::get, "/v1/projects/")));
    CHECK(std::holds_alternative<no_route>(r.match(http::verb::get, "v1/projects")));
    CHECK(std::holds_alternative<no_route>(r.match(http::verb::get, "/v1/projects/1/2")));
    auto m = r.match(http::verb::delete_, "/v1/projects");
    REQUIRE(std::holds_alternative<wrong_method>(m));
    CHECK(std::get<wrong_method>(m).allow == "GET, POST");
}

TEST_CASE("router: a route declared twice is a programming error", "[router]") {
    CHECK_THROWS(router({{http::verb::get, "/a", access::anyone, db_use::none, ok},
                         {http::verb::get, "/a", access::anyone, db_use::none, ok}}));
}

TEST_CASE("router: role sets", "[router]") {
    using schwarm::users::role;
    CHECK(allows(any_user, role::auditor));
    CHECK(allows(access::staff | access::admin, role::admin));
    CHECK_FALSE(allows(access::staff | access::admin, role::customer));
    CHECK_FALSE(allows(access::anyone, role::customer));
}
