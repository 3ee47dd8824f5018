#pragma once
// An asynchronous PostgreSQL client on the I/O threads' io_context, for the
// short reads a request needs before (or instead of) the worker pool: the
// bearer-token lookup. libpq never blocks an I/O thread here: each
// connection is a nonblocking PGconn whose socket Asio watches
// (posix::stream_descriptor::async_wait), and runs in pipeline mode, so the
// queries of all requests that arrive in one turn of the event loop go out
// in one write and come back in one read, with one Sync (userver's and
// Seastar's drivers work the same way).
//
// Results come back in the order the queries were sent; each query's
// callback is matched to its result by that order alone, so a connection's
// queue of sent queries and PostgreSQL's stream of results must never get
// out of step: an error on the connection fails everything sent on it and
// starts over with a new connection.
//
// Bounded: at most `pending_max` queries wait or run across all
// connections; beyond that submit() refuses at once (the caller answers
// 503), as the worker pool does.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace schwarm::api::pg {

namespace net = boost::asio;

// A statement prepared once on every connection the client opens.
struct statement {
    const char* name;
    const char* sql;
    int param_count;
};

struct result_deleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

// What a query ends in.
enum class outcome {
    ok,          // `rows` holds the result (PGRES_TUPLES_OK or COMMAND_OK)
    unavailable, // the connection broke or could not be opened: 503, retry
    failed,      // PostgreSQL refused the query (an SQL error): 500
};

struct reply {
    outcome status;
    result_ptr rows;   // set when ok
    std::string error; // for the log only, never for the client
};

// Called exactly once, on the connection's strand (not the caller's).
using callback = std::function<void(reply)>;

struct client_stats {
    std::size_t connections;
    std::size_t pending;
    std::size_t pending_max;
    std::uint64_t rejected;
    std::uint64_t connects; // successful connection set-ups, first ones included
};

class connection;

class client {
public:
    // Opens `connections` connections lazily (on first use, and again after
    // one breaks). `statements` must outlive the client.
    client(net::io_context& ioc, std::string url, std::size_t connections, std::size_t pending_max,
           std::vector<statement> statements);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Runs the prepared statement with text parameters. False (and no
    // callback) when `pending_max` queries are already under way.
    bool submit(const statement& s, std::vector<std::string> params, callback done);

    client_stats stats() const;

private:
    friend class connection;
    const std::string url_;
    const std::size_t pending_max_;
    const std::vector<statement> statements_;
    std::vector<std::shared_ptr<connection>> connections_;
    std::atomic<std::size_t> next_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> connects_{0};
};

// How long opening a connection may take before its waiting queries get 503.
inline constexpr std::chrono::milliseconds connect_timeout{2000};
// After a failed attempt, the next waits this long (queries arriving
// meanwhile are answered 503 at once rather than piling up).
inline constexpr std::chrono::milliseconds reconnect_backoff{200};
// Queries sent on one connection without their results yet: one Sync's
// worth goes out per event-loop turn, at most this many.
inline constexpr std::size_t pipeline_depth_max = 256;

} // namespace schwarm::api::pg
