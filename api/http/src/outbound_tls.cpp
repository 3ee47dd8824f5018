#include "outbound_tls.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <openssl/err.h>

namespace schwarm::api {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

net::awaitable<http::response<http::string_body>> post_over_tls(beast::ssl_stream<beast::tcp_stream>& stream,
                                                                const outbound_post& post, const char*& stage) {
    stage = "handshake";
    if (!SSL_set_tlsext_host_name(stream.native_handle(), post.host.c_str())) {
        throw boost::system::system_error(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
    }
    stream.set_verify_callback(ssl::host_name_verification(post.host));
    co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
    stage = "write";
    http::request<http::string_body> req(http::verb::post, post.target, 11);
    req.set(http::field::host, post.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, post.user_agent);
    for (const auto& [name, value] : post.headers) req.set(name, value);
    req.body() = post.body;
    req.prepare_payload();
    co_await http::async_write(stream, req, net::use_awaitable);
    stage = "read";
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(outbound_header_limit_bytes);
    parser.body_limit(post.response_limit_bytes);
    co_await http::async_read(stream, buffer, parser, net::use_awaitable);
    stage = "shutdown";
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(200));
    boost::system::error_code ignored;
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ignored));
    co_return parser.release();
}

} // namespace schwarm::api
