#pragma once
// A circuit breaker for calls to one provider: closed (calls go out) until
// `failures_max` consecutive failures, then open (calls fail at once) for
// `cooldown`, then half-open: one trial call; its success closes the
// circuit, its failure opens it again for another cool-down.

#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

namespace schwarm::risk {

class breaker {
public:
    using clock = std::chrono::steady_clock;
    enum class state { closed, open, half_open };

    breaker(int failures_max, std::chrono::milliseconds cooldown, std::function<clock::time_point()> now = clock::now);

    // Whether a call may go out now. In half-open, only one caller gets true
    // until that trial reports back.
    bool allow();
    void succeeded();
    void failed();
    state current() const;

private:
    const int failures_max_;
    const std::chrono::milliseconds cooldown_;
    const std::function<clock::time_point()> now_;
    mutable std::mutex mutex_;
    state state_ = state::closed;
    int failures_ = 0;
    bool trial_out_ = false;
    clock::time_point opened_at_{};
};

std::string_view to_string(breaker::state s);

} // namespace schwarm::risk
