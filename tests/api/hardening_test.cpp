// Issue 19 through the real binary: strict JSON and HTTP (duplicate keys,
// Content-Type, Host, Expect: 100-continue) and fair use of the machine
// (bounded password hashing, each client's share of the connections, what an
// idle connection costs).
#include "support/raw_tls.hpp"
#include "support/support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

using namespace schwarm::test;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

namespace {

int count_rows(const database& db, const std::string& table) {
    return std::stoi(db.scalar("SELECT count(*) FROM " + table));
}

// A figure of /proc/PID/status in kB (VmRSS, VmHWM).
long proc_status_kb(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
    }
    FAIL("no " << field << " in /proc/" << pid << "/status");
    return 0;
}

} // namespace

TEST_CASE("strict JSON: an object with a key twice is refused and changes nothing", "[e2e][http][strict]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    const int users_before = count_rows(db, "users");
    auto twice = client.request(
        "POST", "/v1/users",
        R"({"email":"a@example.org","password":"correct horse battery","display_name":"T","email":"b@example.org"})");
    CHECK(twice.status == 400);
    CHECK(problem_slug(twice) == "malformed-json");
    CHECK(twice.header("content-type") == "application/problem+json");
    // Nested, too: a ballot's choice with "points" twice.
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    auto round = client.request("POST", "/v1/rounds",
                                R"({"title":"t","budget_minor":100,"currency":"EUR","opens_at":"2020-01-01T00:00:00Z",)"
                                R"("closes_at":"2099-01-01T00:00:00Z","title":"again"})",
                                auth_headers(staff));
    CHECK(round.status == 400);
    CHECK(problem_slug(round) == "malformed-json");
    CHECK(count_rows(db, "users") == users_before + 1); // only the staff member
    CHECK(count_rows(db, "voting_rounds") == 0);
    // The same key in two objects is two keys.
    CHECK(client.request("POST", "/v1/users", account("c@example.org")).status == 201);
}

TEST_CASE("strict HTTP: Content-Type must be application/json, parameters allowed", "[e2e][http][strict]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    for (const char* wrong : {"application/jsonfoo", "application/json-patch+json", "text/json", "application/jso",
                              "application/json,text/plain", ""}) {
        INFO(wrong);
        auto r = client.request("POST", "/v1/users", account("x@example.org"), {{"Content-Type", wrong}});
        CHECK(r.status == 415);
        CHECK(problem_slug(r) == "unsupported-media-type");
    }
    CHECK(count_rows(db, "users") == 0);
    CHECK(
        client.request("POST", "/v1/users", account("a@example.org"), {{"Content-Type", "application/json"}}).status ==
        201);
    CHECK(client
              .request("POST", "/v1/users", account("b@example.org"),
                       {{"Content-Type", "Application/JSON ; charset=utf-8"}})
              .status == 201);
    CHECK(count_rows(db, "users") == 2);
}

TEST_CASE("strict HTTP: an HTTP/1.1 request needs exactly one Host", "[e2e][http][strict]") {
    database db;
    server srv(db.url());
    auto answer = [&](const std::string& request) {
        raw_tls raw(srv.port());
        REQUIRE(raw.connected());
        raw.write(request);
        return raw.read_to_close();
    };
    auto none = answer("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(none.starts_with("HTTP/1.1 400"));
    CHECK(none.find("problem+json") != std::string::npos);
    CHECK(none.find("needs a Host header") != std::string::npos);
    auto two = answer("GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    CHECK(two.starts_with("HTTP/1.1 400"));
    CHECK(two.find("2 Host headers") != std::string::npos);
    CHECK(answer("GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 400"));
    CHECK(
        answer("GET /healthz HTTP/1.1\r\nHost: u@localhost\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 400"));
    // A refused registration changed nothing.
    std::string body = account("a@example.org");
    auto post = answer("POST /v1/users HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(post.starts_with("HTTP/1.1 400"));
    CHECK(count_rows(db, "users") == 0);
    // What is allowed: one Host (with a port), or none in HTTP/1.0.
    CHECK(answer("GET /healthz HTTP/1.1\r\nHost: localhost:8443\r\nConnection: close\r\n\r\n")
              .starts_with("HTTP/1.1 200"));
    CHECK(answer("GET /healthz HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200"));
}

TEST_CASE("strict HTTP: Expect: 100-continue is answered before the body", "[e2e][http][strict]") {
    database db;
    server srv(db.url(), {{"SCHWARM_BODY_LIMIT_BYTES", "4096"}});
    std::string body = account("a@example.org");
    auto head = [&](const std::string& target, std::size_t length, const std::string& extra = "") {
        return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + extra +
               "Content-Length: " + std::to_string(length) + "\r\nExpect: 100-continue\r\n\r\n";
    };

    SECTION("accepted: 100, then the body, then the answer on the same connection") {
        raw_tls raw(srv.port());
        raw.write(head("/v1/users", body.size()));
        CHECK(raw.read_head().starts_with("HTTP/1.1 100 Continue\r\n"));
        raw.write(body);
        auto final_head = raw.read_head();
        CHECK(final_head.starts_with("HTTP/1.1 201"));
        CHECK(count_rows(db, "users") == 1);
        raw.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        CHECK(raw.read_to_close().find("HTTP/1.1 200") != std::string::npos);
    }
    SECTION("refused on its head: the final status at once, no 100, the connection closed") {
        struct refused_head {
            std::string request;
            const char* status;
        };
        for (const auto& [request, status] :
             {refused_head{head("/v1/nothing-here", body.size()), "HTTP/1.1 404"},
              refused_head{head("/v1/users", 5000), "HTTP/1.1 413"},
              refused_head{head("/v1/rounds", body.size()), "HTTP/1.1 401"},
              refused_head{head("/v1/projects/1/pledges", body.size(), "Authorization: Bearer x\r\n"),
                           "HTTP/1.1 400"}, // money without an Idempotency-Key
              refused_head{"POST /v1/users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nExpect: "
                           "teapot\r\n\r\n",
                           "HTTP/1.1 417"}}) {
            INFO(request);
            raw_tls raw(srv.port());
            raw.write(request);
            auto answer = raw.read_to_close(); // it closes without waiting for a body
            CHECK(answer.starts_with(status));
            CHECK(answer.find("100 Continue") == std::string::npos);
            CHECK(answer.find("problem+json") != std::string::npos);
        }
        CHECK(count_rows(db, "users") == 0);
    }
}

TEST_CASE("fair use: password hashing is bounded, the rest get 503 at once and others are served",
          "[e2e][http][fair]") {
    database db;
    server srv(db.url(), {{"SCHWARM_PASSWORD_HASH_CONCURRENCY", "1"},
                          {"SCHWARM_PASSWORD_HASH_QUEUE_MAX", "2"},
                          {"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    constexpr int burst = 16;
    std::vector<std::unique_ptr<https_client>> clients;
    for (int i = 0; i < burst; ++i) clients.push_back(std::make_unique<https_client>(srv.port()));
    long rss_before = proc_status_kb(srv.pid(), "VmRSS");
    // Every registration on the wire at once; then a reader that hashes nothing.
    for (int i = 0; i < burst; ++i) {
        clients[i]->send("POST", "/v1/users", account("burst" + std::to_string(i) + "@example.org"));
    }
    https_client reader(srv.port());
    auto started = std::chrono::steady_clock::now();
    CHECK(reader.request("GET", "/v1/projects").status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 2s);

    int created = 0, refused = 0;
    for (auto& c : clients) {
        auto r = c->receive();
        if (r.status == 201) {
            ++created;
        } else {
            CHECK(r.status == 503);
            CHECK(problem_slug(r) == "unavailable");
            CHECK(r.header("retry-after") == "1");
            ++refused;
        }
    }
    // One hashing and two waiting when the burst came: at least three got in,
    // and the burst was too fast for all sixteen to.
    CHECK(created >= 3);
    CHECK(refused > 0);
    CHECK(created + refused == burst);
    CHECK(count_rows(db, "users") == created);
    // One 19 MiB hash at a time, given back when done: far from the 180 MB a
    // worker per hash reached.
    CHECK(proc_status_kb(srv.pid(), "VmHWM") < rss_before + 60 * 1024);
    // A refused registration is judged afresh when retried.
    CHECK(clients[0]->request("POST", "/v1/users", account("again@example.org")).status == 201);
}

TEST_CASE("fair use: one client gets its share of the connections, others still get in", "[e2e][http][fair]") {
    database db;
    server srv(db.url(), {{"SCHWARM_CONNECTIONS_PER_CLIENT_MAX", "2"}, {"SCHWARM_CONNECTIONS_MAX", "10"}});
    auto held = std::make_unique<raw_tls>(srv.port());
    raw_tls second(srv.port());
    REQUIRE(held->connected());
    REQUIRE(second.connected());
    second.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    REQUIRE(second.read_head().starts_with("HTTP/1.1 200"));

    // A third from the same address is closed at accept.
    raw_tls third(srv.port());
    if (third.connected()) { // the handshake may complete in the kernel's queue before the close is seen
        boost::system::error_code ec;
        third.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CHECK(third.read_to_close().find("HTTP/1.1 200") == std::string::npos);
    }
    // Another address is served.
    raw_tls other(srv.port(), "127.0.0.2");
    REQUIRE(other.connected());
    other.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    CHECK(other.read_to_close().starts_with("HTTP/1.1 200"));
    // When one of the first address's connections closes, it may open another.
    held.reset();
    eventually(
        [&] {
            raw_tls again(srv.port());
            if (!again.connected()) return false;
            again.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            return again.read_to_close().starts_with("HTTP/1.1 200");
        },
        10s, "a connection from 127.0.0.1 once it has a free share");
}

TEST_CASE("fair use: an idle TLS connection costs a bounded amount", "[e2e][http][fair]") {
    database db;
    server srv(db.url(), {{"SCHWARM_RATE_PER_CLIENT_PER_S", "0"}});
    constexpr int idle = 200;
    // Warm up (first handshakes, first requests), then measure the idle ones.
    {
        std::vector<std::unique_ptr<https_client>> warm;
        for (int i = 0; i < 10; ++i) {
            warm.push_back(std::make_unique<https_client>(srv.port()));
            CHECK(warm.back()->request("GET", "/v1/projects").status == 200);
        }
    }
    long before = proc_status_kb(srv.pid(), "VmRSS");
    std::vector<std::unique_ptr<https_client>> clients;
    for (int i = 0; i < idle; ++i) {
        clients.push_back(std::make_unique<https_client>(srv.port()));
        // A request with a body of its own first: what it made grow is given back.
        CHECK(clients.back()->request("POST", "/v1/users", std::string(20000, ' ') + "{}").status == 400);
    }
    long after = proc_status_kb(srv.pid(), "VmRSS");
    long per_connection_kb = (after - before) / idle;
    INFO("an idle connection costs " << per_connection_kb << " kB");
    // About 70 kB measured (bench/RESULTS.md); the issue saw 255.
    CHECK(per_connection_kb < 120);
    CHECK(clients.front()->request("GET", "/healthz").status == 200);
}
