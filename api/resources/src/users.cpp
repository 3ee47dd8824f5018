// Users: self-registration of customers and the caller's own profile.
#include "resources/resources.hpp"

#include "base/json.hpp"

namespace schwarm::api {

namespace {
response register_customer(context&);
response me(context&);
response set_member(context&);
response unlock(context&);
} // namespace

std::vector<route> users_routes() {
    return {
        {http::verb::post, "/v1/users", access::anyone, db_use::write, register_customer, needs::password_hash},
        {http::verb::get, "/v1/users/me", any_user, db_use::principal_only, me},
        {http::verb::put, "/v1/users/{id}/member", access::admin, db_use::write, set_member},
        {http::verb::post, "/v1/users/{id}/unlock", access::admin, db_use::write, unlock},
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
    users::user created =
        users::create(ctx.work(), input, users::role::customer, ctx.request_id, users::created_via::registration);
    response res = json_response(http::status::created, to_json(created));
    res.headers.emplace_back("Location", "/v1/users/" + created.id.str());
    return res;
}

// The account was read with the token, in one query, on the I/O thread.
response me(context& ctx) { return json_response(http::status::ok, to_json(ctx.who().account)); }

// Body {"member": true|false}: the cooperative's member register.
// An admin ends an account's login throttling.
response unlock(context& ctx) {
    user_id id{path_id(ctx, "id", "No such user")};
    users::unlock(ctx.work(), id, ctx.who().id, ctx.request_id);
    return json_response(http::status::ok, {{"id", id.str()}, {"unlocked", true}});
}

response set_member(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto member = fields.optional_bool("member");
    fields.reject_unknown();
    if (!member) throw field_problem("member", "member is required: true or false");
    user_id id{path_id(ctx, "id", "No such user")};
    users::set_member(ctx.work(), id, *member, ctx.who().id, ctx.request_id);
    return json_response(http::status::ok, {{"id", id.str()}, {"member", *member}});
}

} // namespace
} // namespace schwarm::api
