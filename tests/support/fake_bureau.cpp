#include "support/fake_bureau.hpp"

#include "base/crypto.hpp"

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

fake_bureau::fake_bureau(const std::string& cert_path, const std::string& key_path, std::string key)
    : key_(std::move(key)) {
    server_ = std::make_unique<tls_test_server>(
        cert_path, key_path,
        [this](const tls_test_server::request& req, tls_test_server::stream& stream) { serve(req, stream); });
}

fake_bureau::~fake_bureau() {
    stopping_ = true;
    server_.reset();
}

unsigned short fake_bureau::port() const { return server_->port(); }

std::string fake_bureau::url() const { return "https://localhost:" + std::to_string(port()) + "/v1/credit-checks"; }

std::string fake_bureau::last_body() const {
    std::lock_guard lock(mutex_);
    return last_body_;
}

// One connection, synchronously on its own thread: read one request, answer
// as the mode says.
void fake_bureau::serve(const tls_test_server::request& req, tls_test_server::stream& stream) {
    boost::system::error_code ec;
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
    for (int slept = 0; slept < delay_ms_ && !stopping_; slept += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    mode m = mode_;
    --concurrent_;
    if (m == mode::drop) {
        stream.next_layer().close(ec); // no TLS close_notify, no answer
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
