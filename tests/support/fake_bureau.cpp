#include "support/fake_bureau.hpp"

#include "base/crypto.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace schwarm::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

std::string bureau_signature(const std::string& key, const std::string& timestamp, const std::string& body) {
    return crypto::hmac_sha256_hex(key, timestamp + "." + body);
}

std::string unix_now() {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

struct fake_bureau::impl {
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_server};
    net::ip::tcp::acceptor acceptor{ioc};
    std::thread runner;
    std::mutex connections_mutex;
    std::vector<std::thread> connections;
    std::atomic<bool> stopping{false};

    void accept(fake_bureau& owner) {
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

fake_bureau::fake_bureau(const std::string& cert_path, const std::string& key_path, std::string key)
    : key_(std::move(key)), impl_(std::make_unique<impl>()) {
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

fake_bureau::~fake_bureau() {
    impl_->stopping = true;
    net::post(impl_->ioc, [this] { impl_->acceptor.close(); });
    impl_->runner.join();
    std::lock_guard lock(impl_->connections_mutex);
    for (auto& t : impl_->connections) t.join();
}

unsigned short fake_bureau::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string fake_bureau::url() const { return "https://localhost:" + std::to_string(port()) + "/v1/credit-checks"; }

std::string fake_bureau::last_body() const {
    std::lock_guard lock(mutex_);
    return last_body_;
}

// One connection, synchronously on its own thread: read one request, answer
// as the mode says.
void fake_bureau::serve(void* raw) {
    std::unique_ptr<net::ip::tcp::socket> socket(static_cast<net::ip::tcp::socket*>(raw));
    beast::ssl_stream<net::ip::tcp::socket&> stream(*socket, impl_->tls);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    int now = ++concurrent_;
    for (int seen = max_concurrent_; now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {}
    ++requests_;
    {
        std::lock_guard lock(mutex_);
        last_body_ = req.body();
    }
    std::string ts(req["X-Schwarm-Timestamp"]);
    if (!crypto::equal_constant_time(bureau_signature(key_, ts, req.body()), std::string(req["X-Schwarm-Signature"]))) {
        ++bad_signatures_;
    }
    // A slow bureau on purpose (what a timeout test needs), not a wait for a
    // condition. Sleep in slices, so a stopping bureau does not hold the test up.
    for (int slept = 0; slept < delay_ms_ && !impl_->stopping; slept += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    mode m = mode_;
    --concurrent_;
    if (m == mode::drop) {
        socket->close(ec); // no TLS close_notify, no answer
        return;
    }
    http::response<http::string_body> res;
    res.version(11);
    res.set(http::field::content_type, "application/json");
    switch (m) {
    case mode::approve:
        res.result(http::status::ok);
        res.body() = R"({"decision":"approve","score":712,"pd_band":"A","reasons":["stable income","no defaults"]})";
        break;
    case mode::decline:
        res.result(http::status::ok);
        res.body() = R"({"decision":"decline","score":402,"pd_band":"E","reasons":["recent default"]})";
        break;
    case mode::pending:
        res.result(http::status::accepted);
        res.body() = R"({"status":"pending"})";
        break;
    case mode::fail_500:
        res.result(http::status::internal_server_error);
        res.body() = R"({"error":"down"})";
        break;
    case mode::refuse_400:
        res.result(http::status::bad_request);
        res.body() = R"({"error":"unknown subject"})";
        break;
    case mode::garbage:
        res.result(http::status::ok);
        res.body() = "<html>definitely not json";
        break;
    case mode::oversized:
        res.result(http::status::ok);
        res.body() = R"({"decision":"approve","reasons":[")" + std::string(512 * 1024, 'x') + R"("]})";
        break;
    case mode::bad_signature:
    case mode::drop:
        res.result(http::status::ok);
        res.body() = R"({"decision":"approve","score":712,"pd_band":"A","reasons":[]})";
        break;
    }
    std::string stamp = unix_now();
    res.set("X-Schwarm-Timestamp", stamp);
    res.set("X-Schwarm-Signature",
            m == mode::bad_signature ? std::string(64, '0') : bureau_signature(key_, stamp, res.body()));
    res.keep_alive(false);
    res.prepare_payload();
    http::write(stream, res, ec);
    stream.shutdown(ec);
}

} // namespace schwarm::test
