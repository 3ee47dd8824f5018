// The audit log, for auditors: every state change, who, what, when, request id.
#include "resources/resources.hpp"

#include "base/audit.hpp"

#include <boost/json/parse.hpp>

namespace schwarm::api {

namespace {
response list_audit_log(context&);
} // namespace

std::vector<route> audit_routes() {
    return {
        {http::verb::get, "/v1/audit-log", access::auditor, db_use::read, list_audit_log},
    };
}

namespace {

std::int64_t cursor_of(const context& ctx) {
    auto text = ctx.query_param("cursor");
    if (!text) return 0;
    auto value = parse_int64(*text);
    if (!value || *value < 0)
        throw field_problem("cursor", "cursor must be a value from an earlier page's next_cursor");
    return *value;
}

response list_audit_log(context& ctx) {
    int limit = ctx.page_size();
    auto records = audit::list(ctx.tx(), cursor_of(ctx), limit);
    boost::json::array items;
    for (const auto& r : records) {
        boost::json::object item{{"id", std::to_string(r.id)}, {"at", r.at},
                                 {"action", r.action},         {"subject", r.subject},
                                 {"request_id", r.request_id}, {"details", boost::json::parse(r.details_json)}};
        item["actor_id"] = r.actor ? boost::json::value(std::to_string(*r.actor)) : boost::json::value(nullptr);
        items.push_back(std::move(item));
    }
    return page_response(std::move(items), limit, records.empty() ? "" : std::to_string(records.back().id));
}

} // namespace
} // namespace schwarm::api
