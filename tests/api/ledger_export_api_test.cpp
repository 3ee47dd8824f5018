// Exports through the real binary: streamed over HTTPS and on the command line.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

// Books `count` deposits in batches through the API.
void book_deposits(platform& p, int count) {
    std::map<std::string, std::string> auth{{"Authorization", "Bearer " + p.staff}};
    std::string bank = p.ledger_account("1000", "asset"), wallet = p.ledger_account("2000:w", "liability");
    for (int done = 0; done < count;) {
        json::array entries;
        for (int i = 0; i < 500 && done < count; ++i, ++done) {
            entries.push_back(json::object{{"idempotency_key", "d" + std::to_string(done)},
                                           {"description", "deposit; \"quoted\" " + std::to_string(done)},
                                           {"postings", json::array{json::object{{"account_id", bank},
                                                                                 {"side", "debit"},
                                                                                 {"amount_minor", 100 + done},
                                                                                 {"currency", "EUR"}},
                                                                    json::object{{"account_id", wallet},
                                                                                 {"side", "credit"},
                                                                                 {"amount_minor", 100 + done},
                                                                                 {"currency", "EUR"}}}}});
        }
        auto r =
            p.client.request("POST", "/v1/ledger/batches", json::serialize(json::object{{"entries", entries}}), auth);
        REQUIRE(r.status == 200);
        REQUIRE(r.json().at("refused") == 0);
    }
}

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

} // namespace

TEST_CASE("ledger export api: streamed CSV and JSON Lines for auditors", "[e2e][ledger][export]") {
    platform p;
    auto& client = p.client;
    book_deposits(p, 3000);
    std::map<std::string, std::string> auth{{"Authorization", "Bearer " + p.auditor}};

    auto csv = client.request("GET", "/v1/ledger/export?format=csv", {}, auth);
    REQUIRE(csv.status == 200);
    CHECK(csv.header("transfer-encoding") == "chunked");
    CHECK(csv.header("content-type").starts_with("text/csv"));
    CHECK(csv.header("content-disposition").find("attachment; filename=\"") == 0);
    CHECK(count_lines(csv.body) == 1 + 6000); // header and two postings per entry
    CHECK(csv.body.find("\"deposit; \"\"quoted\"\" 2999\"") != std::string::npos);

    auto jsonl = client.request("GET", "/v1/ledger/export?format=jsonl&to=2000-01-01T00:00:00Z", {}, auth);
    REQUIRE(jsonl.status == 200);
    CHECK(jsonl.body.empty());

    // The connection stays usable after a streamed response.
    CHECK(client.request("GET", "/v1/ledger/verify", {}, auth).json().at("ok") == true);
}

TEST_CASE("ledger export api: refusals", "[e2e][ledger][export]") {
    platform p;
    auto& client = p.client;
    const std::string& staff = p.staff;
    std::map<std::string, std::string> auth{{"Authorization", "Bearer " + p.auditor}};
    auto bad_format = client.request("GET", "/v1/ledger/export?format=xlsx", {}, auth);
    CHECK(bad_format.status == 400);
    CHECK(bad_format.json().at("field") == "format");
    auto bad_range = client.request("GET", "/v1/ledger/export?format=csv&from=yesterday", {}, auth);
    CHECK(bad_range.status == 400);
    CHECK(bad_range.header("content-type") == "application/problem+json");
    CHECK(client.request("GET", "/v1/ledger/export?format=csv", {}, {{"Authorization", "Bearer " + staff}}).status ==
          403);
}

TEST_CASE("ledger export cli: hledger agrees with the trial balance", "[e2e][ledger][export]") {
    platform p;
    auto& db = p.db;
    book_deposits(p, 200);
    std::string journal = required_env("SCHWARM_TEST_SCRATCH") + "/cli-" + std::to_string(p.srv.pid()) + ".journal";
    std::string output;
    REQUIRE(run_cli({"ledger", "export", "--format", "hledger", "--output", journal}, {{"DATABASE_URL", db.url()}}, "",
                    output) == 0);
    // 200 deposits of 100 + i cents: 200*100 + 199*200/2 = 39900 cents.
    std::FILE* pipe = ::popen(("hledger -f '" + journal + "' balance --flat --no-total 2>&1").c_str(), "r");
    REQUIRE(pipe);
    std::string balance;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) balance.append(buffer, n);
    CHECK(::pclose(pipe) == 0);
    INFO(balance);
    CHECK(balance.find("399.00 EUR") != std::string::npos);
    CHECK(balance.find("-399.00 EUR") != std::string::npos);

    REQUIRE(run_cli({"ledger", "verify"}, {{"DATABASE_URL", db.url()}}, "", output) == 0);
    CHECK(output.starts_with("ok: 200 entries"));
    REQUIRE(run_cli({"ledger", "trial-balance"}, {{"DATABASE_URL", db.url()}}, "", output) == 0);
    CHECK(output.find("39900") != std::string::npos);
    CHECK(run_cli({"ledger", "export", "--format", "pdf"}, {{"DATABASE_URL", db.url()}}, "", output) == 2);
}
