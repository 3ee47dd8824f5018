#pragma once
// Everything a request may touch, built once in main() and shared by the
// I/O threads and the database workers.

#include "base/audit.hpp"
#include "base/config.hpp"
#include "base/db.hpp"
#include "http/admission.hpp"
#include "http/metrics.hpp"
#include "http/rate_limit.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/replicas.hpp"
#include "pipeline/router.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

namespace schwarm::api {

namespace pg {
class client;
}

struct service {
    service(config c, db::pool& p)
        : cfg(std::move(c)), routes(all_routes()), pool(p), per_client(cfg.rate_per_client_per_s, cfg.rate_burst),
          login_per_client(cfg.login_per_client_per_min / 60.0, cfg.login_per_client_per_min),
          batches(p, static_cast<std::size_t>(cfg.batch_max), static_cast<std::size_t>(cfg.db_queue_max)),
          password_hashing(password_hashing_concurrency(cfg), password_hashing_waiting_max(cfg)),
          connection_share(static_cast<std::size_t>(cfg.connections_per_client_max)) {}

    // Never every worker: one stays free for requests that hash nothing.
    static std::size_t password_hashing_concurrency(const config& c) {
        return static_cast<std::size_t>(std::max(1, std::min(c.password_hash_concurrency, c.db_workers - 1)));
    }
    // Those waiting for a turn wait for a worker too: no more of them than the
    // pool's own queue would take.
    static std::size_t password_hashing_waiting_max(const config& c) {
        return static_cast<std::size_t>(std::min(c.password_hash_queue_max, c.db_queue_max));
    }

    const config cfg;
    const router routes;
    db::pool& pool;
    metrics stats;
    rate_limiter per_client;
    rate_limiter login_per_client;
    batcher batches;
    // Routes that hash a password (needs::password_hash) go through it.
    turnstile password_hashing;
    connection_shares connection_share;
    std::atomic<int> connections{0};
    std::atomic<bool> shutting_down{false};
    // The asynchronous client for db_use::principal_only routes; set in
    // main() once the io_context exists (it lives and dies with it).
    pg::client* async_db = nullptr;
    // Read replicas, when configured (main() sets them).
    replica_set* replicas = nullptr;
};

// The asynchronous client on `ioc`: a few connections per I/O thread, at
// most cfg.db_queue_max queries waiting or running.
struct async_db_deleter {
    void operator()(pg::client* c) const;
};
using async_db_ptr = std::unique_ptr<pg::client, async_db_deleter>;
async_db_ptr make_async_db(boost::asio::io_context& ioc, const config& cfg);

// What the asynchronous token lookup found: the principal (none for an
// unknown, expired or revoked token), or the response to send instead when
// the database could not answer (503 + Retry-After, or 500).
struct principal_lookup {
    std::optional<users::principal> principal;
    std::optional<response> failure;
};
// Looks the bearer token up without blocking; `done` runs on a database
// connection's strand, not the caller's. False when too many lookups are
// under way (the caller answers 503); `done` is then never called.
bool authenticate_async(const service& app, const std::string& token, const std::string& request_id,
                        std::function<void(principal_lookup)> done);
// Runs a db_use::principal_only route: role check, handler, problem+json.
response run_with_principal(const route& r, context& ctx, principal_lookup found);

// Runs a matched route: authentication and role check, the transaction, the
// handler, and the one place where errors become problem+json. `worker` is
// null for routes that do not use the database.
response run_route(const route& r, context& ctx, db::worker_context* worker);

// Inside a catch block: the response for the exception in flight (problems
// as themselves, database trouble as 503/500 with the text only in the log).
response current_error_response(const std::string& request_id);

// Every request that changes state writes an audit record naming it, in
// the same transaction (DESIGN.md 1): throws invariant_violation for one
// whose transaction wrote (or locked a row) and whose records named it not.
// A replay changed nothing and needs none.
bool replayed(const response& res);
void require_audited(pqxx::work& tx, const route& r, const audit::scope& audited, const context& ctx,
                     const response& res);

// Sets ctx.principal, or throws 401 (no principal) or 403 (role not allowed).
void check_role(const route& r, context& ctx, std::optional<users::principal> principal);

} // namespace schwarm::api
