// Pledges: customers back projects in funding; staff settle a campaign whose
// deadline passed (the background job does it anyway).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "base/money.hpp"
#include "platform/pledges.hpp"
#include "platform/settlement.hpp"

namespace schwarm::api {

namespace {
std::vector<response> place(const std::vector<context*>& batch);
response list_mine(context&);
response read_pledge(context&);
response revoke(context&);
response settle(context&);
response read_settlement(context&);
response list_settlements(context&);
} // namespace

std::vector<route> pledges_routes() {
    return {
        // Pledges to a hot project from many backers are coalesced into one
        // transaction per batch (api/batcher.hpp): its row is locked once.
        {http::verb::post, "/v1/projects/{id}/pledges", access::customer, db_use::write, nullptr,
         needs::idempotency_key, place},
        {http::verb::get, "/v1/pledges", access::customer, db_use::read, list_mine},
        {http::verb::get, "/v1/pledges/{id}", access::customer | access::staff, db_use::read, read_pledge},
        {http::verb::post, "/v1/pledges/{id}/revoke", access::customer, db_use::write, revoke, needs::idempotency_key},
        {http::verb::post, "/v1/projects/{id}/settle", access::staff, db_use::write, settle, needs::idempotency_key},
        {http::verb::get, "/v1/projects/{id}/settlement", access::staff, db_use::read, read_settlement},
        {http::verb::get, "/v1/settlements", access::staff, db_use::read, list_settlements},
    };
}

namespace {

std::int64_t id_param(const context& ctx, const char* what) {
    return path_id(ctx, "id", std::string("There is no such ") + what);
}

boost::json::object to_json(const pledges::pledge& p) {
    boost::json::object out{{"id", p.id.str()},
                            {"project_id", std::to_string(p.project_id)},
                            {"backer_id", p.backer.str()},
                            {"amount_minor", p.amount_minor},
                            {"currency", p.currency_code},
                            {"state", p.state},
                            {"risk_acknowledged", p.risk_acknowledged},
                            {"hold_entry_id", p.hold.str()},
                            {"created_at", p.created_at}};
    out["revocable_until"] = p.revocable_until ? boost::json::value(*p.revocable_until) : nullptr;
    return out;
}

response pledge_response(const pledges::pledge& p, http::status status) {
    response res = json_response(status, to_json(p));
    res.headers.emplace_back("Location", "/v1/pledges/" + p.id.str());
    if (p.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
    return res;
}

pledges::request read_request(const context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    pledges::request r;
    r.project_id = id_param(ctx, "project");
    r.backer = ctx.who().id;
    r.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    r.currency_code = fields.required_string("currency", 3, 3);
    if (!currency::parse(r.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    r.risk_acknowledged = fields.optional_bool("risk_acknowledged").value_or(false);
    fields.reject_unknown();
    r.idempotency_key = ctx.idempotency_key;
    r.request_id = ctx.request_id;
    return r;
}

std::vector<response> place(const std::vector<context*>& batch) {
    std::vector<std::optional<response>> out(batch.size());
    std::vector<pledges::request> requests;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            requests.push_back(read_request(*batch[i]));
            index.push_back(i);
        } catch (...) {
            out[i] = current_error_response(batch[i]->request_id);
        }
    }
    if (!requests.empty()) {
        auto results = pledges::place(batch.front()->work(), requests);
        for (std::size_t n = 0; n < results.size(); ++n) {
            const auto& request_id = batch[index[n]]->request_id;
            if (auto* p = std::get_if<problem>(&results[n])) out[index[n]] = problem_response(*p, request_id);
            else out[index[n]] = pledge_response(std::get<pledges::pledge>(results[n]), http::status::created);
        }
    }
    std::vector<response> responses;
    for (auto& r : out) responses.push_back(std::move(*r));
    return responses;
}

response list_mine(context& ctx) {
    int limit = ctx.page_size();
    std::optional<std::int64_t> before;
    if (auto cursor = ctx.query_param("cursor")) {
        before = parse_int64(*cursor);
        if (!before) throw field_problem("cursor", "cursor must be a value from an earlier page");
    }
    auto items = pledges::list_mine(ctx.tx(), ctx.who().id, before, limit);
    boost::json::array out;
    for (const auto& p : items) out.push_back(to_json(p));
    return page_response(std::move(out), limit, items.empty() ? "" : items.back().id.str());
}

response read_pledge(context& ctx) {
    return json_response(http::status::ok,
                         to_json(pledges::find(ctx.tx(), pledges::pledge_id{id_param(ctx, "pledge")}, ctx.who())));
}

response revoke(context& ctx) {
    auto p = pledges::revoke(ctx.work(), pledges::pledge_id{id_param(ctx, "pledge")}, ctx.who().id, ctx.request_id);
    return pledge_response(p, http::status::ok);
}

boost::json::object to_json(const projects::settlement_view& v) {
    auto nullable = [](const std::optional<std::string>& s) { return s ? boost::json::value(*s) : nullptr; };
    return {{"project_id", v.id.str()},
            {"state", v.state},
            {"deadline", v.deadline},
            {"settles_at", v.settles_at},
            {"due", v.due},
            {"outcome", nullable(v.outcome)},
            {"fee_minor", v.fee_minor},
            {"pledged_minor", v.pledged_minor},
            {"goal_minor", v.goal_minor},
            {"error", nullable(v.error)},
            {"attempts", v.attempts},
            {"retry_at", nullable(v.retry_at)}};
}

response read_settlement(context& ctx) {
    return json_response(http::status::ok,
                         to_json(projects::settlement_of(ctx.tx(), projects::project_id{id_param(ctx, "project")})));
}

// Campaigns due for settlement (or, with set_aside=true, only those whose
// settlement failed and waits for a retry), by project id.
response list_settlements(context& ctx) {
    int limit = ctx.page_size();
    std::string filter = ctx.query_param("set_aside").value_or("false");
    if (filter != "true" && filter != "false") throw field_problem("set_aside", "set_aside must be true or false");
    std::optional<std::int64_t> after;
    if (auto cursor = ctx.query_param("cursor")) {
        after = parse_int64(*cursor);
        if (!after) throw field_problem("cursor", "cursor must be a value from an earlier page");
    }
    auto items = projects::settlements_pending(ctx.tx(), filter == "true", after, limit);
    boost::json::array out;
    for (const auto& v : items) out.push_back(to_json(v));
    return page_response(std::move(out), limit, items.empty() ? "" : items.back().id.str());
}

response settle(context& ctx) {
    settlement::settings s{ctx.app.cfg.platform_fee_bp, ctx.app.cfg.settlement_chunk};
    auto done = settlement::settle_now(ctx.work(), projects::project_id{id_param(ctx, "project")}, s,
                                       {ctx.who(), ctx.request_id});
    return json_response(
        http::status::ok,
        {{"project_id", done.project.str()}, {"outcome", done.outcome}, {"pledges_resolved", done.resolved}});
}

} // namespace
} // namespace schwarm::api
