// Operational endpoints: liveness, readiness, metrics, the API description.
#include "resources/resources.hpp"

#include "base/crypto.hpp"
#include "base/migrate.hpp"

namespace schwarm::api {

namespace {
response healthz(context&);
response readyz(context&);
response metrics_text(context&);
response openapi(context&);
} // namespace

std::vector<route> health_routes() {
    return {
        {http::verb::get, "/healthz", access::anyone, db_use::none, healthz},
        {http::verb::get, "/readyz", access::anyone, db_use::read, readyz},
        {http::verb::get, "/metrics", access::anyone, db_use::none, metrics_text},
        {http::verb::get, "/v1/openapi.yaml", access::anyone, db_use::none, openapi},
    };
}

namespace {

response healthz(context&) { return json_response(http::status::ok, {{"status", "up"}}); }

response readyz(context& ctx) {
    try {
        migrations::check_current(ctx.tx(), migrations::bundled());
    } catch (const migrations::migration_error& e) {
        throw problem(problems::unavailable, "The database schema is not current", e.what());
    }
    return json_response(http::status::ok, {{"status", "ready"}});
}

// /metrics tells about load and capacity: only to who holds the configured
// token (Prometheus' bearer_token), and not at all without one.
void check_metrics_token(const context& ctx) {
    const std::string& expected = ctx.app.cfg.metrics_token;
    if (expected.empty()) throw problem(problems::not_found, "Metrics are off: set SCHWARM_METRICS_TOKEN");
    if (!crypto::equal_constant_time(ctx.bearer_token, expected)) {
        throw problem(problems::unauthorized, "Send the metrics token: Authorization: Bearer …");
    }
}

response metrics_text(context& ctx) {
    check_metrics_token(ctx);
    const service& app = ctx.app;
    db::pool_stats pool = app.pool.stats();
    std::map<std::string, double> gauges{
        {"schwarm_db_workers", pool.workers},
        {"schwarm_db_workers_busy", pool.busy},
        {"schwarm_db_queue_depth", static_cast<double>(pool.queued)},
        {"schwarm_db_queue_max", static_cast<double>(pool.queue_max)},
        {"schwarm_connections_open", app.connections.load()},
        {"schwarm_credential_hashing_running", static_cast<double>(app.password_hashing.running())},
        {"schwarm_credential_hashing_waiting", static_cast<double>(app.password_hashing.waiting())},
    };
    std::map<std::string, double> counters{
        {"schwarm_db_jobs_rejected_total", static_cast<double>(pool.rejected)},
    };
    if (app.replicas) {
        auto replicas = app.replicas->status();
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            std::string label = "{replica=\"" + std::to_string(i) + "\"}";
            gauges["schwarm_replica_usable" + label] = replicas[i].usable ? 1 : 0;
            gauges["schwarm_replica_lag_bytes" + label] = static_cast<double>(replicas[i].lag_bytes);
            gauges["schwarm_replica_lag_ms" + label] = static_cast<double>(replicas[i].lag_ms);
        }
        counters["schwarm_reads_total{from=\"replica\"}"] = static_cast<double>(app.replicas->served_by_replica.load());
        counters["schwarm_reads_total{from=\"primary\"}"] = static_cast<double>(app.replicas->served_by_primary.load());
    }
    return {http::status::ok, "text/plain; version=0.0.4", app.stats.render(gauges, counters), {}};
}

response openapi(context&) { return {http::status::ok, "application/yaml", std::string(openapi_document()), {}}; }

} // namespace
} // namespace schwarm::api
