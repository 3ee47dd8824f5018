#include "http/stream.hpp"

namespace schwarm::api {

void body_stream::write(std::string_view bytes) {
    pending_.append(bytes);
    if (pending_.size() < chunk_bytes) return;
    std::unique_lock lock(mutex_);
    push_locked(lock, std::exchange(pending_, {}));
}

void body_stream::push_locked(std::unique_lock<std::mutex>& lock, std::string chunk) {
    room_.wait(lock, [this] { return cancelled_ || chunks_.size() < chunks_max; });
    if (cancelled_) throw stream_closed();
    chunks_.push_back(std::move(chunk));
    lock.unlock();
    notify();
}

void body_stream::finish() {
    {
        std::unique_lock lock(mutex_);
        if (!pending_.empty()) push_locked(lock, std::exchange(pending_, {}));
    }
    {
        std::lock_guard lock(mutex_);
        finished_ = true;
    }
    notify();
}

void body_stream::fail() {
    {
        std::lock_guard lock(mutex_);
        failed_ = true;
    }
    notify();
}

body_stream::state body_stream::pop(std::string& out) {
    std::lock_guard lock(mutex_);
    if (failed_) return state::failed;
    if (!chunks_.empty()) {
        out = std::move(chunks_.front());
        chunks_.pop_front();
        room_.notify_one();
        return state::chunk;
    }
    return finished_ ? state::done : state::empty;
}

void body_stream::cancel() {
    {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
    }
    room_.notify_all();
}

void body_stream::on_ready(std::function<void()> notify) {
    std::lock_guard lock(mutex_);
    notify_ = std::move(notify);
}

void body_stream::notify() {
    std::function<void()> callback;
    {
        std::lock_guard lock(mutex_);
        callback = notify_;
    }
    if (callback) callback();
}

} // namespace schwarm::api
