// Users: self-registration of customers and the caller's own profile.
#include "api/resources.hpp"

#include "core/json.hpp"

namespace schwarm::api {

namespace {
response register_customer(context&);
response me(context&);
} // namespace

std::vector<route> users_routes() {
    return {
        {http::verb::post, "/v1/users", access::anyone, db_use::write, register_customer},
        {http::verb::get, "/v1/users/me", any_user, db_use::read, me},
    };
}

namespace {

boost::json::object to_json(const users::user& u) {
    return {{"id", u.id.str()},
            {"email", u.email},
            {"display_name", u.display_name},
            {"role", users::to_string(u.role_)},
            {"created_at", u.created_at}};
}

response register_customer(context& ctx) {
    boost::json::object body = ctx.json_body();
    json::object_reader fields(body);
    users::new_user input{fields.required_string("email", 1, users::email_length_max),
                          fields.required_string("password", 1, users::password_length_max),
                          fields.required_string("display_name", 1, users::display_name_length_max)};
    fields.reject_unknown();
    users::user created = users::create(ctx.work(), input, users::role::customer, ctx.request_id, std::nullopt);
    response res = json_response(http::status::created, to_json(created));
    res.headers.emplace_back("Location", "/v1/users/" + created.id.str());
    return res;
}

// The account was read with the token, in one query.
response me(context& ctx) { return json_response(http::status::ok, to_json(ctx.who().account)); }

} // namespace
} // namespace schwarm::api
