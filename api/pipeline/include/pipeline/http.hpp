#pragma once
// What a resource handler sees and returns. Handlers parse, call the domain
// and describe the response; authentication, role checks, rate limits, body
// limits and the transaction around them are the router's and the server's.

#include "base/audit.hpp"
#include "base/config.hpp"
#include "base/problem.hpp"
#include "http/stream.hpp"
#include "platform/users.hpp"

#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::api {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;

struct response {
    http::status status = http::status::ok;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // name, value
    bool streamed = false;                                    // the body went out through context::stream_body
};

response json_response(http::status status, const boost::json::value& body);
// One page of a keyset-paginated list: {"items": …, "next_cursor": …}. A
// full page (`limit` items) names `last_key` as the next cursor; a shorter
// one is the last page (null).
response page_response(boost::json::array items, int limit, std::string last_key);
response problem_response(const problem& p, const std::string& request_id);
// 503 with `Retry-After: 1`: overload, or the database out of reach; the
// client may retry at once (with the same Idempotency-Key).
response unavailable_response(std::string detail, const std::string& request_id);
constexpr const char* busy_detail = "The server is busy; try again";
constexpr const char* database_down_detail = "The database is not reachable; try again";

// Who may call a route. `anyone` skips authentication entirely.
enum class access : std::uint8_t {
    anyone = 0,
    customer = 1 << 0,
    staff = 1 << 1,
    auditor = 1 << 2,
    admin = 1 << 3,
};
constexpr access operator|(access a, access b) {
    return static_cast<access>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr bool allows(access set, users::role r) {
    return (static_cast<std::uint8_t>(set) & (1u << static_cast<unsigned>(r))) != 0;
}
inline constexpr access any_user = access::customer | access::staff | access::auditor | access::admin;

// How a route uses the database: not at all (answered on the I/O thread),
// reading (autocommit statements, no BEGIN/COMMIT round trips), or writing
// (one transaction around authentication, handler and audit record: the
// request commits whole or changes nothing).
// `snapshot` is one read-only REPEATABLE READ transaction: for reads that
// span several statements or a cursor and must see one state (exports).
// `principal_only`: the handler needs nothing from the database but the
// caller (ctx.who()): the token is looked up by the asynchronous client on
// the I/O thread (api/pg_async.hpp), one pipelined query and no hand-off to
// the worker pool. Only for routes that require a role.
enum class db_use { none, read, snapshot, write, principal_only };

struct service;

class context {
public:
    const http_request& request;
    const std::string& request_id;
    const std::string& client_address;
    const service& app;
    std::map<std::string, std::string, std::less<>> path_params;
    std::optional<users::principal> principal;
    std::string bearer_token;
    std::string idempotency_key; // set when the route needs one

    context(const http_request& req, const std::string& id, const std::string& client, const service& s)
        : request(req), request_id(id), client_address(client), app(s) {}

    // The open transaction: any for db_use::read, pqxx::work for db_use::write.
    pqxx::transaction_base& tx() const;
    pqxx::work& work() const;
    void bind(pqxx::transaction_base* tx, pqxx::work* work) {
        tx_ = tx;
        work_ = work;
    }

    const users::principal& who() const; // asserts an authenticated route
    // The caller as audit records and ledger entries name them.
    audit::origin origin() const { return {who().id, request_id}; }

    // Starts a streamed 200 response (chunked): write the body to the
    // returned stream while the transaction is open; the handler's own
    // return value is then ignored. An exception after this cuts the
    // connection, so a client never takes a truncated body for a whole one.
    body_stream& stream_body(std::string content_type, std::vector<std::pair<std::string, std::string>> headers = {});
    std::shared_ptr<body_stream> stream;
    std::function<void(std::shared_ptr<body_stream>)> stream_started; // set by the connection
    boost::json::object json_body() const;
    // A query parameter, percent-decoded; nullopt when absent.
    std::optional<std::string> query_param(std::string_view name) const;
    // `limit` from the query: default `page_size_default`, at most the
    // configured page_size_max; anything else is a validation problem.
    int page_size(int page_size_default = 50) const;
    // The handler changed nothing (every part of the request was refused):
    // its transaction is rolled back, not committed, whatever it locked.
    void change_nothing() { change_nothing_ = true; }
    bool changes_nothing() const { return change_nothing_; }

private:
    pqxx::transaction_base* tx_ = nullptr;
    pqxx::work* work_ = nullptr;
    bool change_nothing_ = false;
};

using handler = std::function<response(context&)>;
// Serves many requests to one route in one transaction (see api/batcher.hpp):
// a response per context, in order; each context is bound to the same work.
using batch_handler = std::function<std::vector<response>(const std::vector<context*>&)>;

// Cross-cutting requirements a route declares in its table.
enum class needs : std::uint8_t {
    nothing = 0,
    login_limit = 1 << 0, // the tighter per-client login rate applies
    // Moves money or a financial state: an Idempotency-Key header is required
    // and a retry replays the first answer (api/idempotency.hpp).
    idempotency_key = 1 << 1,
    // Moves money, with its idempotency keys in the body (ledger batches, the
    // payment provider's event id): the domain replays each.
    keys_in_body = 1 << 2,
    // Reads only, and may be served by a read replica (pipeline/replicas.hpp).
    replica = 1 << 3,
    // Hashes a password (Argon2id, 19 MiB and tens of milliseconds of a core):
    // served through the service's bounded turnstile, 503 beyond it.
    password_hash = 1 << 4,
};

constexpr needs operator|(needs a, needs b) {
    return static_cast<needs>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr bool has(needs set, needs one) {
    return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(one)) != 0;
}
// Whether requests to a route may book ledger entries.
constexpr bool moves_money(needs set) { return has(set, needs::idempotency_key) || has(set, needs::keys_in_body); }

inline constexpr std::size_t idempotency_key_length_max = 200;

// Whether a Content-Type names application/json, with or without parameters
// ("application/json; charset=utf-8"), and nothing else ("application/jsonx").
bool is_json_media_type(std::string_view content_type);

// A decimal integer and nothing around it (ids, cursors, amounts in text);
// nullopt for anything else. Callers decide what a bad one means.
std::optional<std::int64_t> parse_int64(std::string_view text);

// The id in path parameter `name`: a positive integer. Anything else names
// nothing there is: 404 with `nothing` as the detail.
std::int64_t path_id(const context& ctx, const char* name, const std::string& nothing);

struct route {
    http::verb method;
    std::string_view pattern; // "/v1/users/me", "/v1/projects/{id}"
    access who;
    db_use db;
    handler handle; // may be empty when handle_batch serves the route
    needs requires_ = needs::nothing;
    batch_handler handle_batch = nullptr; // when set, concurrent requests are coalesced
};

} // namespace schwarm::api
