// Projects: customers propose, staff review, everyone browses.
#include "resources/resources.hpp"

#include "resources/bodies.hpp"

#include "base/json.hpp"
#include "platform/projects.hpp"
#include "platform/settlement.hpp"

namespace schwarm::api {

namespace {
response create_project(context&);
response update_project(context&);
response read_project(context&);
response list_projects(context&);
response list_own_projects(context&);
response transition(context&);
} // namespace

std::vector<route> projects_routes() {
    return {
        {http::verb::post, "/v1/projects", access::customer, db_use::write, create_project},
        {http::verb::get, "/v1/projects", access::anyone, db_use::read, list_projects, needs::replica},
        {http::verb::get, "/v1/projects/mine", access::customer, db_use::read, list_own_projects},
        {http::verb::get, "/v1/projects/{id}", access::anyone, db_use::read, read_project, needs::replica},
        {http::verb::put, "/v1/projects/{id}", access::customer, db_use::write, update_project},
        // The lifecycle, one route per move; core/projects.cpp says who may
        // take which from where.
        {http::verb::post, "/v1/projects/{id}/submit", access::customer, db_use::write, transition},
        // Withdrawing or cancelling a campaign gives its money back.
        {http::verb::post, "/v1/projects/{id}/withdraw", access::customer, db_use::write, transition,
         needs::idempotency_key},
        {http::verb::post, "/v1/projects/{id}/start-review", access::staff, db_use::write, transition},
        {http::verb::post, "/v1/projects/{id}/approve", access::staff, db_use::write, transition},
        {http::verb::post, "/v1/projects/{id}/reject", access::staff, db_use::write, transition},
        {http::verb::post, "/v1/projects/{id}/open-funding", access::staff, db_use::write, transition},
        {http::verb::post, "/v1/projects/{id}/cancel", access::staff, db_use::write, transition,
         needs::idempotency_key},
    };
}

namespace {

std::int64_t cursor_from(const std::string& text) {
    auto value = parse_int64(text);
    if (!value || *value <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    return *value;
}

projects::project_id project_param(const context& ctx) {
    return projects::project_id{path_id(ctx, "id", "There is no such project")};
}

boost::json::object to_json(const projects::project& p) { return project_json(p); }

} // namespace

boost::json::object feedback_summary_json(const prototypes::summary& s) {
    auto text = [](const std::optional<std::string>& t) { return t ? boost::json::value(*t) : nullptr; };
    return {{"opens_at", text(s.opens_at)},
            {"closes_at", text(s.closes_at)},
            {"open", s.open},
            {"count", s.count},
            {"would_use", s.would_use},
            {"would_back", s.would_back},
            {"with_concerns", s.with_concerns},
            {"answered", s.answered}};
}

boost::json::object project_json(const projects::project& p) {
    const auto& f = p.f;
    boost::json::object out{{"id", p.id.str()},
                            {"owner_id", p.owner.str()},
                            {"title", f.title},
                            {"summary", f.summary},
                            {"description", f.description},
                            {"category", f.category},
                            {"kind", f.kind},
                            {"goal_minor", f.goal_minor},
                            {"currency", f.currency_code},
                            {"campaign_mode", f.campaign_mode},
                            {"deadline", f.deadline},
                            {"state", p.state},
                            {"min_pledge_minor", f.min_pledge_minor},
                            {"allow_overfunding", f.allow_overfunding},
                            {"pledged_minor", p.pledged_minor},
                            {"backers", p.backers},
                            {"days_left", p.days_left},
                            {"settles_at", p.settles_at},
                            {"created_at", p.created_at},
                            {"updated_at", p.updated_at}};
    if (f.kind == "loan") {
        out["loan"] = {{"principal_minor", f.goal_minor},
                       {"rate_bp", *f.loan_rate_bp},
                       {"term_months", *f.loan_term_months},
                       {"schedule", *f.loan_schedule}};
    }
    // Co-creation: made from an idea (its phase), or directly (null).
    out["idea_id"] = p.idea ? boost::json::value(std::to_string(*p.idea)) : nullptr;
    out["phase"] = p.phase ? boost::json::value(*p.phase) : nullptr;
    return out;
}

namespace {

projects::fields read_fields(const boost::json::object& body) {
    json::object_reader r(body);
    projects::fields f;
    f.title = r.required_string("title", 3, 200);
    f.summary = r.required_string("summary", 1, 500);
    f.description = r.optional_string("description", 0, 20000).value_or("");
    f.category = r.required_string("category", 1, 40);
    f.kind = r.required_string("kind", 1, 20);
    f.goal_minor = r.required_int("goal_minor", 1, std::numeric_limits<std::int64_t>::max());
    f.currency_code = r.required_string("currency", 3, 3);
    f.campaign_mode = r.optional_string("campaign_mode", 1, 20).value_or("all_or_nothing");
    f.deadline = r.required_time("deadline");
    if (auto v = r.optional_int("loan_rate_bp", 0, 10000)) f.loan_rate_bp = static_cast<int>(*v);
    if (auto v = r.optional_int("loan_term_months", 1, 360)) f.loan_term_months = static_cast<int>(*v);
    f.loan_schedule = r.optional_string("loan_schedule", 1, 20);
    f.min_pledge_minor = r.optional_int("min_pledge_minor", 1, std::numeric_limits<std::int64_t>::max()).value_or(100);
    f.allow_overfunding = r.optional_bool("allow_overfunding").value_or(false);
    r.reject_unknown();
    return f;
}

response page(const std::vector<projects::project>& items, int limit,
              projects::listing_order order = projects::listing_order::newest) {
    boost::json::array out;
    for (const auto& p : items) out.push_back(to_json(p));
    return page_response(std::move(out), limit, items.empty() ? "" : projects::next_cursor(items.back(), order));
}

response create_project(context& ctx) {
    auto created = projects::create(ctx.work(), read_fields(ctx.json_body()), caller(ctx));
    response res = json_response(http::status::created, to_json(created));
    res.headers.emplace_back("Location", "/v1/projects/" + created.id.str());
    return res;
}

response update_project(context& ctx) {
    return json_response(http::status::ok, to_json(projects::update(ctx.work(), project_param(ctx),
                                                                    read_fields(ctx.json_body()), caller(ctx))));
}

// Public. A draft only to its owner (and staff) when the request carries
// their token; to everyone else it is a 404, as a project that does not
// exist. Drafts made from an idea are public, with their feedback's summary.
// A token that is unknown here is no one's: the answer is the public one.
response read_project(context& ctx) {
    std::optional<users::principal> viewer;
    if (!ctx.bearer_token.empty()) viewer = users::authenticate(ctx.tx(), ctx.bearer_token);
    auto p = projects::find(ctx.tx(), project_param(ctx), viewer);
    auto out = to_json(p);
    if (p.phase) out["feedback"] = feedback_summary_json(prototypes::summary_of(ctx.tx(), p.id));
    return json_response(http::status::ok, out);
}

response list_projects(context& ctx) {
    projects::listing_query q;
    q.limit = ctx.page_size();
    if (auto state = ctx.query_param("state")) {
        if (*state == "draft") throw field_problem("state", "Drafts are not listed publicly");
        q.states.push_back(*state);
    }
    q.kind = ctx.query_param("kind");
    q.category = ctx.query_param("category");
    q.text = ctx.query_param("q");
    if (q.text && q.text->size() > 200) throw field_problem("q", "q must be at most 200 characters");
    std::string sort = ctx.query_param("sort").value_or("newest");
    if (sort == "newest") q.order = projects::listing_order::newest;
    else if (sort == "deadline") q.order = projects::listing_order::deadline;
    else if (sort == "funded") q.order = projects::listing_order::funded;
    else if (sort == "backers") q.order = projects::listing_order::backers;
    else throw field_problem("sort", "sort must be newest, deadline, funded or backers");
    if (auto cursor = ctx.query_param("cursor")) {
        if (cursor->size() > 80) throw field_problem("cursor", "cursor must be a value from an earlier page");
        q.cursor = *cursor;
    }
    return page(projects::list(ctx.tx(), q), q.limit, q.order);
}

response list_own_projects(context& ctx) {
    int limit = ctx.page_size();
    std::optional<std::int64_t> before;
    if (auto cursor = ctx.query_param("cursor")) before = cursor_from(*cursor);
    return page(projects::list_own(ctx.tx(), ctx.who().id, before, limit), limit);
}

// The action is the last path segment (start-review → start_review).
response transition(context& ctx) {
    std::string_view target = ctx.request.target();
    target = target.substr(0, target.find('?'));
    std::string action(target.substr(target.rfind('/') + 1));
    std::replace(action.begin(), action.end(), '-', '_');
    std::string reason;
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader r(body);
        reason = r.optional_string("reason", 1, 1000).value_or("");
        r.reject_unknown();
    }
    if (action == "withdraw" || action == "cancel") {
        settlement::settings s{ctx.app.cfg.platform_fee_bp, ctx.app.cfg.settlement_chunk};
        return json_response(http::status::ok, to_json(settlement::stop_campaign(ctx.work(), project_param(ctx), action,
                                                                                 reason, s, caller(ctx))));
    }
    return json_response(http::status::ok,
                         to_json(projects::transition(ctx.work(), project_param(ctx), action, reason, caller(ctx))));
}

} // namespace

projects::fields bodies::project_fields(const boost::json::object& body) { return read_fields(body); }

} // namespace schwarm::api
