#pragma once
// A subscriber's webhook endpoint for tests and benchmarks: a real HTTPS
// server on localhost (the test certificate) that records every delivery it
// receives (headers and body) and answers with the statuses it is told, one
// per request in turn (then 200), so a test can make the first attempt fail.

#include "support/tls_test_server.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace schwarm::test {

class webhook_receiver {
public:
    struct delivery {
        std::map<std::string, std::string> headers; // lower-case names
        std::string body;
        int answered = 0;
    };

    webhook_receiver(const std::string& cert_path, const std::string& key_path);
    ~webhook_receiver();
    webhook_receiver(const webhook_receiver&) = delete;
    webhook_receiver& operator=(const webhook_receiver&) = delete;

    unsigned short port() const;
    std::string url() const; // https://localhost:<port>/hooks/schwarm

    // The statuses of the next requests, in order; 200 once they are used up.
    void answer_next(std::vector<int> statuses);
    std::vector<delivery> received() const;

private:
    void serve(const tls_test_server::request& req, tls_test_server::stream& stream);
    mutable std::mutex mutex_;
    std::vector<int> script_;
    std::vector<delivery> received_;
    std::atomic<bool> stopping_{false};
    std::unique_ptr<tls_test_server> server_; // last: it serves with the members above
};

} // namespace schwarm::test
