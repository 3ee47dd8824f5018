#pragma once
// A response body produced on a database worker while the connection writes
// it out (exports). Chunks pass through a small bounded queue: a slow client
// slows the producer down instead of growing memory, and a client that goes
// away stops the producer.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schwarm::api {

struct stream_closed : std::runtime_error {
    stream_closed() : std::runtime_error("the client closed the stream") {}
};

class body_stream {
public:
    static constexpr std::size_t chunks_max = 8;
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    body_stream(std::string content_type, std::vector<std::pair<std::string, std::string>> headers)
        : content_type_(std::move(content_type)), headers_(std::move(headers)) {}

    const std::string& content_type() const { return content_type_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

    // Producer (worker thread). Buffers small writes into chunks; blocks while
    // the queue is full; throws stream_closed once the client is gone.
    void write(std::string_view bytes);
    void finish(); // the body is complete
    void fail();   // the producer failed: the connection is cut, no last chunk

    // Consumer (the connection's strand).
    enum class state { chunk, empty, done, failed };
    state pop(std::string& out);
    void cancel(); // the client is gone or too slow
    // Called (on the producer's thread) whenever pop() may have news.
    void on_ready(std::function<void()> notify);

private:
    void push_locked(std::unique_lock<std::mutex>& lock, std::string chunk);
    void notify();

    const std::string content_type_;
    const std::vector<std::pair<std::string, std::string>> headers_;
    std::string pending_; // producer-side buffer, below chunk_bytes
    std::mutex mutex_;
    std::condition_variable room_;
    std::deque<std::string> chunks_;
    bool finished_ = false;
    bool failed_ = false;
    bool cancelled_ = false;
    std::function<void()> notify_;
};

} // namespace schwarm::api
