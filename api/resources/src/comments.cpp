// A project's comments and its owner's updates: customers comment, the owner
// and staff hide a comment with a reason, the owner posts updates, everyone
// reads (hidden comments without their text, but for the owner and staff).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/comments.hpp"

namespace schwarm::api {

namespace {
response list_comments(context&);
response list_comments_for_moderation(context&);
response add_comment(context&);
response hide_comment(context&);
response list_updates(context&);
response post_update(context&);
} // namespace

std::vector<route> comments_routes() {
    return {
        {http::verb::get, "/v1/projects/{id}/comments", access::anyone, db_use::read, list_comments},
        {http::verb::post, "/v1/projects/{id}/comments", access::customer, db_use::write, add_comment},
        // Owner or staff: core/comments.cpp checks the project's owner.
        {http::verb::get, "/v1/projects/{id}/comments/moderation", access::customer | access::staff, db_use::read,
         list_comments_for_moderation},
        {http::verb::post, "/v1/projects/{id}/comments/{comment_id}/hide", access::customer | access::staff,
         db_use::write, hide_comment},
        {http::verb::get, "/v1/projects/{id}/updates", access::anyone, db_use::read, list_updates},
        {http::verb::post, "/v1/projects/{id}/updates", access::customer, db_use::write, post_update},
    };
}

namespace {

projects::project_id project_param(const context& ctx) {
    return projects::project_id{path_id(ctx, "id", "There is no such project")};
}

comments::page page_param(const context& ctx) {
    comments::page p;
    p.limit = ctx.page_size();
    if (auto cursor = ctx.query_param("cursor")) {
        auto value = parse_int64(*cursor);
        if (!value || *value <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
        p.before_id = *value;
    }
    return p;
}

boost::json::object to_json(const comments::comment& c) {
    boost::json::object out{{"id", c.id.str()},
                            {"project_id", c.project.str()},
                            {"author_id", c.author.str()},
                            {"created_at", c.created_at},
                            {"hidden", c.hidden.has_value()}};
    out["text"] = c.text ? boost::json::value(*c.text) : nullptr;
    if (c.hidden) {
        out["hidden_at"] = c.hidden->at;
        if (c.hidden->by) out["hidden_by"] = c.hidden->by->str();
        if (c.hidden->reason) out["hidden_reason"] = *c.hidden->reason;
    }
    return out;
}

boost::json::object to_json(const comments::update& u) {
    return {{"id", u.id.str()}, {"project_id", u.project.str()}, {"author_id", u.author.str()}, {"title", u.title},
            {"body", u.body},   {"created_at", u.created_at}};
}

template <typename Item>
response page(const std::vector<Item>& items, int limit) {
    boost::json::array out;
    for (const auto& item : items) out.push_back(to_json(item));
    return page_response(std::move(out), limit, items.empty() ? "" : items.back().id.str());
}

response list_comments(context& ctx) {
    auto p = page_param(ctx);
    return page(comments::list(ctx.tx(), project_param(ctx), p), p.limit);
}

response list_comments_for_moderation(context& ctx) {
    auto p = page_param(ctx);
    return page(comments::list_for_moderation(ctx.tx(), project_param(ctx), ctx.who(), p), p.limit);
}

response add_comment(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto text = r.required_string("text", 1, comments::text_length_max);
    r.reject_unknown();
    return json_response(http::status::created,
                         to_json(comments::add(ctx.work(), project_param(ctx), text, caller(ctx))));
}

response hide_comment(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto reason = r.required_string("reason", 1, comments::reason_length_max);
    r.reject_unknown();
    comments::comment_id id{path_id(ctx, "comment_id", "There is no such comment on this project")};
    return json_response(http::status::ok,
                         to_json(comments::hide(ctx.work(), project_param(ctx), id, reason, caller(ctx))));
}

response list_updates(context& ctx) {
    auto p = page_param(ctx);
    return page(comments::list_updates(ctx.tx(), project_param(ctx), p), p.limit);
}

response post_update(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto title = r.required_string("title", 1, comments::update_title_length_max);
    auto text = r.required_string("body", 1, comments::update_body_length_max);
    r.reject_unknown();
    return json_response(http::status::created,
                         to_json(comments::post_update(ctx.work(), project_param(ctx), title, text, caller(ctx))));
}

} // namespace
} // namespace schwarm::api
