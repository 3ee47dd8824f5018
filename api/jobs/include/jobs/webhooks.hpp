#pragma once
// Webhook deliveries (core/platform/webhooks.hpp), sent by threads of their
// own, each with its own connection: claim due deliveries (SKIP LOCKED, so
// several server processes share them), commit the claim, post each one
// outside any transaction, signed with HMAC-SHA256 over "<unix seconds>.<body>"
// (Schwarm-Signature: t=…,v1=…, as the payment callback), and record the
// outcome. Never on the I/O threads, never inside a transaction.

#include "base/config.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace schwarm::api {
class webhook_client;
}

namespace schwarm::jobs {

class webhook_sender {
public:
    webhook_sender(const config& cfg, std::shared_ptr<api::webhook_client> client);
    ~webhook_sender();
    webhook_sender(const webhook_sender&) = delete;
    webhook_sender& operator=(const webhook_sender&) = delete;

    void start();
    // Lets calls in flight finish (each has its deadline), then joins.
    void stop();

private:
    void run();
    // One round: claims, sends and records; how many it sent.
    int send_due(void* worker);

    const config& cfg_;
    std::shared_ptr<api::webhook_client> client_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

// The signature header of a delivery: t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<body>"> under the webhook's secret (pure; tested).
std::string signature_header(const std::string& secret, const std::string& unix_seconds, const std::string& body);

} // namespace schwarm::jobs
