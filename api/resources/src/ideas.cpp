// Ideas: customers post them, others support and discuss them, staff triage
// them, an accepted idea's owner makes its project draft (core/platform/ideas.hpp).
#include "resources/resources.hpp"

#include "resources/bodies.hpp"

#include "base/json.hpp"
#include "platform/ideas.hpp"
#include "platform/prototypes.hpp"

namespace schwarm::api {

namespace {
response create_idea(context&);
response list_ideas(context&);
response list_own_ideas(context&);
response read_idea(context&);
std::vector<response> support(const std::vector<context*>& batch);
response withdraw_support(context&);
response list_supports(context&);
response accept(context&);
response merge(context&);
response decline(context&);
response make_project(context&);
response list_comments(context&);
response list_comments_for_moderation(context&);
response add_comment(context&);
response hide_comment(context&);
} // namespace

std::vector<route> ideas_routes() {
    return {
        {http::verb::post, "/v1/ideas", access::customer, db_use::write, create_idea},
        {http::verb::get, "/v1/ideas", access::anyone, db_use::read, list_ideas},
        {http::verb::get, "/v1/ideas/mine", access::customer, db_use::read, list_own_ideas},
        {http::verb::get, "/v1/ideas/{id}", access::anyone, db_use::read, read_idea},
        // Supports of a hot idea from many customers are coalesced into one
        // transaction per batch (api/batcher.hpp): its row is locked once.
        {http::verb::post, "/v1/ideas/{id}/support", access::customer, db_use::write, nullptr, needs::nothing, support},
        {http::verb::delete_, "/v1/ideas/{id}/support", access::customer, db_use::write, withdraw_support},
        {http::verb::get, "/v1/ideas/{id}/supports", access::anyone, db_use::read, list_supports},
        // Triage: core/platform/src/phases.cpp says who may move what from where.
        {http::verb::post, "/v1/ideas/{id}/accept", access::staff, db_use::write, accept},
        {http::verb::post, "/v1/ideas/{id}/merge", access::staff, db_use::write, merge},
        {http::verb::post, "/v1/ideas/{id}/decline", access::staff, db_use::write, decline},
        // The accepted idea's owner makes its prototype: a project draft.
        {http::verb::post, "/v1/ideas/{id}/project", access::customer, db_use::write, make_project},
        {http::verb::get, "/v1/ideas/{id}/comments", access::anyone, db_use::read, list_comments},
        {http::verb::post, "/v1/ideas/{id}/comments", access::customer, db_use::write, add_comment},
        {http::verb::get, "/v1/ideas/{id}/comments/moderation", access::customer | access::staff, db_use::read,
         list_comments_for_moderation},
        {http::verb::post, "/v1/ideas/{id}/comments/{comment_id}/hide", access::customer | access::staff, db_use::write,
         hide_comment},
    };
}

namespace {

ideas::idea_id idea_param(const context& ctx) { return ideas::idea_id{path_id(ctx, "id", "There is no such idea")}; }

std::optional<std::int64_t> before_param(const context& ctx) {
    auto cursor = ctx.query_param("cursor");
    if (!cursor) return std::nullopt;
    auto value = parse_int64(*cursor);
    if (!value || *value <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    return *value;
}

boost::json::value id_or_null(const std::optional<std::int64_t>& id) {
    return id ? boost::json::value(std::to_string(*id)) : boost::json::value(nullptr);
}

boost::json::value text_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::object to_json(const ideas::idea& i, const context& ctx) {
    return {{"id", i.id.str()},
            {"owner_id", i.owner.str()},
            {"title", i.f.title},
            {"problem", i.f.problem},
            {"audience", i.f.audience},
            {"description", i.f.description},
            {"category", i.f.category},
            {"phase", i.phase},
            {"supports", i.supports},
            {"momentum", i.momentum},
            {"support_threshold", ctx.app.cfg.idea_support_threshold},
            {"merged_into", id_or_null(i.merged_into)},
            {"decline_reason", text_or_null(i.decline_reason)},
            {"project_id", id_or_null(i.project)},
            {"created_at", i.created_at},
            {"updated_at", i.updated_at},
            {"phase_changed_at", i.phase_changed_at}};
}

boost::json::object to_json(const ideas::support& s) {
    return {{"idea_id", s.idea.str()},
            {"supporter_id", s.supporter.str()},
            {"reason", text_or_null(s.reason)},
            {"created_at", s.created_at}};
}

boost::json::object to_json(const ideas::comment& c) {
    boost::json::object out{{"id", std::to_string(c.id)},
                            {"idea_id", c.idea.str()},
                            {"author_id", c.author.str()},
                            {"created_at", c.created_at},
                            {"hidden", c.hidden_at.has_value()}};
    out["text"] = text_or_null(c.text);
    if (c.hidden_at) out["hidden_at"] = *c.hidden_at;
    if (c.hidden_by) out["hidden_by"] = c.hidden_by->str();
    if (c.hidden_reason) out["hidden_reason"] = *c.hidden_reason;
    return out;
}

ideas::settings settings_of(const context& ctx) { return {ctx.app.cfg.idea_support_threshold}; }

ideas::fields read_fields(const boost::json::object& body) {
    json::object_reader r(body);
    ideas::fields f;
    f.title = r.required_string("title", 3, 200);
    f.problem = r.required_string("problem", 1, 2000);
    f.audience = r.required_string("audience", 1, 500);
    f.description = r.optional_string("description", 0, 20000).value_or("");
    f.category = r.required_string("category", 1, 40);
    r.reject_unknown();
    return f;
}

response page_of_ideas(const std::vector<ideas::idea>& items, int limit, ideas::listing_order order,
                       const context& ctx) {
    boost::json::array out;
    for (const auto& i : items) out.push_back(to_json(i, ctx));
    return page_response(std::move(out), limit, items.empty() ? "" : ideas::next_cursor(items.back(), order));
}

response create_idea(context& ctx) {
    auto made = ideas::create(ctx.work(), read_fields(ctx.json_body()), caller(ctx));
    response res = json_response(http::status::created, to_json(made, ctx));
    res.headers.emplace_back("Location", "/v1/ideas/" + made.id.str());
    return res;
}

response list_ideas(context& ctx) {
    ideas::listing_query q;
    q.limit = ctx.page_size();
    q.phase = ctx.query_param("phase");
    if (q.phase && !ideas::is_phase(*q.phase)) {
        throw field_problem("phase", "phase must be understand, empathise, idea, prototype, test, submitted, "
                                     "declined or merged");
    }
    q.category = ctx.query_param("category");
    q.text = ctx.query_param("q");
    if (q.text && q.text->size() > 200) throw field_problem("q", "q must be at most 200 characters");
    std::string sort = ctx.query_param("sort").value_or("newest");
    if (sort == "newest") q.order = ideas::listing_order::newest;
    else if (sort == "support") q.order = ideas::listing_order::support;
    else if (sort == "momentum") q.order = ideas::listing_order::momentum;
    else throw field_problem("sort", "sort must be newest, support or momentum");
    if (auto cursor = ctx.query_param("cursor")) {
        if (cursor->size() > 60) throw field_problem("cursor", "cursor must be a value from an earlier page");
        q.cursor = *cursor;
    }
    return page_of_ideas(ideas::list(ctx.tx(), q), q.limit, q.order, ctx);
}

response list_own_ideas(context& ctx) {
    int limit = ctx.page_size();
    return page_of_ideas(ideas::list_own(ctx.tx(), ctx.who().id, before_param(ctx), limit), limit,
                         ideas::listing_order::newest, ctx);
}

response read_idea(context& ctx) {
    return json_response(http::status::ok, to_json(ideas::find(ctx.tx(), idea_param(ctx)), ctx));
}

ideas::support_request read_support(const context& ctx) {
    ideas::support_request r;
    r.idea = idea_param(ctx).value;
    r.supporter = ctx.who().id;
    r.request_id = ctx.request_id;
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader fields(body);
        r.reason = fields.optional_string("reason", 1, ideas::reason_length_max);
        fields.reject_unknown();
    }
    return r;
}

std::vector<response> support(const std::vector<context*>& batch) {
    std::vector<std::optional<response>> out(batch.size());
    std::vector<ideas::support_request> requests;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            requests.push_back(read_support(*batch[i]));
            index.push_back(i);
        } catch (...) {
            out[i] = current_error_response(batch[i]->request_id);
        }
    }
    if (!requests.empty()) {
        auto results = ideas::support_many(batch.front()->work(), requests, settings_of(*batch.front()));
        for (std::size_t n = 0; n < results.size(); ++n) {
            const auto& request_id = batch[index[n]]->request_id;
            if (auto* p = std::get_if<problem>(&results[n])) {
                out[index[n]] = problem_response(*p, request_id);
                continue;
            }
            const auto& s = std::get<ideas::support>(results[n]);
            auto body = to_json(s);
            body["idea"] = {{"supports", s.supports}, {"momentum", s.momentum}, {"phase", s.phase}};
            out[index[n]] = json_response(http::status::created, body);
        }
    }
    std::vector<response> responses;
    for (auto& r : out) responses.push_back(std::move(*r));
    return responses;
}

response withdraw_support(context& ctx) {
    return json_response(http::status::ok,
                         to_json(ideas::withdraw_support(ctx.work(), idea_param(ctx), caller(ctx)), ctx));
}

response list_supports(context& ctx) {
    int limit = ctx.page_size();
    auto items = ideas::supports_of(ctx.tx(), idea_param(ctx), before_param(ctx), limit);
    boost::json::array out;
    for (const auto& s : items) out.push_back(to_json(s));
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().key));
}

// An optional body; fields as the route asks.
boost::json::object optional_body(const context& ctx) {
    if (ctx.request.body().empty()) return {};
    return ctx.json_body();
}

response accept(context& ctx) {
    auto body = optional_body(ctx);
    json::object_reader r(body);
    r.reject_unknown();
    return json_response(http::status::ok, to_json(ideas::accept(ctx.work(), idea_param(ctx), caller(ctx)), ctx));
}

response merge(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto into = parse_int64(r.required_string("into", 1, 20));
    auto reason = r.optional_string("reason", 1, 1000).value_or("");
    r.reject_unknown();
    if (!into || *into <= 0) throw field_problem("into", "into must be an idea's id");
    return json_response(http::status::ok, to_json(ideas::merge(ctx.work(), idea_param(ctx), ideas::idea_id{*into},
                                                                reason, caller(ctx), settings_of(ctx)),
                                                   ctx));
}

response decline(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto reason = r.required_string("reason", 1, 1000);
    r.reject_unknown();
    return json_response(http::status::ok,
                         to_json(ideas::decline(ctx.work(), idea_param(ctx), reason, caller(ctx)), ctx));
}

response make_project(context& ctx) {
    auto fields = bodies::project_fields(ctx.json_body());
    auto made = prototypes::make_project(ctx.work(), idea_param(ctx), fields, caller(ctx));
    response res = json_response(http::status::created, project_json(made));
    res.headers.emplace_back("Location", "/v1/projects/" + made.id.str());
    return res;
}

template <typename Item>
response page(const std::vector<Item>& items, int limit) {
    boost::json::array out;
    for (const auto& item : items) out.push_back(to_json(item));
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().id));
}

response list_comments(context& ctx) {
    int limit = ctx.page_size();
    return page(ideas::comments(ctx.tx(), idea_param(ctx), before_param(ctx), limit), limit);
}

response list_comments_for_moderation(context& ctx) {
    int limit = ctx.page_size();
    return page(ideas::comments_for_moderation(ctx.tx(), idea_param(ctx), ctx.who(), before_param(ctx), limit), limit);
}

response add_comment(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto text = r.required_string("text", 1, 2000);
    r.reject_unknown();
    return json_response(http::status::created,
                         to_json(ideas::add_comment(ctx.work(), idea_param(ctx), text, caller(ctx))));
}

response hide_comment(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto reason = r.required_string("reason", 1, 500);
    r.reject_unknown();
    auto comment = path_id(ctx, "comment_id", "There is no such comment on this idea");
    return json_response(http::status::ok,
                         to_json(ideas::hide_comment(ctx.work(), idea_param(ctx), comment, reason, caller(ctx))));
}

} // namespace
} // namespace schwarm::api
