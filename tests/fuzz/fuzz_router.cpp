// The HTTP request path without a network or a database: raw bytes through
// Beast's request parser with the server's limits, the target through
// Boost.URL's origin-form parser, the method and path through the router
// over the whole route table, then the matched handler as the server runs
// it (api/server.cpp on_request), under a caller whose role the first byte
// picks. Handlers that read run on a transaction over a connection that was
// never made: they parse their path and query (ids, limits, cursors,
// filters) and stop with broken_connection where they would ask the
// database. Writing and snapshot handlers need a transaction that begins
// on a server, so only their role checks run here; their bodies are
// fuzz_bodies' and fuzz_json's.
#include "pipeline/service.hpp"
#include "support.hpp"

#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

using namespace schwarm;
using fuzz::require;

namespace {

struct environment {
    config cfg;
    db::pool pool{"", 0, 1}; // no workers: nothing connects
    api::service app{cfg, pool};
    pqxx::nullconnection nothing; // every statement on it throws broken_connection
    std::string client = "127.0.0.1";
};

environment& env() {
    static environment e;
    return e;
}

// A decimal integer and nothing around it, computed another way.
std::optional<std::int64_t> reference_int64(std::string_view text) {
    bool negative = !text.empty() && text.front() == '-';
    std::string_view digits = negative ? text.substr(1) : text;
    if (digits.empty()) return std::nullopt;
    __int128 value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
        if (value > (static_cast<__int128>(1) << 64)) value = static_cast<__int128>(1) << 64; // out of range anyway
    }
    if (negative) value = -value;
    if (value < std::numeric_limits<std::int64_t>::min() || value > std::numeric_limits<std::int64_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
}

std::optional<users::principal> caller(unsigned pick) {
    if (pick % 5 == 4) return std::nullopt;
    auto role = static_cast<users::role>(pick % 5);
    return users::principal{
        user_id{42}, role, {user_id{42}, "someone@bank.example", "Someone", role, "2026-01-01T00:00:00Z"}};
}

void check_answer(const api::response& res, std::string_view what) {
    // With no database, a handler answers 2xx, a 4xx problem, or 503; a
    // 500 is a bug that bad input can reach.
    require(static_cast<int>(res.status) != 500, what);
}

void run_matched(const api::route& r, api::context& ctx, unsigned pick) {
    auto who = caller(pick);
    switch (r.db) {
    case api::db_use::none:
        if (who) ctx.principal = who;
        check_answer(api::run_route(r, ctx, nullptr), "a route without a database answered 500");
        return;
    case api::db_use::principal_only:
        check_answer(api::run_with_principal(r, ctx, {who, std::nullopt}), "a principal-only route answered 500");
        return;
    case api::db_use::read: {
        if (!r.handle) return;
        try {
            if (r.who != api::access::anyone) api::check_role(r, ctx, who);
            pqxx::nontransaction tx(env().nothing);
            ctx.bind(&tx, nullptr);
            check_answer(r.handle(ctx), "a reading route answered 500");
        } catch (const problem& p) {
            require(p.status() < 500, "a reading route threw a 5xx problem");
        } catch (const pqxx::broken_connection&) {
            // It got as far as the database.
        } catch (const std::exception& e) {
            fuzz::fail(std::string("a reading route threw ") + e.what());
        }
        return;
    }
    case api::db_use::snapshot: // a read-only transaction cannot begin without a server either
    case api::db_use::write:
        if (who && r.who != api::access::anyone) {
            try {
                api::check_role(r, ctx, who);
            } catch (const problem& p) {
                require(p.status() == 401 || p.status() == 403, "a role check answers 401 or 403");
            }
        }
        return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const unsigned pick = data[0];
    namespace http = api::http;

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(env().cfg.header_limit_bytes));
    parser.body_limit(static_cast<std::uint64_t>(env().cfg.body_limit_bytes));
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t offset = 1;
    while (!ec && !parser.is_done() && offset < size) {
        std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
        if (used == 0) break;
        offset += used;
    }
    if (!ec && !parser.is_done() && parser.got_some()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0; // the server answers 400/413/431 or closes

    const api::http_request& req = parser.get();
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target) return 0; // 400: the request target is malformed

    auto found = env().app.routes.match(req.method(), target->encoded_path());
    if (std::holds_alternative<api::no_route>(found)) return 0;
    if (auto* wrong = std::get_if<api::wrong_method>(&found)) {
        require(!wrong->allow.empty(), "405 names the allowed methods");
        return 0;
    }
    auto& match = std::get<api::route_match>(found);
    const api::route& r = *match.matched;
    for (const auto& [name, value] : match.path_params) {
        require(!value.empty() && value.find('/') == std::string::npos, "a path parameter is one segment");
        require(api::parse_int64(value) == reference_int64(value), "parse_int64 against the reference");
    }

    std::string request_id = "fuzz";
    api::context ctx(req, request_id, env().client, env().app);
    ctx.path_params = std::move(match.path_params);
    ctx.stream_started = [](std::shared_ptr<api::body_stream>) {};
    ctx.bearer_token = "token";
    ctx.idempotency_key = "fuzz-key";
    try {
        if (auto limit = ctx.query_param("limit")) {
            require(api::parse_int64(*limit) == reference_int64(*limit), "parse_int64 of a query value");
        }
        int limit = ctx.page_size();
        require(limit >= 1 && limit <= env().cfg.page_size_max, "page_size within its bounds");
    } catch (const problem& p) {
        require(p.type().slug == problems::validation.slug, "a bad limit is a validation problem");
    }
    run_matched(r, ctx, pick);
    return 0;
}
