#pragma once
// One POST over TLS on a connection already made: the part the bureau's
// transport (risk_transport.cpp) and the webhook client (webhook_client.cpp)
// share. Each resolves and connects its own way (webhooks only to the
// addresses they checked), with its own deadline on the stream.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace schwarm::api {

constexpr std::uint32_t outbound_header_limit_bytes = 16 << 10;

struct outbound_post {
    const std::string& host; // for SNI, the certificate's name and Host
    const std::string& target;
    const char* user_agent;
    const std::vector<std::pair<std::string, std::string>>& headers;
    const std::string& body;
    std::uint64_t response_limit_bytes;
};

// The handshake (SNI, the certificate checked for `host`), the request and
// its answer within the limits, then a polite close whose outcome changes
// nothing. `stage` names the step in flight, for the caller's error.
boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>>
post_over_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, const outbound_post& post,
              const char*& stage);

} // namespace schwarm::api
