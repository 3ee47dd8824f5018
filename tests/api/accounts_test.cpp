// Accounts through the real binary (issue 15): administration (users listed
// and searched, roles changed, staff and admin granted by two admins, the
// last admin kept, accounts disabled and enabled), one's own account
// (password, sessions), password resets through the outbox, /metrics behind
// its token.
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <regex>
#include <thread>

using namespace schwarm::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string id_of(const database& db, const std::string& email) {
    return db.scalar("SELECT id FROM users WHERE email = '" + email + "'");
}

std::string text(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

std::string audit_count(const database& db) { return db.scalar("SELECT count(*) FROM audit_log"); }

reply login(https_client& client, const std::string& email, const std::string& password) {
    return client.request("POST", "/v1/sessions",
                          json::serialize(json::object{{"email", email}, {"password", password}}));
}

std::string role_body(const std::string& role) { return json::serialize(json::object{{"role", role}}); }

// The reset token in the newest pending outbox message, as the operator's
// command line shows it.
std::string token_from_outbox(const database& db, std::string& output) {
    REQUIRE(run_cli({"outbox"}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 0);
    static const std::regex token_line(R"(\n    ([A-Za-z0-9_-]{20,})\n)");
    std::string last;
    for (std::sregex_iterator it(output.begin(), output.end(), token_line), end; it != end; ++it) last = (*it)[1];
    REQUIRE_FALSE(last.empty());
    return last;
}

} // namespace

TEST_CASE("accounts: an admin lists and searches users in pages and nobody else may", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string admin = create_user_and_login(client, db, "root@bank.example", "admin");
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    std::string customer = register_and_login(client, "ada@example.org");
    register_and_login(client, "adam@example.org");
    register_and_login(client, "bea@example.org");

    auto all = client.request("GET", "/v1/users?limit=200", {}, auth_headers(admin));
    REQUIRE(all.status == 200);
    CHECK(all.json().at("items").as_array().size() == 5);
    CHECK(all.body.find("password") == std::string::npos);

    auto customers = client.request("GET", "/v1/users?role=customer", {}, auth_headers(admin));
    REQUIRE(customers.status == 200);
    CHECK(customers.json().at("items").as_array().size() == 3);

    auto prefix = client.request("GET", "/v1/users?email_prefix=ADA", {}, auth_headers(admin));
    REQUIRE(prefix.status == 200);
    auto found = prefix.json().at("items").as_array();
    REQUIRE(found.size() == 2);
    CHECK(found[0].at("email") == "ada@example.org");
    CHECK(found[1].at("email") == "adam@example.org");
    CHECK(found[0].at("disabled") == false);
    CHECK(found[0].at("role") == "customer");

    // Pages of two, in id order, following next_cursor to the end.
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
        auto r = client.request("GET", "/v1/users?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), {},
                                auth_headers(admin));
        REQUIRE(r.status == 200);
        json::value page_json = r.json(); // the items below live in it
        for (const auto& item : page_json.at("items").as_array()) seen.emplace_back(item.at("id").as_string());
        if (page_json.at("next_cursor").is_null()) break;
        cursor = std::string(page_json.at("next_cursor").as_string());
    }
    CHECK(seen.size() == 5);
    CHECK(std::is_sorted(seen.begin(), seen.end(),
                         [](const auto& a, const auto& b) { return std::stoll(a) < std::stoll(b); }));

    SECTION("wrong role") {
        CHECK(client.request("GET", "/v1/users", {}, auth_headers(customer)).status == 403);
        CHECK(client.request("GET", "/v1/users", {}, auth_headers(staff)).status == 403);
        CHECK(client.request("GET", "/v1/users").status == 401);
    }
    SECTION("bad input names the field") {
        auto role = client.request("GET", "/v1/users?role=owner", {}, auth_headers(admin));
        CHECK(role.status == 400);
        CHECK(role.json().at("field") == "role");
        auto cursor_bad = client.request("GET", "/v1/users?cursor=x", {}, auth_headers(admin));
        CHECK(cursor_bad.status == 400);
        CHECK(cursor_bad.json().at("field") == "cursor");
        auto limit = client.request("GET", "/v1/users?limit=0", {}, auth_headers(admin));
        CHECK(limit.status == 400);
        CHECK(limit.json().at("field") == "limit");
    }
}

TEST_CASE("accounts: roles change at once, staff and admin only with a second admin", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string root = create_user_and_login(client, db, "root@bank.example", "admin");
    std::string second = create_user_and_login(client, db, "second@bank.example", "admin");
    std::string cara_token = register_and_login(client, "cara@example.org");
    std::string cara = id_of(db, "cara@example.org");

    auto auditor = client.request("PUT", "/v1/users/" + cara + "/role", role_body("auditor"), auth_headers(root));
    REQUIRE(auditor.status == 200);
    CHECK(auditor.json().at("role") == "auditor");
    CHECK(db.scalar("SELECT details->>'to' FROM audit_log WHERE action = 'user.role_change'") == "auditor");
    // The role is read with the token: it counts at once.
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(cara_token)).json().at("role") == "auditor");

    auto asked = client.request("PUT", "/v1/users/" + cara + "/role", role_body("staff"), auth_headers(root));
    REQUIRE(asked.status == 202);
    std::string grant(asked.json().at("id").as_string());
    CHECK(asked.json().at("state") == "pending");
    CHECK(asked.header("location") == "/v1/role-grants/" + grant);
    CHECK(db.scalar("SELECT role FROM users WHERE id = " + cara) == "auditor"); // not yet

    const std::string before = audit_count(db);
    SECTION("the one who asked cannot confirm") {
        auto own = client.request("POST", "/v1/role-grants/" + grant + "/confirm", {}, auth_headers(root));
        CHECK(own.status == 403);
        CHECK(problem_slug(own) == "role-grant-own");
    }
    SECTION("one pending grant per user") {
        auto again = client.request("PUT", "/v1/users/" + cara + "/role", role_body("admin"), auth_headers(second));
        CHECK(again.status == 409);
        CHECK(problem_slug(again) == "role-grant-pending");
    }
    SECTION("nobody but an admin") {
        CHECK(client.request("POST", "/v1/role-grants/" + grant + "/confirm", {}, auth_headers(cara_token)).status ==
              403);
        CHECK(client.request("GET", "/v1/role-grants", {}, auth_headers(cara_token)).status == 403);
        CHECK(client.request("PUT", "/v1/users/" + cara + "/role", role_body("customer"), auth_headers(cara_token))
                  .status == 403);
    }
    SECTION("bad input and unknown things") {
        auto bad = client.request("PUT", "/v1/users/" + cara + "/role", role_body("owner"), auth_headers(root));
        CHECK(bad.status == 400);
        CHECK(bad.json().at("field") == "role");
        auto extra =
            client.request("PUT", "/v1/users/" + cara + "/role", R"({"role":"customer","x":1})", auth_headers(root));
        CHECK(extra.status == 400);
        CHECK(client.request("PUT", "/v1/users/987654/role", role_body("customer"), auth_headers(root)).status == 404);
        CHECK(client.request("POST", "/v1/role-grants/987654/confirm", {}, auth_headers(second)).status == 404);
        auto same = client.request("PUT", "/v1/users/" + cara + "/role", role_body("auditor"), auth_headers(root));
        CHECK(same.status == 409);
        CHECK(problem_slug(same) == "user-state");
    }
    CHECK(audit_count(db) == before); // refusals change nothing
    CHECK(db.scalar("SELECT role FROM users WHERE id = " + cara) == "auditor");

    auto pending = client.request("GET", "/v1/role-grants", {}, auth_headers(second));
    REQUIRE(pending.status == 200);
    REQUIRE(pending.json().at("items").as_array().size() == 1);
    CHECK(text(pending.json().at("items").as_array()[0].at("requested_by")) == id_of(db, "root@bank.example"));

    auto confirmed = client.request("POST", "/v1/role-grants/" + grant + "/confirm", {}, auth_headers(second));
    REQUIRE(confirmed.status == 200);
    CHECK(confirmed.json().at("state") == "confirmed");
    CHECK(text(confirmed.json().at("confirmed_by")) == id_of(db, "second@bank.example"));
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(cara_token)).json().at("role") == "staff");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action IN ('user.role_grant_request', "
                    "'user.role_grant_confirm') AND subject = 'user:" +
                    cara + "'") == "2");
    auto twice = client.request("POST", "/v1/role-grants/" + grant + "/confirm", {}, auth_headers(root));
    CHECK(twice.status == 409);
    CHECK(client.request("GET", "/v1/role-grants", {}, auth_headers(second)).json().at("items").as_array().empty());

    // A role given at once withdraws a pending grant: it cannot be confirmed later.
    auto admin_asked = client.request("PUT", "/v1/users/" + cara + "/role", role_body("admin"), auth_headers(root));
    REQUIRE(admin_asked.status == 202);
    std::string stale(admin_asked.json().at("id").as_string());
    REQUIRE(client.request("PUT", "/v1/users/" + cara + "/role", role_body("customer"), auth_headers(second)).status ==
            200);
    auto withdrawn = client.request("POST", "/v1/role-grants/" + stale + "/confirm", {}, auth_headers(second));
    CHECK(withdrawn.status == 409);
    CHECK(db.scalar("SELECT role FROM users WHERE id = " + cara) == "customer");
}

TEST_CASE("accounts: the last admin can neither be demoted nor disabled", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string root = create_user_and_login(client, db, "root@bank.example", "admin");
    std::string me = id_of(db, "root@bank.example");
    const std::string before = audit_count(db);

    auto demote = client.request("PUT", "/v1/users/" + me + "/role", role_body("customer"), auth_headers(root));
    CHECK(demote.status == 409);
    CHECK(problem_slug(demote) == "last-admin");
    auto disable = client.request("POST", "/v1/users/" + me + "/disable", {}, auth_headers(root));
    CHECK(disable.status == 409);
    CHECK(problem_slug(disable) == "last-admin");
    CHECK(audit_count(db) == before);
    CHECK(db.scalar("SELECT role || '/' || (disabled_at IS NULL) FROM users WHERE id = " + me) == "admin/true");
}

TEST_CASE("accounts: two admins demoting each other at once leave one admin", "[e2e][accounts][race]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string a_token = create_user_and_login(client, db, "a@bank.example", "admin");
    std::string b_token = create_user_and_login(client, db, "b@bank.example", "admin");
    std::string a = id_of(db, "a@bank.example");
    std::string b = id_of(db, "b@bank.example");

    // Both requests wait behind a lock on the admins, so they surely overlap.
    std::string a_target = b, b_target = a; // each demotes the other
    std::string b_action = "role";
    SECTION("each demotes the other") {}
    SECTION("each demotes themselves") {
        a_target = a;
        b_target = b;
    }
    SECTION("one demotes, the other disables") { b_action = "disable"; }

    pqxx::connection locker(db.url());
    pqxx::work lock(locker);
    lock.exec("SELECT id FROM users WHERE role = 'admin' FOR UPDATE");
    https_client first(srv.port()), second(srv.port());
    first.send("PUT", "/v1/users/" + a_target + "/role", role_body("customer"), auth_headers(a_token));
    if (b_action == "role") {
        second.send("PUT", "/v1/users/" + b_target + "/role", role_body("customer"), auth_headers(b_token));
    } else {
        second.send("POST", "/v1/users/" + b_target + "/disable", {}, auth_headers(b_token));
    }
    eventually([&] { return lock_waiters(db) >= 2; }, 10s, "both requests to wait for the admins' lock");
    lock.commit();
    reply r1 = first.receive(), r2 = second.receive();
    INFO(r1.body << " / " << r2.body);
    CHECK(((r1.status == 200) != (r2.status == 200))); // exactly one went through
    int refused = r1.status == 200 ? r2.status : r1.status;
    CHECK((refused == 409 || refused == 403));
    CHECK(db.scalar("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL") == "1");
}

TEST_CASE("accounts: a disabled account's sessions end at once and it cannot log in", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string root = create_user_and_login(client, db, "root@bank.example", "admin");
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    std::string first = register_and_login(client, "dora@example.org");
    std::string second =
        std::string(login(client, "dora@example.org", "correct horse battery").json().at("token").as_string());
    std::string dora = id_of(db, "dora@example.org");

    const std::string before = audit_count(db);
    SECTION("refusals change nothing") {
        CHECK(client.request("POST", "/v1/users/" + dora + "/disable", {}, auth_headers(staff)).status == 403);
        CHECK(client.request("POST", "/v1/users/" + dora + "/disable", {}, auth_headers(first)).status == 403);
        CHECK(client.request("POST", "/v1/users/987654/disable", {}, auth_headers(root)).status == 404);
        auto not_disabled = client.request("POST", "/v1/users/" + dora + "/enable", {}, auth_headers(root));
        CHECK(not_disabled.status == 409);
        CHECK(problem_slug(not_disabled) == "user-state");
        CHECK(audit_count(db) == before);
        CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(first)).status == 200);
        return;
    }

    auto disabled = client.request("POST", "/v1/users/" + dora + "/disable", {}, auth_headers(root));
    REQUIRE(disabled.status == 200);
    CHECK(disabled.json().at("disabled") == true);
    CHECK(db.scalar("SELECT details->>'sessions_ended' FROM audit_log WHERE action = 'user.disable'") == "2");
    // Both tokens, on the asynchronous lookup and inside a transaction.
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(first)).status == 401);
    CHECK(client.request("GET", "/v1/me/sessions", {}, auth_headers(second)).status == 401);
    CHECK(client.request("DELETE", "/v1/sessions/current", {}, auth_headers(second)).status == 401);
    auto right = login(client, "dora@example.org", "correct horse battery");
    CHECK(right.status == 403);
    CHECK(problem_slug(right) == "account-disabled");
    CHECK(login(client, "dora@example.org", "not the password").status == 401);
    auto again = client.request("POST", "/v1/users/" + dora + "/disable", {}, auth_headers(root));
    CHECK(again.status == 409);
    CHECK(problem_slug(again) == "user-state");
    // A disabled account gets no reset message either (the answer is the same).
    CHECK(client.request("POST", "/v1/password-resets", R"({"email":"dora@example.org"})").status == 202);
    CHECK(db.scalar("SELECT count(*) FROM mail_outbox") == "0");

    auto listed = client.request("GET", "/v1/users?email_prefix=dora", {}, auth_headers(root));
    CHECK(listed.json().at("items").as_array()[0].at("disabled") == true);

    auto enabled = client.request("POST", "/v1/users/" + dora + "/enable", {}, auth_headers(root));
    REQUIRE(enabled.status == 200);
    CHECK(enabled.json().at("disabled") == false);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(first)).status == 401); // ended for good
    CHECK(login(client, "dora@example.org", "correct horse battery").status == 201);
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action IN ('user.disable', 'user.enable')") == "2");
}

TEST_CASE("accounts: changing one's password needs the current one and ends the other sessions", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string here = register_and_login(client, "emil@example.org");
    std::string there =
        std::string(login(client, "emil@example.org", "correct horse battery").json().at("token").as_string());
    const std::string before = audit_count(db);

    auto wrong = client.request("POST", "/v1/me/password",
                                R"({"current_password":"not my password","new_password":"a new long passphrase"})",
                                auth_headers(here));
    CHECK(wrong.status == 403);
    CHECK(problem_slug(wrong) == "wrong-password");
    CHECK(wrong.json().at("field") == "current_password");
    auto short_one =
        client.request("POST", "/v1/me/password",
                       R"({"current_password":"correct horse battery","new_password":"short"})", auth_headers(here));
    CHECK(short_one.status == 400);
    CHECK(short_one.json().at("field") == "new_password");
    auto missing =
        client.request("POST", "/v1/me/password", R"({"new_password":"a new long passphrase"})", auth_headers(here));
    CHECK(missing.status == 400);
    CHECK(missing.json().at("field") == "current_password");
    CHECK(client.request("POST", "/v1/me/password", "{}").status == 401);
    CHECK(audit_count(db) == before);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(there)).status == 200);

    auto changed = client.request(
        "POST", "/v1/me/password",
        R"({"current_password":"correct horse battery","new_password":"a new long passphrase"})", auth_headers(here));
    REQUIRE(changed.status == 204);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(here)).status == 200); // this one stays
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(there)).status == 401);
    CHECK(login(client, "emil@example.org", "correct horse battery").status == 401);
    CHECK(login(client, "emil@example.org", "a new long passphrase").status == 201);
    CHECK(db.scalar("SELECT details->>'other_sessions_ended' FROM audit_log WHERE action = 'user.password_change'") ==
          "1");
}

TEST_CASE("accounts: one lists one's own sessions and ends any of them", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string here = register_and_login(client, "fritz@example.org");
    std::string there =
        std::string(login(client, "fritz@example.org", "correct horse battery").json().at("token").as_string());
    std::string other = register_and_login(client, "gina@example.org");

    auto listed = client.request("GET", "/v1/me/sessions", {}, auth_headers(here));
    REQUIRE(listed.status == 200);
    auto items = listed.json().at("items").as_array();
    REQUIRE(items.size() == 2);
    CHECK(listed.body.find(here) == std::string::npos);
    CHECK(listed.body.find(there) == std::string::npos);
    CHECK(listed.body.find("token") == std::string::npos);
    CHECK(items[0].at("current") == false); // newest first: the second login
    CHECK(items[1].at("current") == true);
    CHECK(items[0].at("client_address") == "127.0.0.1");
    std::string there_id(items[0].at("id").as_string());
    std::string here_id(items[1].at("id").as_string());
    std::string created(items[1].at("created_at").as_string());
    CHECK(text(items[1].at("last_used_at")) == created);

    const std::string before = audit_count(db);
    CHECK(client.request("DELETE", "/v1/me/sessions/" + there_id, {}, auth_headers(other)).status == 404);
    CHECK(client.request("DELETE", "/v1/me/sessions/abc", {}, auth_headers(here)).status == 404);
    CHECK(client.request("DELETE", "/v1/me/sessions/" + there_id).status == 401);
    CHECK(audit_count(db) == before);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(there)).status == 200);

    db.travel_by(120); // the next write with `here` is its use after a while
    REQUIRE(client.request("DELETE", "/v1/me/sessions/" + there_id, {}, auth_headers(here)).status == 204);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(there)).status == 401);
    CHECK(client.request("DELETE", "/v1/me/sessions/" + there_id, {}, auth_headers(here)).status == 404); // once
    auto after = client.request("GET", "/v1/me/sessions", {}, auth_headers(here));
    REQUIRE(after.json().at("items").as_array().size() == 1);
    CHECK(text(after.json().at("items").as_array()[0].at("id")) == here_id);
    CHECK(text(after.json().at("items").as_array()[0].at("last_used_at")) != created);
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'session.revoke'") == "1");
}

TEST_CASE("accounts: a password reset goes through the outbox, once, before it expires", "[e2e][accounts]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string session = register_and_login(client, "hanna@example.org");
    std::string output;

    // The same answer whether or not the address has an account.
    auto known = client.request("POST", "/v1/password-resets", R"({"email":"HANNA@example.org"})");
    auto unknown = client.request("POST", "/v1/password-resets", R"({"email":"nobody@example.org"})");
    REQUIRE(known.status == 202);
    CHECK(unknown.status == 202);
    CHECK(known.body == unknown.body);
    CHECK(db.scalar("SELECT count(*) || '/' || min(recipient) FROM mail_outbox") == "1/hanna@example.org");
    auto bad = client.request("POST", "/v1/password-resets", R"({"mail":"hanna@example.org"})");
    CHECK(bad.status == 400);

    std::string token = token_from_outbox(db, output);
    CHECK(output.find("To: hanna@example.org") != std::string::npos);
    CHECK(output.find("1 message(s) pending") != std::string::npos);
    // Stored hashed only.
    CHECK(db.scalar("SELECT count(*) FROM password_resets WHERE token_hash = sha256('" + token + "'::bytea)") == "1");

    auto confirm = [&](const std::string& t, const std::string& password) {
        return client.request("POST", "/v1/password-resets/confirm",
                              json::serialize(json::object{{"token", t}, {"password", password}}));
    };
    auto short_one = confirm(token, "short");
    CHECK(short_one.status == 400);
    CHECK(short_one.json().at("field") == "password");
    auto wrong = confirm(token + "x", "a brand new passphrase");
    CHECK(wrong.status == 400);
    CHECK(problem_slug(wrong) == "reset-token-invalid");
    CHECK(wrong.json().at("field") == "token");
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(session)).status == 200);

    REQUIRE(confirm(token, "a brand new passphrase").status == 204);
    CHECK(client.request("GET", "/v1/users/me", {}, auth_headers(session)).status == 401); // every session ends
    CHECK(login(client, "hanna@example.org", "correct horse battery").status == 401);
    CHECK(login(client, "hanna@example.org", "a brand new passphrase").status == 201);
    CHECK(problem_slug(confirm(token, "yet another passphrase")) == "reset-token-invalid"); // once
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action IN ('user.password_reset_request', "
                    "'user.password_reset')") == "2");

    SECTION("a newer request spends the older token") {
        REQUIRE(client.request("POST", "/v1/password-resets", R"({"email":"hanna@example.org"})").status == 202);
        std::string older = token_from_outbox(db, output);
        REQUIRE(client.request("POST", "/v1/password-resets", R"({"email":"hanna@example.org"})").status == 202);
        std::string newer = token_from_outbox(db, output);
        CHECK(older != newer);
        CHECK(problem_slug(confirm(older, "the older passphrase")) == "reset-token-invalid");
        CHECK(confirm(newer, "the newer passphrase").status == 204);
    }
    SECTION("an expired token is refused") {
        REQUIRE(client.request("POST", "/v1/password-resets", R"({"email":"hanna@example.org"})").status == 202);
        std::string later = token_from_outbox(db, output);
        db.travel_by(3600 + 1);
        CHECK(problem_slug(confirm(later, "too late a passphrase")) == "reset-token-invalid");
        CHECK(login(client, "hanna@example.org", "a brand new passphrase").status == 201);
    }
    SECTION("two uses at once: one wins") {
        REQUIRE(client.request("POST", "/v1/password-resets", R"({"email":"hanna@example.org"})").status == 202);
        std::string raced = token_from_outbox(db, output);
        pqxx::connection locker(db.url());
        pqxx::work lock(locker);
        lock.exec("SELECT 1 FROM password_resets FOR UPDATE");
        https_client one(srv.port()), two(srv.port());
        one.send("POST", "/v1/password-resets/confirm",
                 json::serialize(json::object{{"token", raced}, {"password", "the first passphrase"}}));
        two.send("POST", "/v1/password-resets/confirm",
                 json::serialize(json::object{{"token", raced}, {"password", "the second passphrase"}}));
        eventually([&] { return lock_waiters(db) >= 2; }, 10s, "both confirmations to wait for the token's lock");
        lock.commit();
        reply r1 = one.receive(), r2 = two.receive();
        INFO(r1.body << " / " << r2.body);
        CHECK(((r1.status == 204) != (r2.status == 204)));
        CHECK((r1.status == 400 || r2.status == 400));
    }
    SECTION("the operator marks a message sent") {
        std::string id = db.scalar("SELECT min(id) FROM mail_outbox");
        REQUIRE(run_cli({"outbox", "sent", id}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 0);
        CHECK(db.scalar("SELECT sent_at IS NOT NULL FROM mail_outbox WHERE id = " + id) == "t");
        CHECK(run_cli({"outbox", "sent", id}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 1);
        CHECK(run_cli({"outbox", "sent", "x"}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 2);
        REQUIRE(run_cli({"outbox"}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 0);
        CHECK(output.find("0 message(s) pending") != std::string::npos);
        REQUIRE(run_cli({"outbox", "--all"}, {{"DATABASE_URL", serving_url(db.url())}}, "", output) == 0);
        CHECK(output.find("State: sent") != std::string::npos);
    }
}

TEST_CASE("metrics: only with the configured token", "[e2e][http][metrics]") {
    database db;
    SECTION("a token set") {
        server srv(db.url(), {{"SCHWARM_METRICS_TOKEN", test_metrics_token}});
        https_client client(srv.port());
        CHECK(client.request("GET", "/metrics").status == 401);
        CHECK(client.request("GET", "/metrics", {}, auth_headers(std::string(test_metrics_token) + "x")).status == 401);
        std::string user = register_and_login(client, "ida@example.org");
        CHECK(client.request("GET", "/metrics", {}, auth_headers(user)).status == 401); // a user's token is not it
        auto ok = client.request("GET", "/metrics", {}, auth_headers(test_metrics_token));
        CHECK(ok.status == 200);
        CHECK(ok.body.find("schwarm_db_workers") != std::string::npos);
    }
    SECTION("no token: off") {
        server srv(db.url(), {{"SCHWARM_METRICS_TOKEN", server::unset}});
        https_client client(srv.port());
        CHECK(client.request("GET", "/metrics").status == 404);
        CHECK(client.request("GET", "/metrics", {}, auth_headers(test_metrics_token)).status == 404);
    }
    SECTION("a short token stops start-up") {
        std::string output;
        CHECK(run_cli({"migrate"}, {{"DATABASE_URL", db.url()}, {"SCHWARM_METRICS_TOKEN", "short"}}, "", output) == 2);
        CHECK(output.find("SCHWARM_METRICS_TOKEN") != std::string::npos);
    }
}
