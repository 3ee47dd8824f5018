#pragma once
// risk::transport over HTTPS with Beast and OpenSSL: the bureau's
// certificate is verified against a configured CA file and its host name.
// Each call runs on the calling thread (a risk worker thread, never an I/O
// thread of the server) with its own small io_context, so the deadline
// covers resolve, connect, handshake, write and read alike.

#include "risk/transport.hpp"

#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <string>

namespace schwarm::api {

class https_transport final : public risk::transport {
public:
    // `url`: https://host[:port]/path. Throws std::invalid_argument for
    // anything else, and when the CA file cannot be read.
    https_transport(const std::string& url, const std::string& ca_path, std::int64_t response_limit_bytes);
    risk::outbound_reply send(const risk::outbound_request& request) override;

private:
    std::string host_;
    std::string port_;
    std::string target_;
    std::int64_t response_limit_bytes_;
    boost::asio::ssl::context tls_;
};

} // namespace schwarm::api
