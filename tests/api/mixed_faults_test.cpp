// Faults under mixed load (issue 7): two server processes on one database
// serve registrations, pledges, ballots, transfers and exports while one is
// killed with SIGKILL and PostgreSQL is stopped in immediate mode; clients
// retry what failed with the same Idempotency-Key, elsewhere. Afterwards
// every acknowledged request is present exactly once, retries book nothing
// twice, and the books verify and balance. SCHWARM_TEST_FAULT_CYCLES (default
// 1) repeats the kill-and-crash cycle; bench/faults.sh runs more.
#include "support/platform.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <thread>

using namespace schwarm::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

struct fleet {
    std::mutex mutex;
    std::vector<unsigned short> ports;
    std::atomic<int> answered{0}; // requests answered as they were meant to be, by any server
    unsigned short pick(unsigned seed) {
        std::lock_guard lock(mutex);
        return ports[seed % ports.size()];
    }
};

// Requests answered between one fault and the next.
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

// Sends until an answer in `done` comes (or 30 s pass), reconnecting to any
// server after a lost connection or a 5xx; returns the last status.
int until_answered(fleet& servers, std::mt19937& random, std::unique_ptr<https_client>& client,
                   const std::string& method, const std::string& path, const std::string& body,
                   const std::map<std::string, std::string>& headers, const std::set<int>& done,
                   std::atomic<int>& retried, reply* out = nullptr) {
    int status = 0, attempt = 0;
    // Retried after a short back-off, on this client thread (no Catch assertion in the wait).
    within(
        30s,
        [&] {
            if (attempt++ > 0) ++retried;
            try {
                if (!client) client = std::make_unique<https_client>(servers.pick(random()));
                auto r = client->request(method, path, body, headers);
                if (r.header("connection") == "close") client.reset();
                if (done.contains(r.status)) {
                    if (out) *out = r;
                    status = r.status;
                    ++servers.answered;
                    return true;
                }
                if (r.status < 500) {
                    INFO(method << " " << path << " → " << r.status << " " << r.body);
                    FAIL("unexpected answer");
                }
            } catch (const std::exception&) {
                client.reset();
            }
            return false;
        },
        50ms);
    return status;
}

int cycles() {
    const char* text = std::getenv("SCHWARM_TEST_FAULT_CYCLES");
    return text ? std::max(1, std::atoi(text)) : 1;
}

} // namespace

TEST_CASE("faults: mixed load survives SIGKILL and a PostgreSQL crash", "[e2e][faults]") {
    private_cluster pg;
    std::map<std::string, std::string> env{{"SCHWARM_RATE_PER_CLIENT_PER_S", "0"},
                                           {"SCHWARM_LOGIN_PER_CLIENT_PER_MIN", "100000"}};
    auto first = std::make_unique<server>(pg.url(), env);
    auto second = std::make_unique<server>(pg.url(), env);

    // Set-up through the first server: staff, auditor, backers with money, a
    // project in funding, an open round, two ledger accounts.
    std::string staff, auditor, project, round, hot, other;
    std::vector<customer> backers;
    {
        https_client c(first->port());
        auto make = [&](const std::string& email, const std::string& role) {
            std::string output;
            REQUIRE(run_cli({"user", "create", "--email", email, "--role", role, "--password-stdin"},
                            {{"DATABASE_URL", pg.url()}}, "correct horse battery\n", output) == 0);
            auto login =
                c.request("POST", "/v1/sessions",
                          json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}));
            REQUIRE(login.status == 201);
            return std::string(login.json().at("token").as_string());
        };
        staff = make("staff@bank.example", "staff");
        auditor = make("auditor@bank.example", "auditor");
        customer owner{make("owner@example.org", "customer"), "", "owner@example.org"};
        for (int i = 0; i < 6; ++i) {
            customer b{make("backer" + std::to_string(i) + "@example.org", "customer"), "",
                       "backer" + std::to_string(i) + "@example.org"};
            b.id = std::string(c.request("GET", "/v1/users/me", {}, auth_headers(b.token)).json().at("id").as_string());
            auto d = c.request("POST", "/v1/wallets/" + b.id + "/deposits",
                               R"({"amount_minor": 100000000, "currency": "EUR"})", auth_headers(staff, "dep-" + b.id));
            REQUIRE(d.status == 201);
            backers.push_back(b);
        }
        auto created = c.request("POST", "/v1/projects",
                                 json::serialize(json::object{{"title", "Genossenschaftsladen"},
                                                              {"summary", "Laden"},
                                                              {"category", "community"},
                                                              {"kind", "donation"},
                                                              {"goal_minor", 1'000'000'000},
                                                              {"currency", "EUR"},
                                                              {"deadline", "2099-01-01T00:00:00Z"}}),
                                 auth_headers(owner.token));
        REQUIRE(created.status == 201);
        project = std::string(created.json().at("id").as_string());
        c.request("POST", "/v1/projects/" + project + "/submit", {}, auth_headers(owner.token));
        for (const char* step : {"start-review", "approve", "open-funding"}) {
            REQUIRE(c.request("POST", "/v1/projects/" + project + "/" + step, {}, auth_headers(staff)).status == 200);
        }
        auto r = c.request("POST", "/v1/rounds",
                           R"({"title":"Fault round","budget_minor":100000,"currency":"EUR",)"
                           R"("opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z"})",
                           auth_headers(staff));
        REQUIRE(r.status == 201);
        round = std::string(r.json().at("id").as_string());
        for (const char* key : {"bench", "garden"}) {
            REQUIRE(c.request("POST", "/v1/rounds/" + round + "/projects",
                              json::serialize(json::object{{"key", key}, {"name", key}, {"cost_minor", 1000}}),
                              auth_headers(staff))
                        .status == 201);
        }
        REQUIRE(c.request("POST", "/v1/rounds/" + round + "/open", {}, auth_headers(staff)).status == 200);
        for (auto [code, out] : {std::pair{"hot", &hot}, std::pair{"other", &other}}) {
            auto a = c.request("POST", "/v1/ledger/accounts",
                               json::serialize(json::object{
                                   {"code", code}, {"name", code}, {"type", "liability"}, {"currency", "EUR"}}),
                               auth_headers(staff));
            REQUIRE(a.status == 201);
            *out = std::string(a.json().at("id").as_string());
        }
    }

    fleet servers;
    servers.ports = {first->port(), second->port()};
    std::atomic<bool> stop{false};
    std::atomic<int> retried{0}, lost{0};
    std::mutex acked_mutex;
    std::set<std::string> pledges_acked, transfers_acked, emails_acked;
    std::map<int, int> ballots_acked; // backer → number of acknowledged ballots
    std::atomic<int> exports_done{0};
    std::vector<std::thread> threads;
    stop_and_join clients_stop{stop, threads}; // also when a wait below fails

    for (int c = 0; c < 6; ++c) { // pledges and ballots, one thread per backer
        threads.emplace_back([&, c] {
            std::mt19937 random(static_cast<unsigned>(100 + c));
            std::unique_ptr<https_client> client;
            for (int i = 0; !stop; ++i) {
                std::string key = "pledge-" + std::to_string(c) + "-" + std::to_string(i);
                if (until_answered(servers, random, client, "POST", "/v1/projects/" + project + "/pledges",
                                   R"({"amount_minor": 100, "currency": "EUR"})", auth_headers(backers[c].token, key),
                                   {201}, retried) == 201) {
                    std::lock_guard lock(acked_mutex);
                    pledges_acked.insert(key);
                } else {
                    ++lost;
                }
                std::string ballot =
                    i % 2 ? R"({"choices":[{"project":"bench"}]})" : R"({"choices":[{"project":"garden"}]})";
                if (until_answered(servers, random, client, "PUT", "/v1/rounds/" + round + "/ballot", ballot,
                                   auth_headers(backers[c].token), {200, 201}, retried)) {
                    std::lock_guard lock(acked_mutex);
                    ++ballots_acked[c];
                } else {
                    ++lost;
                }
            }
        });
    }
    for (int c = 0; c < 2; ++c) { // transfers
        threads.emplace_back([&, c] {
            std::mt19937 random(static_cast<unsigned>(200 + c));
            std::unique_ptr<https_client> client;
            for (int i = 0; !stop; ++i) {
                std::string key = "transfer-" + std::to_string(c) + "-" + std::to_string(i);
                std::string body =
                    json::serialize(json::object{{"postings", json::array{json::object{{"account_id", hot},
                                                                                       {"side", "debit"},
                                                                                       {"amount_minor", 1 + i % 50},
                                                                                       {"currency", "EUR"}},
                                                                          json::object{{"account_id", other},
                                                                                       {"side", "credit"},
                                                                                       {"amount_minor", 1 + i % 50},
                                                                                       {"currency", "EUR"}}}}});
                if (until_answered(servers, random, client, "POST", "/v1/ledger/entries", body,
                                   auth_headers(staff, key), {201}, retried) == 201) {
                    std::lock_guard lock(acked_mutex);
                    transfers_acked.insert(key);
                } else {
                    ++lost;
                }
            }
        });
    }
    threads.emplace_back([&] { // registrations: a retry after a lost answer finds the address taken
        std::mt19937 random(300);
        std::unique_ptr<https_client> client;
        for (int i = 0; !stop; ++i) {
            std::string email = "new" + std::to_string(i) + "@example.org";
            int status =
                until_answered(servers, random, client, "POST", "/v1/users",
                               json::serialize(json::object{
                                   {"email", email}, {"password", "correct horse battery"}, {"display_name", "New"}}),
                               {}, {201, 409}, retried);
            if (status) {
                std::lock_guard lock(acked_mutex);
                emails_acked.insert(email);
            } else {
                ++lost;
            }
        }
    });
    threads.emplace_back([&] { // exports: complete, or cut off and asked again
        std::mt19937 random(400);
        std::unique_ptr<https_client> client;
        while (!stop) {
            if (until_answered(servers, random, client, "GET", "/v1/ledger/export?format=csv", {},
                               auth_headers(auditor), {200}, retried)) {
                ++exports_done;
            }
        }
    });

    // Each fault comes once the clients are being answered: load on both
    // servers before the kill, with the restarted one before the crash, and
    // again after it.
    auto answered_more = [&](const char* what) {
        const int from = servers.answered;
        eventually([&] { return servers.answered >= from + load_before_fault; }, 30s, what);
    };
    for (int cycle = 0; cycle < cycles(); ++cycle) {
        answered_more("requests answered before the kill");
        first->signal(SIGKILL);
        first->wait_exit(5'000);
        first = std::make_unique<server>(pg.url(), env);
        {
            std::lock_guard lock(servers.mutex);
            servers.ports = {second->port(), first->port()};
        }
        answered_more("requests answered before the crash");
        pg.crash_and_restart();
        answered_more("requests answered after the crash");
        std::swap(first, second); // the next cycle kills the other one
    }
    stop = true;
    for (auto& t : threads) t.join();

    CHECK(lost == 0);
    CHECK(retried > 0); // the faults did hit the clients
    CHECK(exports_done > 0);

    pqxx::connection db(pg.url());
    pqxx::nontransaction tx(db);
    // Every acknowledged pledge once, and nothing unacknowledged.
    CHECK(tx.exec1("SELECT count(*) FROM pledges")[0].as<std::size_t>() == pledges_acked.size());
    CHECK(tx.exec1("SELECT count(DISTINCT (backer_id, idempotency_key)) FROM pledges")[0].as<std::size_t>() ==
          pledges_acked.size());
    CHECK(tx.exec1("SELECT pledged_minor FROM projects WHERE id = " + project)[0].as<std::size_t>() ==
          100 * pledges_acked.size());
    CHECK(tx.exec1("SELECT count(*) FROM ledger_entries WHERE idempotency_key LIKE 'pledge:%'")[0].as<std::size_t>() ==
          pledges_acked.size());
    // Transfers: each key once.
    CHECK(tx.exec1("SELECT count(*) FROM ledger_entries WHERE created_by IS NOT NULL AND pending_id IS NULL AND kind = "
                   "'posted' "
                   "AND description = ''")[0]
              .as<std::size_t>() == transfers_acked.size());
    // Registrations: every acknowledged address exactly once.
    CHECK(tx.exec1("SELECT count(*) FROM users WHERE email LIKE 'new%'")[0].as<std::size_t>() == emails_acked.size());
    // Ballots: one per voter who cast any.
    CHECK(tx.exec1("SELECT count(*) FROM ballot_roll WHERE round_id = " + round)[0].as<std::size_t>() ==
          ballots_acked.size());

    // A retry of any acknowledged pledge books nothing.
    {
        https_client c(second->port());
        int replayed = 0;
        for (int b = 0; b < 6; ++b) {
            std::string key = "pledge-" + std::to_string(b) + "-0";
            if (!pledges_acked.contains(key)) continue;
            auto r = c.request("POST", "/v1/projects/" + project + "/pledges",
                               R"({"amount_minor": 100, "currency": "EUR"})", auth_headers(backers[b].token, key));
            CHECK(r.status == 201);
            replayed += r.header("idempotent-replayed") == "true";
        }
        CHECK(replayed > 0);
        CHECK(tx.exec1("SELECT count(*) FROM pledges")[0].as<std::size_t>() == pledges_acked.size());
    }
    std::string output;
    CHECK(run_cli({"ledger", "verify"}, {{"DATABASE_URL", pg.url()}}, "", output) == 0);
    INFO(output);
    std::printf(
        "FAULTS cycles=%d pledges=%zu transfers=%zu registrations=%zu voters=%zu exports=%d retries=%d lost=%d\n",
        cycles(), pledges_acked.size(), transfers_acked.size(), emails_acked.size(), ballots_acked.size(),
        exports_done.load(), retried.load(), lost.load());
    CHECK(
        tx.exec1("SELECT sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) FROM ledger_postings")[0]
            .as<std::int64_t>() == 0);
}
