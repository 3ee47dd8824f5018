// Users, sessions and roles through the real binary.
#include "support/support.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;

namespace {
std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string snapshot(const database& db) {
    return db.scalar("SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM sessions) || '/' || "
                     "(SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL) || '/' || "
                     "(SELECT count(*) FROM audit_log)");
}
} // namespace

TEST_CASE("auth: register, log in, read me, log out", "[e2e][auth]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());

    auto created =
        client.request("POST", "/v1/users",
                       R"({"email":"Ada@Example.org","password":"correct horse battery","display_name":"Ada L."})");
    REQUIRE(created.status == 201);
    auto user = created.json().as_object();
    CHECK(user.at("role") == "customer");
    CHECK(user.at("email") == "Ada@Example.org");
    CHECK_FALSE(user.contains("password_hash"));
    CHECK(created.header("location") == "/v1/users/" + std::string(user.at("id").as_string()));

    auto login =
        client.request("POST", "/v1/sessions", R"({"email":"ada@example.org","password":"correct horse battery"})");
    REQUIRE(login.status == 201);
    auto session = login.json().as_object();
    std::string token(session.at("token").as_string());
    CHECK(token.size() >= 43);
    CHECK(session.at("token_type") == "Bearer");
    CHECK(session.at("expires_at").as_string().size() == 20);

    auto me = client.request("GET", "/v1/users/me", {}, bearer(token));
    REQUIRE(me.status == 200);
    CHECK(me.json().at("display_name") == "Ada L.");
    CHECK(me.json().at("id") == user.at("id"));

    // Every change is in the audit log with its request id.
    CHECK(db.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log") == "user.create,session.create");
    CHECK(db.scalar("SELECT request_id FROM audit_log WHERE action = 'user.create'") == created.header("x-request-id"));

    auto logout = client.request("DELETE", "/v1/sessions/current", {}, bearer(token));
    CHECK(logout.status == 204);
    CHECK(client.request("GET", "/v1/users/me", {}, bearer(token)).status == 401);
}

TEST_CASE("auth: refusals are 401/403/409 problems and change nothing", "[e2e][auth]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string token = register_and_login(client, "cara@example.org");
    const std::string before = snapshot(db);

    SECTION("no token") {
        auto r = client.request("GET", "/v1/users/me");
        CHECK(r.status == 401);
        CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:unauthorized");
    }
    SECTION("garbage token") {
        CHECK(client.request("GET", "/v1/users/me", {}, bearer("garbage")).status == 401);
        CHECK(client.request("GET", "/v1/users/me", {}, {{"Authorization", "Basic Y2FyYTpwdw=="}}).status == 401);
        CHECK(client.request("DELETE", "/v1/sessions/current", {}, bearer(token + "x")).status == 401);
    }
    SECTION("expired token") {
        db.travel_by(86'400 + 1); // the session's lifetime passes on the platform clock
        const std::string expired_before = snapshot(db);
        CHECK(client.request("GET", "/v1/users/me", {}, bearer(token)).status == 401);
        CHECK(client.request("DELETE", "/v1/sessions/current", {}, bearer(token)).status == 401);
        CHECK(snapshot(db) == expired_before);
        return;
    }
    SECTION("wrong role") {
        auto r = client.request("GET", "/v1/audit-log", {}, bearer(token));
        CHECK(r.status == 403);
        CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:forbidden");
    }
    SECTION("duplicate email, in any case") {
        auto r =
            client.request("POST", "/v1/users",
                           R"({"email":"CARA@example.org","password":"correct horse battery","display_name":"C"})");
        CHECK(r.status == 409);
        CHECK(r.json().at("type") == "tag:schwarm.dev,2026:problem:email-taken");
    }
    SECTION("short password") {
        auto r =
            client.request("POST", "/v1/users", R"({"email":"dan@example.org","password":"short","display_name":"D"})");
        CHECK(r.status == 400);
        CHECK(r.json().at("field") == "password");
    }
    CHECK(snapshot(db) == before);
}

TEST_CASE("auth: wrong passwords are refused, then the account is throttled", "[e2e][auth]") {
    database db;
    server srv(db.url(), {{"SCHWARM_LOGIN_FAILURES_MAX", "3"}});
    https_client client(srv.port());
    register_and_login(client, "eve@example.org");
    const std::string wrong = R"({"email":"eve@example.org","password":"not the password"})";
    for (int i = 0; i < 3; ++i) {
        auto r = client.request("POST", "/v1/sessions", wrong);
        CHECK(r.status == 401);
        CHECK(r.json().at("detail") == "Unknown email address or wrong password");
    }
    auto locked =
        client.request("POST", "/v1/sessions", R"({"email":"eve@example.org","password":"correct horse battery"})");
    CHECK(locked.status == 429);
    CHECK(std::stoi(locked.header("retry-after")) > 0);
    CHECK(db.scalar("SELECT count(*) FROM sessions") == "1"); // only the first login's
}

TEST_CASE("auth: an admin unlocks a throttled account, and nobody else may", "[e2e][auth]") {
    database db;
    server srv(db.url(), {{"SCHWARM_LOGIN_FAILURES_MAX", "2"}});
    https_client client(srv.port());
    register_and_login(client, "eve@example.org");
    std::string eve = db.scalar("SELECT id FROM users WHERE email = 'eve@example.org'");
    std::string admin = create_user_and_login(client, db, "root@bank.example", "admin");
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    const std::string wrong = R"({"email":"eve@example.org","password":"not the password"})";
    const std::string right = R"({"email":"eve@example.org","password":"correct horse battery"})";
    for (int i = 0; i < 2; ++i) CHECK(client.request("POST", "/v1/sessions", wrong).status == 401);
    CHECK(client.request("POST", "/v1/sessions", right).status == 429);

    CHECK(client.request("POST", "/v1/users/" + eve + "/unlock", {}, auth_headers(staff)).status == 403);
    CHECK(client.request("POST", "/v1/users/987654321/unlock", {}, auth_headers(admin)).status == 404);
    CHECK(client.request("POST", "/v1/sessions", right).status == 429); // still throttled
    auto unlocked = client.request("POST", "/v1/users/" + eve + "/unlock", {}, auth_headers(admin));
    REQUIRE(unlocked.status == 200);
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'user.unlock'") == "1");
    CHECK(client.request("POST", "/v1/sessions", right).status == 201);
}

TEST_CASE("auth: logins per client address are rate limited", "[e2e][auth]") {
    database db;
    server srv(db.url(), {{"SCHWARM_LOGIN_PER_CLIENT_PER_MIN", "2"}});
    https_client client(srv.port());
    const std::string attempt = R"({"email":"nobody@example.org","password":"whatever it is"})";
    CHECK(client.request("POST", "/v1/sessions", attempt).status == 401);
    CHECK(client.request("POST", "/v1/sessions", attempt).status == 401);
    auto limited = client.request("POST", "/v1/sessions", attempt);
    CHECK(limited.status == 429);
    CHECK(std::stoi(limited.header("retry-after")) >= 1);
    CHECK(client.request("GET", "/healthz").status == 200); // other routes unaffected
}

TEST_CASE("auth: auditors read the audit log page by page", "[e2e][auth]") {
    database db;
    server srv(db.url());
    std::string output;
    REQUIRE(run_cli({"user", "create", "--email", "audrey@example.org", "--role", "auditor", "--password-stdin"},
                    {{"DATABASE_URL", db.url()}}, "correct horse battery\n", output) == 0);
    https_client client(srv.port());
    for (int i = 0; i < 3; ++i) register_and_login(client, "c" + std::to_string(i) + "@example.org");
    auto login =
        client.request("POST", "/v1/sessions", R"({"email":"audrey@example.org","password":"correct horse battery"})");
    REQUIRE(login.status == 201);
    std::string token(login.json().at("token").as_string());

    auto first = client.request("GET", "/v1/audit-log?limit=4", {}, bearer(token));
    REQUIRE(first.status == 200);
    auto page = first.json().as_object();
    CHECK(page.at("items").as_array().size() == 4);
    CHECK(page.at("items").as_array()[0].at("action") == "user.create");
    REQUIRE(page.at("next_cursor").is_string());
    auto second = client.request(
        "GET", "/v1/audit-log?limit=4&cursor=" + std::string(page.at("next_cursor").as_string()), {}, bearer(token));
    auto rest = second.json().as_object();
    // 1 auditor + 3 customers created, 3 customer logins + 1 auditor login.
    CHECK(rest.at("items").as_array().size() == 4);
    CHECK(rest.at("items").as_array()[3].at("action") == "session.create");

    CHECK(client.request("GET", "/v1/audit-log?limit=0", {}, bearer(token)).status == 400);
    CHECK(client.request("GET", "/v1/audit-log?limit=abc", {}, bearer(token)).status == 400);
    CHECK(client.request("GET", "/v1/audit-log?cursor=-5", {}, bearer(token)).status == 400);
}
