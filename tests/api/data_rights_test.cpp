// Data rights through the real binary (docs/data-rights.md): a customer's
// export of everything held about them, and erasure, after which nothing
// answers with their name or address while the books, the audit log and the
// ballots stay whole.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

const std::string erika_email = "erika.mustermann@example.org";
const std::string erika_name = "Erika Mustermann";
const std::string erika_password = "correct horse battery";

customer register_erika(platform& p) {
    auto created =
        p.client.request("POST", "/v1/users",
                         json::serialize(json::object{
                             {"email", erika_email}, {"password", erika_password}, {"display_name", erika_name}}));
    REQUIRE(created.status == 201);
    auto login = p.client.request("POST", "/v1/sessions",
                                  json::serialize(json::object{{"email", erika_email}, {"password", erika_password}}));
    REQUIRE(login.status == 201);
    return {std::string(login.json().at("token").as_string()), std::string(created.json().at("id").as_string()),
            erika_email};
}

bool names_erika(const reply& r) {
    return r.body.find("Mustermann") != std::string::npos || r.body.find("erika.mustermann") != std::string::npos;
}

// The whole audit log, page by page, as one reply.
reply audit_log(platform& p) {
    reply all;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
        auto r = p.client.request("GET", "/v1/audit-log?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), {},
                                  auth_headers(p.auditor));
        REQUIRE(r.status == 200);
        all.status = r.status;
        all.body += r.body;
        auto next = r.json().at("next_cursor");
        if (next.is_null()) break;
        cursor = std::string(next.as_string());
    }
    return all;
}

} // namespace

TEST_CASE("data rights: a customer's export, and an erasure that keeps the books", "[e2e][data-rights]") {
    platform p;
    std::string admin = p.create_user("admin@bank.example", "admin");
    auto owner = p.register_customer("owner@example.org");
    auto erika = register_erika(p);
    std::string project = p.open_project(owner);

    // Erika's life on the platform: money in, a pledge, a comment, a bank
    // account, a ballot, a payout.
    REQUIRE(p.client
                .request("PUT", "/v1/risk/investor/profile",
                         R"({"annual_income_minor":6000000,"liquid_assets_minor":5000000,)"
                         R"("annual_commitments_minor":1000000})",
                         auth_headers(erika.token))
                .status == 200);
    p.deposit(erika, 10'000);
    std::string pledge_id = p.pledged(erika, project, 1'000, "pledge-1");
    REQUIRE(p.client
                .request("POST", "/v1/projects/" + project + "/comments", R"({"text":"Gute Idee!"})",
                         auth_headers(erika.token))
                .status == 201);
    REQUIRE(p.client
                .request("PUT", "/v1/wallet/bank-account", R"({"iban":"DE89370400440532013000"})",
                         auth_headers(erika.token))
                .status == 200);
    auto round = p.new_round();
    REQUIRE(round.add_item("bank", 10'000).status == 201);
    REQUIRE(round.open().status == 200);
    auto ballot = round.ballot(erika.token, {"bank"});
    INFO(ballot.body);
    REQUIRE(ballot.status == 201);
    std::string receipt(ballot.json().at("receipt").as_string());
    REQUIRE(round.close().status == 200);

    // The export: one JSON document with all of it, and no secrets.
    auto exported = p.client.request("GET", "/v1/users/me/export", {}, auth_headers(erika.token));
    INFO(exported.body);
    REQUIRE(exported.status == 200);
    auto doc = exported.json().as_object();
    CHECK(doc.at("account").at("email") == erika_email.c_str());
    CHECK(doc.at("account").at("display_name") == erika_name.c_str());
    CHECK(doc.at("user_id") == erika.id.c_str());
    CHECK(doc.at("pledges").as_array().size() == 1);
    CHECK(doc.at("project_comments").as_array().size() == 1);
    CHECK(doc.at("rounds_voted").as_array().size() == 1);
    CHECK(doc.at("bank_account").at("iban") == "DE89370400440532013000");
    CHECK(doc.at("sessions").as_array().size() == 1);
    REQUIRE(doc.at("wallets").as_array().size() == 1);
    CHECK(doc.at("wallets").at(0).at("balance_minor") == 10'000);
    CHECK(doc.at("wallets").at(0).at("postings").as_array().size() == 2); // the deposit and the pledge's hold
    CHECK(doc.at("risk").at("investor_profile").at("annual_income_minor") == 6'000'000);
    CHECK(!doc.at("audit_records").as_array().empty());
    for (const char* secret : {"password_hash", "token_hash", "$argon2", "\"secret\""}) {
        CHECK(exported.body.find(secret) == std::string::npos);
    }
    CHECK(p.client.request("GET", "/v1/users/me/export").status == 401);

    // Erasure: who may, and what must be settled first.
    CHECK(p.client.request("POST", "/v1/users/" + erika.id + "/erase", R"({"reason":"asked"})", auth_headers(p.staff))
              .status == 403);
    CHECK(p.client.request("GET", "/v1/erasure-requests", {}, auth_headers(p.staff)).status == 403);
    CHECK(p.client.request("POST", "/v1/users/me/erasure-request", {}, auth_headers(p.staff)).status == 403);
    auto asked = p.client.request("POST", "/v1/users/me/erasure-request", {}, auth_headers(erika.token));
    INFO(asked.body);
    REQUIRE(asked.status == 202);
    CHECK(asked.json().at("blockers").as_array().size() == 2); // the wallet and the held pledge
    auto pending = p.client.request("GET", "/v1/erasure-requests", {}, auth_headers(admin));
    REQUIRE(pending.status == 200);
    REQUIRE(pending.json().at("items").as_array().size() == 1);
    CHECK(pending.json().at("items").at(0).at("user_id") == erika.id.c_str());

    auto erase = [&](const std::string& id, const std::string& body = R"({"reason":"Art. 17 request"})") {
        return p.client.request("POST", "/v1/users/" + id + "/erase", body, auth_headers(admin));
    };
    auto blocked = erase(erika.id);
    CHECK(problem_slug(blocked) == "erasure-blocked");
    CHECK(blocked.json().at("detail").as_string().find("pledge") != json::string::npos);
    CHECK(problem_slug(erase(erika.id, "{}")) == "validation");
    CHECK(problem_slug(erase("987654")) == "not-found");
    std::string staff_id(
        p.client.request("GET", "/v1/users/me", {}, auth_headers(p.staff)).json().at("id").as_string());
    CHECK(problem_slug(erase(staff_id)) == "erasure-not-a-customer");
    CHECK(p.db.scalar("SELECT display_name FROM users WHERE id = " + erika.id) == erika_name.c_str());

    // She revokes the pledge and takes her money out; then the admin erases.
    REQUIRE(p.revoke(erika, pledge_id, "revoke-1").status == 200);
    auto payout = p.client.request("POST", "/v1/wallet/payouts", R"({"amount_minor":10000,"currency":"EUR"})",
                                   auth_headers(erika.token, "payout-1"));
    REQUIRE(payout.status == 201);
    std::string payout_id(payout.json().at("id").as_string());
    CHECK(problem_slug(erase(erika.id)) == "erasure-blocked"); // the payout waits for staff
    REQUIRE(
        p.client.request("POST", "/v1/payouts/" + payout_id + "/approve", {}, auth_headers(p.staff, "ok-1")).status ==
        200);
    // A password reset she asked for waits in the outbox with her address.
    REQUIRE(
        p.client.request("POST", "/v1/password-resets", json::serialize(json::object{{"email", erika_email}})).status ==
        202);
    REQUIRE(p.db.scalar("SELECT count(*) FROM mail_outbox WHERE recipient = '" + erika_email + "'") == "1");
    auto erased = erase(erika.id);
    INFO(erased.body);
    REQUIRE(erased.status == 200);
    CHECK(erased.json().at("erased_at").is_string());
    CHECK(problem_slug(erase(erika.id)) == "user-erased");

    // The outbox no longer names her, her reset token is spent, her sessions keep no address.
    CHECK(p.db.scalar("SELECT count(*) FROM mail_outbox WHERE recipient = '" + erika_email + "' OR body LIKE '%" +
                      erika_name + "%'") == "0");
    CHECK(p.db.scalar("SELECT count(*) FROM password_resets WHERE user_id = " + erika.id + " AND used_at IS NULL") ==
          "0");
    CHECK(p.db.scalar("SELECT count(*) FROM sessions WHERE user_id = " + erika.id +
                      " AND (client_address IS NOT NULL OR revoked_at IS NULL)") == "0");

    // She cannot log in, her sessions are over.
    CHECK(p.client.request("GET", "/v1/users/me", {}, auth_headers(erika.token)).status == 401);
    CHECK(p.client
              .request("POST", "/v1/sessions",
                       json::serialize(json::object{{"email", erika_email}, {"password", erika_password}}))
              .status == 401);

    // No answer names her; the books, the audit log and the ballots are whole.
    std::vector<reply> seen{
        p.client.request("GET", "/v1/projects/" + project + "/comments"),
        audit_log(p),
        p.client.request("GET", "/v1/payouts/" + payout_id, {}, auth_headers(p.staff)),
        p.client.request("GET", "/v1/wallets/" + erika.id, {}, auth_headers(p.staff)),
        p.client.request("GET", "/v1/ledger/export?format=jsonl", {}, auth_headers(p.auditor)),
        p.client.request("GET", "/v1/erasure-requests", {}, auth_headers(admin)),
        p.client.request("GET", round.path() + "/ballots"),
    };
    for (const auto& r : seen) {
        INFO(r.body);
        CHECK(r.status == 200);
        CHECK(!names_erika(r));
    }
    CHECK(seen[0].json().at("items").as_array().size() == 1); // her comment stays, without her name
    CHECK(seen[1].body.find("\"user.erase\"") != std::string::npos);
    CHECK(seen[2].json().at("state") == "paid");
    CHECK(seen[3].json().at("balance_minor") == 0);
    CHECK(seen[5].json().at("items").as_array().empty());
    CHECK(seen[6].body.find(receipt) != std::string::npos);
    p.check_books();

    // The address is free again: whoever registers with it is someone new.
    auto again =
        p.client.request("POST", "/v1/users",
                         json::serialize(json::object{
                             {"email", erika_email}, {"password", erika_password}, {"display_name", "Someone else"}}));
    CHECK(again.status == 201);
    CHECK(again.json().at("id") != erika.id.c_str());
}
