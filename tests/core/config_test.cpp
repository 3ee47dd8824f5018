#include "base/config.hpp"

#include <catch2/catch.hpp>

using schwarm::config_error;
using schwarm::load_config;

namespace {
std::map<std::string, std::string> minimal() { return {{"DATABASE_URL", "postgresql:///x"}}; }
} // namespace

TEST_CASE("config: defaults with only DATABASE_URL", "[config]") {
    auto c = load_config(minimal());
    CHECK(c.port == 8443);
    CHECK(c.listen_address == "127.0.0.1");
    CHECK(c.db_workers == 8);
    CHECK(c.body_limit_bytes == 1 << 20);
}

TEST_CASE("config: values are read and checked", "[config]") {
    auto env = minimal();
    env["SCHWARM_PORT"] = "9000";
    env["SCHWARM_DB_WORKERS"] = "3";
    auto c = load_config(env);
    CHECK(c.port == 9000);
    CHECK(c.db_workers == 3);
}

TEST_CASE("config: refusals name the variable", "[config]") {
    auto env = minimal();
    SECTION("missing database") {
        env.erase("DATABASE_URL");
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("DATABASE_URL"));
    }
    SECTION("not a number") {
        env["SCHWARM_PORT"] = "84x";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("SCHWARM_PORT") && Catch::Contains("whole number"));
    }
    SECTION("out of range") {
        env["SCHWARM_PORT"] = "70000";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("between 0 and 65535"));
    }
    SECTION("zero workers") {
        env["SCHWARM_DB_WORKERS"] = "0";
        CHECK_THROWS_AS(load_config(env), config_error);
    }
    SECTION("a typo is not silently ignored") {
        env["SCHWARM_PROT"] = "1";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("unknown setting SCHWARM_PROT"));
    }
    SECTION("certificate without key") {
        env["SCHWARM_TLS_CERT"] = "/tmp/cert.pem";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("set together"));
    }
    SECTION("empty value") {
        env["SCHWARM_LISTEN_ADDRESS"] = "";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("must not be empty"));
    }
}
