// Sessions: logging in for a bearer token, and logging out.
#include "resources/resources.hpp"

#include "base/json.hpp"

namespace schwarm::api {

namespace {
response login(context&);
response logout(context&);
} // namespace

std::vector<route> sessions_routes() {
    return {
        {http::verb::post, "/v1/sessions", access::anyone, db_use::write, login,
         needs::login_limit | needs::password_hash},
        {http::verb::delete_, "/v1/sessions/current", any_user, db_use::write, logout},
    };
}

namespace {

response login(context& ctx) {
    boost::json::object body = ctx.json_body();
    json::object_reader fields(body);
    std::string email = fields.required_string("email", 1, users::email_length_max);
    std::string password = fields.required_string("password", 1, users::password_length_max);
    fields.reject_unknown();

    const config& cfg = ctx.app.cfg;
    users::login_limits limits{cfg.login_failures_max, std::chrono::seconds(cfg.login_window_s),
                               std::chrono::seconds(cfg.session_ttl_s), cfg.login_account_failures_max};
    auto outcome = users::login(ctx.work(), email, password, ctx.client_address, limits, ctx.request_id);
    if (auto* refused = std::get_if<users::login_refusal>(&outcome)) {
        // Returned, not thrown: the failure count must commit with the refusal.
        response res = problem_response(refused->reason, ctx.request_id);
        if (refused->retry_after.count() > 0) {
            res.headers.emplace_back("Retry-After", std::to_string(refused->retry_after.count()));
        }
        if (refused->reason.status() == 401) res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
    }
    const auto& s = std::get<users::session>(outcome);
    return json_response(
        http::status::created,
        {{"token", s.token}, {"token_type", "Bearer"}, {"expires_at", s.expires_at}, {"user_id", s.user.str()}});
}

response logout(context& ctx) {
    users::logout(ctx.work(), ctx.bearer_token, ctx.who().id, ctx.request_id);
    return {http::status::no_content, "application/json", {}, {}};
}

} // namespace
} // namespace schwarm::api
