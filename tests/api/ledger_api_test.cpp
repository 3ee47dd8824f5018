// The ledger's HTTP API through the real binary.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string transfer(const std::string& from, const std::string& to, std::int64_t amount,
                     const std::string& kind = "posted") {
    return json::serialize(json::object{
        {"kind", kind},
        {"postings",
         json::array{
             json::object{{"account_id", from}, {"side", "debit"}, {"amount_minor", amount}, {"currency", "EUR"}},
             json::object{{"account_id", to}, {"side", "credit"}, {"amount_minor", amount}, {"currency", "EUR"}}}}});
}

} // namespace

TEST_CASE("ledger api: staff book entries and holds, auditors verify", "[e2e][ledger]") {
    platform p;
    auto& client = p.client;
    const std::string& staff = p.staff;
    const std::string& auditor = p.auditor;
    std::string bank = p.ledger_account("1000", "asset");
    std::string wallet = p.ledger_account("2000:w1", "liability", true);
    std::string escrow = p.ledger_account("2100:e1", "liability");

    auto deposit =
        client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 10'000), auth_headers(staff, "dep-1"));
    REQUIRE(deposit.status == 201);
    std::string entry_id(deposit.json().at("id").as_string());
    CHECK(deposit.header("idempotent-replayed").empty());

    auto retry =
        client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 10'000), auth_headers(staff, "dep-1"));
    CHECK(retry.status == 201);
    CHECK(retry.json().at("id").as_string() == entry_id);
    CHECK(retry.header("idempotent-replayed") == "true");
    auto changed =
        client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 10'001), auth_headers(staff, "dep-1"));
    CHECK(changed.status == 409);
    CHECK(changed.json().at("type") == "tag:schwarm.dev,2026:problem:idempotency-conflict");

    auto hold = client.request("POST", "/v1/ledger/entries", transfer(wallet, escrow, 4'000, "pending"),
                               auth_headers(staff, "hold-1"));
    REQUIRE(hold.status == 201);
    std::string hold_id(hold.json().at("id").as_string());
    auto balance = client.request("GET", "/v1/ledger/accounts/" + wallet, {}, auth_headers(staff)).json();
    CHECK(balance.at("credits_posted") == 10'000);
    CHECK(balance.at("debits_pending") == 4'000);

    auto posted = client.request("POST", "/v1/ledger/entries/" + hold_id + "/post", {}, auth_headers(staff, "post-1"));
    CHECK(posted.status == 201);
    CHECK(posted.json().at("kind") == "post_pending");
    auto again = client.request("POST", "/v1/ledger/entries/" + hold_id + "/void", {}, auth_headers(staff, "void-1"));
    CHECK(again.status == 409);
    CHECK(again.json().at("type") == "tag:schwarm.dev,2026:problem:hold-already-resolved");

    auto statement =
        client.request("GET", "/v1/ledger/accounts/" + wallet + "/statement?limit=2", {}, auth_headers(auditor));
    REQUIRE(statement.status == 200);
    CHECK(statement.json().at("items").as_array().size() == 2);
    CHECK(statement.json().at("next_cursor").is_string());

    auto trial = client.request("GET", "/v1/ledger/trial-balance", {}, auth_headers(auditor));
    REQUIRE(trial.status == 200);
    CHECK(trial.json().at("balanced") == true);
    CHECK(trial.json().at("totals").at("EUR").at("debits_minor") == 14'000);
    auto verify = client.request("GET", "/v1/ledger/verify", {}, auth_headers(auditor));
    REQUIRE(verify.status == 200);
    CHECK(verify.json().at("ok") == true);
    CHECK(verify.json().at("entries_checked") == 3);

    // The server seals new entries in the background, with a bounded lag.
    json::value chain;
    eventually(
        [&] {
            chain = client.request("GET", "/v1/ledger/verify", {}, auth_headers(auditor)).json().at("chain");
            return chain.at("entries_unsealed") == 0;
        },
        std::chrono::seconds(5), [&] { return "every entry sealed: " + json::serialize(chain); });
    CHECK(chain.at("ok") == true);
    CHECK(chain.at("entries_sealed") == 3);
    CHECK(chain.at("head_hash").as_string().size() == 64);
}

TEST_CASE("ledger api: refusals are problems and book nothing", "[e2e][ledger]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    const std::string& staff = p.staff;
    std::string customer = p.register_customer("cleo@example.org", investor::none).token;
    const std::string& auditor = p.auditor;
    std::string bank = p.ledger_account("1000", "asset");
    std::string wallet = p.ledger_account("2000:w1", "liability", true);
    auto count = [&] {
        return db.scalar("SELECT count(*) FROM ledger_entries") + "/" +
               db.scalar("SELECT count(*) FROM ledger_postings");
    };
    const std::string before = count();

    SECTION("no Idempotency-Key") {
        auto r = client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 1), auth_headers(staff));
        CHECK(r.status == 400);
        CHECK(r.json().at("field") == "Idempotency-Key");
    }
    SECTION("customers and auditors may not book") {
        CHECK(client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 1), auth_headers(customer, "k"))
                  .status == 403);
        CHECK(client.request("POST", "/v1/ledger/entries", transfer(bank, wallet, 1), auth_headers(auditor, "k"))
                  .status == 403);
        CHECK(client.request("GET", "/v1/ledger/verify", {}, auth_headers(customer)).status == 403);
        CHECK(client.request("GET", "/v1/ledger/accounts/" + wallet, {}, auth_headers(customer)).status == 403);
    }
    SECTION("overdraft against the balance rule") {
        auto r = client.request("POST", "/v1/ledger/entries", transfer(wallet, bank, 1), auth_headers(staff, "k"));
        CHECK(r.status == 422);
        CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:balance-limit-exceeded");
    }
    SECTION("unbalanced") {
        auto body = json::serialize(json::object{
            {"postings",
             json::array{
                 json::object{{"account_id", bank}, {"side", "debit"}, {"amount_minor", 5}, {"currency", "EUR"}},
                 json::object{{"account_id", wallet}, {"side", "credit"}, {"amount_minor", 4}, {"currency", "EUR"}}}}});
        auto r = client.request("POST", "/v1/ledger/entries", body, auth_headers(staff, "k"));
        CHECK(r.status == 422);
        CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:entry-unbalanced");
    }
    SECTION("malformed postings name the field") {
        auto body =
            R"({"postings":[{"account_id":")" + bank + R"(","side":"sideways","amount_minor":5,"currency":"EUR"}]})";
        auto r = client.request("POST", "/v1/ledger/entries", body, auth_headers(staff, "k"));
        CHECK(r.status == 400);
        CHECK(r.json().at("field") == "postings[0].side");
        auto amount =
            R"({"postings":[{"account_id":")" + bank + R"(","side":"debit","amount_minor":1.5,"currency":"EUR"}]})";
        CHECK(client.request("POST", "/v1/ledger/entries", amount, auth_headers(staff, "k")).json().at("field") ==
              "postings[0].amount_minor");
    }
    SECTION("unknown account and hold") {
        CHECK(client.request("POST", "/v1/ledger/entries", transfer("999999", wallet, 1), auth_headers(staff, "k"))
                  .status == 422);
        CHECK(client.request("POST", "/v1/ledger/entries/999999/post", {}, auth_headers(staff, "k2")).status == 422);
        CHECK(client.request("GET", "/v1/ledger/accounts/abc", {}, auth_headers(staff)).status == 404);
    }
    SECTION("linked batch with one bad entry") {
        auto body = json::serialize(
            json::object{{"linked", true},
                         {"entries", json::array{json::parse(transfer(bank, wallet, 5)).as_object(),
                                                 json::parse(transfer(wallet, bank, 50)).as_object()}}});
        auto with_keys = json::parse(body).as_object();
        with_keys["entries"].as_array()[0].as_object()["idempotency_key"] = "b1";
        with_keys["entries"].as_array()[1].as_object()["idempotency_key"] = "b2";
        auto r = client.request("POST", "/v1/ledger/batches", json::serialize(with_keys), auth_headers(staff));
        REQUIRE(r.status == 200);
        CHECK(r.json().at("booked") == 0);
        CHECK(r.json().at("results").as_array()[0].at("type") == "tag:schwarm.dev,2026:problem:linked-entry-failed");
    }
    CHECK(count() == before);
}
