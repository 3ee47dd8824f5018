// A customer's own money in and out through the real binary: deposits as
// payment intents confirmed by the provider's signed callback, payouts to
// the customer's bank account decided by staff (docs/payments.md).
#include "base/crypto.hpp"
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

const std::string secret(40, 's');

// The payment provider: signs "<t>.<body>" with the shared secret.
reply provider_callback(https_client& client, const json::object& body) {
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string text = json::serialize(body);
    std::string signature = schwarm::crypto::hmac_sha256_hex(secret, std::to_string(now) + "." + text);
    return client.request("POST", "/v1/payments/callbacks", text,
                          {{"Schwarm-Signature", "t=" + std::to_string(now) + ",v1=" + signature}});
}

json::object paid(const std::string& event, const std::string& intent, std::int64_t amount_minor,
                  const std::string& currency = "EUR") {
    return {{"event_id", event},
            {"type", "deposit"},
            {"intent", intent},
            {"amount_minor", amount_minor},
            {"currency", currency}};
}

reply start_deposit(platform& p, const customer& c, std::int64_t amount_minor, const std::string& key,
                    const std::string& currency = "EUR") {
    return p.client.request("POST", "/v1/wallet/deposits",
                            json::serialize(json::object{{"amount_minor", amount_minor}, {"currency", currency}}),
                            auth_headers(c.token, key));
}

std::string text(const json::value& v, const char* field) { return std::string(v.at(field).as_string()); }

} // namespace

TEST_CASE("deposits: a payment intent is booked once, on its signed callback", "[e2e][payments]") {
    platform p({{"SCHWARM_PAYMENT_CALLBACK_SECRET", secret}, {"SCHWARM_PAYMENT_INTENT_TTL_S", "600"}});
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");

    auto started = start_deposit(p, anna, 2'500, "d-1");
    INFO(started.body);
    REQUIRE(started.status == 201);
    auto intent = started.json();
    std::string id = text(intent, "id");
    std::string reference = text(intent, "reference");
    CHECK(reference.size() == 35);
    CHECK(reference.rfind("pi_", 0) == 0);
    CHECK(intent.at("state") == "pending");
    CHECK(intent.at("provider").at("intent") == reference.c_str());
    CHECK(intent.at("provider").at("amount_minor") == 2'500);
    CHECK(started.header("location") == "/v1/wallet/deposits/" + id);

    // A retry is the same intent; the key for another amount is a conflict.
    auto again = start_deposit(p, anna, 2'500, "d-1");
    CHECK(again.header("idempotent-replayed") == "true");
    CHECK(again.json().at("id") == id.c_str());
    CHECK(problem_slug(start_deposit(p, anna, 2'600, "d-1")) == "idempotency-conflict");
    CHECK(p.db.scalar("SELECT count(*) FROM payment_intents") == "1");

    // Refusals, none of which makes an intent.
    CHECK(p.client
              .request("POST", "/v1/wallet/deposits", R"({"amount_minor":1,"currency":"EUR"})",
                       auth_headers(anna.token))
              .status == 400); // no Idempotency-Key
    CHECK(p.client
              .request("POST", "/v1/wallet/deposits", R"({"amount_minor":1,"currency":"EUR"})",
                       auth_headers(p.staff, "s-1"))
              .status == 403);
    auto zero = start_deposit(p, anna, 0, "d-2");
    CHECK(problem_slug(zero) == "validation");
    CHECK(zero.json().at("field") == "amount_minor");
    auto bad_currency = start_deposit(p, anna, 100, "d-3", "XYZ");
    CHECK(problem_slug(bad_currency) == "validation");
    CHECK(bad_currency.json().at("field") == "currency");
    CHECK(problem_slug(p.client.request("POST", "/v1/wallet/deposits",
                                        R"({"amount_minor":1,"currency":"EUR","user_id":"1"})",
                                        auth_headers(anna.token, "d-4"))) == "validation");
    CHECK(p.db.scalar("SELECT count(*) FROM payment_intents") == "1");

    // Callbacks that do not match the intent book nothing.
    CHECK(problem_slug(provider_callback(p.client, paid("e-0", "pi_" + std::string(32, '0'), 2'500))) ==
          "payment-intent-unknown");
    auto short_paid = provider_callback(p.client, paid("e-1", reference, 2'400));
    CHECK(problem_slug(short_paid) == "payment-intent-mismatch");
    CHECK(short_paid.json().at("amount_minor") == 2500);
    CHECK(problem_slug(provider_callback(p.client, paid("e-2", reference, 2'500, "CHF"))) == "payment-intent-mismatch");
    auto wrong_type = paid("e-3", reference, 2'500);
    wrong_type["type"] = "payout";
    CHECK(problem_slug(provider_callback(p.client, wrong_type)) == "validation");
    CHECK(p.client.request("POST", "/v1/payments/callbacks", json::serialize(paid("e-4", reference, 2'500))).status ==
          401); // unsigned
    CHECK(p.balance(anna) == 0);

    // The confirmation books the deposit; the provider's retry books nothing more.
    auto confirmed = provider_callback(p.client, paid("e-5", reference, 2'500));
    INFO(confirmed.body);
    REQUIRE(confirmed.status == 201);
    CHECK(confirmed.json().at("intent").at("state") == "confirmed");
    CHECK(confirmed.json().at("wallet").at("balance_minor") == 2'500);
    auto retried = provider_callback(p.client, paid("e-5", reference, 2'500));
    CHECK(retried.status == 201);
    CHECK(retried.header("idempotent-replayed") == "true");
    CHECK(retried.json().at("entry_id") == confirmed.json().at("entry_id"));
    CHECK(problem_slug(provider_callback(p.client, paid("e-6", reference, 2'500))) == "payment-intent-confirmed");
    CHECK(p.balance(anna) == 2'500);

    auto read = p.client.request("GET", "/v1/wallet/deposits/" + id, {}, auth_headers(anna.token));
    REQUIRE(read.status == 200);
    CHECK(read.json().at("state") == "confirmed");
    CHECK(read.json().at("entry_id") == confirmed.json().at("entry_id"));
    CHECK(problem_slug(p.client.request("GET", "/v1/wallet/deposits/" + id, {}, auth_headers(ben.token))) ==
          "payment-intent-unknown");
    CHECK(p.client.request("GET", "/v1/wallet/deposits/" + id, {}, auth_headers(p.staff)).status == 200);
    auto mine = p.client.request("GET", "/v1/wallet/deposits", {}, auth_headers(anna.token));
    REQUIRE(mine.status == 200);
    CHECK(mine.json().at("items").as_array().size() == 1);

    // An intent expires on the platform clock; its late callback is refused.
    auto late = start_deposit(p, anna, 700, "d-5");
    REQUIRE(late.status == 201);
    p.db.travel_by(601);
    auto expired = provider_callback(p.client, paid("e-7", text(late.json(), "reference"), 700));
    CHECK(problem_slug(expired) == "payment-intent-expired");
    CHECK(p.client.request("GET", "/v1/wallet/deposits/" + text(late.json(), "id"), {}, auth_headers(anna.token))
              .json()
              .at("state") == "expired");
    CHECK(p.balance(anna) == 2'500);

    // Two confirmations of one intent at once (two events): one books.
    auto raced = start_deposit(p, anna, 900, "d-6");
    REQUIRE(raced.status == 201);
    std::string raced_reference = text(raced.json(), "reference");
    std::atomic<int> booked{0}, refused{0};
    std::vector<std::thread> providers;
    for (int i = 0; i < 4; ++i) {
        providers.emplace_back([&, i] {
            https_client own(p.srv.port());
            auto r = provider_callback(own, paid("race-" + std::to_string(i), raced_reference, 900));
            if (r.status == 201) ++booked;
            else if (problem_slug(r) == "payment-intent-confirmed") ++refused;
        });
    }
    for (auto& t : providers) t.join();
    CHECK(booked == 1);
    CHECK(refused == 3);
    CHECK(p.balance(anna) == 3'400);
    p.check_books();
}

TEST_CASE("payouts: asked by the customer, held, decided by staff with four eyes above the limit", "[e2e][payments]") {
    platform p(std::map<std::string, std::string>{{"SCHWARM_PAYOUT_FOUR_EYES_ABOVE_MINOR", "50000"}});
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string staff2 = p.create_user("staff2@bank.example", "staff");
    p.deposit(anna, 100'000);
    p.deposit(ben, 1'000);

    auto put_iban = [&](const std::string& token, const std::string& iban) {
        return p.client.request("PUT", "/v1/wallet/bank-account", json::serialize(json::object{{"iban", iban}}),
                                auth_headers(token));
    };
    auto saved = put_iban(anna.token, "de89 3704 0044 0532 0130 00");
    INFO(saved.body);
    REQUIRE(saved.status == 200);
    CHECK(saved.json().at("iban") == "DE89370400440532013000");
    for (const char* bad : {"DE89370400440532013001", "DE8937040044053201300", "XX89370400440532013000", "DE89-3704"}) {
        auto refused = put_iban(anna.token, bad);
        CHECK(problem_slug(refused) == "validation");
        CHECK(refused.json().at("field") == "iban");
    }
    CHECK(put_iban(p.staff, "DE89370400440532013000").status == 403);
    CHECK(p.client.request("GET", "/v1/wallet/bank-account", {}, auth_headers(anna.token)).json().at("iban") ==
          "DE89370400440532013000");
    CHECK(problem_slug(p.client.request("GET", "/v1/wallet/bank-account", {}, auth_headers(ben.token))) == "not-found");

    auto ask = [&](const customer& c, std::int64_t amount, const std::string& key, json::object extra = {}) {
        json::object body{{"amount_minor", amount}, {"currency", "EUR"}};
        for (const auto& [k, v] : extra) body[k] = v;
        return p.client.request("POST", "/v1/wallet/payouts", json::serialize(body), auth_headers(c.token, key));
    };
    auto decide = [&](const std::string& token, const std::string& id, const std::string& action,
                      const std::string& key, const std::string& body = {}) {
        return p.client.request("POST", "/v1/payouts/" + id + "/" + action, body, auth_headers(token, key));
    };

    // Ben has no account on file: he must name one.
    CHECK(problem_slug(ask(ben, 500, "b-1")) == "payout-iban-missing");
    CHECK(problem_slug(ask(ben, 500, "b-2", {{"iban", "DE00370400440532013000"}})) == "validation");
    auto bens = ask(ben, 500, "b-3", {{"iban", "GB82 WEST 1234 5698 7654 32"}});
    REQUIRE(bens.status == 201);
    CHECK(bens.json().at("iban") == "GB82WEST12345698765432");

    // One approval up to the limit: held at once, posted when staff approve.
    auto first = ask(anna, 20'000, "a-1");
    INFO(first.body);
    REQUIRE(first.status == 201);
    std::string one = text(first.json(), "id");
    CHECK(first.json().at("state") == "requested");
    CHECK(first.json().at("approvals_needed") == 1);
    CHECK(first.json().at("iban") == "DE89370400440532013000");
    CHECK(p.available(anna) == 80'000);
    CHECK(p.balance(anna) == 100'000);
    CHECK(ask(anna, 20'000, "a-1").json().at("id") == one.c_str()); // a retry
    CHECK(problem_slug(ask(anna, 20'001, "a-1")) == "idempotency-conflict");
    CHECK(problem_slug(ask(anna, 80'001, "a-2")) == "insufficient-funds");
    CHECK(problem_slug(ask(anna, 0, "a-3")) == "validation");
    CHECK(p.client
              .request("POST", "/v1/wallet/payouts", R"({"amount_minor":1,"currency":"EUR"})",
                       auth_headers(anna.token))
              .status == 400); // no key
    CHECK(p.available(anna) == 80'000);

    // Who may see and decide.
    CHECK(decide(anna.token, one, "approve", "x-1").status == 403);
    CHECK(problem_slug(p.client.request("GET", "/v1/payouts/" + one, {}, auth_headers(ben.token))) == "not-found");
    CHECK(p.client.request("GET", "/v1/payouts", {}, auth_headers(ben.token)).json().at("items").as_array().size() ==
          1);
    CHECK(problem_slug(p.client.request("GET", "/v1/payouts?state=open", {}, auth_headers(p.staff))) == "validation");
    auto queue = p.client.request("GET", "/v1/payouts?state=requested", {}, auth_headers(p.staff));
    REQUIRE(queue.status == 200);
    CHECK(queue.json().at("items").as_array().size() == 2);
    CHECK(problem_slug(decide(p.staff, "987654", "approve", "x-2")) == "not-found");

    auto approved = decide(p.staff, one, "approve", "s-1");
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    CHECK(approved.json().at("state") == "paid");
    CHECK(approved.json().at("resolve_entry_id").is_string());
    CHECK(p.balance(anna) == 80'000);
    CHECK(p.available(anna) == 80'000);
    CHECK(decide(p.staff, one, "approve", "s-1").header("idempotent-replayed") == "true");
    CHECK(problem_slug(decide(staff2, one, "approve", "s2-1")) == "payout-state");
    CHECK(problem_slug(decide(p.staff, one, "reject", "s-2", R"({"reason":"late"})")) == "payout-state");
    CHECK(p.balance(anna) == 80'000);

    // Above the limit: two different staff members.
    auto big = ask(anna, 60'000, "a-4");
    REQUIRE(big.status == 201);
    std::string two = text(big.json(), "id");
    CHECK(big.json().at("approvals_needed") == 2);
    auto half = decide(p.staff, two, "approve", "s-3");
    REQUIRE(half.status == 200);
    CHECK(half.json().at("state") == "requested");
    CHECK(half.json().at("approved_by").as_array().size() == 1);
    CHECK(p.balance(anna) == 80'000);
    CHECK(p.available(anna) == 20'000);
    CHECK(problem_slug(decide(p.staff, two, "approve", "s-4")) == "payout-second-approval-same-person");
    auto full = decide(staff2, two, "approve", "s2-2");
    REQUIRE(full.status == 200);
    CHECK(full.json().at("state") == "paid");
    CHECK(full.json().at("approved_by").as_array().size() == 2);
    CHECK(p.balance(anna) == 20'000);

    // Rejected: the hold is released.
    auto small = ask(anna, 5'000, "a-5");
    REQUIRE(small.status == 201);
    std::string three = text(small.json(), "id");
    CHECK(p.available(anna) == 15'000);
    auto no_reason = decide(p.staff, three, "reject", "s-5", "{}");
    CHECK(problem_slug(no_reason) == "validation");
    CHECK(no_reason.json().at("field") == "reason");
    auto rejected = decide(p.staff, three, "reject", "s-6", R"({"reason":"The account holder does not match"})");
    REQUIRE(rejected.status == 200);
    CHECK(rejected.json().at("state") == "rejected");
    CHECK(p.available(anna) == 20'000);
    CHECK(problem_slug(decide(staff2, three, "approve", "s2-3")) == "payout-state");

    // Two staff decide one payout at once: one decision, booked once.
    auto raced = ask(anna, 7'000, "a-6");
    REQUIRE(raced.status == 201);
    std::string four = text(raced.json(), "id");
    std::atomic<int> decided{0}, too_late{0};
    std::vector<std::thread> deciders;
    for (int i = 0; i < 4; ++i) {
        deciders.emplace_back([&, i] {
            https_client own(p.srv.port());
            std::string token = i % 2 == 0 ? p.staff : staff2;
            auto r = i < 2 ? own.request("POST", "/v1/payouts/" + four + "/approve", {},
                                         auth_headers(token, "race-" + std::to_string(i)))
                           : own.request("POST", "/v1/payouts/" + four + "/reject", R"({"reason":"race"})",
                                         auth_headers(token, "race-" + std::to_string(i)));
            if (r.status == 200) ++decided;
            else if (problem_slug(r) == "payout-state") ++too_late;
        });
    }
    for (auto& t : deciders) t.join();
    CHECK(decided == 1);
    CHECK(too_late == 3);
    auto outcome = p.client.request("GET", "/v1/payouts/" + four, {}, auth_headers(anna.token)).json();
    CHECK(p.balance(anna) == (outcome.at("state") == "paid" ? 13'000 : 20'000));
    CHECK(p.available(anna) == p.balance(anna));

    // Whoever asked for the money never decides on it, even after their role
    // changed (no route of this branch changes roles: the register does).
    auto carl = p.register_customer("carl@example.org");
    p.deposit(carl, 3'000);
    auto carls = ask(carl, 1'000, "c-1", {{"iban", "DE89370400440532013000"}});
    REQUIRE(carls.status == 201);
    p.db.exec("UPDATE users SET role = 'staff' WHERE id = " + carl.id);
    CHECK(problem_slug(decide(carl.token, text(carls.json(), "id"), "approve", "c-2")) == "payout-own-request");
    CHECK(problem_slug(decide(carl.token, text(carls.json(), "id"), "reject", "c-3", R"({"reason":"mine"})")) ==
          "payout-own-request");
    p.check_books();
}
