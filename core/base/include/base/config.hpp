#pragma once
// Server configuration, read from the environment. Every value has a name, a
// unit in its name, a default and a range; anything outside it stops start-up
// with a message naming the variable.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace schwarm {

struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct config {
    std::string database_url;           // DATABASE_URL (libpq URI or key=value string): the serving role
    std::string migration_database_url; // SCHWARM_MIGRATION_DATABASE_URL: the schema's owner; empty: DATABASE_URL
    std::vector<std::string> read_database_urls; // SCHWARM_READ_DATABASE_URL: replicas (URIs, space-separated)
    std::int64_t replica_lag_max_ms = 1000;      // a replica further behind than this serves no reads
    std::int64_t replica_wait_ms = 100;          // how long a read waits for a replica to replay the client's write
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 8443; // 0: any free port, printed at start
    std::string tls_cert_path;
    std::string tls_key_path;
    // Seals ballots while their round is open (docs/SECURITY.md, "Ballot
    // secrecy"); at least 32 characters; required by `serve`.
    std::string ballot_key;

    int io_threads = 1;
    int db_workers = 8;     // worker threads, each owning one connection
    int db_queue_max = 512; // waiting jobs before we answer 503
    int batch_max = 1000;   // requests coalesced into one transaction

    std::int64_t body_limit_bytes = 1 << 20;
    std::int64_t header_limit_bytes = 16 << 10;
    std::int64_t header_timeout_ms = 10'000;
    std::int64_t body_timeout_ms = 30'000;
    std::int64_t idle_timeout_ms = 60'000;
    std::int64_t write_timeout_ms = 30'000;
    std::int64_t shutdown_grace_ms = 15'000;
    int connections_max = 4096;
    // One client's share of connections_max (an IPv4 address or an IPv6 /64);
    // at most connections_max. Behind a proxy, set it to connections_max.
    int connections_per_client_max = 256;
    // Requests that hash a password (registration, login): at most this many
    // at once (and never more than db_workers − 1, so that a worker stays free
    // for the rest), at most password_hash_queue_max waiting; the rest get
    // 503. Each hash takes 19 MiB while it runs (Argon2id, docs/decisions.md).
    int password_hash_concurrency = 2;
    int password_hash_queue_max = 16;

    int rate_per_client_per_s = 500; // 0 disables the per-client rate limit
    int rate_burst = 1000;
    int login_failures_max = 5;           // per account and client address, within login_window_s
    int login_account_failures_max = 100; // per account from every address, within login_window_s
    int login_window_s = 900;
    int login_per_client_per_min = 30;

    std::int64_t session_ttl_s = 24 * 3600;
    std::int64_t password_reset_ttl_s = 3600; // how long a password reset token is good for (once)
    // The bearer token /metrics requires (at least 32 characters); empty: /metrics answers 404.
    std::string metrics_token;
    // The bank's time zone (IANA name): due dates and calendar days live in
    // it (docs/time.md). Checked against PostgreSQL's zone table at start-up.
    std::string time_zone = "Europe/Berlin";
    int page_size_max = 200;

    // Money (DESIGN.md 4.3).
    int platform_fee_bp = 200;                            // fee on what a funded campaign raised, basis points
    int settlement_chunk = 5000;                          // holds settled per transaction
    std::int64_t settlement_interval_ms = 1000;           // how often the job looks for campaigns due
    std::int64_t idempotency_retention_s = 30LL * 86'400; // how long a money request's answer is replayed
    std::string payment_callback_secret;      // HMAC key shared with the payment provider; empty: callbacks off
    int payment_callback_window_s = 300;      // how old a signed callback may be
    std::int64_t payment_intent_ttl_s = 3600; // a customer's deposit intent waits this long for its callback
    std::int64_t payout_four_eyes_above_minor = 1'000'000; // payouts above this need two staff approvals
    int deadline_extension_max_days = 30;                  // how far staff may extend a campaign's deadline, once
    // Risk (risk/; README.md, Configuration). Credit-check providers, comma-separated.
    std::string risk_providers = "scorecard"; // scorecard | webhook | scorecard,webhook
    std::string risk_bureau_url;              // https://host:port/path of the external bureau
    std::string risk_bureau_ca_path;          // PEM file the bureau's certificate must chain to
    std::string risk_bureau_key;              // HMAC-SHA256 key shared with the bureau
    std::int64_t risk_bureau_timeout_ms = 2'000;
    int risk_retries_max = 2;           // retries after the first attempt (5xx, timeouts)
    std::int64_t risk_backoff_ms = 100; // first backoff; doubles, full jitter
    int risk_breaker_failures = 5;      // consecutive failures that open the circuit
    std::int64_t risk_breaker_cooldown_ms = 30'000;
    int risk_calls_max = 64; // outbound calls at once (threads)
    std::int64_t risk_response_limit_bytes = 64 << 10;
    std::int64_t risk_replay_window_s = 300;                       // callbacks older or newer than this are refused
    std::int64_t risk_callback_wait_s = 86'400;                    // a pending check without callback fails after this
    std::int64_t risk_poll_ms = 50;                                // how often the check worker looks for queued checks
    std::int64_t risk_four_eyes_above_minor = 2'500'000;           // principals above this need two approvals
    std::int64_t risk_pledge_limit_per_project_minor = 10'000'000; // per investor per loan project
    std::int64_t risk_owner_limit_minor = 500'000'000;             // raised per owner per 12 months (EU 2020/1503)
    // Co-creation (DESIGN.md 4.1; README.md, Configuration).
    int idea_support_threshold = 50; // supports that take an idea to the idea phase (staff triage)
    int feedback_window_days = 14;   // a prototype's test phase: calendar days members give feedback
    // Webhooks: followers' events delivered to their HTTPS endpoints, signed.
    std::string webhook_ca_path;              // PEM file endpoints must chain to; empty: the system's trust store
    bool webhook_allow_private = false;       // deliver to loopback and private addresses (tests, intranets)
    std::int64_t webhook_timeout_ms = 5'000;  // one delivery: connect to last byte
    int webhook_attempts_max = 10;            // then the delivery is given up
    std::int64_t webhook_backoff_ms = 10'000; // after the first failure; doubles per attempt
    std::int64_t webhook_backoff_max_ms = 3'600'000;
    std::int64_t webhook_poll_ms = 250; // how often a sender looks for due deliveries
    int webhook_senders = 2;            // sender threads per process
};

// Reads the variables from `env` (a copy of the environment); throws
// config_error for an invalid value or an unknown SCHWARM_* variable, so that
// a typo does not silently fall back to a default.
config load_config(const std::map<std::string, std::string>& env);

// The process environment as a map.
std::map<std::string, std::string> environment();

} // namespace schwarm
