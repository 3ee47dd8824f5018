// Followers hear what happens: what one follows, one's feed of events with
// its unread count, and webhooks that receive the same events, signed
// (core/platform/events.hpp, webhooks.hpp; the sender is api/jobs).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/events.hpp"
#include "platform/ideas.hpp"
#include "platform/webhooks.hpp"

namespace schwarm::api {

namespace {
response read_feed(context&);
response mark_read(context&);
response list_follows(context&);
response follow_idea(context&);
response unfollow_idea(context&);
response follow_project(context&);
response unfollow_project(context&);
response create_webhook(context&);
response list_webhooks(context&);
response remove_webhook(context&);
response list_deliveries(context&);
} // namespace

std::vector<route> feed_routes() {
    return {
        {http::verb::get, "/v1/me/feed", any_user, db_use::read, read_feed},
        {http::verb::post, "/v1/me/feed/read", any_user, db_use::write, mark_read},
        {http::verb::get, "/v1/me/follows", any_user, db_use::read, list_follows},
        {http::verb::post, "/v1/ideas/{id}/follow", any_user, db_use::write, follow_idea},
        {http::verb::delete_, "/v1/ideas/{id}/follow", any_user, db_use::write, unfollow_idea},
        {http::verb::post, "/v1/projects/{id}/follow", any_user, db_use::write, follow_project},
        {http::verb::delete_, "/v1/projects/{id}/follow", any_user, db_use::write, unfollow_project},
        {http::verb::post, "/v1/me/webhooks", any_user, db_use::write, create_webhook},
        {http::verb::get, "/v1/me/webhooks", any_user, db_use::read, list_webhooks},
        {http::verb::delete_, "/v1/me/webhooks/{id}", any_user, db_use::write, remove_webhook},
        {http::verb::get, "/v1/me/webhooks/{id}/deliveries", any_user, db_use::read, list_deliveries},
    };
}

namespace {

// What the unread count counts up to: "999+" is all a badge shows.
constexpr int unread_cap = 1000;

std::optional<std::int64_t> before_param(const context& ctx) {
    auto cursor = ctx.query_param("cursor");
    if (!cursor) return std::nullopt;
    auto value = parse_int64(*cursor);
    if (!value || *value <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    return *value;
}

boost::json::value text_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::value id_or_null(const std::optional<std::int64_t>& id) {
    return id ? boost::json::value(std::to_string(*id)) : boost::json::value(nullptr);
}

response read_feed(context& ctx) {
    int limit = ctx.page_size();
    auto items = events::feed(ctx.tx(), ctx.who().id, before_param(ctx), limit);
    boost::json::array out;
    for (const auto& e : items) {
        auto item = events::to_json(e);
        item["read"] = e.read;
        out.push_back(std::move(item));
    }
    bool full = static_cast<int>(items.size()) == limit;
    boost::json::object page{{"items", std::move(out)},
                             {"unread", events::unread(ctx.tx(), ctx.who().id, unread_cap)},
                             {"unread_cap", unread_cap}};
    page["next_cursor"] = full ? boost::json::value(std::to_string(items.back().id)) : nullptr;
    return json_response(http::status::ok, page);
}

response mark_read(context& ctx) {
    std::optional<std::int64_t> up_to;
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader r(body);
        if (auto text = r.optional_string("up_to", 1, 20)) {
            up_to = parse_int64(*text);
            if (!up_to || *up_to <= 0) throw field_problem("up_to", "up_to must be an event's id");
        }
        r.reject_unknown();
    }
    auto at = events::mark_read(ctx.work(), ctx.who().id, up_to, ctx.request_id);
    return json_response(http::status::ok, {{"read_up_to", std::to_string(at)},
                                            {"unread", events::unread(ctx.work(), ctx.who().id, unread_cap)}});
}

response list_follows(context& ctx) {
    int limit = ctx.page_size();
    auto items = events::follows_of(ctx.tx(), ctx.who().id, before_param(ctx), limit);
    boost::json::array out;
    for (const auto& f : items) {
        out.push_back({{"idea_id", id_or_null(f.idea)},
                       {"project_id", id_or_null(f.project)},
                       {"reason", f.reason},
                       {"created_at", f.created_at}});
    }
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().id));
}

// Following something that exists and that the caller may see.
response follow(context& ctx, const events::subject& what, bool on) {
    auto by = caller(ctx);
    bool changed =
        on ? events::follow(ctx.work(), by.who.id, what, "chosen") : events::unfollow(ctx.work(), by.who.id, what);
    if (!on && !changed) throw problem(problems::not_found, "You do not follow it");
    std::string subject = what.idea ? "idea:" + std::to_string(*what.idea) : "project:" + std::to_string(*what.project);
    if (changed) audit::write(ctx.work(), {by.who.id, on ? "follow.create" : "follow.remove", subject, ctx.request_id});
    else ctx.change_nothing(); // followed already: nothing to record
    return json_response(
        http::status::ok,
        {{"idea_id", id_or_null(what.idea)}, {"project_id", id_or_null(what.project)}, {"following", on}});
}

response follow_idea(context& ctx) {
    auto id = path_id(ctx, "id", "There is no such idea");
    ideas::find(ctx.work(), ideas::idea_id{id});
    return follow(ctx, events::subject::of_idea(id), true);
}

response unfollow_idea(context& ctx) {
    return follow(ctx, events::subject::of_idea(path_id(ctx, "id", "There is no such idea")), false);
}

response follow_project(context& ctx) {
    auto id = path_id(ctx, "id", "There is no such project");
    projects::find(ctx.work(), projects::project_id{id}, ctx.who()); // a private draft is a 404
    return follow(ctx, events::subject::of_project(id), true);
}

response unfollow_project(context& ctx) {
    return follow(ctx, events::subject::of_project(path_id(ctx, "id", "There is no such project")), false);
}

boost::json::object to_json(const webhooks::webhook& w) {
    boost::json::object out{
        {"id", w.id.str()},
        {"url", w.url},
        {"created_at", w.created_at},
        {"removed_at", text_or_null(w.removed_at)},
        {"deliveries", {{"pending", w.pending}, {"delivered", w.delivered}, {"given_up", w.given_up}}}};
    if (w.secret) out["secret"] = *w.secret;
    return out;
}

response create_webhook(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto url = r.required_string("url", 1, webhooks::url_length_max);
    r.reject_unknown();
    auto made = webhooks::create(ctx.work(), ctx.who().id, url, ctx.request_id);
    response res = json_response(http::status::created, to_json(made));
    res.headers.emplace_back("Location", "/v1/me/webhooks/" + made.id.str());
    return res;
}

response list_webhooks(context& ctx) {
    boost::json::array out;
    for (const auto& w : webhooks::list(ctx.tx(), ctx.who().id)) out.push_back(to_json(w));
    return json_response(http::status::ok, boost::json::object{{"items", std::move(out)}});
}

response remove_webhook(context& ctx) {
    webhooks::webhook_id id{path_id(ctx, "id", "There is no such webhook of yours")};
    return json_response(http::status::ok, to_json(webhooks::remove(ctx.work(), ctx.who().id, id, ctx.request_id)));
}

response list_deliveries(context& ctx) {
    int limit = ctx.page_size();
    auto state = ctx.query_param("state");
    if (state && *state != "pending" && *state != "delivered" && *state != "given_up") {
        throw field_problem("state", "state must be pending, delivered or given_up");
    }
    webhooks::webhook_id id{path_id(ctx, "id", "There is no such webhook of yours")};
    auto items = webhooks::deliveries(ctx.tx(), ctx.who().id, id, state, before_param(ctx), limit);
    boost::json::array out;
    for (const auto& d : items) {
        boost::json::object item{{"id", std::to_string(d.id)},
                                 {"event_id", std::to_string(d.event_id)},
                                 {"event_type", d.event_kind},
                                 {"state", d.state},
                                 {"attempts", d.attempts},
                                 {"next_attempt_at", text_or_null(d.next_attempt_at)},
                                 {"last_attempt_at", text_or_null(d.last_attempt_at)},
                                 {"last_error", text_or_null(d.last_error)},
                                 {"delivered_at", text_or_null(d.delivered_at)},
                                 {"created_at", d.created_at}};
        item["last_status"] = d.last_status ? boost::json::value(*d.last_status) : nullptr;
        out.push_back(std::move(item));
    }
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().id));
}

} // namespace
} // namespace schwarm::api
