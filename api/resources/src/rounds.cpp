// Voting rounds: staff run them, customers vote, everyone sees the results
// and, after the close, the anonymised ballots to recount them.
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/rounds.hpp"
#include "voting/pabulib.hpp"

namespace schwarm::api {

namespace {
response create_round(context&);
response read_round(context&);
response add_project(context&);
response list_projects(context&);
response configure_round(context&);
response what_if(context&);
response open_round(context&);
response close_round(context&);
response cast_ballot(context&);
response tally_round(context&);
response read_result(context&);
response allocate(context&);
response list_ballots(context&);
response export_pabulib(context&);
response import_pabulib(context&);
response enter_paper_batch(context&);
response list_paper_batches(context&);
response confirm_paper_batch(context&);
response reject_paper_batch(context&);
} // namespace

std::vector<route> rounds_routes() {
    return {
        {http::verb::post, "/v1/rounds", access::staff, db_use::write, create_round},
        {http::verb::post, "/v1/rounds/import", access::staff, db_use::write, import_pabulib},
        {http::verb::get, "/v1/rounds/{id}", access::anyone, db_use::read, read_round, needs::replica},
        {http::verb::patch, "/v1/rounds/{id}", access::staff, db_use::write, configure_round},
        {http::verb::post, "/v1/rounds/{id}/what-if", access::staff, db_use::read, what_if},
        {http::verb::post, "/v1/rounds/{id}/projects", access::staff, db_use::write, add_project},
        {http::verb::get, "/v1/rounds/{id}/projects", access::anyone, db_use::read, list_projects, needs::replica},
        {http::verb::post, "/v1/rounds/{id}/open", access::staff, db_use::write, open_round},
        {http::verb::post, "/v1/rounds/{id}/close", access::staff, db_use::write, close_round},
        {http::verb::put, "/v1/rounds/{id}/ballot", access::customer, db_use::write, cast_ballot},
        {http::verb::post, "/v1/rounds/{id}/paper-batches", access::staff, db_use::write, enter_paper_batch},
        {http::verb::get, "/v1/rounds/{id}/paper-batches", access::staff, db_use::read, list_paper_batches},
        {http::verb::post, "/v1/rounds/{id}/paper-batches/{batch}/confirm", access::staff, db_use::write,
         confirm_paper_batch},
        {http::verb::post, "/v1/rounds/{id}/paper-batches/{batch}/reject", access::staff, db_use::write,
         reject_paper_batch},
        {http::verb::post, "/v1/rounds/{id}/tally", access::staff, db_use::write, tally_round},
        {http::verb::get, "/v1/rounds/{id}/result", access::anyone, db_use::read, read_result, needs::replica},
        {http::verb::post, "/v1/rounds/{id}/allocate", access::staff, db_use::write, allocate, needs::idempotency_key},
        {http::verb::get, "/v1/rounds/{id}/ballots", access::anyone, db_use::read, list_ballots, needs::replica},
        {http::verb::get, "/v1/rounds/{id}/pabulib", access::anyone, db_use::read, export_pabulib, needs::replica},
    };
}

namespace {

voting::round_id round_param(const context& ctx) {
    return voting::round_id{path_id(ctx, "id", "There is no such round")};
}

// SCHWARM_BALLOT_KEY, which `serve` requires.
voting::ballot_key ballot_key(const context& ctx) { return voting::ballot_key(ctx.app.cfg.ballot_key); }

boost::json::object to_json(const voting::round_info& r) {
    const auto& s = r.spec;
    boost::json::object out{{"id", r.id.str()},
                            {"title", s.title},
                            {"budget_minor", s.budget_minor},
                            {"currency", s.currency_code},
                            {"opens_at", s.opens_at},
                            {"closes_at", s.closes_at},
                            {"eligibility", s.eligibility},
                            {"ballot", s.ballot},
                            {"rule", s.rule},
                            {"utility", s.utility},
                            {"options", s.options},
                            {"min_projects", s.min_projects},
                            {"state", r.state},
                            {"imported", r.imported},
                            {"accepting_ballots", r.state == "open" && r.in_window},
                            {"projects", r.projects},
                            {"ballots", r.ballots}};
    out["max_projects"] = s.max_projects ? boost::json::value(*s.max_projects) : nullptr;
    out["max_total_cost_minor"] = s.max_total_cost_minor ? boost::json::value(*s.max_total_cost_minor) : nullptr;
    out["points"] = s.points ? boost::json::value(*s.points) : nullptr;
    out["max_ranks"] = s.max_ranks ? boost::json::value(*s.max_ranks) : nullptr;
    return out;
}

response round_response(const voting::round_info& r, http::status status = http::status::ok) {
    return json_response(status, to_json(r));
}

response create_round(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader f(body);
    voting::round_spec s;
    s.title = f.required_string("title", 1, 200);
    s.budget_minor = f.required_int("budget_minor", 1, std::numeric_limits<std::int64_t>::max());
    s.currency_code = f.required_string("currency", 3, 3);
    s.opens_at = f.required_time("opens_at");
    s.closes_at = f.required_time("closes_at");
    s.eligibility = f.optional_string("eligibility", 1, 20).value_or("customers");
    s.ballot = f.optional_string("ballot", 1, 20).value_or("approval");
    s.rule = f.optional_string("rule", 1, 40).value_or("greedy");
    s.utility = f.optional_string("utility", 1, 20).value_or("cost");
    s.options = f.optional_object("options");
    s.min_projects = static_cast<int>(f.optional_int("min_projects", 0, 1000).value_or(1));
    if (auto v = f.optional_int("max_projects", 1, 1000)) s.max_projects = static_cast<int>(*v);
    s.max_total_cost_minor = f.optional_int("max_total_cost_minor", 1, std::numeric_limits<std::int64_t>::max());
    if (auto v = f.optional_int("points", 1, 1'000'000)) s.points = static_cast<int>(*v);
    if (auto v = f.optional_int("max_ranks", 1, static_cast<std::int64_t>(voting::ranks_per_ballot_max))) {
        s.max_ranks = static_cast<int>(*v);
    }
    f.reject_unknown();
    auto created = voting::create_round(ctx.work(), s, ctx.origin());
    response res = round_response(created, http::status::created);
    res.headers.emplace_back("Location", "/v1/rounds/" + created.id.str());
    return res;
}

// {"rule", "utility", "options"}: each optional, the round's own kept where absent.
voting::round_rule rule_from(const boost::json::object& body, const voting::round_spec& now) {
    json::object_reader f(body);
    voting::round_rule rule{f.optional_string("rule", 1, 40).value_or(now.rule),
                            f.optional_string("utility", 1, 20).value_or(now.utility), now.options};
    if (body.contains("options")) rule.options = f.optional_object("options");
    f.reject_unknown();
    return rule;
}

response configure_round(context& ctx) {
    auto id = round_param(ctx);
    auto rule = rule_from(ctx.json_body(), voting::find_round(ctx.tx(), id).spec);
    return round_response(voting::configure_round(ctx.work(), id, rule, ctx.origin()));
}

// Staff: the closed round's ballots under another rule; nothing is stored.
// Options not given are none (not the round's).
response what_if(context& ctx) {
    auto id = round_param(ctx);
    auto body = ctx.json_body();
    json::object_reader f(body);
    voting::round_rule rule{f.required_string("rule", 1, 40), f.optional_string("utility", 1, 20).value_or("cost"),
                            f.optional_object("options")};
    f.reject_unknown();
    return json_response(http::status::ok, voting::what_if(ctx.tx(), id, rule));
}

response read_round(context& ctx) { return round_response(voting::find_round(ctx.tx(), round_param(ctx))); }

// Either a platform project ({"project_id", optional "cost_minor"}), or one
// that lives only in the round ({"key", "name", "cost_minor"}).
response add_project(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader f(body);
    auto id = round_param(ctx);
    voting::round_project p;
    if (auto project = f.optional_string("project_id", 1, 20)) {
        auto cost = f.optional_int("cost_minor", 1, std::numeric_limits<std::int64_t>::max());
        f.reject_unknown();
        auto value = parse_int64(*project);
        if (!value || *value <= 0) throw field_problem("project_id", "project_id must be a project id");
        p = voting::add_platform_project(ctx.work(), id, *value, cost, ctx.who(), ctx.request_id);
    } else {
        p = {f.required_string("key", 1, 64), f.required_string("name", 1, 300),
             f.required_int("cost_minor", 1, std::numeric_limits<std::int64_t>::max())};
        f.reject_unknown();
        voting::add_project(ctx.work(), id, p, ctx.origin());
    }
    return json_response(http::status::created, {{"key", p.key}, {"name", p.name}, {"cost_minor", p.cost_minor}});
}

// {"reject": ["project id", ...], "reason": "..."}: the unselected platform
// projects named are rejected, the others return to approved.
response allocate(context& ctx) {
    std::vector<std::int64_t> reject;
    std::string reason;
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader f(body);
        const auto& ids = f.optional_array("reject", voting::projects_per_round_max);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto value = ids[i].is_string() ? parse_int64(std::string_view(ids[i].as_string())) : std::nullopt;
            if (!value || *value <= 0)
                throw field_problem("reject[" + std::to_string(i) + "]", "reject holds project ids");
            reject.push_back(*value);
        }
        reason = f.optional_string("reason", 1, 1000).value_or("");
        f.reject_unknown();
    }
    auto done = voting::allocate(ctx.work(), round_param(ctx), reject, reason, ctx.who(), ctx.request_id);
    boost::json::array funded, returned, rejected;
    for (const auto& [project, amount] : done.funded) {
        funded.push_back({{"project_id", std::to_string(project)}, {"amount_minor", amount}});
    }
    for (auto project : done.returned) returned.push_back(boost::json::value(std::to_string(project)));
    for (auto project : done.rejected) rejected.push_back(boost::json::value(std::to_string(project)));
    return json_response(http::status::ok, {{"state", "allocated"},
                                            {"funded", std::move(funded)},
                                            {"returned", std::move(returned)},
                                            {"rejected", std::move(rejected)}});
}

response list_projects(context& ctx) {
    auto id = round_param(ctx);
    voting::find_round(ctx.tx(), id);
    boost::json::array items;
    for (const auto& p : voting::projects_of(ctx.tx(), id)) {
        items.push_back({{"key", p.key}, {"name", p.name}, {"cost_minor", p.cost_minor}});
    }
    return json_response(http::status::ok, {{"items", std::move(items)}});
}

response open_round(context& ctx) {
    return round_response(voting::open_round(ctx.work(), round_param(ctx), ctx.origin()));
}
response close_round(context& ctx) {
    return round_response(voting::close_round(ctx.work(), round_param(ctx), ballot_key(ctx), ctx.origin()));
}

// [{"project": "key", "points": n}, ...]; points only on cumulative ballots;
// on ranked ones the choices in order, best first. `prefix` names the field.
std::vector<voting::choice> choices_from(const boost::json::array& items, const std::string& prefix) {
    std::vector<voting::choice> choices;
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string name = prefix + "[" + std::to_string(i) + "]";
        json::object_reader c(json::element_object(items[i], name), name + ".");
        std::string project = c.required_string("project", 1, 64);
        std::int64_t points = c.optional_int("points", 0, 1'000'000).value_or(1);
        c.reject_unknown();
        choices.push_back({std::move(project), points});
    }
    return choices;
}

// The body: {"choices": [...]} (above).
response cast_ballot(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader f(body);
    const auto& items = f.required_array("choices", voting::choices_per_ballot_max);
    f.reject_unknown();
    auto choices = choices_from(items, "choices");
    auto receipt = voting::cast_ballot(ctx.work(), round_param(ctx), ctx.who(), std::move(choices), ballot_key(ctx),
                                       ctx.request_id);
    return json_response(receipt.replaced ? http::status::ok : http::status::created,
                         {{"receipt", receipt.hash},
                          {"secret", receipt.secret},
                          {"replaced", receipt.replaced},
                          {"note", "Keep the receipt: after the close, find your ballot among the published ones by "
                                   "it and check it was counted; the secret shows the receipt was made from what you "
                                   "chose. Both are published with every ballot then, so neither proves to anyone "
                                   "how you voted. Until the close you may replace this ballot."}});
}

boost::json::object to_json(const voting::paper_batch& b) {
    auto optional = [](const std::optional<std::string>& v) { return v ? boost::json::value(*v) : nullptr; };
    return {{"id", std::to_string(b.id)},
            {"round_id", b.round.str()},
            {"state", b.state},
            {"ballots", b.ballots},
            {"entered_by", b.entered_by.str()},
            {"entered_at", b.entered_at},
            {"decided_by", b.decided_by ? boost::json::value(b.decided_by->str()) : nullptr},
            {"decided_at", optional(b.decided_at)},
            {"reason", optional(b.reason)}};
}

std::int64_t batch_param(const context& ctx) { return path_id(ctx, "batch", "There is no such paper batch"); }

// Staff: {"ballots": [{"voter_id": "17", "choices": [...]}, ...]}, as read
// from the paper; another staff member confirms the batch.
response enter_paper_batch(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader f(body);
    const auto& items = f.required_array("ballots", voting::paper_ballots_per_batch_max);
    f.reject_unknown();
    std::vector<voting::paper_ballot> ballots;
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string name = "ballots[" + std::to_string(i) + "]";
        json::object_reader b(json::element_object(items[i], name), name + ".");
        std::string voter = b.required_string("voter_id", 1, 20);
        const auto& choices = b.required_array("choices", voting::choices_per_ballot_max);
        b.reject_unknown();
        auto value = parse_int64(voter);
        if (!value || *value <= 0) throw field_problem(name + ".voter_id", "voter_id must be a user id");
        ballots.push_back({user_id{*value}, choices_from(choices, name + ".choices")});
    }
    auto batch = voting::enter_paper_batch(ctx.work(), round_param(ctx), std::move(ballots), ballot_key(ctx), ctx.who(),
                                           ctx.request_id);
    return json_response(http::status::created, to_json(batch));
}

response list_paper_batches(context& ctx) {
    boost::json::array items;
    for (const auto& b : voting::paper_batches_of(ctx.tx(), round_param(ctx))) items.push_back(to_json(b));
    return json_response(http::status::ok, {{"items", std::move(items)}});
}

response confirm_paper_batch(context& ctx) {
    return json_response(http::status::ok,
                         to_json(voting::confirm_paper_batch(ctx.work(), round_param(ctx), batch_param(ctx), ctx.who(),
                                                             ctx.request_id)));
}

// {"reason": "..."}
response reject_paper_batch(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader f(body);
    std::string reason = f.required_string("reason", 1, 1000);
    f.reject_unknown();
    return json_response(http::status::ok,
                         to_json(voting::reject_paper_batch(ctx.work(), round_param(ctx), batch_param(ctx), reason,
                                                            ctx.who(), ctx.request_id)));
}

response tally_round(context& ctx) {
    return json_response(http::status::ok, voting::tally_round(ctx.work(), round_param(ctx), ctx.origin()));
}

response read_result(context& ctx) {
    return json_response(http::status::ok, voting::result_of(ctx.tx(), round_param(ctx)));
}

response list_ballots(context& ctx) {
    int limit = ctx.page_size(200);
    auto cursor = ctx.query_param("cursor").value_or("");
    auto ballots = voting::published_ballots(ctx.tx(), round_param(ctx), cursor, limit);
    boost::json::array items;
    for (const auto& b : ballots) {
        boost::json::array choices;
        for (const auto& c : b.choices) choices.push_back({{"project", c.project}, {"points", c.points}});
        items.push_back({{"receipt", b.receipt},
                         {"secret", b.secret ? boost::json::value(*b.secret) : boost::json::value(nullptr)},
                         {"choices", std::move(choices)}});
    }
    return page_response(std::move(items), limit, ballots.empty() ? "" : ballots.back().receipt);
}

response export_pabulib(context& ctx) {
    auto id = round_param(ctx);
    response res{http::status::ok, "text/plain; charset=utf-8", voting::export_pabulib(ctx.tx(), id), {}};
    res.headers.emplace_back("Content-Disposition", "attachment; filename=\"schwarm-round-" + id.str() + ".pb\"");
    return res;
}

// The body is the .pb file itself; currency, and rule and utility if not the
// file's, come in the query.
response import_pabulib(context& ctx) {
    auto rule = ctx.query_param("rule");
    auto utility = ctx.query_param("utility");
    std::string currency_code = ctx.query_param("currency").value_or("EUR");
    try {
        auto round = voting::import_pabulib(ctx.work(), ctx.request.body(), rule, utility, currency_code, ctx.origin());
        response res = round_response(round, http::status::created);
        res.headers.emplace_back("Location", "/v1/rounds/" + round.id.str());
        return res;
    } catch (const voting::pabulib_error& e) {
        throw problem(problems::validation, e.what()).with("line", e.line()).with("field", e.field());
    }
}

} // namespace
} // namespace schwarm::api
