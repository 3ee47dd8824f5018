// Data rights (GDPR art. 15, 17, 20; docs/data-rights.md): a user's export
// of everything the platform holds about them; a customer's request to be
// erased, and its execution by an admin.
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/data_rights.hpp"
#include "risk/risk.hpp"

namespace schwarm::api {

namespace {
response export_mine(context&);
response request_erasure(context&);
response list_requests(context&);
response erase(context&);
} // namespace

std::vector<route> data_rights_routes() {
    return {
        {http::verb::get, "/v1/users/me/export", any_user, db_use::snapshot, export_mine},
        {http::verb::post, "/v1/users/me/erasure-request", access::customer, db_use::write, request_erasure},
        {http::verb::get, "/v1/erasure-requests", access::admin, db_use::read, list_requests},
        {http::verb::post, "/v1/users/{id}/erase", access::admin, db_use::write, erase},
    };
}

namespace {

boost::json::value text_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

// One document, read in one snapshot: the platform's part, risk's, and when.
response export_mine(context& ctx) {
    auto document = data_rights::export_of(ctx.tx(), ctx.who().id);
    document["risk"] = risk::personal_data(ctx.tx(), ctx.who().id);
    document["format"] = "schwarm-personal-data/1";
    document["user_id"] = ctx.who().id.str();
    response res = json_response(http::status::ok, document);
    res.headers.emplace_back("Content-Disposition", "attachment; filename=\"schwarm-personal-data.json\"");
    return res;
}

response request_erasure(context& ctx) {
    auto state = data_rights::request_erasure(ctx.work(), ctx.who().id, ctx.request_id);
    // What would stop the erasure today, so the customer can settle it first.
    boost::json::array blockers;
    for (auto& b : data_rights::blockers(ctx.work(), ctx.who().id)) blockers.push_back(boost::json::value(b));
    return json_response(http::status::accepted, {{"user_id", ctx.who().id.str()},
                                                  {"requested_at", text_or_null(state.requested_at)},
                                                  {"blockers", std::move(blockers)}});
}

response list_requests(context& ctx) {
    int limit = ctx.page_size();
    boost::json::array items;
    for (const auto& r : data_rights::pending_requests(ctx.tx(), limit)) {
        boost::json::array blockers;
        for (auto& b : data_rights::blockers(ctx.tx(), r.who)) blockers.push_back(boost::json::value(b));
        items.push_back(
            {{"user_id", r.who.str()}, {"requested_at", r.requested_at}, {"blockers", std::move(blockers)}});
    }
    // The oldest requests first, all on one page (a bank has few at a time).
    return json_response(http::status::ok, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

response erase(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto reason = fields.required_string("reason", 1, 500);
    fields.reject_unknown();
    user_id who{path_id(ctx, "id", "No such user")};
    data_rights::erase(ctx.work(), who, ctx.who().id, reason, ctx.request_id);
    auto state = data_rights::state_of(ctx.work(), who);
    return json_response(http::status::ok, {{"user_id", who.str()},
                                            {"requested_at", text_or_null(state.requested_at)},
                                            {"erased_at", text_or_null(state.erased_at)}});
}

} // namespace
} // namespace schwarm::api
