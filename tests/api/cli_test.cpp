// The command line: creating staff, migrating, refusing bad configuration.
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

using namespace schwarm::test;

TEST_CASE("cli: user create makes staff who can log in", "[e2e][cli]") {
    database db;
    std::string output;
    int rc = run_cli({"user", "create", "--email", "sam@bank.example", "--role", "staff", "--password-stdin"},
                     {{"DATABASE_URL", db.url()}}, "staff password 1\n", output);
    CHECK(rc == 0);
    CHECK(output.find("role staff") != std::string::npos);
    CHECK(output.find("staff password 1") == std::string::npos);
    CHECK(db.scalar("SELECT role FROM users WHERE email = 'sam@bank.example'") == "staff");
    // Made by the operator, not by the new user: no actor, and the record says how.
    CHECK(db.scalar("SELECT actor_id IS NULL AND action = 'user.create' AND details->>'via' = 'command line' "
                    "AND request_id LIKE 'cli-%' FROM audit_log") == "t");

    server srv(db.url());
    https_client client(srv.port());
    auto login =
        client.request("POST", "/v1/sessions", R"({"email":"sam@bank.example","password":"staff password 1"})");
    REQUIRE(login.status == 201);
    auto me = client.request("GET", "/v1/users/me", {},
                             {{"Authorization", "Bearer " + std::string(login.json().at("token").as_string())}});
    CHECK(me.json().at("role") == "staff");
}

TEST_CASE("cli: user create refuses bad input and changes nothing", "[e2e][cli]") {
    database db;
    std::string output;
    std::map<std::string, std::string> env{{"DATABASE_URL", db.url()}};
    CHECK(run_cli({"user", "create", "--email", "x@bank.example", "--role", "king", "--password-stdin"}, env,
                  "long enough password\n", output) == 2);
    CHECK(run_cli({"user", "create", "--email", "x@bank.example", "--role", "staff", "--password-stdin"}, env,
                  "short\n", output) == 1);
    CHECK(output.find("password must be") != std::string::npos);
    CHECK(run_cli({"user", "create", "--email", "x@bank.example", "--role", "staff"}, env, "", output) == 2);
    CHECK(db.scalar("SELECT count(*) FROM users") == "0");
}

TEST_CASE("cli: migrate applies the schema once", "[e2e][cli]") {
    database db(false);
    std::string output;
    std::map<std::string, std::string> env{{"DATABASE_URL", db.url()}};
    REQUIRE(run_cli({"migrate"}, env, "", output) == 0);
    CHECK(output.find(R"("msg":"migration applied")") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('users') IS NOT NULL") == "t");
    REQUIRE(run_cli({"migrate"}, env, "", output) == 0);
    CHECK(output.find(R"("msg":"migration applied")") == std::string::npos);
}

TEST_CASE("cli: an edited, already applied migration stops migrate and serve", "[e2e][cli]") {
    database db;
    db.exec("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
    std::string output;
    std::map<std::string, std::string> env{{"DATABASE_URL", db.url()},
                                           {"SCHWARM_TLS_CERT", required_env("SCHWARM_TEST_TLS_CERT")},
                                           {"SCHWARM_TLS_KEY", required_env("SCHWARM_TEST_TLS_KEY")},
                                           {"SCHWARM_BALLOT_KEY", test_ballot_key},
                                           {"SCHWARM_PORT", "0"}};
    CHECK(run_cli({"migrate"}, env, "", output) == 1);
    CHECK(output.find("was edited after it was applied") != std::string::npos);
    CHECK(run_cli({"serve"}, env, "", output) == 1);
    CHECK(output.find("was edited after it was applied") != std::string::npos);
}

TEST_CASE("cli: invalid configuration stops start-up with a clear message", "[e2e][cli]") {
    database db;
    std::string output;
    CHECK(run_cli({"serve"}, {{"DATABASE_URL", db.url()}, {"SCHWARM_PORT", "eighty"}}, "", output) == 2);
    CHECK(output.find("SCHWARM_PORT must be a whole number") != std::string::npos);
    CHECK(run_cli({"serve"}, {{"DATABASE_URL", db.url()}, {"SCHWARM_DB_WORKRS", "4"}}, "", output) == 2);
    CHECK(output.find("unknown setting SCHWARM_DB_WORKRS") != std::string::npos);
    CHECK(run_cli({"serve"}, {{"DATABASE_URL", db.url()}}, "", output) == 2);
    CHECK(output.find("SCHWARM_TLS_CERT") != std::string::npos);
    CHECK(run_cli({"frobnicate"}, {}, "", output) == 2);
    CHECK(output.find("usage:") != std::string::npos);
}

namespace {
std::string pabulib_file(const std::string& name) {
    const char* shared = std::getenv("SCHWARM_TEST_SHARED_DIR");
    return std::string(shared ? shared : "../shared") + "/data/pabulib/" + name;
}
} // namespace

TEST_CASE("cli: tally a pabulib file", "[e2e][cli][voting]") {
    std::string output;
    REQUIRE(run_cli({"tally", pabulib_file("Netherlands_Assen_2024.pb"), "--rule", "mes-add1", "--json"}, {}, "",
                    output) == 0);
    auto result = boost::json::parse(output).as_object();
    // Assen's official outcome (the file's `selected` column), in selection order.
    boost::json::array expected{"3", "9", "2", "11", "13", "14", "5", "6", "12"};
    CHECK(result.at("selected").as_array() == expected);
    CHECK(result.at("budget") == 100000);
    CHECK(result.at("total_cost") == 76700);

    REQUIRE(run_cli({"tally", pabulib_file("Poland_Warszawa_2023_Rembertow.pb"), "--rule", "greedy"}, {}, "", output) ==
            0);
    CHECK(std::count(output.begin(), output.end(), '\n') == 9);
}

TEST_CASE("cli: tally refuses bad files and options", "[e2e][cli][voting]") {
    std::string output;
    std::string broken = required_env("SCHWARM_TEST_SCRATCH") + "/broken.pb";
    std::ofstream(broken) << "META\nkey;value\nbudget;100\nvote_type;approval\nnum_projects;1\nnum_votes;1\n"
                             "PROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\nv1;2\n";
    CHECK(run_cli({"tally", broken, "--rule", "greedy"}, {}, "", output) == 1);
    CHECK(output.find("line 12") != std::string::npos);
    CHECK(run_cli({"tally", broken, "--rule", "plurality"}, {}, "", output) == 2);
    CHECK(run_cli({"tally", "/nonexistent.pb", "--rule", "greedy"}, {}, "", output) == 1);
}
