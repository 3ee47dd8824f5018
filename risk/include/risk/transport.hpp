#pragma once
// How the webhook provider reaches the external bureau: one HTTPS POST with a
// deadline. Declared here, implemented in api/ with Beast and OpenSSL (no
// Beast type outside api/, DESIGN.md 2), and by tests with a fake.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schwarm::risk {

enum class failure {
    none,
    timeout,   // the deadline passed (connect, handshake, write or read)
    connect,   // refused, unreachable, name not resolved
    tls,       // handshake failed, certificate not trusted
    protocol,  // the connection dropped or the answer was not HTTP
    too_large, // the answer exceeded the configured limit
};
std::string_view to_string(failure f);

struct outbound_request {
    std::string body; // JSON
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::steady_clock::time_point deadline;
};

struct outbound_reply {
    failure failed = failure::none;
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    std::string error; // for the check's record and the log; no secrets
};

class transport {
public:
    virtual ~transport() = default;
    // Blocks the calling thread (never an I/O thread of the server) until
    // the answer, a failure, or the deadline.
    virtual outbound_reply send(const outbound_request& request) = 0;
};

} // namespace schwarm::risk
