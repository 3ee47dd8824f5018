#pragma once
// Server configuration, read from the environment. Every value has a name, a
// unit in its name, a default and a range; anything outside it stops start-up
// with a message naming the variable.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace schwarm {

struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct config {
    std::string database_url;        // DATABASE_URL (libpq URI or key=value string)
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 8443;       // 0: any free port, printed at start
    std::string tls_cert_path;
    std::string tls_key_path;

    int io_threads = 1;
    int db_workers = 8;              // worker threads, each owning one connection
    int db_queue_max = 512;          // waiting jobs before we answer 503
    int batch_max = 1000;            // requests coalesced into one transaction

    std::int64_t body_limit_bytes = 1 << 20;
    std::int64_t header_limit_bytes = 16 << 10;
    std::int64_t header_timeout_ms = 10'000;
    std::int64_t body_timeout_ms = 30'000;
    std::int64_t idle_timeout_ms = 60'000;
    std::int64_t write_timeout_ms = 30'000;
    std::int64_t shutdown_grace_ms = 15'000;
    int connections_max = 4096;

    int rate_per_client_per_s = 500; // 0 disables the per-client rate limit
    int rate_burst = 1000;
    int login_failures_max = 5;      // per account, within login_window_s
    int login_window_s = 900;
    int login_per_client_per_min = 30;

    std::int64_t session_ttl_s = 24 * 3600;
    int page_size_max = 200;

    // Money (DESIGN.md 4.3).
    int platform_fee_bp = 200;       // fee on what a funded campaign raised, basis points
    int settlement_chunk = 5000;     // holds settled per transaction
    std::string payment_callback_secret; // HMAC key shared with the payment provider; empty: callbacks off
    int payment_callback_window_s = 300;  // how old a signed callback may be
};

// Reads the variables from `env` (a copy of the environment); throws
// config_error for an invalid value or an unknown SCHWARM_* variable, so that
// a typo does not silently fall back to a default.
config load_config(const std::map<std::string, std::string>& env);

// The process environment as a map.
std::map<std::string, std::string> environment();

} // namespace schwarm
