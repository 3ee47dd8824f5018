#pragma once
// What the tests share: a fresh PostgreSQL database per test, the real
// server binary started as a child process, and an HTTPS client.

#include "base/problem.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace schwarm::test {

// The problem `f` throws; fails the test if it throws none.
template <typename F>
problem caught(F f) {
    try {
        f();
    } catch (const problem& p) {
        return p;
    }
    FAIL("no problem thrown");
    return problem(problems::internal, "");
}

// Polls `condition` every `interval` until it holds or `timeout` has passed;
// whether it held. The one polling loop of the tests: `eventually` below, and
// waits that must not fail the test themselves (a server's exit, a client's
// retries on a thread of its own, where Catch's assertions are not safe).
template <typename F>
bool within(std::chrono::milliseconds timeout, F condition,
            std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
    }
    return true;
}

// Waits until `condition` holds, polling every few milliseconds; fails the
// test naming `what` when it does not hold within `timeout`. `what` may be a
// function, called only then, to say what was seen at the end (a log, a
// body). Never a fixed sleep in place of a condition.
template <typename F, typename What>
void eventually(F condition, std::chrono::milliseconds timeout, const What& what) {
    if (within(timeout, condition)) return;
    if constexpr (std::is_invocable_v<const What&>) {
        FAIL("timed out after " << timeout.count() << " ms waiting for " << what());
    } else {
        FAIL("timed out after " << timeout.count() << " ms waiting for " << what);
    }
}

// An environment variable the test command sets; fails the test if missing.
std::string required_env(const char* name);

// A database of its own on the test cluster, dropped at the end.
class database {
public:
    // With `migrated`, the bundled migrations are applied.
    explicit database(bool migrated = true);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    const std::string& url() const { return url_; }
    // One value from a query, as text ("" for NULL): for assertions.
    std::string scalar(const std::string& sql) const;
    void exec(const std::string& sql) const;
    // The platform clock of this database (docs/time.md): moves every server
    // on it to `rfc3339` (time then runs on from there). The test cluster
    // allows it; production refuses.
    void travel_to(const std::string& rfc3339) const;
    // Moves the clock on by `seconds` from the platform time now.
    void travel_by(std::int64_t seconds) const;
    // The platform time now, RFC 3339 UTC to the second.
    std::string platform_time() const;

private:
    std::string name_;
    std::string url_;
};

// Statements on `db` that wait for a lock: a test holding a lock knows by
// this that a request it sent is in flight (timing alone does not, on a busy
// machine).
int lock_waiters(const database& db);

struct reply {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    boost::json::value json() const;
    std::string header(const std::string& name) const;
};

// One keep-alive HTTPS connection, verifying the test certificate for localhost.
class https_client {
public:
    explicit https_client(unsigned short port);
    ~https_client();
    reply request(const std::string& method, const std::string& target, const std::string& body = {},
                  const std::map<std::string, std::string>& headers = {});
    // Sends a request and returns without reading the reply.
    void send(const std::string& method, const std::string& target, const std::string& body = {},
              const std::map<std::string, std::string>& headers = {});
    reply receive();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// SCHWARM_BALLOT_KEY of every test server (`server` sets it).
inline constexpr const char* test_ballot_key = "test-ballot-key-0123456789abcdefghijklmnop";
// SCHWARM_METRICS_TOKEN of every test server: /metrics answers only to it.
inline constexpr const char* test_metrics_token = "test-metrics-token-0123456789abcdefghij";

// The same database as the serving role schwarm_app (test.sh creates it),
// for a URL of the test cluster's owner; other URLs as they are.
std::string serving_url(const std::string& owner_url);

// build/schwarm as a child process with its own log file. It serves as the
// serving role (DATABASE_URL) and migrates as `database_url`'s role.
class server {
public:
    // `env` is added to (and overrides) the defaults: the database, the test
    // certificate, port 0. A value of `unset` leaves that variable out (an
    // older build refuses settings it does not know).
    static constexpr const char* unset = "\x01unset";
    explicit server(const std::string& database_url, std::map<std::string, std::string> env = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    unsigned short port() const { return port_; }
    int pid() const { return pid_; }
    void signal(int sig) const;
    // Waits for the process to end; its exit status, or -1 on timeout.
    int wait_exit(int timeout_ms);
    bool running();
    std::string log() const;

private:
    int pid_ = -1;
    unsigned short port_ = 0;
    std::string log_path_;
};

// Runs build/schwarm with arguments, environment and standard input; returns
// the exit status, and what it printed in `output` (stdout and stderr).
int run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& stdin_text, std::string& output);

// Creates a user with a role on the command line (`schwarm user create`) and
// logs in over HTTPS; returns the bearer token.
std::string create_user_and_login(https_client& client, const database& db, const std::string& email,
                                  const std::string& role);

// A reply's problem slug (the end of its tag-URI `type`, e.g.
// "insufficient-funds") when it is a problem, else its status as text.
std::string problem_slug(const reply& r);

// Request headers: the bearer token and, when given, an Idempotency-Key.
std::map<std::string, std::string> auth_headers(const std::string& token, const std::string& idempotency_key = {});

// Registers a customer and logs in; returns the bearer token.
std::string register_and_login(https_client& client, const std::string& email,
                               const std::string& password = "correct horse battery");

} // namespace schwarm::test
