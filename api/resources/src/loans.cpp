// Loans: staff disburse and mark defaults; the borrower repays; borrower,
// lenders and staff read the schedule; customers read their positions.
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/loans.hpp"
#include "platform/pledges.hpp"

namespace schwarm::api {

namespace {
response disburse(context&);
response read_loan(context&);
response repay(context&);
response mark_defaulted(context&);
response positions(context&);
} // namespace

std::vector<route> loans_routes() {
    return {
        {http::verb::post, "/v1/projects/{id}/disburse", access::staff, db_use::write, disburse,
         needs::idempotency_key},
        {http::verb::get, "/v1/loans/{id}", access::customer | access::staff | access::auditor, db_use::read,
         read_loan},
        {http::verb::post, "/v1/loans/{id}/repayments", access::customer | access::staff, db_use::write, repay,
         needs::idempotency_key},
        {http::verb::post, "/v1/loans/{id}/default", access::staff, db_use::write, mark_defaulted,
         needs::idempotency_key},
        {http::verb::get, "/v1/me/positions", access::customer, db_use::read, positions},
    };
}

namespace {

projects::project_id id_param(const context& ctx) {
    return projects::project_id{path_id(ctx, "id", "There is no such loan")};
}

boost::json::object to_json(const loans::loan_view& v) {
    boost::json::array instalments;
    for (const auto& i : v.instalments) {
        instalments.push_back({{"no", i.no},
                               {"due_on", i.due_on},
                               {"principal_minor", i.principal_minor},
                               {"interest_minor", i.interest_minor},
                               {"total_minor", i.principal_minor + i.interest_minor},
                               {"paid_minor", i.paid_minor},
                               {"status", i.status},
                               {"days_overdue", i.days_overdue}});
    }
    boost::json::array lenders;
    for (const auto& l : v.lenders) {
        lenders.push_back(
            {{"lender_id", l.community_fund ? boost::json::value(nullptr) : boost::json::value(l.lender.str())},
             {"community_fund", l.community_fund},
             {"share_minor", l.share_minor},
             {"principal_received_minor", l.principal_received_minor},
             {"interest_received_minor", l.interest_received_minor}});
    }
    return {{"project_id", std::to_string(v.project_id)},
            {"title", v.title},
            {"borrower_id", v.borrower.str()},
            {"principal_minor", v.principal_minor},
            {"currency", v.currency_code},
            {"rate_bp", v.rate_bp},
            {"term_months", v.term_months},
            {"schedule", v.schedule},
            {"state", v.state},
            {"disbursed_at", v.disbursed_at},
            {"principal_repaid_minor", v.principal_repaid_minor},
            {"interest_repaid_minor", v.interest_repaid_minor},
            {"owed_minor", v.owed_minor},
            {"arrears_minor", v.arrears_minor},
            {"instalments", std::move(instalments)},
            {"lenders", std::move(lenders)}};
}

response disburse(context& ctx) {
    auto id = id_param(ctx);
    // A retry after success finds the project disbursed: answer the loan.
    try {
        return json_response(http::status::created, to_json(loans::disburse(ctx.work(), id, caller(ctx))));
    } catch (const problem& p) {
        if (!p.is(projects::problems::illegal_transition)) throw;
        auto state = p.extension("state");
        bool disbursed = state == "disbursed" || state == "repaying" || state == "repaid" || state == "defaulted";
        if (!disbursed) throw;
        response res = json_response(http::status::created, to_json(loans::find(ctx.tx(), id, ctx.who())));
        res.headers.emplace_back("Idempotent-Replayed", "true");
        return res;
    }
}

response read_loan(context& ctx) {
    return json_response(http::status::ok, to_json(loans::find(ctx.tx(), id_param(ctx), ctx.who())));
}

response repay(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::int64_t amount = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    fields.reject_unknown();
    auto done = loans::repay(ctx.work(), id_param(ctx), amount, ctx.idempotency_key, caller(ctx));
    auto loan =
        to_json(ctx.who().role_ == users::role::staff ? done.loan : loans::find(ctx.tx(), id_param(ctx), ctx.who()));
    response res = json_response(http::status::created, {{"repayment_id", std::to_string(done.id)},
                                                         {"amount_minor", done.amount_minor},
                                                         {"principal_minor", done.principal_minor},
                                                         {"interest_minor", done.interest_minor},
                                                         {"loan", std::move(loan)}});
    if (done.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
    return res;
}

response mark_defaulted(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string reason = fields.required_string("reason", 1, 1000);
    fields.reject_unknown();
    return json_response(http::status::ok,
                         to_json(loans::mark_defaulted(ctx.work(), id_param(ctx), reason, caller(ctx))));
}

// Everything a customer holds, in one request: pledges (newest 200), loans
// lent with what came back, loans borrowed with what is owed and overdue.
response positions(context& ctx) {
    user_id me = ctx.who().id;
    boost::json::array pledged;
    for (const auto& p : pledges::list_mine(ctx.tx(), me, std::nullopt, 200)) {
        pledged.push_back({{"id", p.id.str()},
                           {"project_id", std::to_string(p.project_id)},
                           {"amount_minor", p.amount_minor},
                           {"currency", p.currency_code},
                           {"state", p.state}});
    }
    boost::json::array lent;
    for (const auto& l : loans::lent_by(ctx.tx(), me)) {
        lent.push_back({{"project_id", std::to_string(l.project_id)},
                        {"title", l.title},
                        {"state", l.state},
                        {"currency", l.currency_code},
                        {"share_minor", l.share_minor},
                        {"principal_received_minor", l.principal_received_minor},
                        {"interest_received_minor", l.interest_received_minor},
                        {"outstanding_minor", l.outstanding_minor}});
    }
    boost::json::array borrowed;
    for (const auto& b : loans::borrowed_by(ctx.tx(), me)) {
        boost::json::object item{{"project_id", std::to_string(b.project_id)},
                                 {"title", b.title},
                                 {"state", b.state},
                                 {"currency", b.currency_code},
                                 {"owed_minor", b.owed_minor},
                                 {"arrears_minor", b.arrears_minor}};
        item["next_due_on"] = b.next_due_on ? boost::json::value(*b.next_due_on) : nullptr;
        borrowed.push_back(std::move(item));
    }
    return json_response(
        http::status::ok,
        {{"pledges", std::move(pledged)}, {"loans_lent", std::move(lent)}, {"loans_borrowed", std::move(borrowed)}});
}

} // namespace
} // namespace schwarm::api
