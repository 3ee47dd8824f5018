// Wallets: a customer's balance and statement; staff deposits and payouts;
// the payment provider's signed callback.
#include "resources/resources.hpp"

#include "resources/bodies.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "base/money.hpp"
#include "platform/payments.hpp"
#include "platform/wallets.hpp"

#include <boost/json/parse.hpp>

namespace schwarm::api {

namespace {
response my_wallet(context&);
response my_statement(context&);
response staff_wallet(context&);
response deposit(context&);
response payout(context&);
response payment_callback(context&);
response fund_balance(context&);
response fund_deposit(context&);
response fund_statement(context&);
} // namespace

std::vector<route> wallets_routes() {
    return {
        {http::verb::get, "/v1/wallet", access::customer, db_use::read, my_wallet},
        {http::verb::get, "/v1/wallet/statement", access::customer, db_use::read, my_statement, needs::replica},
        {http::verb::get, "/v1/wallets/{user_id}", access::staff | access::auditor, db_use::read, staff_wallet},
        {http::verb::post, "/v1/wallets/{user_id}/deposits", access::staff, db_use::write, deposit,
         needs::idempotency_key},
        {http::verb::post, "/v1/wallets/{user_id}/payouts", access::staff, db_use::write, payout,
         needs::idempotency_key},
        {http::verb::get, "/v1/fund", access::anyone, db_use::read, fund_balance, needs::replica},
        {http::verb::get, "/v1/fund/statement", access::anyone, db_use::read, fund_statement, needs::replica},
        {http::verb::post, "/v1/fund/deposits", access::staff, db_use::write, fund_deposit, needs::idempotency_key},
        // The provider authenticates by signature, not by token.
        {http::verb::post, "/v1/payments/callbacks", access::anyone, db_use::write, payment_callback,
         needs::keys_in_body},
    };
}

namespace {

std::string currency_param(const context& ctx) {
    std::string code = ctx.query_param("currency").value_or("EUR");
    if (!currency::parse(code)) throw field_problem("currency", "currency must be an ISO 4217 code we book, e.g. EUR");
    return code;
}

user_id user_param(const context& ctx) { return user_id{path_id(ctx, "user_id", "There is no such user")}; }

boost::json::object to_json(const wallets::balance& b) {
    return {{"currency", b.currency_code},
            {"balance_minor", b.balance_minor},
            {"held_minor", b.held_minor},
            {"available_minor", b.available_minor}};
}

response my_wallet(context& ctx) {
    return json_response(http::status::ok, to_json(wallets::of(ctx.tx(), ctx.who().id, currency_param(ctx))));
}

response statement_page(context& ctx, std::optional<user_id> owner) {
    std::string code = currency_param(ctx);
    auto before = ctx.query_param("cursor");
    if (before && before->size() > 40) throw field_problem("cursor", "cursor must be a value from an earlier page");
    int limit = ctx.page_size();
    auto lines = owner ? wallets::statement(ctx.tx(), *owner, code, before, limit)
                       : wallets::fund_statement(ctx.tx(), code, before, limit);
    boost::json::array items;
    for (const auto& l : lines) {
        items.push_back({{"entry_id", l.entry.str()},
                         {"at", l.at},
                         {"kind", ledger::to_string(l.kind)},
                         {"direction", l.side_ == ledger::side::credit ? "in" : "out"},
                         {"amount_minor", l.amount_minor},
                         {"currency", code},
                         {"description", l.description}});
    }
    return page_response(std::move(items), limit, lines.empty() ? "" : ledger::to_cursor(lines.back()));
}

response my_statement(context& ctx) { return statement_page(ctx, ctx.who().id); }

// The community fund in and out: deposits, allocations to the projects the
// members chose, loans' repayments coming back, failed campaigns' returns.
response fund_statement(context& ctx) { return statement_page(ctx, std::nullopt); }

response staff_wallet(context& ctx) {
    user_id owner = user_param(ctx);
    users::find(ctx.tx(), owner);
    return json_response(http::status::ok, to_json(wallets::of(ctx.tx(), owner, currency_param(ctx))));
}

response booked_response(const wallets::booked& done, boost::json::object extra = {}) {
    boost::json::object body{{"entry_id", done.entry.str()}, {"wallet", to_json(done.after)}};
    for (auto& field : extra) body[field.key()] = std::move(field.value());
    response res = json_response(http::status::created, body);
    if (done.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
    return res;
}

wallets::movement read_movement(context& ctx, const char* purpose) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    wallets::movement m;
    m.owner = user_param(ctx);
    m.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    m.currency_code = fields.required_string("currency", 3, 3);
    m.description = fields.optional_string("description", 0, 200).value_or(purpose);
    fields.reject_unknown();
    // The key is the staff member's: two of them cannot collide.
    m.idempotency_key = std::string(purpose) + ":" + ctx.who().id.str() + ":" + crypto::sha256_hex(ctx.idempotency_key);
    m.actor = ctx.who().id;
    m.request_id = ctx.request_id;
    return m;
}

// The community fund is public: members see what their rounds allocate.
response fund_balance(context& ctx) {
    return json_response(http::status::ok, to_json(wallets::fund_balance(ctx.tx(), currency_param(ctx))));
}

response fund_deposit(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    wallets::movement m;
    m.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    m.currency_code = fields.required_string("currency", 3, 3);
    m.description = fields.optional_string("description", 0, 200).value_or("Community fund deposit");
    fields.reject_unknown();
    m.idempotency_key = "fund:" + ctx.who().id.str() + ":" + crypto::sha256_hex(ctx.idempotency_key);
    m.actor = ctx.who().id;
    m.request_id = ctx.request_id;
    return booked_response(wallets::fund_deposit(ctx.work(), m));
}

response deposit(context& ctx) { return booked_response(wallets::deposit(ctx.work(), read_movement(ctx, "deposit"))); }
response payout(context& ctx) { return booked_response(wallets::payout(ctx.work(), read_movement(ctx, "payout"))); }

// The provider signs "<unix seconds>.<body>" with HMAC-SHA256 under the
// shared secret and sends `Schwarm-Signature: t=<unix seconds>,v1=<hex>`.
// A signature older (or newer) than the window is refused, so a captured
// callback cannot be replayed later; within the window the event id makes a
// replay book nothing twice.
void check_signature(const context& ctx) {
    const auto& secret = ctx.app.cfg.payment_callback_secret;
    if (secret.empty()) throw problem(problems::not_found, "Payment callbacks are not configured");
    auto header = ctx.request.find("Schwarm-Signature");
    auto refuse = [](const std::string& why) { return problem(problems::unauthorized, why); };
    if (header == ctx.request.end()) throw refuse("The Schwarm-Signature header is missing");
    std::string_view value = header->value();
    auto comma = value.find(',');
    if (!value.starts_with("t=") || comma == std::string_view::npos || value.substr(comma + 1, 3) != "v1=") {
        throw refuse("The Schwarm-Signature header must be t=<unix seconds>,v1=<hex HMAC-SHA256>");
    }
    switch (crypto::check_timestamped(secret, value.substr(2, comma - 2), ctx.request.body(), value.substr(comma + 4),
                                      ctx.app.cfg.payment_callback_window_s)) {
    case crypto::timestamped::ok: return;
    case crypto::timestamped::bad_timestamp: throw refuse("The signature's timestamp is not a number");
    case crypto::timestamped::bad_signature: throw refuse("The signature does not match");
    case crypto::timestamped::stale: throw refuse("The signature's timestamp is outside the accepted window");
    }
}

// A deposit the customer started (POST /v1/wallet/deposits): the intent's
// reference, and the amount and currency the provider collected, which must
// be the intent's. Booked once, whatever the provider retries.
response confirm_intent(context& ctx, json::object_reader& fields, const std::string& event) {
    payments::confirmation c;
    c.event_id = event;
    std::string type = fields.required_string("type", 1, 20);
    c.reference = fields.required_string("intent", 1, 100);
    c.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    c.currency_code = fields.required_string("currency", 3, 3);
    fields.reject_unknown();
    if (type != "deposit") throw field_problem("type", "type must be deposit for a payment intent");
    c.request_id = ctx.request_id;
    auto done = payments::confirm_deposit(ctx.work(), c);
    return booked_response(done.booking,
                           {{"intent", {{"id", std::to_string(done.paid.id)}, {"state", done.paid.state}}}});
}

response payment_callback(context& ctx) {
    check_signature(ctx);
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string event = fields.required_string("event_id", 1, 200);
    if (body.contains("intent")) return confirm_intent(ctx, fields, event);
    std::string type = fields.required_string("type", 1, 20);
    auto owner = parse_int64(fields.required_string("user_id", 1, 20));
    wallets::movement m;
    m.amount_minor = fields.required_int("amount_minor", 1, std::numeric_limits<std::int64_t>::max());
    m.currency_code = fields.required_string("currency", 3, 3);
    fields.reject_unknown();
    if (!owner || *owner <= 0) throw field_problem("user_id", "user_id must be a user id");
    if (type != "deposit" && type != "payout") throw field_problem("type", "type must be deposit or payout");
    m.owner = user_id{*owner};
    m.idempotency_key = "payment:" + crypto::sha256_hex(event);
    m.description = "Payment provider " + type + " " + event.substr(0, 100);
    m.request_id = ctx.request_id;
    return booked_response(type == "deposit" ? wallets::deposit(ctx.work(), m) : wallets::payout(ctx.work(), m));
}

} // namespace

wallets::movement bodies::wallet_movement(context& ctx, const char* purpose) { return read_movement(ctx, purpose); }

} // namespace schwarm::api
