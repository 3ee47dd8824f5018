// A customer's own money in and out: deposits started as payment intents
// (confirmed by the provider's signed callback, api/resources/src/wallets.cpp),
// the bank account on file, payouts requested by the customer and decided by
// staff (docs/payments.md).
#include "resources/resources.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "platform/payments.hpp"

#include <limits>

namespace schwarm::api {

namespace {
response start_deposit(context&);
response list_deposits(context&);
response read_deposit(context&);
response put_bank_account(context&);
response read_bank_account(context&);
response request_payout(context&);
response list_payouts(context&);
response read_payout(context&);
response approve_payout(context&);
response reject_payout(context&);
} // namespace

std::vector<route> payments_routes() {
    return {
        {http::verb::post, "/v1/wallet/deposits", access::customer, db_use::write, start_deposit,
         needs::idempotency_key},
        {http::verb::get, "/v1/wallet/deposits", access::customer, db_use::read, list_deposits},
        {http::verb::get, "/v1/wallet/deposits/{id}", access::customer | access::staff, db_use::read, read_deposit},
        {http::verb::put, "/v1/wallet/bank-account", access::customer, db_use::write, put_bank_account},
        {http::verb::get, "/v1/wallet/bank-account", access::customer, db_use::read, read_bank_account},
        {http::verb::post, "/v1/wallet/payouts", access::customer, db_use::write, request_payout,
         needs::idempotency_key},
        {http::verb::get, "/v1/payouts", access::customer | access::staff, db_use::read, list_payouts},
        {http::verb::get, "/v1/payouts/{id}", access::customer | access::staff, db_use::read, read_payout},
        {http::verb::post, "/v1/payouts/{id}/approve", access::staff, db_use::write, approve_payout,
         needs::idempotency_key},
        {http::verb::post, "/v1/payouts/{id}/reject", access::staff, db_use::write, reject_payout,
         needs::idempotency_key},
    };
}

namespace {

std::optional<std::int64_t> cursor_param(const context& ctx) {
    auto text = ctx.query_param("cursor");
    if (!text) return std::nullopt;
    auto value = parse_int64(*text);
    if (!value || *value < 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    return value;
}

bool is_staff(const context& ctx) { return ctx.who().role_ == users::role::staff; }

boost::json::object intent_json(const payments::intent& i) {
    return {{"id", std::to_string(i.id)},
            {"user_id", i.owner.str()},
            {"reference", i.reference},
            {"amount_minor", i.amount_minor},
            {"currency", i.currency_code},
            {"state", i.state},
            {"created_at", i.created_at},
            {"expires_at", i.expires_at},
            {"confirmed_at", i.confirmed_at ? boost::json::value(*i.confirmed_at) : boost::json::value(nullptr)},
            {"entry_id", i.entry_id ? boost::json::value(std::to_string(*i.entry_id)) : boost::json::value(nullptr)},
            // What the payment provider is given to collect the money and to
            // name in its signed callback (README, "POST /v1/payments/callbacks").
            {"provider", {{"intent", i.reference}, {"amount_minor", i.amount_minor}, {"currency", i.currency_code}}}};
}

boost::json::object payout_json(const payments::payout& p) {
    boost::json::array approvers;
    for (const auto& a : p.approved_by) approvers.push_back(boost::json::value(a.str()));
    return {{"id", std::to_string(p.id)},
            {"user_id", p.owner.str()},
            {"amount_minor", p.amount_minor},
            {"currency", p.currency_code},
            {"iban", p.iban},
            {"state", p.state},
            {"approvals_needed", p.approvals_needed},
            {"approved_by", std::move(approvers)},
            {"reason", p.reason ? boost::json::value(*p.reason) : boost::json::value(nullptr)},
            {"decided_by", p.decided_by ? boost::json::value(p.decided_by->str()) : boost::json::value(nullptr)},
            {"created_at", p.created_at},
            {"decided_at", p.decided_at ? boost::json::value(*p.decided_at) : boost::json::value(nullptr)},
            {"hold_entry_id", std::to_string(p.hold_entry_id)},
            {"resolve_entry_id", p.resolve_entry_id ? boost::json::value(std::to_string(*p.resolve_entry_id))
                                                    : boost::json::value(nullptr)}};
}

std::string iban_field(json::object_reader& fields, bool required) {
    auto text = required ? std::optional(fields.required_string("iban", 1, 50)) : fields.optional_string("iban", 1, 50);
    if (!text) return {};
    auto iban = payments::normalise_iban(*text);
    if (!iban) {
        throw field_problem("iban", "iban must be an IBAN of a SEPA country with a correct length and check digits");
    }
    return *iban;
}

response start_deposit(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto amount = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    auto currency = fields.required_string("currency", 3, 3);
    fields.reject_unknown();
    auto made = payments::start_deposit(ctx.work(), ctx.who().id, amount, currency, ctx.app.cfg.payment_intent_ttl_s,
                                        ctx.request_id);
    response res = json_response(http::status::created, intent_json(made));
    res.headers.emplace_back("Location", "/v1/wallet/deposits/" + std::to_string(made.id));
    return res;
}

response list_deposits(context& ctx) {
    int limit = ctx.page_size();
    auto items = payments::intents_of(ctx.tx(), ctx.who().id, cursor_param(ctx), limit);
    boost::json::array out;
    for (const auto& i : items) out.push_back(intent_json(i));
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().id));
}

response read_deposit(context& ctx) {
    auto id = path_id(ctx, "id", "There is no such payment intent");
    auto found = payments::find_intent(ctx.tx(), id);
    // Another customer's intent does not exist for this one.
    if (!is_staff(ctx) && found.owner != ctx.who().id) {
        throw problem(payments::problems::intent_unknown, "There is no such payment intent");
    }
    return json_response(http::status::ok, intent_json(found));
}

response put_bank_account(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto iban = iban_field(fields, true);
    fields.reject_unknown();
    payments::set_bank_account(ctx.work(), ctx.who().id, iban, ctx.request_id);
    return json_response(http::status::ok, {{"iban", iban}});
}

response read_bank_account(context& ctx) {
    auto iban = payments::bank_account(ctx.tx(), ctx.who().id);
    if (!iban) throw problem(problems::not_found, "There is no bank account on file");
    return json_response(http::status::ok, {{"iban", *iban}});
}

response request_payout(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    payments::payout_ask ask;
    ask.owner = ctx.who().id;
    ask.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    ask.currency_code = fields.required_string("currency", 3, 3);
    if (auto iban = iban_field(fields, false); !iban.empty()) ask.iban = iban;
    fields.reject_unknown();
    ask.idempotency_key = "payout-hold:" + ctx.who().id.str() + ":" + crypto::sha256_hex(ctx.idempotency_key);
    ask.four_eyes_above_minor = ctx.app.cfg.payout_four_eyes_above_minor;
    ask.request_id = ctx.request_id;
    auto made = payments::request_payout(ctx.work(), ask);
    response res = json_response(http::status::created, payout_json(made));
    res.headers.emplace_back("Location", "/v1/payouts/" + std::to_string(made.id));
    return res;
}

response list_payouts(context& ctx) {
    int limit = ctx.page_size();
    auto state = ctx.query_param("state");
    if (state && *state != "requested" && *state != "paid" && *state != "rejected") {
        throw field_problem("state", "state must be one of requested, paid, rejected");
    }
    std::optional<user_id> owner;
    if (!is_staff(ctx)) owner = ctx.who().id;
    auto items = payments::payouts(ctx.tx(), owner, state, cursor_param(ctx), limit);
    boost::json::array out;
    for (const auto& p : items) out.push_back(payout_json(p));
    return page_response(std::move(out), limit, items.empty() ? "" : std::to_string(items.back().id));
}

std::int64_t payout_param(const context& ctx) { return path_id(ctx, "id", "There is no such payout"); }

response read_payout(context& ctx) {
    auto found = payments::find_payout(ctx.tx(), payout_param(ctx));
    if (!is_staff(ctx) && found.owner != ctx.who().id) throw problem(problems::not_found, "There is no such payout");
    return json_response(http::status::ok, payout_json(found));
}

// No body: the approval is the staff member's, named by their token.
response approve_payout(context& ctx) {
    return json_response(http::status::ok, payout_json(payments::approve_payout(ctx.work(), payout_param(ctx),
                                                                                ctx.who().id, ctx.request_id)));
}

response reject_payout(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    auto reason = fields.required_string("reason", 1, 500);
    fields.reject_unknown();
    return json_response(http::status::ok, payout_json(payments::reject_payout(ctx.work(), payout_param(ctx),
                                                                               ctx.who().id, reason, ctx.request_id)));
}

} // namespace
} // namespace schwarm::api
