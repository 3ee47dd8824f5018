#include "base/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <vector>

extern char** environ;

namespace schwarm {

namespace {

struct setting {
    const char* name;
    std::function<void(config&, const std::string&)> apply;
};

std::int64_t parse_int(const std::string& name, const std::string& text, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        throw config_error(name + " must be a whole number, got '" + text + "'");
    }
    if (value < min || value > max) {
        throw config_error(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                           text);
    }
    return value;
}

template <typename T>
setting integer(const char* name, T config::*member, std::int64_t min, std::int64_t max) {
    return {name,
            [=](config& c, const std::string& text) { c.*member = static_cast<T>(parse_int(name, text, min, max)); }};
}

setting text(const char* name, std::string config::*member) {
    return {name, [=](config& c, const std::string& value) {
                if (value.empty()) throw config_error(std::string(name) + " must not be empty");
                c.*member = value;
            }};
}

const std::vector<setting>& settings() {
    constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
    static const std::vector<setting> all{
        text("DATABASE_URL", &config::database_url),
        text("SCHWARM_MIGRATION_DATABASE_URL", &config::migration_database_url),
        {"SCHWARM_READ_DATABASE_URL",
         [](config& c, const std::string& value) {
             // URIs (postgresql://…), separated by spaces: key=value strings
             // would hold spaces themselves.
             std::size_t at = 0;
             while (at < value.size()) {
                 auto end = value.find(' ', at);
                 if (end == std::string::npos) end = value.size();
                 if (end > at) c.read_database_urls.push_back(value.substr(at, end - at));
                 at = end + 1;
             }
             for (const auto& url : c.read_database_urls) {
                 if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
                     throw config_error("SCHWARM_READ_DATABASE_URL takes postgresql:// URIs separated by spaces");
                 }
             }
             if (c.read_database_urls.empty()) throw config_error("SCHWARM_READ_DATABASE_URL must not be empty");
         }},
        integer("SCHWARM_REPLICA_LAG_MAX_MS", &config::replica_lag_max_ms, 1, day_ms),
        integer("SCHWARM_REPLICA_WAIT_MS", &config::replica_wait_ms, 0, 10'000),
        text("SCHWARM_LISTEN_ADDRESS", &config::listen_address),
        integer("SCHWARM_PORT", &config::port, 0, 65535),
        text("SCHWARM_TLS_CERT", &config::tls_cert_path),
        text("SCHWARM_TLS_KEY", &config::tls_key_path),
        text("SCHWARM_BALLOT_KEY", &config::ballot_key),
        integer("SCHWARM_IO_THREADS", &config::io_threads, 1, 64),
        integer("SCHWARM_DB_WORKERS", &config::db_workers, 1, 256),
        integer("SCHWARM_DB_QUEUE_MAX", &config::db_queue_max, 1, 100'000),
        integer("SCHWARM_BATCH_MAX", &config::batch_max, 1, 8190),
        integer("SCHWARM_BODY_LIMIT_BYTES", &config::body_limit_bytes, 1024, 1LL << 30),
        integer("SCHWARM_HEADER_LIMIT_BYTES", &config::header_limit_bytes, 1024, 1 << 20),
        integer("SCHWARM_HEADER_TIMEOUT_MS", &config::header_timeout_ms, 100, day_ms),
        integer("SCHWARM_BODY_TIMEOUT_MS", &config::body_timeout_ms, 100, day_ms),
        integer("SCHWARM_IDLE_TIMEOUT_MS", &config::idle_timeout_ms, 100, day_ms),
        integer("SCHWARM_WRITE_TIMEOUT_MS", &config::write_timeout_ms, 100, day_ms),
        integer("SCHWARM_SHUTDOWN_GRACE_MS", &config::shutdown_grace_ms, 0, day_ms),
        integer("SCHWARM_CONNECTIONS_MAX", &config::connections_max, 1, 1'000'000),
        integer("SCHWARM_CONNECTIONS_PER_CLIENT_MAX", &config::connections_per_client_max, 1, 1'000'000),
        integer("SCHWARM_PASSWORD_HASH_CONCURRENCY", &config::password_hash_concurrency, 1, 64),
        integer("SCHWARM_PASSWORD_HASH_QUEUE_MAX", &config::password_hash_queue_max, 0, 10'000),
        integer("SCHWARM_RATE_PER_CLIENT_PER_S", &config::rate_per_client_per_s, 0, 1'000'000),
        integer("SCHWARM_RATE_BURST", &config::rate_burst, 1, 10'000'000),
        integer("SCHWARM_LOGIN_FAILURES_MAX", &config::login_failures_max, 1, 1000),
        integer("SCHWARM_LOGIN_ACCOUNT_FAILURES_MAX", &config::login_account_failures_max, 1, 1'000'000),
        integer("SCHWARM_LOGIN_WINDOW_S", &config::login_window_s, 1, 86'400),
        integer("SCHWARM_LOGIN_PER_CLIENT_PER_MIN", &config::login_per_client_per_min, 1, 100'000),
        integer("SCHWARM_SESSION_TTL_S", &config::session_ttl_s, 60, 90LL * 86'400),
        integer("SCHWARM_PASSWORD_RESET_TTL_S", &config::password_reset_ttl_s, 60, 7LL * 86'400),
        {"SCHWARM_METRICS_TOKEN",
         [](config& c, const std::string& value) {
             bool plain =
                 std::all_of(value.begin(), value.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7f; });
             if (value.size() < 32 || !plain) {
                 throw config_error("SCHWARM_METRICS_TOKEN must be at least 32 visible characters");
             }
             c.metrics_token = value;
         }},
        {"SCHWARM_TIME_ZONE",
         [](config& c, const std::string& value) {
             // An IANA name such as Europe/Berlin; whether PostgreSQL knows it is
             // checked when the database is first reached.
             bool ok = !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char ch) {
                 return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
                        ch == '+';
             });
             if (!ok) throw config_error("SCHWARM_TIME_ZONE must be an IANA time zone such as Europe/Berlin");
             c.time_zone = value;
         }},
        integer("SCHWARM_PAGE_SIZE_MAX", &config::page_size_max, 1, 10'000),
        integer("SCHWARM_PLATFORM_FEE_BP", &config::platform_fee_bp, 0, 10'000),
        integer("SCHWARM_SETTLEMENT_CHUNK", &config::settlement_chunk, 1, 8190),
        integer("SCHWARM_SETTLEMENT_INTERVAL_MS", &config::settlement_interval_ms, 100, day_ms),
        integer("SCHWARM_IDEMPOTENCY_RETENTION_S", &config::idempotency_retention_s, 3600, 400LL * 86'400),
        text("SCHWARM_PAYMENT_CALLBACK_SECRET", &config::payment_callback_secret),
        integer("SCHWARM_PAYMENT_CALLBACK_WINDOW_S", &config::payment_callback_window_s, 1, 86'400),
        integer("SCHWARM_PAYMENT_INTENT_TTL_S", &config::payment_intent_ttl_s, 60, 30LL * 86'400),
        integer("SCHWARM_PAYOUT_FOUR_EYES_ABOVE_MINOR", &config::payout_four_eyes_above_minor, 0,
                std::numeric_limits<std::int64_t>::max()),
        integer("SCHWARM_DEADLINE_EXTENSION_MAX_DAYS", &config::deadline_extension_max_days, 1, 365),
        // Risk.
        text("SCHWARM_RISK_PROVIDERS", &config::risk_providers),
        text("SCHWARM_RISK_BUREAU_URL", &config::risk_bureau_url),
        text("SCHWARM_RISK_BUREAU_CA", &config::risk_bureau_ca_path),
        text("SCHWARM_RISK_BUREAU_KEY", &config::risk_bureau_key),
        integer("SCHWARM_RISK_BUREAU_TIMEOUT_MS", &config::risk_bureau_timeout_ms, 10, 600'000),
        integer("SCHWARM_RISK_RETRIES_MAX", &config::risk_retries_max, 0, 10),
        integer("SCHWARM_RISK_BACKOFF_MS", &config::risk_backoff_ms, 1, 60'000),
        integer("SCHWARM_RISK_BREAKER_FAILURES", &config::risk_breaker_failures, 1, 1000),
        integer("SCHWARM_RISK_BREAKER_COOLDOWN_MS", &config::risk_breaker_cooldown_ms, 10, day_ms),
        integer("SCHWARM_RISK_CALLS_MAX", &config::risk_calls_max, 1, 1024),
        integer("SCHWARM_RISK_RESPONSE_LIMIT_BYTES", &config::risk_response_limit_bytes, 1024, 16 << 20),
        integer("SCHWARM_RISK_REPLAY_WINDOW_S", &config::risk_replay_window_s, 1, 86'400),
        integer("SCHWARM_RISK_CALLBACK_WAIT_S", &config::risk_callback_wait_s, 1, 30LL * 86'400),
        integer("SCHWARM_RISK_POLL_MS", &config::risk_poll_ms, 1, 60'000),
        integer("SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", &config::risk_four_eyes_above_minor, 0,
                std::numeric_limits<std::int64_t>::max()),
        integer("SCHWARM_RISK_PLEDGE_LIMIT_PER_PROJECT_MINOR", &config::risk_pledge_limit_per_project_minor, 1,
                std::numeric_limits<std::int64_t>::max()),
        integer("SCHWARM_RISK_OWNER_LIMIT_MINOR", &config::risk_owner_limit_minor, 1,
                std::numeric_limits<std::int64_t>::max()),
        // Co-creation.
        integer("SCHWARM_IDEA_SUPPORT_THRESHOLD", &config::idea_support_threshold, 1, 10'000'000),
        integer("SCHWARM_FEEDBACK_WINDOW_DAYS", &config::feedback_window_days, 1, 365),
        text("SCHWARM_WEBHOOK_CA", &config::webhook_ca_path),
        integer("SCHWARM_WEBHOOK_ALLOW_PRIVATE", &config::webhook_allow_private, 0, 1),
        integer("SCHWARM_WEBHOOK_TIMEOUT_MS", &config::webhook_timeout_ms, 10, 600'000),
        integer("SCHWARM_WEBHOOK_ATTEMPTS_MAX", &config::webhook_attempts_max, 1, 100),
        integer("SCHWARM_WEBHOOK_BACKOFF_MS", &config::webhook_backoff_ms, 1, day_ms),
        integer("SCHWARM_WEBHOOK_BACKOFF_MAX_MS", &config::webhook_backoff_max_ms, 1, 7 * day_ms),
        integer("SCHWARM_WEBHOOK_POLL_MS", &config::webhook_poll_ms, 1, 60'000),
        integer("SCHWARM_WEBHOOK_SENDERS", &config::webhook_senders, 1, 64),
    };
    return all;
}

// Read by run.sh and test.sh, not by the server, but legitimately present.
constexpr const char* launcher_settings[] = {"SCHWARM_VAR_DIR", "SCHWARM_PG_PORT", "SCHWARM_FUZZ_SECONDS"};

bool is_known(const std::string& name) {
    for (const char* launcher : launcher_settings) {
        if (name == launcher) return true;
    }
    for (const auto& s : settings()) {
        if (name == s.name) return true;
    }
    return false;
}

} // namespace

config load_config(const std::map<std::string, std::string>& env) {
    config c;
    for (const auto& [name, value] : env) {
        if (name.starts_with("SCHWARM_") && !name.starts_with("SCHWARM_TEST_") && !is_known(name)) {
            throw config_error("unknown setting " + name + " (see README.md, Configuration)");
        }
    }
    for (const auto& s : settings()) {
        if (auto it = env.find(s.name); it != env.end()) s.apply(c, it->second);
    }
    if (c.database_url.empty()) throw config_error("DATABASE_URL is not set");
    if (c.tls_cert_path.empty() != c.tls_key_path.empty()) {
        throw config_error("SCHWARM_TLS_CERT and SCHWARM_TLS_KEY must be set together");
    }
    if (!c.ballot_key.empty() && c.ballot_key.size() < 32) {
        throw config_error("SCHWARM_BALLOT_KEY must be at least 32 characters");
    }
    if (!c.payment_callback_secret.empty() && c.payment_callback_secret.size() < 32) {
        throw config_error("SCHWARM_PAYMENT_CALLBACK_SECRET must be at least 32 characters");
    }
    if (c.connections_per_client_max > c.connections_max) {
        if (env.contains("SCHWARM_CONNECTIONS_PER_CLIENT_MAX")) {
            throw config_error("SCHWARM_CONNECTIONS_PER_CLIENT_MAX must be at most SCHWARM_CONNECTIONS_MAX");
        }
        c.connections_per_client_max = c.connections_max; // the default share of a small server: all of it
    }
    if (c.rate_per_client_per_s > 0 && c.rate_burst < c.rate_per_client_per_s) {
        throw config_error("SCHWARM_RATE_BURST must be at least SCHWARM_RATE_PER_CLIENT_PER_S");
    }
    // Risk: the webhook provider needs its bureau.
    for (std::size_t at = 0; at <= c.risk_providers.size();) {
        auto comma = c.risk_providers.find(',', at);
        if (comma == std::string::npos) comma = c.risk_providers.size();
        auto name = c.risk_providers.substr(at, comma - at);
        if (name != "scorecard" && name != "webhook") {
            throw config_error("SCHWARM_RISK_PROVIDERS lists scorecard and/or webhook, got '" + name + "'");
        }
        at = comma + 1;
    }
    if (c.webhook_backoff_max_ms < c.webhook_backoff_ms) {
        throw config_error("SCHWARM_WEBHOOK_BACKOFF_MAX_MS must be at least SCHWARM_WEBHOOK_BACKOFF_MS");
    }
    if (c.risk_providers.find("webhook") != std::string::npos &&
        (c.risk_bureau_url.empty() || c.risk_bureau_key.empty() || c.risk_bureau_ca_path.empty())) {
        throw config_error("the webhook provider needs SCHWARM_RISK_BUREAU_URL, SCHWARM_RISK_BUREAU_KEY and "
                           "SCHWARM_RISK_BUREAU_CA");
    }
    return c;
}

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        if (auto eq = entry.find('='); eq != std::string::npos) {
            env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
        }
    }
    return env;
}

} // namespace schwarm
