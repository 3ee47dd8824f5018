#include "api/service.hpp"

#include "core/json.hpp"
#include "core/log.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

#include <cassert>

namespace schwarm::api {

response json_response(http::status status, const boost::json::value& body) {
    return {status, "application/json", boost::json::serialize(body), {}};
}

response problem_response(const problem& p, const std::string& request_id) {
    boost::json::object body{{"type", type_uri(p.type())},
                             {"title", p.type().title},
                             {"status", p.status()},
                             {"detail", p.detail()},
                             {"request_id", request_id}};
    for (const auto& [key, value] : p.extensions()) body[key] = value;
    return {static_cast<http::status>(p.status()), "application/problem+json",
            boost::json::serialize(body), {}};
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

boost::json::object context::json_body() const {
    auto type = request[http::field::content_type];
    if (!type.starts_with("application/json")) {
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
    return std::string((*it).value);
}

int context::page_size(int page_size_default) const {
    auto text = query_param("limit");
    if (!text) return std::min(page_size_default, app.cfg.page_size_max);
    int value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < 1 || value > app.cfg.page_size_max) {
        throw field_problem("limit", "limit must be a whole number from 1 to " + std::to_string(app.cfg.page_size_max));
    }
    return value;
}

void check_role(const route& r, context& ctx, std::optional<users::principal> principal) {
    if (!principal) throw problem(problems::unauthorized, "The bearer token is unknown, expired or revoked");
    if (!allows(r.who, principal->role_)) {
        throw problem(problems::forbidden, "The role " + std::string(users::to_string(principal->role_)) +
                                               " may not do this");
    }
    ctx.principal = principal;
}

namespace {

void authorize(const route& r, context& ctx, pqxx::transaction_base& tx) {
    if (r.who == access::anyone) return;
    check_role(r, ctx, users::authenticate(tx, ctx.bearer_token));
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
    response result = r.handle(ctx);
    tx.commit();
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
        response res = problem_response(
            problem(problems::unavailable, "The database is not reachable; try again"), request_id);
        res.headers.emplace_back("Retry-After", "1");
        return res;
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

} // namespace schwarm::api
