#include "http/admission.hpp"

#include <boost/asio/ip/address_v6.hpp>

#include <algorithm>

namespace schwarm::api {

bool turnstile::enter(std::function<void()> start) {
    {
        std::lock_guard lock(mutex_);
        if (running_ >= running_max_) {
            if (waiting_.size() >= waiting_max_) return false;
            waiting_.push_back(std::move(start));
            return true;
        }
        ++running_;
    }
    start();
    return true;
}

void turnstile::leave() {
    std::function<void()> next;
    {
        std::lock_guard lock(mutex_);
        if (waiting_.empty()) {
            --running_;
            return;
        }
        // The turn passes on: running_ stays as it is.
        next = std::move(waiting_.front());
        waiting_.pop_front();
    }
    next();
}

std::size_t turnstile::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

std::size_t turnstile::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

bool connection_shares::try_add(const std::string& client) {
    std::lock_guard lock(mutex_);
    auto& open = open_[client];
    if (open >= per_client_max_) {
        if (open == 0) open_.erase(client);
        return false;
    }
    ++open;
    return true;
}

void connection_shares::remove(const std::string& client) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(client);
    if (it == open_.end()) return;
    if (--it->second == 0) open_.erase(it);
}

std::size_t connection_shares::of(const std::string& client) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find(client);
    return it == open_.end() ? 0 : it->second;
}

std::string connection_key(const boost::asio::ip::address& address) {
    if (address.is_v4()) return address.to_string();
    auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

} // namespace schwarm::api
