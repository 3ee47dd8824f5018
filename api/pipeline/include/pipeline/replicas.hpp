#pragma once
// Read replicas (SCHWARM_READ_DATABASE_URL; docs/scaling.md): streaming
// standbys of the primary that serve the read-only routes marked
// needs::replica (public listings and search, round results and published
// ballots, statements, the fund). Each has a worker pool of its own; a
// watcher compares each replica's replay position with the primary's and
// takes one out while it lags beyond SCHWARM_REPLICA_LAG_MAX_MS (or cannot be
// reached). A client reads its own writes: a write's answer carries the
// commit's WAL position (Schwarm-LSN), a read that presents it
// (Schwarm-Read-After) waits up to SCHWARM_REPLICA_WAIT_MS for a replica to
// replay that far, and is served by the primary otherwise.

#include "base/config.hpp"
#include "base/db.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace schwarm::api {

struct replica_status {
    bool usable = false;
    std::int64_t lag_bytes = 0;
    std::int64_t lag_ms = 0;
};

class replica_set {
public:
    explicit replica_set(const config& cfg);
    ~replica_set();
    replica_set(const replica_set&) = delete;
    replica_set& operator=(const replica_set&) = delete;

    // Starts and stops the watcher (a thread with a connection to the primary
    // and one to each replica).
    void start();
    void stop();

    // A usable replica's pool, in turn; null when none is usable.
    db::pool* pick();
    std::vector<replica_status> status() const;
    // Reads served, by where: for /metrics and the tests.
    std::atomic<std::uint64_t> served_by_replica{0};
    std::atomic<std::uint64_t> served_by_primary{0};

    // Whether the replica behind `connection` has replayed `lsn` ("0/16B3748"),
    // waiting up to wait_ms for it.
    bool replayed(pqxx::connection& connection, const std::string& lsn) const;

private:
    struct replica {
        std::string url;
        std::unique_ptr<db::pool> pool;
        std::atomic<bool> usable{false};
        std::atomic<std::int64_t> lag_bytes{0};
        std::atomic<std::int64_t> lag_ms{0};
    };
    void watch();
    void measure(pqxx::connection& primary, replica& r, std::unique_ptr<pqxx::connection>& to_replica);

    const config& cfg_;
    std::vector<std::unique_ptr<replica>> replicas_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> stop_{false};
    std::thread watcher_;
};

// The current WAL position of the primary, as a token for Schwarm-LSN.
std::string wal_position(pqxx::connection& primary);

// A Schwarm-Read-After value: a WAL position "X/Y" in hex, nothing else.
bool is_wal_position(std::string_view text);

} // namespace schwarm::api
