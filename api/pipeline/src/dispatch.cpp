#include "pipeline/service.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/json.hpp"
#include "base/log.hpp"
#include "http/pg_async.hpp"
#include "ledger/ledger.hpp"
#include "pipeline/idempotency.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

#include <cassert>

namespace schwarm::api {

response unavailable_response(std::string detail, const std::string& request_id) {
    response res = problem_response(problem(problems::unavailable, std::move(detail)), request_id);
    res.headers.emplace_back("Retry-After", "1");
    return res;
}

response json_response(http::status status, const boost::json::value& body) {
    return {status, "application/json", boost::json::serialize(body), {}};
}

response page_response(boost::json::array items, int limit, std::string last_key) {
    bool full = static_cast<int>(items.size()) == limit;
    boost::json::object page{{"items", std::move(items)}};
    page["next_cursor"] = full ? boost::json::value(std::move(last_key)) : nullptr;
    return json_response(http::status::ok, page);
}

response problem_response(const problem& p, const std::string& request_id) {
    boost::json::object body{{"type", type_uri(p.type())},
                             {"title", p.type().title},
                             {"status", p.status()},
                             {"detail", p.detail()},
                             {"request_id", request_id}};
    for (const auto& [key, value] : p.extensions()) body[key] = value;
    return {static_cast<http::status>(p.status()), "application/problem+json", boost::json::serialize(body), {}};
}

pqxx::transaction_base& context::tx() const {
    assert(tx_ && "route declared db_use::none");
    return *tx_;
}

pqxx::work& context::work() const {
    assert(work_ && "route must be declared db_use::write to change anything");
    return *work_;
}

const users::principal& context::who() const {
    assert(principal && "route allows anyone but asks who is calling");
    return *principal;
}

body_stream& context::stream_body(std::string content_type, std::vector<std::pair<std::string, std::string>> headers) {
    assert(!stream && stream_started);
    stream = std::make_shared<body_stream>(std::move(content_type), std::move(headers));
    stream_started(stream);
    return *stream;
}

bool is_json_media_type(std::string_view content_type) {
    // type/subtype, then parameters (RFC 9110 8.3.1); case does not matter.
    std::string_view type = content_type.substr(0, content_type.find(';'));
    auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    while (!type.empty() && is_space(type.front())) type.remove_prefix(1);
    while (!type.empty() && is_space(type.back())) type.remove_suffix(1);
    return boost::beast::iequals(type, "application/json");
}

boost::json::object context::json_body() const {
    if (!is_json_media_type(request[http::field::content_type])) {
        throw problem(problems::unsupported_media, "Send the body as application/json");
    }
    return json::parse_object(request.body());
}

std::optional<std::string> context::query_param(std::string_view name) const {
    auto target = boost::urls::parse_origin_form(request.target());
    if (!target) return std::nullopt; // refused before routing; cannot happen here
    auto params = target->params();
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    std::string value((*it).value);
    if (value.find('\0') != std::string::npos) {
        throw field_problem(std::string(name), std::string(name) + " must not contain NUL characters");
    }
    return value;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::int64_t path_id(const context& ctx, const char* name, const std::string& nothing) {
    auto value = parse_int64(ctx.path_params.at(name));
    if (!value || *value <= 0) throw problem(problems::not_found, nothing);
    return *value;
}

int context::page_size(int page_size_default) const {
    auto text = query_param("limit");
    if (!text) return std::min(page_size_default, app.cfg.page_size_max);
    auto value = parse_int64(*text);
    if (!value || *value < 1 || *value > app.cfg.page_size_max) {
        throw field_problem("limit", "limit must be a whole number from 1 to " + std::to_string(app.cfg.page_size_max));
    }
    return static_cast<int>(*value);
}

void check_role(const route& r, context& ctx, std::optional<users::principal> principal) {
    if (!principal) throw problem(problems::unauthorized, "The bearer token is unknown, expired or revoked");
    if (!allows(r.who, principal->role_)) {
        throw problem(problems::forbidden,
                      "The role " + std::string(users::to_string(principal->role_)) + " may not do this");
    }
    ctx.principal = principal;
}

namespace {

void authorize(const route& r, context& ctx, pqxx::transaction_base& tx) {
    if (r.who == access::anyone) return;
    check_role(r, ctx, users::authenticate(tx, ctx.bearer_token));
}

// Whether the transaction has written anything (or locked a row to): the
// database assigns a transaction id at the first write, so no write escapes.
const db::query select_wrote{"api.wrote", "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"};

} // namespace

bool replayed(const response& res) {
    return std::any_of(res.headers.begin(), res.headers.end(),
                       [](const auto& h) { return h.first == "Idempotent-Replayed"; });
}

void require_audited(pqxx::work& tx, const route& r, const audit::scope& audited, const context& ctx,
                     const response& res) {
    if (audited.named(ctx.request_id) || replayed(res)) return;
    bool wrote = tx.exec_prepared(select_wrote.name)[0][0].as<bool>();
    SCHWARM_INVARIANT(!wrote, std::string(http::to_string(r.method)) + " " + std::string(r.pattern) +
                                  " changed state and wrote no audit record");
}

namespace {

// The session's last use, after the request committed: a statement of its
// own that never waits, so no request holds a session row while it works
// (which a disable or password change would wait for). It may fail without
// failing the request, which has committed.
void touch_session(pqxx::connection& connection, const context& ctx) {
    try {
        pqxx::nontransaction tx(connection);
        users::touch_session(tx, ctx.bearer_token);
    } catch (const pqxx::failure& e) {
        log::error("session touch failed", {{"request_id", ctx.request_id}, {"error", e.what()}});
    }
}

response run_in_transaction(const route& r, context& ctx, pqxx::connection& connection) {
    if (r.db == db_use::read) {
        pqxx::nontransaction tx(connection);
        authorize(r, ctx, tx);
        ctx.bind(&tx, nullptr);
        return r.handle(ctx);
    }
    if (r.db == db_use::snapshot) {
        pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(connection);
        authorize(r, ctx, tx);
        ctx.bind(&tx, nullptr);
        return r.handle(ctx);
    }
    pqxx::work tx(connection);
    authorize(r, ctx, tx);
    ctx.bind(&tx, &tx);
    std::vector<idempotency::claim> claims;
    if (has(r.requires_, needs::idempotency_key)) {
        claims.push_back({ctx.who().id, ctx.idempotency_key, idempotency::request_hash(ctx.request), ctx.request_id});
        if (auto earlier = idempotency::take(tx, claims)[0]) return std::move(*earlier);
    }
    ledger::booking_scope scope(moves_money(r.requires_));
    audit::scope audited;
    response result = r.handle(ctx);
    if (ctx.changes_nothing()) return result; // rolled back as tx goes
    require_audited(tx, r, audited, ctx, result);
    if (!claims.empty()) {
        const response* answer = &result;
        idempotency::keep(tx, claims, std::span(&answer, 1));
    }
    tx.commit();
    // Where this write is in the WAL, for the client's next read from a replica.
    if (ctx.app.replicas) result.headers.emplace_back("Schwarm-LSN", wal_position(connection));
    if (ctx.principal) touch_session(connection, ctx);
    return result;
}

response internal_error(const std::string& request_id, std::string_view what, const char* detail) {
    log::error("request failed", {{"request_id", request_id}, {"error", what}});
    return problem_response(problem(problems::internal, detail), request_id);
}

} // namespace

response current_error_response(const std::string& request_id) {
    try {
        throw;
    } catch (const problem& p) {
        if (p.status() >= 500) {
            log::error("request failed", {{"request_id", request_id},
                                          {"problem", p.type().slug},
                                          {"error", p.log_message().empty() ? p.detail() : p.log_message()}});
        }
        return problem_response(p, request_id);
    } catch (const pqxx::broken_connection& e) {
        log::error("database connection lost", {{"request_id", request_id}, {"error", e.what()}});
        return unavailable_response(database_down_detail, request_id);
    } catch (const pqxx::in_doubt_error& e) {
        return internal_error(request_id, e.what(), "The outcome is unknown; retry with the same Idempotency-Key");
    } catch (const pqxx::sql_error& e) {
        // Database text goes to the log, never to the client.
        return internal_error(request_id, std::string(e.sqlstate()) + " " + e.what(), "An internal error occurred");
    } catch (const std::exception& e) {
        return internal_error(request_id, e.what(), "An internal error occurred");
    }
}

response run_route(const route& r, context& ctx, db::worker_context* worker) {
    try {
        assert(r.db != db_use::principal_only && "served by run_with_principal");
        assert(r.db == db_use::none || worker);
        response res = r.db == db_use::none ? r.handle(ctx) : run_in_transaction(r, ctx, worker->connection());
        if (ctx.stream) {
            ctx.stream->finish();
            res.streamed = true;
        }
        return res;
    } catch (...) {
        if (!ctx.stream) return current_error_response(ctx.request_id);
        // Too late for a problem response: the status line is out.
        response logged = current_error_response(ctx.request_id);
        ctx.stream->fail();
        logged.streamed = true;
        return logged;
    }
}

// --- db_use::principal_only: the token lookup on the I/O threads ------------

namespace {

// Connections per I/O thread: one. Measured against two (bench/RESULTS.md):
// the same rate, a lower p99, since one connection's pipeline batches are
// larger and wake the backend less often.
constexpr std::size_t async_connections_per_io_thread = 1;

// core's users::authenticate, run on the I/O threads: same SQL, same
// columns. A function, so that core's query exists before it is read.
const pg::statement& authenticate_statement() {
    static const pg::statement statement{"api.sessions.authenticate", users::authenticate_sql(), 1};
    return statement;
}

users::principal principal_from(const PGresult* rows) {
    assert(PQnfields(rows) == 5);
    auto text = [rows](int column) { return std::string(PQgetvalue(rows, 0, column), PQgetlength(rows, 0, column)); };
    users::user account{user_id{std::stoll(text(0))}, text(1), text(2), users::parse_role(text(3)).value(), text(4)};
    return {account.id, account.role_, std::move(account)};
}

principal_lookup lookup_from(pg::reply reply, const std::string& request_id) {
    switch (reply.status) {
    case pg::outcome::ok:
        assert(PQntuples(reply.rows.get()) <= 1); // token_hash is the primary key
        if (PQntuples(reply.rows.get()) == 0) return {};
        return {principal_from(reply.rows.get()), std::nullopt};
    case pg::outcome::unavailable:
        log::error("database connection lost", {{"request_id", request_id}, {"error", reply.error}});
        return {std::nullopt, unavailable_response(database_down_detail, request_id)};
    case pg::outcome::failed: break;
    }
    return {std::nullopt, internal_error(request_id, reply.error, "An internal error occurred")};
}

} // namespace

void async_db_deleter::operator()(pg::client* c) const { delete c; }

async_db_ptr make_async_db(boost::asio::io_context& ioc, const config& cfg) {
    return async_db_ptr(new pg::client(ioc, cfg.database_url,
                                       static_cast<std::size_t>(cfg.io_threads) * async_connections_per_io_thread,
                                       static_cast<std::size_t>(cfg.db_queue_max), {authenticate_statement()}));
}

bool authenticate_async(const service& app, const std::string& token, const std::string& request_id,
                        std::function<void(principal_lookup)> done) {
    assert(app.async_db && "main() sets the asynchronous client before serving");
    return app.async_db->submit(
        authenticate_statement(), {crypto::sha256_hex(token)},
        [request_id, done = std::move(done)](pg::reply reply) { done(lookup_from(std::move(reply), request_id)); });
}

response run_with_principal(const route& r, context& ctx, principal_lookup found) {
    assert(r.db == db_use::principal_only && r.who != access::anyone);
    if (found.failure) return std::move(*found.failure);
    try {
        check_role(r, ctx, std::move(found.principal));
        return r.handle(ctx);
    } catch (...) {
        return current_error_response(ctx.request_id);
    }
}

} // namespace schwarm::api
