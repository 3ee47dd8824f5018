#pragma once
// The HTTPS server: Beast over Asio with OpenSSL, shaped like Beast's
// async-ssl example. Every operation has a deadline; the parser has header
// and body limits; a connection holds at most one response at a time (the
// next request is read only after the previous response is written), so the
// per-connection queue is bounded by construction.

#include "pipeline/service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace schwarm::api {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// TLS 1.2 and 1.3 only, forward-secret AEAD ciphers, no renegotiation.
ssl::context make_tls_context(const std::string& cert_path, const std::string& key_path);

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(net::io_context& ioc, ssl::context& tls, service& app);
    void run();
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    // Stops accepting, closes idle connections, lets busy ones finish.
    void shutdown();

private:
    void do_accept();
    void on_accept(boost::beast::error_code ec, net::ip::tcp::socket socket);

    net::io_context& ioc_;
    ssl::context& tls_;
    service& app_;
    net::ip::tcp::acceptor acceptor_;
};

} // namespace schwarm::api
