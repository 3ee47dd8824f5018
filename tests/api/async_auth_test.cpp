// The asynchronous token lookup (api/pg_async.hpp) behind db_use::principal_only
// routes (GET /v1/users/me): per-token answers under concurrency, no session
// caching, and what a lost database connection gets.
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace schwarm::test;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// The database's name and a URL for the cluster's maintenance database, to
// act on the test database from outside it.
std::string name_of(const database& db) {
    return db.url().substr(std::string("postgresql:///").size(),
                           db.url().find('?') - std::string("postgresql:///").size());
}
std::string admin_url(const database& db) { return "postgresql:///postgres" + db.url().substr(db.url().find('?')); }

// The server's failed attempts to open its lookup connection, by its log.
int failed_connects(const server& srv) {
    const std::string log = srv.log(), line = R"("msg":"database connection failed")";
    int n = 0;
    for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++n;
    return n;
}

int terminate_backends(const database& db) {
    pqxx::connection admin(admin_url(db));
    pqxx::nontransaction tx(admin);
    auto row = tx.exec1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = " +
                        tx.quote(name_of(db)));
    return row[0].as<int>();
}

} // namespace

TEST_CASE("async auth: many concurrent clients each get their own account", "[e2e][auth][async]") {
    database db;
    server srv(db.url(), {{"SCHWARM_IO_THREADS", "2"}, {"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    constexpr int clients = 12;
    constexpr int requests_each = 60;
    std::vector<std::string> tokens, emails;
    {
        https_client setup(srv.port());
        for (int i = 0; i < clients; ++i) {
            emails.push_back("user" + std::to_string(i) + "@example.org");
            tokens.push_back(register_and_login(setup, emails.back()));
        }
    }
    std::atomic<int> right{0}, wrong{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            https_client client(srv.port());
            for (int n = 0; n < requests_each; ++n) {
                // Every third request carries an unknown token: its empty
                // result sits between other clients' rows in the pipeline.
                if (n % 3 == 2) {
                    auto r = client.request("GET", "/v1/users/me", {}, bearer(tokens[i] + "x"));
                    (r.status == 401 ? refused : wrong)++;
                    continue;
                }
                auto r = client.request("GET", "/v1/users/me", {}, bearer(tokens[i]));
                bool mine = r.status == 200 && r.json().at("email").as_string() == emails[i];
                (mine ? right : wrong)++;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
    CHECK(right == clients * (requests_each - requests_each / 3));
    CHECK(refused == clients * (requests_each / 3));
}

TEST_CASE("async auth: a revoked or expired session is refused at once", "[e2e][auth][async]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string first = register_and_login(client, "rita@example.org");
    auto second_login =
        client.request("POST", "/v1/sessions", R"({"email":"rita@example.org","password":"correct horse battery"})");
    REQUIRE(second_login.status == 201);
    std::string second(second_login.json().at("token").as_string());

    CHECK(client.request("GET", "/v1/users/me", {}, bearer(first)).status == 200);
    CHECK(client.request("DELETE", "/v1/sessions/current", {}, bearer(first)).status == 204);
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(first)).status == 401);
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(second)).status == 200);

    // Changed behind the server's back: still seen by the very next request.
    db.exec("UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL");
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(second)).status == 401);
    db.exec("UPDATE sessions SET revoked_at = NULL");
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(second)).status == 200);
    // The session's lifetime (a day by default) passes on the platform clock.
    std::string before_expiry = db.platform_time();
    db.travel_by(86'400 + 1);
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(second)).status == 401);
    db.travel_to(before_expiry);
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(second)).status == 200);
    // The role is read with the token, so a changed role counts at once too.
    db.exec("UPDATE users SET role = 'staff'");
    auto me = client.request("GET", "/v1/users/me", {}, bearer(second));
    CHECK(me.status == 200);
    CHECK(me.json().at("role") == "staff");
}

TEST_CASE("async auth: a query in flight on a killed connection gets 503, the next succeeds", "[e2e][auth][async]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string token = register_and_login(client, "olga@example.org");
    REQUIRE(client.request("GET", "/v1/users/me", {}, bearer(token)).status == 200);

    // Hold the lookup inside PostgreSQL with a lock, then kill its backend.
    pqxx::connection locker(db.url());
    pqxx::work lock(locker);
    lock.exec("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
    https_client waiting(srv.port());
    waiting.send("GET", "/v1/users/me", {}, bearer(token));
    eventually([&] { return lock_waiters(db) >= 1; }, 10s, "the lookup to wait for the lock");
    auto started = std::chrono::steady_clock::now();
    lock.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    auto r = waiting.receive();
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK(r.status == 503);
    CHECK(r.header("retry-after") == "1");
    CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:unavailable");
    CHECK(r.body.find("terminat") == std::string::npos); // database text stays in the log
    lock.abort();

    // The other, idle connection was killed too; the server notices that by
    // itself (a read is always pending) and replaces both: the next requests
    // succeed. (One sent in the instant before the server noticed would get
    // 503 + Retry-After; hence the wait for the connection's own warning,
    // not the 503's error line, which comes first.)
    eventually(
        [&] { return srv.log().find(R"("level":"warn","msg":"database connection lost")") != std::string::npos; }, 10s,
        "the server to notice the lost connection");
    for (int i = 0; i < 20; ++i) {
        auto again = client.request("GET", "/v1/users/me", {}, bearer(token));
        INFO(again.body << srv.log());
        CHECK(again.status == 200);
    }
    CHECK(srv.log().find("database connection lost") != std::string::npos);
}

TEST_CASE("async auth: database down gets 503 quickly, and it recovers", "[e2e][auth][async]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string token = register_and_login(client, "dora@example.org");
    REQUIRE(client.request("GET", "/v1/users/me", {}, bearer(token)).status == 200);

    {
        pqxx::connection admin(admin_url(db));
        pqxx::nontransaction tx(admin);
        tx.exec("ALTER DATABASE " + tx.quote_name(name_of(db)) + " WITH ALLOW_CONNECTIONS false");
    }
    CHECK(terminate_backends(db) >= 1);
    // Asked again and again while the server tries to reconnect: every answer
    // is a quick 503, in the back-off and across its attempts (each logs a
    // failure), until it has tried three times.
    int asked = 0;
    eventually(
        [&] {
            auto started = std::chrono::steady_clock::now();
            auto r = client.request("GET", "/v1/users/me", {}, bearer(token));
            INFO(r.body);
            CHECK(std::chrono::steady_clock::now() - started < 1s);
            CHECK(r.status == 503);
            CHECK(r.header("retry-after") == "1");
            return ++asked >= 10 && failed_connects(srv) >= 3;
        },
        10s, "three failed reconnects");
    CHECK(client.request("GET", "/healthz").status == 200); // the server itself is fine
    {
        pqxx::connection admin(admin_url(db));
        pqxx::nontransaction tx(admin);
        tx.exec("ALTER DATABASE " + tx.quote_name(name_of(db)) + " WITH ALLOW_CONNECTIONS true");
    }
    // Back within a reconnect back-off or two.
    eventually([&] { return client.request("GET", "/v1/users/me", {}, bearer(token)).status == 200; }, 5s,
               "the lookup to succeed again");
    for (int i = 0; i < 10; ++i) CHECK(client.request("GET", "/v1/users/me", {}, bearer(token)).status == 200);
}

TEST_CASE("async auth: too many lookups under way get 503 at once", "[e2e][auth][async]") {
    database db;
    server srv(db.url(), {{"SCHWARM_DB_QUEUE_MAX", "1"}, {"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    std::string token;
    {
        https_client setup(srv.port());
        token = register_and_login(setup, "quinn@example.org");
    }
    pqxx::connection locker(db.url());
    pqxx::work lock(locker);
    lock.exec("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
    https_client held(srv.port()), refused(srv.port());
    held.send("GET", "/v1/users/me", {}, bearer(token));
    eventually([&] { return lock_waiters(db) >= 1; }, 10s, "the held lookup to wait for the lock");
    auto started = std::chrono::steady_clock::now();
    auto r = refused.request("GET", "/v1/users/me", {}, bearer(token));
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK(r.status == 503);
    CHECK(r.header("retry-after") == "1");
    lock.abort();
    CHECK(held.receive().status == 200);
}
