// Faults under load: a server killed with SIGKILL and PostgreSQL stopped in
// immediate mode while clients book transfers and retry what failed with the
// same Idempotency-Key. Afterwards every acknowledged transfer is booked
// exactly once and the ledger verifies. Uses a PostgreSQL cluster of its own,
// since it stops it.
#include "support/private_cluster.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

using namespace schwarm::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string transfer(const std::string& from, const std::string& to, std::int64_t amount) {
    return json::serialize(json::object{
        {"postings",
         json::array{
             json::object{{"account_id", from}, {"side", "debit"}, {"amount_minor", amount}, {"currency", "EUR"}},
             json::object{{"account_id", to}, {"side", "credit"}, {"amount_minor", amount}, {"currency", "EUR"}}}}});
}

// Transfers answered between one fault and the next.
constexpr int load_before_fault = 100;

// Stops the client threads and joins them when the test ends, however it ends.
struct stop_and_join {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~stop_and_join() {
        stop = true;
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
};

} // namespace

TEST_CASE("ledger faults: SIGKILL and a PostgreSQL crash lose and double nothing", "[e2e][ledger][faults]") {
    private_cluster pg;
    std::map<std::string, std::string> env{{"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}};
    auto first = std::make_unique<server>(pg.url(), env);
    auto second = std::make_unique<server>(pg.url(), env);

    std::string token, hot, wallet;
    {
        std::string output;
        REQUIRE(run_cli({"user", "create", "--email", "f@bank.example", "--role", "staff", "--password-stdin"},
                        {{"DATABASE_URL", pg.url()}}, "correct horse battery\n", output) == 0);
        https_client setup(first->port());
        auto login =
            setup.request("POST", "/v1/sessions", R"({"email":"f@bank.example","password":"correct horse battery"})");
        REQUIRE(login.status == 201);
        token = std::string(login.json().at("token").as_string());
        std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
        for (auto [code, out] : {std::pair{"hot", &hot}, std::pair{"wallet", &wallet}}) {
            auto r = setup.request("POST", "/v1/ledger/accounts",
                                   json::serialize(json::object{
                                       {"code", code}, {"name", code}, {"type", "liability"}, {"currency", "EUR"}}),
                                   auth);
            REQUIRE(r.status == 201);
            *out = std::string(r.json().at("id").as_string());
        }
    }

    std::mutex ports_mutex;
    std::vector<unsigned short> ports{first->port(), second->port()};
    auto pick_port = [&](unsigned seed) {
        std::lock_guard lock(ports_mutex);
        return ports[seed % ports.size()];
    };

    constexpr int clients = 8;
    std::mutex acked_mutex;
    std::set<std::string> acknowledged;
    std::atomic<int> gave_up{0}, retried{0}, attempted{0}, answered{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    stop_and_join clients_stop{stop, threads}; // also when a wait below fails
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            std::mt19937 random(static_cast<unsigned>(c));
            std::unique_ptr<https_client> client;
            for (int i = 0; !stop; ++i) {
                ++attempted;
                std::string key = "f" + std::to_string(c) + "-" + std::to_string(i);
                std::string body = transfer(hot, wallet, 1 + static_cast<std::int64_t>(random() % 500));
                // Retried with the same key, after a short back-off, until answered (at most 30 s).
                int attempt = 0;
                bool done = within(
                    30s,
                    [&] {
                        if (attempt++ > 0) ++retried;
                        try {
                            if (!client) client = std::make_unique<https_client>(pick_port(random()));
                            auto r = client->request("POST", "/v1/ledger/entries", body,
                                                     {{"Authorization", "Bearer " + token}, {"Idempotency-Key", key}});
                            if (r.header("connection") == "close") client.reset();
                            if (r.status == 201) {
                                std::lock_guard lock(acked_mutex);
                                acknowledged.insert(key);
                                ++answered;
                                return true;
                            }
                            if (r.status != 503 && r.status != 500) FAIL("unexpected " << r.status << " " << r.body);
                        } catch (const std::exception&) {
                            client.reset(); // connection lost: retry the same key elsewhere
                        }
                        return false;
                    },
                    50ms);
                if (!done) ++gave_up;
            }
        });
    }

    // Each fault comes once the clients are being answered: load on both
    // servers before the kill, with the restarted one before the crash, and
    // again after it before they stop.
    auto answered_more = [&](int more, const char* what) {
        const int from = answered;
        eventually([&] { return answered >= from + more; }, 30s, what);
    };
    answered_more(load_before_fault, "transfers answered before the kill");
    first->signal(SIGKILL);
    first->wait_exit(5'000);
    auto restarted = std::make_unique<server>(pg.url(), env);
    {
        std::lock_guard lock(ports_mutex);
        ports = {second->port(), restarted->port()};
    }
    answered_more(load_before_fault, "transfers answered before the crash");
    pg.crash_and_restart();
    answered_more(load_before_fault, "transfers answered after the crash");
    stop = true;
    for (auto& t : threads) t.join();

    CHECK(gave_up == 0);
    CHECK(retried > 0); // the faults did hit the clients
    REQUIRE(acknowledged.size() == static_cast<std::size_t>(attempted.load()));

    pqxx::connection c(pg.url());
    pqxx::nontransaction tx(c);
    // Every acknowledged key is booked once; nothing else was booked.
    CHECK(tx.exec1("SELECT count(*) FROM ledger_entries")[0].as<std::size_t>() == acknowledged.size());
    CHECK(tx.exec1("SELECT count(DISTINCT idempotency_key) FROM ledger_entries")[0].as<std::size_t>() ==
          acknowledged.size());
    CHECK(tx.exec1("SELECT count(*) FROM ledger_postings")[0].as<std::size_t>() == 2 * acknowledged.size());
    // Balances equal the postings.
    CHECK(tx.exec1("SELECT bool_and(a.credits_posted = s.c) FROM ledger_accounts a JOIN (SELECT account_id, "
                   "sum(amount_minor) c FROM ledger_postings WHERE side = 'credit' GROUP BY account_id) s "
                   "ON s.account_id = a.id")[0]
              .as<bool>());
    std::string output;
    CHECK(run_cli({"ledger", "verify"}, {{"DATABASE_URL", pg.url()}}, "", output) == 0);
}
