#include "support/webhook_receiver.hpp"

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

webhook_receiver::webhook_receiver(const std::string& cert_path, const std::string& key_path) {
    server_ = std::make_unique<tls_test_server>(
        cert_path, key_path,
        [this](const tls_test_server::request& req, tls_test_server::stream& stream) { serve(req, stream); });
}

webhook_receiver::~webhook_receiver() {
    stopping_ = true;
    server_.reset();
}

unsigned short webhook_receiver::port() const { return server_->port(); }

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
void webhook_receiver::serve(const tls_test_server::request& req, tls_test_server::stream& stream) {
    boost::system::error_code ec;
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
