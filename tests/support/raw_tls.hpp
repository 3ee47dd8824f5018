#pragma once
// Hand-written requests over TLS, for the tests of what the HTTP layer
// refuses (framing, headers, timeouts) where a well-behaved client cannot go.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>

namespace schwarm::test {

// A body /v1/users accepts.
inline std::string account(const std::string& email) {
    return R"({"email":")" + email + R"(","password":"correct horse battery","display_name":"T"})";
}

// A TLS connection written by hand, from a chosen loopback address (the
// whole of 127.0.0.0/8 reaches a server listening on 127.0.0.1).
struct raw_tls {
    boost::asio::io_context ioc;
    boost::asio::ssl::context tls{boost::asio::ssl::context::tls_client};
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream{ioc, tls};
    boost::system::error_code handshake_error;
    std::string pending; // read but not yet returned

    explicit raw_tls(unsigned short port, const char* from = "127.0.0.1") {
        auto& socket = stream.next_layer();
        socket.open(boost::asio::ip::tcp::v4());
        socket.bind({boost::asio::ip::make_address(from), 0});
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        stream.handshake(boost::asio::ssl::stream_base::client, handshake_error);
    }
    bool connected() const { return !handshake_error; }
    void write(const std::string& bytes) { boost::asio::write(stream, boost::asio::buffer(bytes)); }
    // One response head (through the blank line), waiting at most 10 s.
    std::string read_head() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (pending.find("\r\n\r\n") == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline) return "timed out: " + pending;
            char chunk[4096];
            boost::system::error_code ec;
            std::size_t n = stream.read_some(boost::asio::buffer(chunk), ec);
            pending.append(chunk, n);
            if (ec) return pending;
        }
        auto end = pending.find("\r\n\r\n") + 4;
        std::string head = pending.substr(0, end);
        pending.erase(0, end);
        return head;
    }
    // Reads until the server closes; returns what came.
    std::string read_to_close() {
        std::string out = std::move(pending);
        boost::system::error_code ec;
        char chunk[4096];
        for (;;) {
            std::size_t n = stream.read_some(boost::asio::buffer(chunk), ec);
            out.append(chunk, n);
            if (ec) return out;
        }
    }
};

} // namespace schwarm::test
