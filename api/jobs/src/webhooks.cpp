#include "jobs/webhooks.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/log.hpp"
#include "http/webhook_client.hpp"
#include "platform/webhooks.hpp"

#include <chrono>

namespace schwarm::jobs {

namespace {

// Deliveries one sender claims at a time: a slow endpoint holds up only these.
constexpr int claim_max = 10;

std::string unix_now() {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

} // namespace

std::string signature_header(const std::string& secret, const std::string& unix_seconds, const std::string& body) {
    return "t=" + unix_seconds + ",v1=" + crypto::sign_timestamped(secret, unix_seconds, body);
}

webhook_sender::webhook_sender(const config& cfg, std::shared_ptr<api::webhook_client> client)
    : cfg_(cfg), client_(std::move(client)) {}

webhook_sender::~webhook_sender() { stop(); }

void webhook_sender::start() {
    for (int i = 0; i < cfg_.webhook_senders; ++i) threads_.emplace_back([this] { run(); });
}

void webhook_sender::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

int webhook_sender::send_due(void* raw) {
    auto& worker = *static_cast<db::worker_context*>(raw);
    // The lease outlasts a call: another process retries a delivery only if
    // this one died before it reported back.
    std::int64_t lease_ms = 2 * cfg_.webhook_timeout_ms + 5'000;
    std::vector<webhooks::due> due;
    {
        pqxx::work tx(worker.connection());
        due = webhooks::claim(tx, claim_max, lease_ms);
        tx.commit();
    }
    webhooks::retry_policy policy{cfg_.webhook_attempts_max, cfg_.webhook_backoff_ms, cfg_.webhook_backoff_max_ms};
    for (const auto& d : due) {
        std::string stamp = unix_now();
        auto reply = client_->post(d.url,
                                   {{"Schwarm-Signature", signature_header(d.secret, stamp, d.body)},
                                    {"Schwarm-Event", d.kind},
                                    {"Schwarm-Event-Id", std::to_string(d.event_id)},
                                    {"Schwarm-Delivery", std::to_string(d.delivery_id)},
                                    {"Schwarm-Delivery-Attempt", std::to_string(d.attempt)}},
                                   d.body);
        pqxx::work tx(worker.connection());
        if (reply.ok) {
            webhooks::delivered(tx, d.delivery_id, reply.status);
        } else if (webhooks::failed(tx, d.delivery_id, d.attempt, reply.status, reply.error, policy,
                                    reply.status == 410, "job-webhooks-" + crypto::random_hex(8))) {
            log::warn("webhook delivery given up",
                      {{"delivery_id", d.delivery_id}, {"attempts", d.attempt}, {"error", reply.error}});
        }
        tx.commit();
    }
    return static_cast<int>(due.size());
}

void webhook_sender::run() {
    db::worker_context worker(cfg_.database_url);
    while (!stopping_) {
        int sent = 0;
        try {
            sent = send_due(&worker);
        } catch (const std::exception& e) {
            log::warn("webhook deliveries failed", {{"error", e.what()}});
        }
        worker.check();
        if (sent == claim_max) continue; // more may be due
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(cfg_.webhook_poll_ms), [this] { return stopping_.load(); });
    }
}

} // namespace schwarm::jobs
