#include "http/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace schwarm::api {

std::chrono::seconds rate_limiter::take(const std::string& client) {
    if (per_second_ <= 0) return std::chrono::seconds{0};
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= clients_max && !buckets_.contains(client)) forget_idle(now);
    auto [it, fresh] = buckets_.try_emplace(client, bucket{burst_, now});
    bucket& b = it->second;
    if (!fresh) {
        double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
        b.updated = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::chrono::seconds{0};
    }
    return std::chrono::seconds{static_cast<long>(std::ceil((1.0 - b.tokens) / per_second_))};
}

void rate_limiter::forget_idle(std::chrono::steady_clock::time_point now) {
    // A bucket that has refilled completely carries no information.
    std::erase_if(buckets_, [&](const auto& entry) {
        double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
        return entry.second.tokens + elapsed * per_second_ >= burst_;
    });
    if (buckets_.size() >= clients_max) buckets_.clear(); // under attack from many addresses
}

} // namespace schwarm::api
