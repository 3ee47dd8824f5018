#include "support/webhook_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>

namespace schwarm::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

struct webhook_receiver::impl {
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_server};
    net::ip::tcp::acceptor acceptor{ioc};
    std::thread runner;
    std::mutex connections_mutex;
    std::vector<std::thread> connections;
    std::atomic<bool> stopping{false};

    void accept(webhook_receiver& owner) {
        acceptor.async_accept([this, &owner](boost::system::error_code ec, net::ip::tcp::socket socket) {
            if (ec || stopping) return;
            auto* moved = new net::ip::tcp::socket(std::move(socket));
            {
                std::lock_guard lock(connections_mutex);
                connections.emplace_back([&owner, moved] { owner.serve(moved); });
            }
            accept(owner);
        });
    }
};

webhook_receiver::webhook_receiver(const std::string& cert_path, const std::string& key_path)
    : impl_(std::make_unique<impl>()) {
    impl_->tls.use_certificate_chain_file(cert_path);
    impl_->tls.use_private_key_file(key_path, ssl::context::pem);
    net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(1024);
    impl_->accept(*this);
    impl_->runner = std::thread([this] { impl_->ioc.run(); });
}

webhook_receiver::~webhook_receiver() {
    impl_->stopping = true;
    net::post(impl_->ioc, [this] { impl_->acceptor.close(); });
    impl_->runner.join();
    std::lock_guard lock(impl_->connections_mutex);
    for (auto& t : impl_->connections) t.join();
}

unsigned short webhook_receiver::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string webhook_receiver::url() const { return "https://localhost:" + std::to_string(port()) + "/hooks/schwarm"; }

void webhook_receiver::answer_next(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    script_ = std::move(statuses);
}

std::vector<webhook_receiver::delivery> webhook_receiver::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

// One connection, synchronously on its own thread: read one request, record
// it, answer as scripted.
void webhook_receiver::serve(void* raw) {
    std::unique_ptr<net::ip::tcp::socket> socket(static_cast<net::ip::tcp::socket*>(raw));
    beast::ssl_stream<net::ip::tcp::socket&> stream(*socket, impl_->tls);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    delivery d;
    for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        d.headers[name] = std::string(field.value());
    }
    d.body = req.body();
    {
        std::lock_guard lock(mutex_);
        d.answered = 200;
        if (!script_.empty()) {
            d.answered = script_.front();
            script_.erase(script_.begin());
        }
        received_.push_back(d);
    }
    http::response<http::string_body> res;
    res.version(11);
    res.result(static_cast<http::status>(d.answered));
    res.set(http::field::content_type, "text/plain");
    res.body() = d.answered < 300 ? "ok" : "not now";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(stream, res, ec);
    stream.shutdown(ec);
}

} // namespace schwarm::test
