// Deadlines people can work with: staff extend a campaign's deadline once;
// its owner ends a fully funded campaign early (core/platform/deadlines.hpp).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/deadlines.hpp"

namespace schwarm::api {

namespace {
response extend(context&);
response end_early(context&);
} // namespace

std::vector<route> deadlines_routes() {
    return {
        {http::verb::post, "/v1/projects/{id}/extend-deadline", access::staff, db_use::write, extend},
        {http::verb::post, "/v1/projects/{id}/end-early", access::customer, db_use::write, end_early},
    };
}

namespace {

projects::project_id project_param(const context& ctx) {
    return projects::project_id{path_id(ctx, "id", "There is no such project")};
}

response changed_response(const deadlines::changed& c, projects::project_id id) {
    return json_response(http::status::ok, {{"project_id", id.str()},
                                            {"deadline_before", c.deadline_before},
                                            {"deadline", c.deadline},
                                            {"settles_at", c.settles_at}});
}

response extend(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto deadline = fields.required_time("deadline");
    auto reason = fields.required_string("reason", 1, 500);
    fields.reject_unknown();
    auto id = project_param(ctx);
    return changed_response(
        deadlines::extend(ctx.work(), id, deadline, reason, ctx.app.cfg.deadline_extension_max_days, caller(ctx)), id);
}

response end_early(context& ctx) {
    auto id = project_param(ctx);
    return changed_response(deadlines::end_early(ctx.work(), id, caller(ctx)), id);
}

} // namespace
} // namespace schwarm::api
