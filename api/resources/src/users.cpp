// Users: self-registration of customers and the caller's own profile.
#include "resources/resources.hpp"

#include "base/json.hpp"

namespace schwarm::api {

namespace {
response register_customer(context&);
response me(context&);
response set_member(context&);
response unlock(context&);
response list_users(context&);
response change_role(context&);
response list_grants(context&);
response confirm_grant(context&);
response disable(context&);
response enable(context&);
} // namespace

std::vector<route> users_routes() {
    return {
        {http::verb::post, "/v1/users", access::anyone, db_use::write, register_customer, needs::password_hash},
        {http::verb::get, "/v1/users/me", any_user, db_use::principal_only, me},
        {http::verb::put, "/v1/users/{id}/member", access::admin, db_use::write, set_member},
        {http::verb::post, "/v1/users/{id}/unlock", access::admin, db_use::write, unlock},
        {http::verb::get, "/v1/users", access::admin, db_use::read, list_users},
        {http::verb::put, "/v1/users/{id}/role", access::admin, db_use::write, change_role},
        {http::verb::post, "/v1/users/{id}/disable", access::admin, db_use::write, disable},
        {http::verb::post, "/v1/users/{id}/enable", access::admin, db_use::write, enable},
        {http::verb::get, "/v1/role-grants", access::admin, db_use::read, list_grants},
        {http::verb::post, "/v1/role-grants/{id}/confirm", access::admin, db_use::write, confirm_grant},
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

boost::json::object to_json(const users::account_entry& e) {
    boost::json::object o = to_json(e.account);
    o["member"] = e.member;
    o["disabled"] = e.disabled_at.has_value();
    o["disabled_at"] = e.disabled_at ? boost::json::value(*e.disabled_at) : nullptr;
    return o;
}

boost::json::object to_json(const users::role_grant& g) {
    return {{"id", std::to_string(g.id)},
            {"user_id", g.user.str()},
            {"role", users::to_string(g.role_)},
            {"requested_by", g.requested_by.str()},
            {"requested_at", g.requested_at},
            {"state", g.confirmed_at ? "confirmed" : "pending"},
            {"confirmed_by", g.confirmed_by ? boost::json::value(g.confirmed_by->str()) : nullptr},
            {"confirmed_at", g.confirmed_at ? boost::json::value(*g.confirmed_at) : nullptr}};
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

// ?role=…&email_prefix=…&limit=…&cursor=…, in id order.
response list_users(context& ctx) {
    users::user_filter filter;
    if (auto text = ctx.query_param("role")) {
        filter.role_ = users::parse_role(*text);
        if (!filter.role_) throw field_problem("role", "role must be customer, staff, auditor or admin");
    }
    if (auto prefix = ctx.query_param("email_prefix")) {
        if (prefix->size() > users::email_length_max) {
            throw field_problem("email_prefix", "email_prefix must be at most 254 characters");
        }
        filter.email_prefix = *prefix;
    }
    if (auto cursor = ctx.query_param("cursor")) {
        auto after = parse_int64(*cursor);
        if (!after || *after < 0) throw field_problem("cursor", "cursor must be a next_cursor of this list");
        filter.after_id = *after;
    }
    filter.limit = ctx.page_size();
    boost::json::array items;
    std::string last;
    for (const auto& e : users::list(ctx.tx(), filter)) {
        items.push_back(to_json(e));
        last = e.account.id.str();
    }
    return page_response(std::move(items), filter.limit, last);
}

// Body {"role": …}: customer and auditor at once (200); staff and admin wait
// for a second admin (202, the pending grant).
response change_role(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string text = fields.required_string("role", 1, 20);
    fields.reject_unknown();
    auto r = users::parse_role(text);
    if (!r) throw field_problem("role", "role must be customer, staff, auditor or admin");
    user_id id{path_id(ctx, "id", "No such user")};
    auto changed = users::change_role(ctx.work(), id, *r, ctx.who().id, ctx.request_id);
    if (changed.pending) {
        response res = json_response(http::status::accepted, to_json(*changed.pending));
        res.headers.emplace_back("Location", "/v1/role-grants/" + std::to_string(changed.pending->id));
        return res;
    }
    return json_response(http::status::ok, to_json(changed.account));
}

response list_grants(context& ctx) {
    boost::json::array items;
    for (const auto& g : users::pending_grants(ctx.tx())) items.push_back(to_json(g));
    return json_response(http::status::ok, {{"items", std::move(items)}});
}

response confirm_grant(context& ctx) {
    auto id = path_id(ctx, "id", "No such role grant");
    return json_response(http::status::ok, to_json(users::confirm_grant(ctx.work(), id, ctx.who().id, ctx.request_id)));
}

response disable(context& ctx) {
    user_id id{path_id(ctx, "id", "No such user")};
    return json_response(http::status::ok, to_json(users::disable(ctx.work(), id, ctx.who().id, ctx.request_id)));
}

response enable(context& ctx) {
    user_id id{path_id(ctx, "id", "No such user")};
    return json_response(http::status::ok, to_json(users::enable(ctx.work(), id, ctx.who().id, ctx.request_id)));
}

} // namespace
} // namespace schwarm::api
