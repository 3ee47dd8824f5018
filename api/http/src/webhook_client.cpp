#include "http/webhook_client.hpp"

#include "outbound_tls.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <stdexcept>

namespace schwarm::api {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;

// What we read of an answer: its status line and a little of the rest.
constexpr std::uint64_t response_body_limit_bytes = 64 << 10;

bool internal_v4(const net::ip::address_v4& a) {
    auto b = a.to_bytes();
    return a.is_loopback() || a.is_unspecified() || a.is_multicast() || b[0] == 0 || b[0] == 10 ||
           (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
           (b[0] == 100 && (b[1] & 0xC0) == 64) || b[0] >= 240;
}

} // namespace

bool is_internal_address(const net::ip::address& a) {
    if (a.is_v4()) return internal_v4(a.to_v4());
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return internal_v4(net::ip::make_address_v4(net::ip::v4_mapped, v6));
    auto b = v6.to_bytes();
    return v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || v6.is_link_local() ||
           (b[0] & 0xFE) == 0xFC; // unique local fc00::/7
}

webhook_client::webhook_client(const std::string& ca_path, bool allow_private, std::int64_t timeout_ms)
    : tls_(ssl::context::tls_client), allow_private_(allow_private), timeout_(timeout_ms) {
    tls_.set_options(ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    boost::system::error_code ec;
    if (ca_path.empty()) tls_.set_default_verify_paths(ec);
    else tls_.load_verify_file(ca_path, ec);
    if (ec) throw std::invalid_argument("SCHWARM_WEBHOOK_CA: cannot read " + ca_path + ": " + ec.message());
    tls_.set_verify_mode(ssl::verify_peer);
}

webhook_reply webhook_client::post(const std::string& url,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::string& body) {
    webhook_reply out;
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "https" || parsed->host().empty()) {
        out.error = "the URL is not https://host[:port]/path";
        return out;
    }
    std::string host = parsed->host_address(); // an IP literal without its brackets
    std::string port = parsed->has_port() ? std::string(parsed->port()) : "443";
    std::string target = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
    auto deadline = std::chrono::steady_clock::now() + timeout_;

    net::io_context ioc(1);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_);
    const char* stage = "resolve";
    auto exchange = [&]() -> net::awaitable<void> {
        auto& tcp = beast::get_lowest_layer(stream);
        tcp.expires_at(deadline);
        net::ip::tcp::resolver resolver(ioc);
        net::steady_timer resolve_deadline(ioc, deadline);
        resolve_deadline.async_wait([&](boost::system::error_code e) {
            if (!e) resolver.cancel();
        });
        auto found = co_await resolver.async_resolve(host, port, net::use_awaitable);
        resolve_deadline.cancel();
        // Only the addresses checked are connected to: a second resolution
        // could answer otherwise.
        std::vector<net::ip::tcp::endpoint> endpoints;
        for (const auto& e : found) {
            if (allow_private_ || !is_internal_address(e.endpoint().address())) endpoints.push_back(e.endpoint());
        }
        if (endpoints.empty()) {
            stage = "address";
            out.error = "the host resolves only to internal addresses, which webhooks may not reach";
            co_return;
        }
        stage = "connect";
        co_await tcp.async_connect(endpoints, net::use_awaitable);
        auto res = co_await post_over_tls(
            stream, {host, target, "schwarm-webhooks", headers, body, response_body_limit_bytes}, stage);
        out.status = res.result_int();
        out.ok = out.status >= 200 && out.status < 300;
        if (!out.ok) out.error = "answered " + std::to_string(out.status);
    };
    net::co_spawn(ioc, exchange(), [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const boost::system::system_error& error) {
            if (std::string_view(stage) == "shutdown") return; // the answer is in
            out.ok = false;
            out.error = std::string(stage) + ": " +
                        (error.code() == beast::error::timeout ? std::string("timed out") : error.code().message());
        }
    });
    ioc.run();
    return out;
}

} // namespace schwarm::api
