#include "support/tls_test_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace schwarm::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

struct tls_test_server::impl {
    handler serve;
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_server};
    net::ip::tcp::acceptor acceptor{ioc};
    std::thread runner;
    std::mutex connections_mutex;
    std::vector<std::thread> connections;
    std::atomic<bool> stopping{false};

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, net::ip::tcp::socket socket) {
            if (ec || stopping) return;
            {
                std::lock_guard lock(connections_mutex);
                connections.emplace_back(
                    [this, s = std::make_shared<net::ip::tcp::socket>(std::move(socket))] { one(*s); });
            }
            accept();
        });
    }

    // One connection, synchronously on its own thread.
    void one(net::ip::tcp::socket& socket) {
        stream s(socket, tls);
        boost::system::error_code ec;
        s.handshake(ssl::stream_base::server, ec);
        if (ec) return;
        beast::flat_buffer buffer;
        request req;
        http::read(s, buffer, req, ec);
        if (ec) return;
        serve(req, s);
    }
};

tls_test_server::tls_test_server(const std::string& cert_path, const std::string& key_path, handler serve)
    : impl_(std::make_unique<impl>()) {
    impl_->serve = std::move(serve);
    impl_->tls.use_certificate_chain_file(cert_path);
    impl_->tls.use_private_key_file(key_path, ssl::context::pem);
    net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(1024);
    impl_->accept();
    impl_->runner = std::thread([this] { impl_->ioc.run(); });
}

tls_test_server::~tls_test_server() {
    impl_->stopping = true;
    net::post(impl_->ioc, [this] { impl_->acceptor.close(); });
    impl_->runner.join();
    std::lock_guard lock(impl_->connections_mutex);
    for (auto& t : impl_->connections) t.join();
}

unsigned short tls_test_server::port() const { return impl_->acceptor.local_endpoint().port(); }

} // namespace schwarm::test
