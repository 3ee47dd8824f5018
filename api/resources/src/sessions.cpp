// Sessions: logging in for a bearer token, logging out, one's own sessions
// and password; password resets through the outbox.
#include "resources/resources.hpp"

#include "base/json.hpp"

namespace schwarm::api {

namespace {
response login(context&);
response logout(context&);
response own_sessions(context&);
response end_session(context&);
response change_password(context&);
response request_reset(context&);
response reset_password(context&);
} // namespace

std::vector<route> sessions_routes() {
    return {
        {http::verb::post, "/v1/sessions", access::anyone, db_use::write, login,
         needs::login_limit | needs::password_hash},
        {http::verb::delete_, "/v1/sessions/current", any_user, db_use::write, logout},
        {http::verb::get, "/v1/me/sessions", any_user, db_use::read, own_sessions},
        {http::verb::delete_, "/v1/me/sessions/{id}", any_user, db_use::write, end_session},
        {http::verb::post, "/v1/me/password", any_user, db_use::write, change_password,
         needs::login_limit | needs::password_hash},
        // The login rate: asking for resets is a cheap way to fill someone's inbox.
        {http::verb::post, "/v1/password-resets", access::anyone, db_use::write, request_reset, needs::login_limit},
        {http::verb::post, "/v1/password-resets/confirm", access::anyone, db_use::write, reset_password,
         needs::login_limit | needs::password_hash},
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

response own_sessions(context& ctx) {
    boost::json::array items;
    for (const auto& s : users::own_sessions(ctx.tx(), ctx.who().id, ctx.bearer_token)) {
        items.push_back({{"id", std::to_string(s.id)},
                         {"created_at", s.created_at},
                         {"last_used_at", s.last_used_at},
                         {"expires_at", s.expires_at},
                         {"client_address", s.client_address ? boost::json::value(*s.client_address) : nullptr},
                         {"current", s.current}});
    }
    return json_response(http::status::ok, {{"items", std::move(items)}});
}

response end_session(context& ctx) {
    auto id = path_id(ctx, "id", "No such session of yours");
    users::end_session(ctx.work(), ctx.who().id, id, ctx.request_id);
    return {http::status::no_content, "application/json", {}, {}};
}

// Body {"current_password", "new_password"}: the other sessions end.
response change_password(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string current = fields.required_string("current_password", 1, users::password_length_max);
    std::string next = fields.required_string("new_password", 1, users::password_length_max);
    fields.reject_unknown();
    users::change_password(ctx.work(), ctx.who().id, ctx.bearer_token, current, next, ctx.request_id);
    return {http::status::no_content, "application/json", {}, {}};
}

// The same answer whether or not the address has an account.
response request_reset(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string email = fields.required_string("email", 1, users::email_length_max);
    fields.reject_unknown();
    users::request_password_reset(ctx.work(), email, std::chrono::seconds(ctx.app.cfg.password_reset_ttl_s),
                                  ctx.request_id);
    return json_response(http::status::accepted,
                         {{"status", "accepted"},
                          {"detail", "If an account has this address, a message with a reset token is on its way"}});
}

response reset_password(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string token = fields.required_string("token", 1, 200);
    std::string password = fields.required_string("password", 1, users::password_length_max);
    fields.reject_unknown();
    users::reset_password(ctx.work(), token, password, ctx.request_id);
    return {http::status::no_content, "application/json", {}, {}};
}

} // namespace
} // namespace schwarm::api
