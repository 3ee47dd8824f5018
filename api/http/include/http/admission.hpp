#pragma once
// Bounds on what clients may hold at once: a turnstile for work that is
// costly per request (password hashing: 19 MiB and tens of milliseconds of a
// core each), and each client's share of the connections.

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace schwarm::api {

// At most `running_max` at once and at most `waiting_max` waiting for a turn,
// in order; the rest are refused at once (the caller answers 503).
class turnstile {
public:
    turnstile(std::size_t running_max, std::size_t waiting_max)
        : running_max_(running_max), waiting_max_(waiting_max) {}

    // Calls `start` now when under the limit, or later from leave(); false
    // when the queue is full, and `start` is never called. Whatever `start`
    // began must call leave() exactly once when done (also when it fails).
    bool enter(std::function<void()> start);
    // One that entered is done: the next waiting one starts, on this thread.
    void leave();

    std::size_t running() const;
    std::size_t waiting() const;

private:
    const std::size_t running_max_;
    const std::size_t waiting_max_;
    mutable std::mutex mutex_;
    std::size_t running_ = 0;
    std::deque<std::function<void()>> waiting_;
};

// Open connections per client, each client at most `per_client_max`.
class connection_shares {
public:
    explicit connection_shares(std::size_t per_client_max) : per_client_max_(per_client_max) {}
    // Counts a connection of `client`; false (nothing counted) when it has
    // its share already.
    bool try_add(const std::string& client);
    void remove(const std::string& client);
    std::size_t of(const std::string& client) const;

private:
    const std::size_t per_client_max_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> open_;
};

// What connections are counted by: an IPv4 address (also one mapped into
// IPv6), or the /64 of an IPv6 address, which one host usually has whole.
std::string connection_key(const boost::asio::ip::address& address);

} // namespace schwarm::api
