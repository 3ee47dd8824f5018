#include "pipeline/replicas.hpp"

#include "base/log.hpp"

#include <algorithm>
#include <chrono>

namespace schwarm::api {

namespace {

// How often the watcher looks: a lag above the bound is noticed within this.
constexpr auto watch_interval = std::chrono::milliseconds(200);
// How often a read waiting for its write polls the replica's position.
constexpr auto replay_poll = std::chrono::milliseconds(2);

} // namespace

replica_set::replica_set(const config& cfg) : cfg_(cfg) {
    for (const auto& url : cfg.read_database_urls) {
        auto r = std::make_unique<replica>();
        r->url = url;
        r->pool = std::make_unique<db::pool>(url, cfg.db_workers, static_cast<std::size_t>(cfg.db_queue_max));
        replicas_.push_back(std::move(r));
    }
}

replica_set::~replica_set() { stop(); }

void replica_set::start() {
    if (replicas_.empty() || watcher_.joinable()) return;
    watcher_ = std::thread([this] { watch(); });
}

void replica_set::stop() {
    stop_ = true;
    if (watcher_.joinable()) watcher_.join();
    for (auto& r : replicas_) r->pool->stop();
}

db::pool* replica_set::pick() {
    for (std::size_t tried = 0; tried < replicas_.size(); ++tried) {
        auto& r = *replicas_[next_++ % replicas_.size()];
        if (r.usable) return r.pool.get();
    }
    return nullptr;
}

std::vector<replica_status> replica_set::status() const {
    std::vector<replica_status> out;
    for (const auto& r : replicas_) out.push_back({r->usable.load(), r->lag_bytes.load(), r->lag_ms.load()});
    return out;
}

bool replica_set::replayed(pqxx::connection& connection, const std::string& lsn) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.replica_wait_ms);
    for (;;) {
        pqxx::nontransaction tx(connection);
        if (tx.exec_params1("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn)[0].as<bool>()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(replay_poll);
    }
}

// Bytes behind the primary's position, and time since the last replayed
// transaction while behind (an idle replica that has replayed everything
// lags by nothing, however old its last transaction is).
void replica_set::measure(pqxx::connection& primary, replica& r, std::unique_ptr<pqxx::connection>& to_replica) {
    std::string position;
    {
        pqxx::nontransaction tx(primary);
        position = tx.exec1("SELECT pg_current_wal_lsn()::text")[0].as<std::string>();
    }
    try {
        if (!to_replica) to_replica = std::make_unique<pqxx::connection>(r.url);
        pqxx::nontransaction tx(*to_replica);
        auto row = tx.exec_params1(
            "SELECT greatest(0, $1::pg_lsn - pg_last_wal_replay_lsn())::bigint, "
            "CASE WHEN pg_last_wal_replay_lsn() >= $1::pg_lsn THEN 0 ELSE "
            "coalesce((extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) END",
            position);
        r.lag_bytes = row[0].as<std::int64_t>();
        r.lag_ms = row[1].as<std::int64_t>();
        bool usable = r.lag_ms <= cfg_.replica_lag_max_ms;
        if (usable != r.usable.exchange(usable)) {
            log::info(usable ? "replica in use" : "replica lags: not used",
                      {{"lag_ms", r.lag_ms.load()}, {"lag_bytes", r.lag_bytes.load()}});
        }
    } catch (const std::exception& e) {
        to_replica.reset();
        if (r.usable.exchange(false)) log::warn("replica unreachable: not used", {{"error", e.what()}});
    }
}

void replica_set::watch() {
    std::unique_ptr<pqxx::connection> primary;
    std::vector<std::unique_ptr<pqxx::connection>> to_replicas(replicas_.size());
    while (!stop_) {
        try {
            if (!primary) primary = db::connect(cfg_.database_url);
            for (std::size_t i = 0; i < replicas_.size(); ++i) measure(*primary, *replicas_[i], to_replicas[i]);
        } catch (const std::exception& e) {
            primary.reset(); // the primary's position is unknown: keep the last verdicts
            log::warn("replica watch failed", {{"error", e.what()}});
        }
        std::this_thread::sleep_for(watch_interval);
    }
}

std::string wal_position(pqxx::connection& primary) {
    pqxx::nontransaction tx(primary);
    return tx.exec1("SELECT pg_current_wal_lsn()::text")[0].as<std::string>();
}

bool is_wal_position(std::string_view text) {
    auto slash = text.find('/');
    auto hex = [](std::string_view part) {
        return !part.empty() && part.size() <= 8 && std::all_of(part.begin(), part.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
        });
    };
    return slash != std::string_view::npos && hex(text.substr(0, slash)) && hex(text.substr(slash + 1));
}

} // namespace schwarm::api
