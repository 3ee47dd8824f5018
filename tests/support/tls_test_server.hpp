#pragma once
// An HTTPS server of the tests' own, for the parties we do not run (a credit
// bureau, a webhook endpoint): it listens on 127.0.0.1 at a free port with the
// test certificate, and serves each connection on a thread of its own: the
// TLS handshake, one request read, then `handler` answers it (or not).

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <functional>
#include <memory>
#include <string>

namespace schwarm::test {

class tls_test_server {
public:
    using stream = boost::beast::ssl_stream<boost::asio::ip::tcp::socket&>;
    using request = boost::beast::http::request<boost::beast::http::string_body>;
    using handler = std::function<void(const request&, stream&)>;

    tls_test_server(const std::string& cert_path, const std::string& key_path, handler serve);
    ~tls_test_server(); // stops accepting and waits for every connection's thread
    tls_test_server(const tls_test_server&) = delete;
    tls_test_server& operator=(const tls_test_server&) = delete;

    unsigned short port() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace schwarm::test
