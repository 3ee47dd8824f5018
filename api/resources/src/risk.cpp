// Risk: loan applications' credit inputs, the staff review queue, the
// bureau's callbacks, and investor protection (DESIGN.md 4.5).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "risk/risk.hpp"

namespace schwarm::api {

namespace {
response put_application(context&);
response read_application(context&);
response list_reviews(context&);
response read_review(context&);
response approve(context&);
response reject(context&);
response request_info(context&);
response rerun_checks(context&);
response record_relationship(context&);
response callback(context&);
response read_investor(context&);
response put_profile(context&);
response loss_simulation(context&);
response knowledge_questions(context&);
response knowledge_test(context&);
response request_sophistication(context&);
response list_sophistication(context&);
response approve_sophistication(context&);
response reject_sophistication(context&);
} // namespace

std::vector<route> risk_routes() {
    return {
        {http::verb::put, "/v1/risk/applications/{id}", access::customer, db_use::write, put_application},
        {http::verb::get, "/v1/risk/applications/{id}", access::customer | access::staff, db_use::read,
         read_application},
        {http::verb::get, "/v1/risk/reviews", access::staff, db_use::read, list_reviews},
        {http::verb::get, "/v1/risk/reviews/{id}", access::staff, db_use::read, read_review},
        {http::verb::post, "/v1/risk/reviews/{id}/approve", access::staff, db_use::write, approve},
        {http::verb::post, "/v1/risk/reviews/{id}/reject", access::staff, db_use::write, reject},
        {http::verb::post, "/v1/risk/reviews/{id}/request-info", access::staff, db_use::write, request_info},
        {http::verb::post, "/v1/risk/reviews/{id}/checks", access::staff, db_use::write, rerun_checks},
        {http::verb::post, "/v1/risk/relationships", access::staff | access::admin, db_use::write, record_relationship},
        // The bureau authenticates with its signature, not a bearer token.
        {http::verb::post, "/v1/risk/callbacks/{provider}", access::anyone, db_use::write, callback},
        {http::verb::get, "/v1/risk/investor", access::customer, db_use::read, read_investor},
        {http::verb::put, "/v1/risk/investor/profile", access::customer, db_use::write, put_profile},
        {http::verb::post, "/v1/risk/investor/loss-simulation", access::customer, db_use::write, loss_simulation},
        {http::verb::get, "/v1/risk/knowledge-test", access::customer, db_use::read, knowledge_questions},
        {http::verb::post, "/v1/risk/knowledge-test", access::customer, db_use::write, knowledge_test},
        {http::verb::post, "/v1/risk/investor/sophistication-requests", access::customer, db_use::write,
         request_sophistication},
        {http::verb::get, "/v1/risk/sophistication-requests", access::staff, db_use::read, list_sophistication},
        {http::verb::post, "/v1/risk/sophistication-requests/{id}/approve", access::staff, db_use::write,
         approve_sophistication},
        {http::verb::post, "/v1/risk/sophistication-requests/{id}/reject", access::staff, db_use::write,
         reject_sophistication},
    };
}

namespace {

constexpr std::int64_t amount_max = std::numeric_limits<std::int64_t>::max();

std::int64_t id_param(const context& ctx, const char* what) {
    return path_id(ctx, "id", std::string("There is no such ") + what);
}

projects::project_id project_param(const context& ctx) { return projects::project_id{id_param(ctx, "project")}; }

std::optional<std::int64_t> cursor(const context& ctx) {
    auto text = ctx.query_param("cursor");
    if (!text) return std::nullopt;
    auto value = parse_int64(*text);
    if (!value || *value < 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    return value;
}

std::optional<std::string> one_of(const context& ctx, const char* name, std::initializer_list<const char*> allowed) {
    auto value = ctx.query_param(name);
    if (!value) return value;
    for (const char* a : allowed) {
        if (*value == a) return value;
    }
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw field_problem(name, std::string(name) + " must be one of " + list);
}

risk::settings settings_of(const context& ctx) { return risk::from_config(ctx.app.cfg); }

// A body with one optional text field, e.g. {"reason": "…"}.
std::string text_field(const context& ctx, const char* field, std::size_t length_max) {
    if (ctx.request.body().empty()) return {};
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto value = r.optional_string(field, 1, length_max).value_or("");
    r.reject_unknown();
    return value;
}

response ok(boost::json::value v) { return json_response(http::status::ok, v); }

response put_application(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    risk::application_input in;
    in.applicant_type = r.required_string("applicant_type", 1, 20);
    in.monthly_income_minor = r.required_int("monthly_income_minor", 0, amount_max);
    in.monthly_expenses_minor = r.required_int("monthly_expenses_minor", 0, amount_max);
    in.existing_debt_minor = r.required_int("existing_debt_minor", 0, amount_max);
    in.purpose = r.required_string("purpose", 1, 40);
    if (auto years = r.optional_int("years_in_business", 0, 200)) in.years_in_business = static_cast<int>(*years);
    r.reject_unknown();
    return ok(risk::put_application(ctx.work(), settings_of(ctx), project_param(ctx), in, caller(ctx)));
}

response read_application(context& ctx) { return ok(risk::read_application(ctx.tx(), project_param(ctx), ctx.who())); }

response list_reviews(context& ctx) {
    risk::review_filter f;
    f.limit = ctx.page_size();
    f.state = one_of(ctx, "state", {"waiting", "info_requested", "approved", "rejected", "withdrawn"});
    f.decision = one_of(ctx, "decision", {"approve", "refer", "decline"});
    f.after_project_id = cursor(ctx);
    auto items = risk::list_reviews(ctx.tx(), f);
    std::string last = items.empty() ? "" : std::string(items.back().at("project_id").as_string());
    return page_response(std::move(items), f.limit, last);
}

response read_review(context& ctx) { return ok(risk::read_review(ctx.tx(), project_param(ctx))); }

response approve(context& ctx) {
    if (!ctx.request.body().empty()) json::object_reader(ctx.json_body()).reject_unknown(); // takes no fields
    return ok(risk::approve(ctx.work(), settings_of(ctx), project_param(ctx), caller(ctx)));
}

response reject(context& ctx) {
    return ok(risk::reject(ctx.work(), project_param(ctx), text_field(ctx, "reason", 2000), caller(ctx)));
}

response request_info(context& ctx) {
    return ok(risk::request_info(ctx.work(), project_param(ctx), text_field(ctx, "message", 2000), caller(ctx)));
}

response rerun_checks(context& ctx) {
    return json_response(http::status::accepted,
                         risk::rerun_checks(ctx.work(), settings_of(ctx), project_param(ctx), caller(ctx)));
}

response record_relationship(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    user_id staff{r.required_int("staff_id", 1, amount_max)};
    user_id customer{r.required_int("customer_id", 1, amount_max)};
    auto kind = r.required_string("kind", 1, 60);
    r.reject_unknown();
    risk::record_relationship(ctx.work(), staff, customer, kind, caller(ctx));
    return json_response(
        http::status::created,
        boost::json::object{{"staff_id", staff.str()}, {"customer_id", customer.str()}, {"kind", kind}});
}

response callback(context& ctx) {
    risk::callback c{ctx.path_params.at("provider"), std::string(ctx.request[risk::timestamp_header]),
                     std::string(ctx.request[risk::signature_header]), ctx.request.body(), ctx.request_id};
    return ok(risk::accept_callback(ctx.work(), settings_of(ctx), c));
}

response read_investor(context& ctx) { return ok(risk::read_investor(ctx.tx(), ctx.who().id)); }

response put_profile(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    risk::profile_input in;
    in.annual_income_minor = r.required_int("annual_income_minor", 0, amount_max);
    in.liquid_assets_minor = r.required_int("liquid_assets_minor", 0, amount_max);
    in.annual_commitments_minor = r.required_int("annual_commitments_minor", 0, amount_max);
    r.reject_unknown();
    return ok(risk::put_profile(ctx.work(), ctx.who().id, in, ctx.request_id));
}

response loss_simulation(context& ctx) {
    return ok(risk::run_loss_simulation(ctx.work(), ctx.who().id, ctx.request_id));
}

response knowledge_questions(context& ctx) {
    return ok(boost::json::object{{"questions", risk::knowledge_questions(ctx.tx())},
                                  {"valid_years", risk::knowledge_test_valid_years}});
}

response knowledge_test(context& ctx) {
    constexpr std::size_t answers_max = 100;
    auto body = ctx.json_body();
    json::object_reader r(body);
    std::vector<risk::answer> answers;
    const auto& items = r.required_array("answers", answers_max);
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto prefix = "answers[" + std::to_string(i) + "]";
        json::object_reader a(json::element_object(items[i], prefix), prefix + ".");
        risk::answer one;
        one.question_id = a.required_string("question_id", 1, 40);
        one.option = static_cast<int>(a.required_int("option", 0, 100));
        a.reject_unknown();
        answers.push_back(std::move(one));
    }
    r.reject_unknown();
    return json_response(http::status::created,
                         risk::take_knowledge_test(ctx.work(), ctx.who().id, answers, ctx.request_id));
}

response request_sophistication(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto evidence = r.required_string("evidence", 1, 4000);
    r.reject_unknown();
    return json_response(http::status::created,
                         risk::request_sophistication(ctx.work(), ctx.who().id, evidence, ctx.request_id));
}

response list_sophistication(context& ctx) {
    int limit = ctx.page_size();
    auto items = risk::list_sophistication_requests(ctx.tx(), one_of(ctx, "state", {"pending", "approved", "rejected"}),
                                                    cursor(ctx), limit);
    std::string last = items.empty() ? "" : std::string(items.back().at("id").as_string());
    return page_response(std::move(items), limit, last);
}

response approve_sophistication(context& ctx) {
    return ok(risk::decide_sophistication(ctx.work(), id_param(ctx, "request"), true, text_field(ctx, "reason", 2000),
                                          caller(ctx)));
}

response reject_sophistication(context& ctx) {
    return ok(risk::decide_sophistication(ctx.work(), id_param(ctx, "request"), false, text_field(ctx, "reason", 2000),
                                          caller(ctx)));
}

} // namespace
} // namespace schwarm::api
