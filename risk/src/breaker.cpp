#include "risk/breaker.hpp"

#include <cassert>

namespace schwarm::risk {

breaker::breaker(int failures_max, std::chrono::milliseconds cooldown, std::function<clock::time_point()> now)
    : failures_max_(failures_max), cooldown_(cooldown), now_(std::move(now)) {
    assert(failures_max_ >= 1);
}

bool breaker::allow() {
    std::lock_guard lock(mutex_);
    switch (state_) {
    case state::closed: return true;
    case state::open:
        if (now_() - opened_at_ < cooldown_) return false;
        state_ = state::half_open;
        trial_out_ = true;
        return true;
    case state::half_open:
        if (trial_out_) return false;
        trial_out_ = true;
        return true;
    }
    return false;
}

void breaker::succeeded() {
    std::lock_guard lock(mutex_);
    state_ = state::closed;
    failures_ = 0;
    trial_out_ = false;
}

void breaker::failed() {
    std::lock_guard lock(mutex_);
    ++failures_;
    if (state_ == state::half_open || failures_ >= failures_max_) {
        state_ = state::open;
        opened_at_ = now_();
        trial_out_ = false;
    }
}

breaker::state breaker::current() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::string_view to_string(breaker::state s) {
    switch (s) {
    case breaker::state::closed: return "closed";
    case breaker::state::open: return "open";
    case breaker::state::half_open: return "half_open";
    }
    return "unknown";
}

} // namespace schwarm::risk
