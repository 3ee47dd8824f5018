// The HTTP layer of the real binary: limits, timeouts, errors, overload and
// shutdown, over real TLS.
#include "support/raw_tls.hpp"
#include "support/support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <csignal>
#include <thread>

using namespace schwarm::test;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

namespace {

// Waits until `count` statements of the server wait for a lock: then their
// requests are surely in flight (timing alone is not, on a busy machine).
void wait_for_lock_waiters(const database& db, int count) {
    eventually([&] { return lock_waiters(db) >= count; }, 10s, "a request to reach the database");
}

// Whether a TCP connection to the port is refused (the server no longer accepts).
bool refused(unsigned short port) {
    net::io_context ioc;
    net::ip::tcp::socket probe(ioc);
    boost::system::error_code ec;
    probe.connect({net::ip::make_address("127.0.0.1"), port}, ec);
    return static_cast<bool>(ec);
}

int count_rows(const database& db, const std::string& table) {
    return std::stoi(db.scalar("SELECT count(*) FROM " + table));
}

} // namespace

TEST_CASE("http: health, readiness, request ids and security headers", "[e2e][http]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());

    auto health = client.request("GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(health.json().at("status") == "up");
    CHECK(health.header("x-request-id").size() == 32);
    CHECK(health.header("strict-transport-security").starts_with("max-age="));
    CHECK(health.header("x-content-type-options") == "nosniff");
    CHECK(health.header("cache-control") == "no-store");

    auto ready = client.request("GET", "/readyz", {}, {{"X-Request-Id", "trace-abc.1"}});
    CHECK(ready.status == 200);
    CHECK(ready.header("x-request-id") == "trace-abc.1");
    // An id that is not plain is replaced, not echoed.
    auto odd = client.request("GET", "/healthz", {}, {{"X-Request-Id", "<script>"}});
    CHECK(odd.header("x-request-id") != "<script>");

    auto spec = client.request("GET", "/v1/openapi.yaml");
    CHECK(spec.status == 200);
    CHECK(spec.body.starts_with("openapi: 3.1.0"));
}

TEST_CASE("http: readiness fails when the schema is not current", "[e2e][http]") {
    database db;
    server srv(db.url());
    db.exec("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)");
    https_client client(srv.port());
    auto ready = client.request("GET", "/readyz");
    CHECK(ready.status == 503);
    CHECK(ready.json().at("type") == "tag:schwarm.dev,2026:problem:unavailable");
    CHECK(client.request("GET", "/healthz").status == 200);
}

TEST_CASE("http: bad requests get problem+json and change nothing", "[e2e][http]") {
    database db;
    server srv(db.url(), {{"SCHWARM_BODY_LIMIT_BYTES", "4096"}, {"SCHWARM_HEADER_LIMIT_BYTES", "2048"}});
    const int users_before = count_rows(db, "users");
    const int audit_before = count_rows(db, "audit_log");

    auto problem_of = [](const reply& r) {
        CHECK(r.header("content-type") == "application/problem+json");
        auto body = r.json().as_object();
        CHECK(body.at("status").as_int64() == r.status);
        CHECK(body.contains("title"));
        CHECK(body.contains("detail"));
        return body;
    };

    SECTION("unknown route: 404") {
        https_client client(srv.port());
        auto r = client.request("GET", "/v1/nothing-here");
        CHECK(r.status == 404);
        CHECK(problem_of(r).at("type") == "tag:schwarm.dev,2026:problem:not-found");
    }
    SECTION("wrong method: 405 with Allow") {
        https_client client(srv.port());
        auto r = client.request("PATCH", "/v1/users");
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "POST, GET");
        problem_of(r);
    }
    SECTION("malformed JSON: 400") {
        https_client client(srv.port());
        auto r = client.request("POST", "/v1/users", R"({"email": "a@b.de",)");
        CHECK(r.status == 400);
        CHECK(problem_of(r).at("type") == "tag:schwarm.dev,2026:problem:malformed-json");
    }
    SECTION("deeply nested JSON: 400") {
        https_client client(srv.port());
        auto r =
            client.request("POST", "/v1/users", R"({"email":)" + std::string(200, '[') + std::string(200, ']') + "}");
        CHECK(r.status == 400);
    }
    SECTION("wrong type: 400 naming the field") {
        https_client client(srv.port());
        auto r = client.request("POST", "/v1/users",
                                R"({"email":42,"password":"correct horse battery","display_name":"T"})");
        CHECK(r.status == 400);
        CHECK(problem_of(r).at("field") == "email");
    }
    SECTION("unknown field: 400 naming it") {
        https_client client(srv.port());
        auto r = client.request(
            "POST", "/v1/users",
            R"({"email":"a@b.de","password":"correct horse battery","display_name":"T","role":"admin"})");
        CHECK(r.status == 400);
        CHECK(problem_of(r).at("field") == "role");
    }
    SECTION("not JSON at all: 415") {
        https_client client(srv.port());
        auto r = client.request("POST", "/v1/users", "email=a@b.de",
                                {{"Content-Type", "application/x-www-form-urlencoded"}});
        CHECK(r.status == 415);
        problem_of(r);
    }
    SECTION("body over the limit: 413") {
        https_client client(srv.port());
        auto r = client.request("POST", "/v1/users", R"({"email":")" + std::string(5000, 'a') + R"("})");
        CHECK(r.status == 413);
        CHECK(problem_of(r).at("type") == "tag:schwarm.dev,2026:problem:payload-too-large");
    }
    SECTION("headers over the limit: 431") {
        https_client client(srv.port());
        auto r = client.request("GET", "/healthz", {}, {{"X-Padding", std::string(3000, 'x')}});
        CHECK(r.status == 431);
        problem_of(r);
    }
    SECTION("broken HTTP: 400, connection closed") {
        raw_tls raw(srv.port());
        raw.write("GET /healthz HTTP/1.1\r\nHost localhost\r\n\r\n");
        auto answer = raw.read_to_close();
        CHECK(answer.starts_with("HTTP/1.1 400"));
    }
    CHECK(count_rows(db, "users") == users_before);
    CHECK(count_rows(db, "audit_log") == audit_before);
}

TEST_CASE("http: a client sending headers slowly is cut off, others are served", "[e2e][http]") {
    database db;
    server srv(db.url(), {{"SCHWARM_HEADER_TIMEOUT_MS", "500"}});
    raw_tls slow(srv.port());
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n\r\n";
    auto started = std::chrono::steady_clock::now();
    bool cut = false;
    for (char c : request) {
        boost::system::error_code ec;
        net::write(slow.stream, net::buffer(&c, 1), ec);
        if (ec) {
            cut = true;
            break;
        }
        // Pacing is the test here, not a wait: a byte every 100 ms outlasts the 500 ms header timeout.
        std::this_thread::sleep_for(100ms);
        if (std::chrono::steady_clock::now() - started > 3s) break;
    }
    if (!cut) {
        // All bytes may have gone into socket buffers; the server must still
        // have closed without answering a request that took too long.
        auto answer = slow.read_to_close();
        CHECK(answer.empty());
    }
    CHECK(std::chrono::steady_clock::now() - started < 3s);

    https_client good(srv.port());
    CHECK(good.request("GET", "/healthz").status == 200);
}

TEST_CASE("http: plain HTTP and broken handshakes are closed without harm", "[e2e][http]") {
    database db;
    server srv(db.url());
    https_client before(srv.port());
    {
        net::io_context ioc;
        net::ip::tcp::socket plain(ioc);
        plain.connect({net::ip::make_address("127.0.0.1"), srv.port()});
        net::write(plain, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")));
        boost::system::error_code ec;
        std::string answer;
        char chunk[512];
        for (;;) {
            std::size_t n = plain.read_some(net::buffer(chunk), ec);
            answer.append(chunk, n);
            if (ec) break;
        }
        CHECK(answer.find("HTTP/1.1 200") == std::string::npos);
    }
    {
        net::io_context ioc;
        net::ip::tcp::socket garbage(ioc);
        garbage.connect({net::ip::make_address("127.0.0.1"), srv.port()});
        net::write(garbage, net::buffer(std::string("\x16\x03\x01\x00\x05garbage-not-a-hello", 24)));
    }
    CHECK(before.request("GET", "/healthz").status == 200);
    https_client after(srv.port());
    CHECK(after.request("GET", "/healthz").status == 200);
    CHECK(srv.running());
}

TEST_CASE("http: TLS 1.1 and older are refused", "[e2e][http]") {
    database db;
    server srv(db.url());
    net::io_context ioc;
    ssl::context tls(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(tls.native_handle(), TLS1_1_VERSION);
    SSL_CTX_set_security_level(tls.native_handle(), 0);
    ssl::stream<net::ip::tcp::socket> old(ioc, tls);
    old.next_layer().connect({net::ip::make_address("127.0.0.1"), srv.port()});
    boost::system::error_code ec;
    old.handshake(ssl::stream_base::client, ec);
    CHECK(ec);
}

TEST_CASE("http: overload gets 503 with Retry-After, not a queue", "[e2e][http]") {
    database db;
    server srv(db.url(), {{"SCHWARM_DB_WORKERS", "1"}, {"SCHWARM_DB_QUEUE_MAX", "1"}});
    // Hold a lock that registration needs, so the one worker stays busy.
    pqxx::connection locker(db.url());
    pqxx::work lock(locker);
    lock.exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");

    https_client busy(srv.port()), queued(srv.port()), refused(srv.port());
    busy.send("POST", "/v1/users", account("one@example.org"));
    wait_for_lock_waiters(db, 1); // the one worker is now stuck
    queued.send("POST", "/v1/users", account("two@example.org"));
    https_client watcher(srv.port()); // /metrics needs no worker
    // Registration hashes a password: with one worker, one hashes at a time
    // and the second waits its turn in the turnstile (its queue is as long
    // as the pool's, 1), so the third is turned away.
    eventually(
        [&] {
            return watcher.request("GET", "/metrics", {}, auth_headers(test_metrics_token))
                       .body.find("schwarm_credential_hashing_waiting 1\n") != std::string::npos;
        },
        10s, "the second request to wait its turn");
    auto started = std::chrono::steady_clock::now();
    auto r = refused.request("POST", "/v1/users", account("three@example.org"));
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK(r.status == 503);
    CHECK(r.header("retry-after") == "1");
    lock.abort();

    CHECK(busy.receive().status == 201);
    CHECK(queued.receive().status == 201);
    CHECK(db.scalar("SELECT count(*) FROM users") == "2");
}

TEST_CASE("http: per-client rate limit answers 429 with Retry-After", "[e2e][http]") {
    database db;
    server srv(db.url(), {{"SCHWARM_RATE_PER_CLIENT_PER_S", "1"}, {"SCHWARM_RATE_BURST", "3"}});
    https_client client(srv.port());
    for (int i = 0; i < 3; ++i) CHECK(client.request("GET", "/healthz").status == 200);
    auto r = client.request("GET", "/healthz");
    CHECK(r.status == 429);
    CHECK(std::stoi(r.header("retry-after")) >= 1);
    CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:rate-limited");
}

TEST_CASE("http: SIGTERM lets the in-flight request finish, then exits", "[e2e][http]") {
    database db;
    server srv(db.url());
    pqxx::connection locker(db.url());
    pqxx::work lock(locker);
    lock.exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");

    https_client in_flight(srv.port());
    https_client idle(srv.port());
    CHECK(idle.request("GET", "/healthz").status == 200);
    in_flight.send("POST", "/v1/users", account("late@example.org"));
    wait_for_lock_waiters(db, 1);
    srv.signal(SIGTERM);
    eventually([&] { return refused(srv.port()); }, 10s, "the server to stop accepting");
    CHECK(srv.running()); // still draining
    lock.abort();
    auto r = in_flight.receive();
    CHECK(r.status == 201);
    CHECK(r.header("connection") == "close");
    CHECK(srv.wait_exit(10'000) == 0);
    CHECK(db.scalar("SELECT count(*) FROM users WHERE email = 'late@example.org'") == "1");
}

TEST_CASE("http: metrics count requests by route and status", "[e2e][http]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    client.request("GET", "/healthz");
    client.request("GET", "/v1/users/me", {}, {{"Authorization", "Bearer nope"}});
    auto m = client.request("GET", "/metrics", {}, auth_headers(test_metrics_token));
    CHECK(m.status == 200);
    CHECK(m.header("content-type").starts_with("text/plain"));
    CHECK(m.body.find(R"(schwarm_http_requests_total{method="GET",route="/healthz",status="200"} 1)") !=
          std::string::npos);
    CHECK(m.body.find(R"(route="/v1/users/me",status="401"} 1)") != std::string::npos);
    CHECK(m.body.find("schwarm_http_request_duration_seconds_bucket") != std::string::npos);
    CHECK(m.body.find("schwarm_db_workers 4") != std::string::npos);
}

TEST_CASE("http: logs are JSON lines with request ids and no secrets", "[e2e][http]") {
    database db;
    server srv(db.url());
    {
        https_client client(srv.port());
        register_and_login(client, "secret-keeper@example.org", "my very secret password");
    }
    auto log = srv.log();
    CHECK(log.find(R"("msg":"request")") != std::string::npos);
    CHECK(log.find(R"("request_id":")") != std::string::npos);
    CHECK(log.find("my very secret password") == std::string::npos);
    CHECK(log.find("secret-keeper@example.org") == std::string::npos);
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        INFO(line);
        CHECK_NOTHROW(boost::json::parse(line));
    }
}
