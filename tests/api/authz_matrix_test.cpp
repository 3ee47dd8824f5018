// The authorization matrix (OWASP API1/API3/API5): every route of the real
// binary × every role, against the rules written down here from the API
// specification (README's table, api/openapi.yaml). A route the server has
// and this table lacks fails the test, so a new route needs a rule.
// Then object-level checks: another customer cannot read or change what is
// not theirs by guessing ids, and no response carries secrets.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

enum role : unsigned { anonymous = 1, a_customer = 2, staff = 4, auditor = 8, admin = 16 };
constexpr unsigned anyone = anonymous | a_customer | staff | auditor | admin;
constexpr unsigned any_user = a_customer | staff | auditor | admin;
// Nobody's user token: only SCHWARM_METRICS_TOKEN opens it (401 to the rest).
constexpr unsigned metrics_token = 0;

// Who may call each route, as the specification says.
const std::map<std::string, unsigned>& rules() {
    static const std::map<std::string, unsigned> all{
        {"GET /healthz", anyone},
        {"GET /readyz", anyone},
        {"GET /metrics", metrics_token},
        {"GET /v1/openapi.yaml", anyone},
        {"GET /", anyone},
        {"GET /assets/{name}", anyone},
        {"POST /v1/users", anyone},
        {"GET /v1/users/me", any_user},
        {"PUT /v1/users/{id}/member", admin},
        {"POST /v1/users/{id}/unlock", admin},
        {"GET /v1/users", admin},
        {"PUT /v1/users/{id}/role", admin},
        {"POST /v1/users/{id}/disable", admin},
        {"POST /v1/users/{id}/enable", admin},
        {"GET /v1/role-grants", admin},
        {"POST /v1/role-grants/{id}/confirm", admin},
        {"GET /v1/me/sessions", any_user},
        {"DELETE /v1/me/sessions/{id}", any_user},
        {"POST /v1/me/password", any_user},
        {"POST /v1/password-resets", anyone},
        {"POST /v1/password-resets/confirm", anyone},
        {"POST /v1/sessions", anyone},
        {"DELETE /v1/sessions/current", any_user},
        {"GET /v1/audit-log", auditor},
        {"POST /v1/ledger/accounts", staff},
        {"GET /v1/ledger/accounts/{id}", staff | auditor},
        {"POST /v1/ledger/accounts/{id}/close", staff},
        {"GET /v1/ledger/accounts/{id}/statement", staff | auditor},
        {"POST /v1/ledger/entries", staff},
        {"POST /v1/ledger/entries/{id}/post", staff},
        {"POST /v1/ledger/entries/{id}/void", staff},
        {"POST /v1/ledger/batches", staff},
        {"GET /v1/ledger/trial-balance", auditor},
        {"GET /v1/ledger/verify", auditor},
        {"GET /v1/ledger/export", auditor},
        {"POST /v1/projects", a_customer},
        {"GET /v1/projects", anyone},
        {"GET /v1/projects/mine", a_customer},
        {"GET /v1/projects/{id}", anyone},
        {"PUT /v1/projects/{id}", a_customer},
        {"POST /v1/projects/{id}/submit", a_customer},
        {"POST /v1/projects/{id}/withdraw", a_customer},
        {"POST /v1/projects/{id}/start-review", staff},
        {"POST /v1/projects/{id}/approve", staff},
        {"POST /v1/projects/{id}/reject", staff},
        {"POST /v1/projects/{id}/open-funding", staff},
        {"POST /v1/projects/{id}/cancel", staff},
        {"GET /v1/projects/{id}/comments", anyone},
        {"POST /v1/projects/{id}/comments", a_customer},
        {"GET /v1/projects/{id}/comments/moderation", a_customer | staff},
        {"POST /v1/projects/{id}/comments/{comment_id}/hide", a_customer | staff},
        {"GET /v1/projects/{id}/updates", anyone},
        {"POST /v1/projects/{id}/updates", a_customer},
        {"GET /v1/wallet", a_customer},
        {"GET /v1/wallet/statement", a_customer},
        {"GET /v1/wallets/{user_id}", staff | auditor},
        {"POST /v1/wallets/{user_id}/deposits", staff},
        {"POST /v1/wallets/{user_id}/payouts", staff},
        {"POST /v1/payments/callbacks", anyone}, // authenticated by its signature
        {"GET /v1/fund", anyone},
        {"GET /v1/fund/statement", anyone},
        {"POST /v1/fund/deposits", staff},
        {"POST /v1/projects/{id}/pledges", a_customer},
        {"GET /v1/pledges", a_customer},
        {"GET /v1/pledges/{id}", a_customer | staff},
        {"POST /v1/pledges/{id}/revoke", a_customer},
        {"POST /v1/projects/{id}/settle", staff},
        {"GET /v1/projects/{id}/settlement", staff},
        {"GET /v1/settlements", staff},
        {"POST /v1/projects/{id}/disburse", staff},
        {"GET /v1/loans/{id}", a_customer | staff | auditor},
        {"POST /v1/loans/{id}/repayments", a_customer | staff},
        {"POST /v1/loans/{id}/default", staff},
        {"GET /v1/me/positions", a_customer},
        {"POST /v1/rounds", staff},
        {"POST /v1/rounds/import", staff},
        {"GET /v1/rounds/{id}", anyone},
        {"PATCH /v1/rounds/{id}", staff},
        {"POST /v1/rounds/{id}/what-if", staff},
        {"POST /v1/rounds/{id}/projects", staff},
        {"GET /v1/rounds/{id}/projects", anyone},
        {"POST /v1/rounds/{id}/open", staff},
        {"POST /v1/rounds/{id}/close", staff},
        {"PUT /v1/rounds/{id}/ballot", a_customer},
        {"POST /v1/rounds/{id}/tally", staff},
        {"GET /v1/rounds/{id}/result", anyone},
        {"POST /v1/rounds/{id}/allocate", staff},
        {"GET /v1/rounds/{id}/ballots", anyone},
        {"GET /v1/rounds/{id}/pabulib", anyone},
        {"POST /v1/rounds/{id}/paper-batches", staff},
        {"GET /v1/rounds/{id}/paper-batches", staff},
        {"POST /v1/rounds/{id}/paper-batches/{batch}/confirm", staff},
        {"POST /v1/rounds/{id}/paper-batches/{batch}/reject", staff},
        {"PUT /v1/risk/applications/{id}", a_customer},
        {"GET /v1/risk/applications/{id}", a_customer | staff},
        {"GET /v1/risk/reviews", staff},
        {"GET /v1/risk/reviews/{id}", staff},
        {"POST /v1/risk/reviews/{id}/approve", staff},
        {"POST /v1/risk/reviews/{id}/reject", staff},
        {"POST /v1/risk/reviews/{id}/request-info", staff},
        {"POST /v1/risk/reviews/{id}/checks", staff},
        {"POST /v1/risk/relationships", staff | admin},
        {"POST /v1/risk/callbacks/{provider}", anyone}, // authenticated by its signature
        {"GET /v1/risk/investor", a_customer},
        {"PUT /v1/risk/investor/profile", a_customer},
        {"POST /v1/risk/investor/loss-simulation", a_customer},
        {"GET /v1/risk/knowledge-test", a_customer},
        {"POST /v1/risk/knowledge-test", a_customer},
        {"POST /v1/risk/investor/sophistication-requests", a_customer},
        {"GET /v1/risk/sophistication-requests", staff},
        {"POST /v1/risk/sophistication-requests/{id}/approve", staff},
        {"POST /v1/risk/sophistication-requests/{id}/reject", staff},
        // Co-creation (issue 14).
        {"POST /v1/ideas", a_customer},
        {"GET /v1/ideas", anyone},
        {"GET /v1/ideas/mine", a_customer},
        {"GET /v1/ideas/{id}", anyone},
        {"POST /v1/ideas/{id}/support", a_customer},
        {"DELETE /v1/ideas/{id}/support", a_customer},
        {"GET /v1/ideas/{id}/supports", anyone},
        {"POST /v1/ideas/{id}/accept", staff},
        {"POST /v1/ideas/{id}/merge", staff},
        {"POST /v1/ideas/{id}/decline", staff},
        {"POST /v1/ideas/{id}/project", a_customer},
        {"GET /v1/ideas/{id}/comments", anyone},
        {"POST /v1/ideas/{id}/comments", a_customer},
        {"GET /v1/ideas/{id}/comments/moderation", a_customer | staff},
        {"POST /v1/ideas/{id}/comments/{comment_id}/hide", a_customer | staff},
        {"POST /v1/projects/{id}/co-authors", a_customer},
        {"GET /v1/projects/{id}/co-authors", anyone},
        {"POST /v1/projects/{id}/co-authors/accept", a_customer},
        {"POST /v1/projects/{id}/start-test", a_customer},
        {"PUT /v1/projects/{id}/feedback", a_customer},
        {"GET /v1/projects/{id}/feedback", anyone},
        {"POST /v1/projects/{id}/feedback/{feedback_id}/answer", a_customer},
        // Followers: every signed-in user follows, reads a feed, has webhooks.
        {"GET /v1/me/feed", any_user},
        {"POST /v1/me/feed/read", any_user},
        {"GET /v1/me/follows", any_user},
        {"POST /v1/ideas/{id}/follow", any_user},
        {"DELETE /v1/ideas/{id}/follow", any_user},
        {"POST /v1/projects/{id}/follow", any_user},
        {"DELETE /v1/projects/{id}/follow", any_user},
        {"POST /v1/me/webhooks", any_user},
        {"GET /v1/me/webhooks", any_user},
        {"DELETE /v1/me/webhooks/{id}", any_user},
        {"GET /v1/me/webhooks/{id}/deliveries", any_user},
        // A customer's own money in and out; data rights (issue 15).
        {"POST /v1/wallet/deposits", a_customer},
        {"GET /v1/wallet/deposits", a_customer},
        {"GET /v1/wallet/deposits/{id}", a_customer | staff},
        {"PUT /v1/wallet/bank-account", a_customer},
        {"GET /v1/wallet/bank-account", a_customer},
        {"POST /v1/wallet/payouts", a_customer},
        {"GET /v1/payouts", a_customer | staff},
        {"GET /v1/payouts/{id}", a_customer | staff},
        {"POST /v1/payouts/{id}/approve", staff},
        {"POST /v1/payouts/{id}/reject", staff},
        {"GET /v1/users/me/export", any_user},
        {"POST /v1/users/me/erasure-request", a_customer},
        {"GET /v1/erasure-requests", admin},
        {"POST /v1/users/{id}/erase", admin},
        {"POST /v1/projects/{id}/extend-deadline", staff},
        {"POST /v1/projects/{id}/end-early", a_customer},
    };
    return all;
}

std::vector<std::pair<std::string, std::string>> server_routes() {
    std::string output;
    REQUIRE(run_cli({"routes"}, {}, "", output) == 0);
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(output);
    std::string method, pattern;
    while (lines >> method >> pattern) out.emplace_back(method, pattern);
    REQUIRE(out.size() > 50);
    return out;
}

// Ids nobody has: an allowed caller gets past the role check and is then
// told there is no such thing (or that the body is wrong), never 401/403.
std::string with_unknown_ids(std::string pattern) {
    for (std::string param : {"{id}", "{user_id}", "{comment_id}", "{provider}", "{application_id}", "{check_id}",
                              "{feedback_id}", "{name}", "{batch}"}) {
        for (auto at = pattern.find(param); at != std::string::npos; at = pattern.find(param)) {
            pattern.replace(at, param.size(), "987654321");
        }
    }
    return pattern;
}

// What no answer may ever contain.
void check_no_secrets(const reply& r, const std::string& what) {
    INFO(what);
    for (const char* secret : {"password_hash", "token_hash", "$argon2", "bench-password"}) {
        CHECK(r.body.find(secret) == std::string::npos);
    }
}

} // namespace

TEST_CASE("authorization: every route × every role, as the specification says", "[e2e][authz]") {
    platform p;
    auto alice = p.register_customer("alice@example.org");
    std::string admin_token = p.create_user("admin@bank.example", "admin");
    std::map<role, std::string> tokens{
        {a_customer, alice.token}, {staff, p.staff}, {auditor, p.auditor}, {admin, admin_token}};

    auto routes = server_routes();
    std::set<std::string> seen;
    for (const auto& [method, pattern] : routes) {
        std::string key = method + " " + pattern;
        seen.insert(key);
        INFO(key);
        auto rule = rules().find(key);
        REQUIRE(rule != rules().end()); // a new route needs its rule in this table
        for (role r : {anonymous, a_customer, staff, auditor, admin}) {
            std::map<std::string, std::string> headers{{"Idempotency-Key", "authz-" + std::to_string(r)}};
            std::string token;
            if (r != anonymous) {
                // Logging out ends the session: use one of its own.
                token = key == "DELETE /v1/sessions/current"
                            ? create_user_and_login(p.client, p.db, "logout-" + std::to_string(r) + "@example.org",
                                                    r == a_customer ? "customer"
                                                    : r == staff    ? "staff"
                                                    : r == auditor  ? "auditor"
                                                                    : "admin")
                            : tokens[r];
                headers["Authorization"] = "Bearer " + token;
            }
            std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
            auto reply = p.client.request(method, with_unknown_ids(pattern), body, headers);
            INFO("role " << r << " → " << reply.status << " " << reply.body.substr(0, 200));
            check_no_secrets(reply, key);
            if (rule->second == metrics_token) {
                CHECK(reply.status == 401);
            } else if (rule->second & r) {
                CHECK(reply.status != 401);
                CHECK(reply.status != 403);
                CHECK(reply.status < 500);
            } else {
                CHECK(reply.status == (r == anonymous ? 401 : 403));
            }
        }
    }
    // And the table names no route the server does not have.
    for (const auto& [key, _] : rules()) {
        INFO(key);
        CHECK(seen.contains(key));
    }
}

TEST_CASE("authorization: another customer cannot reach what is not theirs", "[e2e][authz]") {
    platform p;
    auto alice = p.register_customer("alice@example.org");
    auto mallory = p.register_customer("mallory@example.org");
    auto carol = p.register_customer("carol@example.org");
    p.deposit(alice, 20'000);
    p.deposit(mallory, 20'000);

    // Alice's draft, her pledge, her loan (Carol borrows, Alice lends).
    std::string draft_id = p.draft_project(alice, {{"title", "Alices Entwurf"},
                                                   {"summary", "geheim"},
                                                   {"goal_minor", 1000},
                                                   {"deadline", "2099-01-01T00:00:00Z"}});
    std::string loan = p.open_project(carol, loan_fields(10'000, 6));
    std::string pledge_id = p.pledged(alice, loan, 10'000, "alice-1");
    std::string open = p.open_project(alice, {{"title", "Alices Kampagne"}});
    auto comment = p.client.request("POST", "/v1/projects/" + open + "/comments", R"({"text":"Toll!"})",
                                    auth_headers(carol.token));
    REQUIRE(comment.status == 201);
    std::string comment_id = id_of(comment);

    auto as_mallory = [&](const std::string& method, const std::string& path, const std::string& body = {}) {
        auto r = p.client.request(method, path, body, auth_headers(mallory.token, "m-" + path));
        INFO(method << " " << path << " → " << r.status << " " << r.body);
        check_no_secrets(r, path);
        CHECK((r.status == 404 || r.status == 403));
        return r;
    };
    as_mallory("GET", "/v1/projects/" + draft_id);
    as_mallory("PUT", "/v1/projects/" + draft_id,
               json::serialize(json::object{{"title", "Gekapert"},
                                            {"summary", "x"},
                                            {"category", "community"},
                                            {"kind", "donation"},
                                            {"goal_minor", 1000},
                                            {"currency", "EUR"},
                                            {"deadline", "2099-01-01T00:00:00Z"}}));
    as_mallory("POST", "/v1/projects/" + draft_id + "/submit");
    as_mallory("POST", "/v1/projects/" + open + "/withdraw");
    as_mallory("GET", "/v1/pledges/" + pledge_id);
    as_mallory("POST", "/v1/pledges/" + pledge_id + "/revoke");
    as_mallory("GET", "/v1/wallets/" + alice.id);
    as_mallory("POST", "/v1/wallets/" + alice.id + "/payouts", R"({"amount_minor":100,"currency":"EUR"})");
    as_mallory("GET", "/v1/projects/" + open + "/comments/moderation");
    as_mallory("POST", "/v1/projects/" + open + "/comments/" + comment_id + "/hide", R"({"reason":"mine now"})");
    as_mallory("POST", "/v1/projects/" + open + "/updates", R"({"title":"Fake","body":"Fake"})");
    // Carol's credit application: not Mallory's to read or change; Carol sees
    // her inputs, never the checks' scores or the bureau's raw answers.
    as_mallory("GET", "/v1/risk/applications/" + loan);
    as_mallory("PUT", "/v1/risk/applications/" + loan,
               R"({"applicant_type":"person","monthly_income_minor":1,)"
               R"("monthly_expenses_minor":1,"existing_debt_minor":0,"purpose":"x"})");
    auto own = p.client.request("GET", "/v1/risk/applications/" + loan, {}, auth_headers(carol.token));
    REQUIRE(own.status == 200);
    for (const char* hidden : {"\"score\"", "\"reasons\"", "\"response\"", "\"pd_band\""}) {
        INFO(hidden);
        CHECK(own.body.find(hidden) == std::string::npos);
    }

    p.make_due(loan);
    REQUIRE(p.settle(loan, "s").status == 200);
    REQUIRE(p.disburse(loan, "d").status == 201);
    as_mallory("GET", "/v1/loans/" + loan);
    as_mallory("POST", "/v1/loans/" + loan + "/repayments", R"({"amount_minor":100})");
    // A lender is not the borrower: she reads her line, she cannot repay for Carol.
    auto lender_view = p.loan(alice.token, loan);
    REQUIRE(lender_view.status == 200);
    CHECK(p.repay(alice, loan, 100, "a-r").status == 404);

    // Nothing changed: Alice's money, pledge, draft and comment are as they were.
    CHECK(p.balance(alice) == 20'000 - 10'000);
    CHECK(p.db.scalar("SELECT state FROM pledges WHERE id = " + pledge_id) == "posted");
    CHECK(p.db.scalar("SELECT title || '/' || state FROM projects WHERE id = " + draft_id) == "Alices Entwurf/draft");
    CHECK(p.db.scalar("SELECT hidden_at IS NULL FROM project_comments WHERE id = " + comment_id) == "t");
    CHECK(p.db.scalar("SELECT count(*) FROM project_updates") == "0");
    // Mallory's own view holds only Mallory's things.
    auto positions = p.client.request("GET", "/v1/me/positions", {}, auth_headers(mallory.token));
    REQUIRE(positions.status == 200);
    CHECK(positions.json().at("pledges").as_array().empty());
    CHECK(positions.json().at("loans_lent").as_array().empty());
}
