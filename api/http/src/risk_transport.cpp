#include "http/risk_transport.hpp"

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
namespace http = beast::http;

// Which failure an error code is, for retries and the check's record.
risk::failure classify(const boost::system::error_code& ec, const char* stage) {
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return risk::failure::timeout;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        return risk::failure::too_large;
    }
    std::string_view s(stage);
    if (s == "resolve" || s == "connect") return risk::failure::connect;
    if (s == "handshake") return risk::failure::tls;
    return risk::failure::protocol;
}

} // namespace

https_transport::https_transport(const std::string& url, const std::string& ca_path, std::int64_t response_limit_bytes)
    : response_limit_bytes_(response_limit_bytes), tls_(ssl::context::tls_client) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "https" || parsed->host().empty()) {
        throw std::invalid_argument("SCHWARM_RISK_BUREAU_URL must be https://host[:port]/path");
    }
    host_ = parsed->host();
    port_ = parsed->has_port() ? std::string(parsed->port()) : "443";
    target_ = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
    tls_.set_options(ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    boost::system::error_code ec;
    tls_.load_verify_file(ca_path, ec);
    if (ec) throw std::invalid_argument("SCHWARM_RISK_BUREAU_CA: cannot read " + ca_path + ": " + ec.message());
    tls_.set_verify_mode(ssl::verify_peer);
}

risk::outbound_reply https_transport::send(const risk::outbound_request& request) {
    risk::outbound_reply out;
    net::io_context ioc(1);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_);
    const char* stage = "resolve";
    auto fail = [&](const boost::system::error_code& ec) {
        out.failed = classify(ec, stage);
        out.error = std::string(stage) + ": " + ec.message();
    };
    auto exchange = [&]() -> net::awaitable<void> {
        auto& tcp = beast::get_lowest_layer(stream);
        tcp.expires_at(request.deadline);
        net::ip::tcp::resolver resolver(ioc);
        // The resolver has no deadline of its own; the stream's timer
        // cannot cancel it, so a timer does.
        net::steady_timer resolve_deadline(ioc, request.deadline);
        resolve_deadline.async_wait([&](boost::system::error_code e) {
            if (!e) resolver.cancel();
        });
        auto endpoints = co_await resolver.async_resolve(host_, port_, net::use_awaitable);
        resolve_deadline.cancel();
        stage = "connect";
        co_await tcp.async_connect(endpoints, net::use_awaitable);
        auto res = co_await post_over_tls(stream,
                                          {host_, target_, "schwarm-risk", request.headers, request.body,
                                           static_cast<std::uint64_t>(response_limit_bytes_)},
                                          stage);
        out.status = res.result_int();
        for (const auto& field : res) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.headers[name] = std::string(field.value());
        }
        out.body = std::move(res.body());
    };
    net::co_spawn(ioc, exchange(), [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const boost::system::system_error& error) {
            if (std::string_view(stage) != "shutdown") fail(error.code());
        }
    });
    ioc.run();
    return out;
}

} // namespace schwarm::api
