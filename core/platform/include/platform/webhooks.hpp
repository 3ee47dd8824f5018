#pragma once
// Webhooks (issue 14 §3): a user's HTTPS endpoint that receives the events of
// their feed. Each event becomes one delivery per webhook, written with the
// event (core/platform/events.hpp); a sender (api/jobs) claims due deliveries
// with SKIP LOCKED, posts them outside any transaction, signed with
// HMAC-SHA256 over "<unix seconds>.<body>" under the webhook's secret, and
// records the outcome: delivered on a 2xx, else retried with exponential
// backoff up to a cap, and given up after the last attempt (or at once on 410
// Gone). The owner sees every delivery and why it failed.

#include "base/ids.hpp"
#include "base/problem.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::webhooks {

struct webhook_tag;
using webhook_id = id<webhook_tag>;

inline constexpr int per_user_max = 5;
inline constexpr std::size_t url_length_max = 2000;

namespace problems {
inline constexpr problem_type limit{409, "webhook-limit", "Too many webhooks"};
} // namespace problems

struct webhook {
    webhook_id id;
    user_id owner;
    std::string url;
    std::string created_at;
    std::optional<std::string> removed_at;
    std::optional<std::string> secret; // only in the answer that made it
    int pending = 0, delivered = 0, given_up = 0;
};

// `url`: https://host[:port][/path], no user info or fragment.
webhook create(pqxx::work& tx, user_id owner, const std::string& url, const std::string& request_id);
std::vector<webhook> list(pqxx::transaction_base& tx, user_id owner);
// Removes it (its pending deliveries are given up); 404 for another's.
webhook remove(pqxx::work& tx, user_id owner, webhook_id id, const std::string& request_id);

struct delivery {
    std::int64_t id = 0;
    std::int64_t event_id = 0;
    std::string event_kind;
    std::string state; // pending | delivered | given_up
    int attempts = 0;
    std::optional<std::string> next_attempt_at;
    std::optional<std::string> last_attempt_at;
    std::optional<int> last_status;
    std::optional<std::string> last_error;
    std::optional<std::string> delivered_at;
    std::string created_at;
};
// The owner's view of one webhook's deliveries, newest first (keyset on id);
// `state` filters.
std::vector<delivery> deliveries(pqxx::transaction_base& tx, user_id owner, webhook_id id,
                                 const std::optional<std::string>& state, std::optional<std::int64_t> before_id,
                                 int limit);

// The sender's side.
struct due {
    std::int64_t delivery_id = 0;
    std::int64_t event_id = 0;
    int attempt = 0; // this one, from 1
    std::string url;
    std::string secret;
    std::string body; // the event as JSON
    std::string kind;
};
// Up to `limit` deliveries due now, claimed: their next attempt moves `lease_ms`
// on, so that another process takes one only if this one never reports back.
std::vector<due> claim(pqxx::work& tx, int limit, std::int64_t lease_ms);

struct retry_policy {
    int attempts_max = 10;
    std::int64_t backoff_ms = 10'000; // after the first failed attempt
    std::int64_t backoff_max_ms = 3'600'000;
};
// The wait after failed attempt `attempt` (from 1): backoff · 2^(attempt−1), at most the cap.
std::int64_t backoff_after(const retry_policy& p, int attempt);

void delivered(pqxx::work& tx, std::int64_t delivery_id, int status);
// Returns true when the delivery is given up (the last attempt, or `gone`).
bool failed(pqxx::work& tx, std::int64_t delivery_id, int attempt, int status, const std::string& error,
            const retry_policy& p, bool gone, const std::string& request_id);

} // namespace schwarm::webhooks
