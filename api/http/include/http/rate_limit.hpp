#pragma once
// Token buckets per client address. In-process: with N servers behind a load
// balancer a client gets up to N times the rate, which is what the balancer's
// own limits are for; the per-account login limit lives in the database.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace schwarm::api {

class rate_limiter {
public:
    // `per_second` tokens refill each second up to `burst`; 0 disables.
    rate_limiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

    // Zero when the request may go ahead, else how long until it could.
    std::chrono::seconds take(const std::string& client);

private:
    struct bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    static constexpr std::size_t clients_max = 100'000; // memory bound on tracked addresses

    void forget_idle(std::chrono::steady_clock::time_point now);

    const double per_second_;
    const double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace schwarm::api
