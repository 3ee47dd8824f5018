#pragma once
// Database access. libpqxx blocks, so database work never runs on the server's
// I/O threads: it is handed to a bounded pool of worker threads, each owning
// one connection. A full queue is refused at once (the caller answers 503)
// rather than growing without bound.
//
// Queries are named constants beside the code that runs them:
//   const db::query find_user{"users.find", "SELECT ... WHERE id = $1"};
//   tx.exec_prepared(find_user.name, id);
// Every query is registered at static-initialisation time and prepared on
// each connection the pool opens (libpqxx prepares lazily on first use).

#include <pqxx/pqxx>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// A timestamptz column as RFC 3339 UTC text, for named queries (string
// literals, so they concatenate at compile time): to the second for what
// people read, to the microsecond for ledger records.
#define SCHWARM_SQL_UTC_SECONDS(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SCHWARM_SQL_UTC_MICROS(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

namespace schwarm::db {

struct query {
    query(const char* name, const char* sql);
    const char* name;
    const char* sql;
};

// A nullable column. (libpqxx 6.4's own field::as<std::optional<T>> does not
// compile under C++20.)
template <typename T>
std::optional<T> nullable(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<T>();
}

// PostgreSQL array literals, for set-based statements over many rows
// (`unnest($1::bigint[])`). libpqxx 6.4 has no array parameters. Strings are
// always quoted and escaped; NULL is written for an empty optional.
std::string array_literal(const std::vector<std::int64_t>& values);
std::string array_literal(const std::vector<std::optional<std::int64_t>>& values);
std::string array_literal(const std::vector<std::string>& values);

// The bank's time zone for every connection opened from now on (docs/time.md;
// default Europe/Berlin). main() sets it from the configuration before the
// first connection; the database functions schwarm_today() and
// schwarm_local_add() read it, and refuse a session that lacks it.
void set_time_zone(const std::string& zone);

// Opens a connection with every registered query prepared, in the bank's
// time zone (and TimeZone UTC, so that no implicit conversion depends on the
// server's defaults). Throws config_error for a zone PostgreSQL does not know.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

// What a job gets: the worker's connection, opened on first use. Throws
// problem(unavailable) if the database cannot be reached.
class worker_context {
public:
    explicit worker_context(const std::string& url) : url_(url) {}
    pqxx::connection& connection();
    // After a job: drop a connection that broke so the next job reconnects.
    void check();

private:
    const std::string& url_;
    std::unique_ptr<pqxx::connection> connection_;
};

struct pool_stats {
    int workers;
    int busy;
    std::size_t queued;
    std::size_t queue_max;
    std::uint64_t rejected;
};

class pool {
public:
    using job = std::function<void(worker_context&)>;

    pool(std::string url, int workers, std::size_t queue_max);
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    // False when the queue is full or the pool is stopping; the job is dropped.
    bool try_submit(job work);
    // Runs every queued job, then joins the workers.
    void stop();
    pool_stats stats() const;

private:
    void run();

    const std::string url_;
    const std::size_t queue_max_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<job> queue_;
    bool stopping_ = false;
    std::atomic<int> busy_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::vector<std::thread> threads_;
};

} // namespace schwarm::db
