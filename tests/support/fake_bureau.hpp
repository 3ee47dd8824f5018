#pragma once
// A credit bureau for tests and benchmarks: a real HTTPS server on
// localhost (the test certificate) that answers the risk webhook's
// requests as told: at once or after a delay, later (202, the test sends the
// callback), with 500 or 400, by dropping the connection, with garbage,
// oversized JSON, or a bad signature.

#include "support/tls_test_server.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace schwarm::test {

class fake_bureau {
public:
    enum class mode { approve, decline, pending, fail_500, refuse_400, drop, garbage, oversized, bad_signature };

    // `cert_path`/`key_path`: the PEM pair it serves with; `key`: the HMAC key.
    fake_bureau(const std::string& cert_path, const std::string& key_path, std::string key);
    ~fake_bureau();
    fake_bureau(const fake_bureau&) = delete;
    fake_bureau& operator=(const fake_bureau&) = delete;

    unsigned short port() const;
    std::string url() const; // https://localhost:<port>/v1/credit-checks

    void set_mode(mode m) { mode_ = m; }
    void set_delay(std::chrono::milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }

    int requests() const { return requests_; }
    int bad_request_signatures() const { return bad_signatures_; }
    int max_concurrent() const { return max_concurrent_; }
    std::string last_body() const;

private:
    void serve(const tls_test_server::request& req, tls_test_server::stream& stream);
    std::string key_;
    std::atomic<mode> mode_{mode::approve};
    std::atomic<int> delay_ms_{0};
    std::atomic<int> requests_{0};
    std::atomic<int> bad_signatures_{0};
    std::atomic<int> concurrent_{0};
    std::atomic<int> max_concurrent_{0};
    mutable std::mutex mutex_;
    std::string last_body_;
    std::atomic<bool> stopping_{false};
    std::unique_ptr<tls_test_server> server_; // last: it serves with the members above
};

// The signature the server expects on a callback: hex HMAC-SHA256 of
// "<timestamp>.<body>".
std::string bureau_signature(const std::string& key, const std::string& timestamp, const std::string& body);
std::string unix_now();

} // namespace schwarm::test
