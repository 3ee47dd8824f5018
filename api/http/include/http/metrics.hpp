#pragma once
// Prometheus metrics: requests by route and status, a latency histogram, and
// the gauges the caller passes in when rendering (pool, connections).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace schwarm::api {

class metrics {
public:
    // `route` is the pattern (never the raw path: bounded label values).
    void observe(std::string_view method, std::string_view route, int status, std::chrono::microseconds duration);
    std::string render(const std::map<std::string, double>& gauges,
                       const std::map<std::string, double>& counters) const;

private:
    static constexpr std::array<double, 12> bucket_bounds_s{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

    struct histogram {
        std::array<std::uint64_t, bucket_bounds_s.size()> buckets{};
        std::uint64_t count = 0;
        double sum_s = 0;
    };

    mutable std::mutex mutex_;
    // Transparent comparators: a lookup by string_view allocates nothing;
    // only the first request of a kind inserts.
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> requests_;
    std::map<std::string, histogram, std::less<>> latency_by_route_;
};

} // namespace schwarm::api
