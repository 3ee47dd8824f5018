#pragma once
// The outbound HTTPS client of webhook deliveries: one POST to a
// subscriber's URL with a deadline, the approach of the bureau's client
// (http/risk_transport.hpp) for URLs that differ per call. Endpoints are
// verified against a CA file (or the system's trust store) and their host
// name; addresses the resolver gives that are loopback, private, link-local
// or otherwise not public are refused unless allowed (a subscriber must not
// make the bank's server call into its own network), and the connection goes
// only to the addresses checked. Each call runs on the calling thread (a
// sender thread, never an I/O thread) with its own io_context.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace schwarm::api {

struct webhook_reply {
    bool ok = false;   // a 2xx answer
    int status = 0;    // 0: no answer
    std::string error; // what went wrong, for the delivery's record (no secrets)
};

class webhook_client {
public:
    // Throws std::invalid_argument when the CA file cannot be read.
    webhook_client(const std::string& ca_path, bool allow_private, std::int64_t timeout_ms);
    webhook_reply post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body);

private:
    boost::asio::ssl::context tls_;
    bool allow_private_;
    std::chrono::milliseconds timeout_;
};

// Whether an address is one a webhook may not reach by default: loopback,
// private (RFC 1918, unique local), link-local, shared (100.64/10),
// unspecified, multicast or broadcast (pure; tested).
bool is_internal_address(const boost::asio::ip::address& a);

} // namespace schwarm::api
