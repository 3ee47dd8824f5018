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

TEST_CASE("config: the hardening limits (issue 19) have defaults and ranges", "[config]") {
    auto c = load_config(minimal());
    CHECK(c.connections_per_client_max == 256);
    CHECK(c.password_hash_concurrency == 2);
    CHECK(c.password_hash_queue_max == 16);
    CHECK(c.ballot_key.empty());

    auto env = minimal();
    SECTION("a small server's default share is all of its connections") {
        env["SCHWARM_CONNECTIONS_MAX"] = "100";
        CHECK(load_config(env).connections_per_client_max == 100);
    }
    SECTION("a share larger than the whole is refused") {
        env["SCHWARM_CONNECTIONS_MAX"] = "100";
        env["SCHWARM_CONNECTIONS_PER_CLIENT_MAX"] = "101";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("at most SCHWARM_CONNECTIONS_MAX"));
    }
    SECTION("hashing concurrency 1 to 64") {
        env["SCHWARM_PASSWORD_HASH_CONCURRENCY"] = "0";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("SCHWARM_PASSWORD_HASH_CONCURRENCY"));
        env["SCHWARM_PASSWORD_HASH_CONCURRENCY"] = "65";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("between 1 and 64"));
    }
    SECTION("hashing queue 0 to 10000") {
        env["SCHWARM_PASSWORD_HASH_QUEUE_MAX"] = "0";
        CHECK(load_config(env).password_hash_queue_max == 0);
        env["SCHWARM_PASSWORD_HASH_QUEUE_MAX"] = "-1";
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("SCHWARM_PASSWORD_HASH_QUEUE_MAX"));
    }
    SECTION("a short ballot key") {
        env["SCHWARM_BALLOT_KEY"] = std::string(31, 'k');
        CHECK_THROWS_WITH(load_config(env), Catch::Contains("SCHWARM_BALLOT_KEY must be at least 32 characters"));
        env["SCHWARM_BALLOT_KEY"] = std::string(32, 'k');
        CHECK(load_config(env).ballot_key.size() == 32);
    }
}
