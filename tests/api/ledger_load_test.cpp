// Many clients, two server processes, one database: every acknowledged
// transfer is booked exactly once and the books balance.
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string account(https_client& client, const std::string& token, const std::string& code, bool no_overdraft) {
    json::object body{{"code", code}, {"name", code}, {"type", "liability"}, {"currency", "EUR"}};
    if (no_overdraft) body["debits_must_not_exceed_credits"] = true;
    auto r =
        client.request("POST", "/v1/ledger/accounts", json::serialize(body), {{"Authorization", "Bearer " + token}});
    REQUIRE(r.status == 201);
    return std::string(r.json().at("id").as_string());
}

std::string transfer(const std::string& from, const std::string& to, std::int64_t amount) {
    return json::serialize(json::object{
        {"postings",
         json::array{
             json::object{{"account_id", from}, {"side", "debit"}, {"amount_minor", amount}, {"currency", "EUR"}},
             json::object{{"account_id", to}, {"side", "credit"}, {"amount_minor", amount}, {"currency", "EUR"}}}}});
}

} // namespace

TEST_CASE("ledger load: 32 clients on two servers, one hot account", "[e2e][ledger][load]") {
    database db;
    server first(db.url(), {{"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    server second(db.url(), {{"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    https_client setup(first.port());
    std::string token = create_user_and_login(setup, db, "load@bank.example", "staff");
    std::string hot = account(setup, token, "hot", false);
    std::vector<std::string> wallets;
    for (int i = 0; i < 4; ++i) wallets.push_back(account(setup, token, "w" + std::to_string(i), true));

    constexpr int clients = 32;
    constexpr int per_client = 40;
    std::atomic<std::int64_t> acknowledged_amount{0};
    std::atomic<int> acknowledged{0}, refused{0}, replays{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            https_client client(c % 2 ? second.port() : first.port());
            std::mt19937 random(static_cast<unsigned>(c));
            for (int i = 0; i < per_client; ++i) {
                const std::string& wallet = wallets[random() % wallets.size()];
                std::int64_t amount = 1 + static_cast<std::int64_t>(random() % 1000);
                // Half the transfers fund a wallet from the hot account, half
                // spend from a wallet to it; spending may be refused by the
                // wallet's no-overdraft rule, which must then book nothing.
                bool fund = random() % 2 == 0;
                std::string key = "c" + std::to_string(c) + "-" + std::to_string(i);
                std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token},
                                                           {"Idempotency-Key", key}};
                auto body = fund ? transfer(hot, wallet, amount) : transfer(wallet, hot, amount);
                auto r = client.request("POST", "/v1/ledger/entries", body, headers);
                if (r.status == 201) {
                    ++acknowledged;
                    acknowledged_amount += amount;
                    // A retry of an acknowledged request books nothing again.
                    if (i % 10 == 0) {
                        auto again = client.request("POST", "/v1/ledger/entries", body, headers);
                        if (again.status == 201 && again.header("idempotent-replayed") == "true") ++replays;
                    }
                } else if (r.status == 422) {
                    ++refused;
                } else {
                    FAIL("unexpected status " << r.status << ": " << r.body);
                }
            }
        });
    }
    for (auto& t : threads) t.join();

    CHECK(acknowledged + refused == clients * per_client);
    CHECK(replays > 0);
    CHECK(db.scalar("SELECT count(*) FROM ledger_entries") == std::to_string(acknowledged.load()));
    CHECK(db.scalar("SELECT sum(amount_minor) FROM ledger_postings WHERE side = 'debit'") ==
          std::to_string(acknowledged_amount.load()));
    // Every acknowledged key booked exactly once.
    CHECK(db.scalar("SELECT count(DISTINCT idempotency_key) FROM ledger_entries") ==
          std::to_string(acknowledged.load()));
    // No wallet went below zero.
    CHECK(db.scalar("SELECT count(*) FROM ledger_accounts WHERE debits_posted > credits_posted AND code LIKE 'w%'") ==
          "0");
    // Each request that booked has its own audit record with its request id.
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'ledger.book'") ==
          std::to_string(acknowledged.load()));

    auto auditor_check =
        db.scalar("SELECT bool_and(debits_posted = d AND credits_posted = c) FROM ledger_accounts a JOIN ("
                  " SELECT account_id, sum(amount_minor) FILTER (WHERE side = 'debit') d, sum(amount_minor) FILTER "
                  "(WHERE side = 'credit') c"
                  " FROM ledger_postings GROUP BY account_id) s ON s.account_id = a.id");
    CHECK(auditor_check == "t");
}
