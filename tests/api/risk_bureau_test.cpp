// The webhook provider against a real local HTTPS bureau that misbehaves as
// told: every case ends in a recorded failed or pending check, the circuit
// breaker opens and closes as specified, the server stays responsive, and
// nothing is approved by accident.
#include "support/fake_bureau.hpp"
#include "support/risk_world.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
using namespace schwarm::test::risk;
using mode = fake_bureau::mode;

namespace {

const std::string bureau_key = "test-bureau-key-0123456789";

struct setup {
    database db;
    fake_bureau bureau{required_env("SCHWARM_TEST_TLS_CERT"), required_env("SCHWARM_TEST_TLS_KEY"), bureau_key};
    std::unique_ptr<server> srv;
    std::unique_ptr<https_client> client;
    std::map<std::string, std::string> env;
    std::string owner, staff;

    explicit setup(std::map<std::string, std::string> more = {}) {
        env = {{"SCHWARM_RISK_PROVIDERS", "webhook"},
               {"SCHWARM_RISK_BUREAU_URL", bureau.url()},
               {"SCHWARM_RISK_BUREAU_CA", required_env("SCHWARM_TEST_TLS_CERT")},
               {"SCHWARM_RISK_BUREAU_KEY", bureau_key},
               {"SCHWARM_RISK_BUREAU_TIMEOUT_MS", "1000"},
               {"SCHWARM_RISK_BACKOFF_MS", "20"},
               {"SCHWARM_RISK_RETRIES_MAX", "2"},
               {"SCHWARM_RISK_BREAKER_FAILURES", "10"}};
        for (auto& [k, v] : more) env[k] = v;
        restart();
        owner = register_and_login(*client, "olga@example.org");
        staff = create_user_and_login(*client, db, "anna@bank.example", "staff");
    }

    // Another server process in place of the first, on the same database.
    void restart() {
        client.reset();
        srv.reset();
        srv = std::make_unique<server>(db.url(), env);
        client = std::make_unique<https_client>(srv->port());
    }

    std::string loan() { return submitted_loan(*client, owner, 2'000'000, sound_application()); }

    json::object settled_check(const std::string& id) {
        return wait_review(*client, staff, id,
                           [](const json::value& r) {
                               const auto& checks = r.at("checks").as_array();
                               return !checks.empty() && checks[0].at("state") != "queued" &&
                                      checks[0].at("state") != "running";
                           })
            .at("checks")
            .as_array()
            .at(0)
            .as_object();
    }

    // Nothing approved by accident: staff approval is refused, the project stays where it was.
    void approval_refused(const std::string& id) {
        auto r = client->request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(staff));
        CHECK(r.status == 409);
        CHECK(type_of(r) == problem_type("risk-check-outstanding"));
        CHECK(db.scalar("SELECT state FROM projects WHERE id = " + id) == "submitted");
    }

    std::string rerun(const std::string& id) {
        auto r = client->request("POST", "/v1/risk/reviews/" + id + "/checks", {}, auth_headers(staff));
        REQUIRE(r.status == 202);
        return id;
    }
};

std::string error_of(const json::object& check) {
    return check.at("error").is_null() ? "" : std::string(check.at("error").as_string());
}

} // namespace

TEST_CASE("risk bureau: an immediate, signed answer completes the check with what was minimally asked", "[e2e][risk]") {
    setup s;
    std::string id = s.loan();
    auto check = s.settled_check(id);
    CHECK(check.at("state") == "completed");
    CHECK(check.at("decision") == "approve");
    CHECK(check.at("score") == 712);
    CHECK(check.at("pd_band") == "A");
    CHECK(check.at("reasons").as_array().size() == 2);
    CHECK(check.at("attempts") == 1);
    CHECK(s.bureau.requests() == 1);
    CHECK(s.bureau.bad_request_signatures() == 0);
    // Minimised: figures and a pseudonym, no name, e-mail or free text.
    auto sent = json::parse(s.bureau.last_body()).as_object();
    CHECK(sent.at("reference") == check.at("id"));
    CHECK(sent.at("subject").as_string().size() == 32);
    CHECK(!sent.contains("purpose"));
    CHECK(s.bureau.last_body().find("olga") == std::string::npos);
    CHECK(check.at("request").at("principal_minor") == 2'000'000);
    auto approved = s.client->request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(s.staff));
    CHECK(approved.status == 200);
    CHECK(s.db.scalar("SELECT state FROM projects WHERE id = " + id) == "approved");
}

TEST_CASE("risk bureau: a decline is recorded and blocks approval", "[e2e][risk]") {
    setup s;
    s.bureau.set_mode(mode::decline);
    std::string id = s.loan();
    auto check = s.settled_check(id);
    CHECK(check.at("state") == "completed");
    CHECK(check.at("decision") == "decline");
    auto r = s.client->request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(s.staff));
    CHECK(r.status == 409);
    CHECK(type_of(r) == problem_type("risk-check-declined"));
}

TEST_CASE("risk bureau: 5xx and dropped connections are retried, then the check fails", "[e2e][risk]") {
    setup s;
    SECTION("500") {
        s.bureau.set_mode(mode::fail_500);
        std::string id = s.loan();
        auto check = s.settled_check(id);
        CHECK(check.at("state") == "failed");
        CHECK(error_of(check) == "bureau answered 500");
        CHECK(check.at("attempts") == 3); // one and two retries
        CHECK(s.bureau.requests() == 3);
        s.approval_refused(id);
    }
    SECTION("dropped connection") {
        s.bureau.set_mode(mode::drop);
        std::string id = s.loan();
        auto check = s.settled_check(id);
        CHECK(check.at("state") == "failed");
        CHECK(error_of(check).starts_with("bureau protocol"));
        CHECK(check.at("attempts") == 3);
        s.approval_refused(id);
    }
}

TEST_CASE("risk bureau: 4xx, garbage, oversized and badly signed answers fail at once, never retried", "[e2e][risk]") {
    setup s;
    struct expectation {
        mode m;
        std::string error_start;
    };
    auto [m, error_start] =
        GENERATE(values<expectation>({{mode::refuse_400, "bureau refused the request with 400"},
                                      {mode::garbage, "bureau answer is not a JSON object"},
                                      {mode::oversized, "bureau too_large"},
                                      {mode::bad_signature, "bureau answer has an invalid signature"}}));
    s.bureau.set_mode(m);
    std::string id = s.loan();
    auto check = s.settled_check(id);
    INFO(json::serialize(check));
    CHECK(check.at("state") == "failed");
    CHECK(error_of(check).starts_with(error_start));
    CHECK(check.at("attempts") == 1);
    CHECK(s.bureau.requests() == 1);
    s.approval_refused(id);
}

TEST_CASE("risk bureau: a slow bureau times out without blocking the server", "[e2e][risk]") {
    setup s({{"SCHWARM_RISK_BUREAU_TIMEOUT_MS", "400"}, {"SCHWARM_RISK_RETRIES_MAX", "1"}});
    s.bureau.set_mode(mode::approve);
    s.bureau.set_delay(std::chrono::milliseconds(3000));
    std::string id = s.loan();
    // While the worker waits for the bureau, requests are served at once.
    eventually([&] { return s.bureau.requests() >= 1; }, std::chrono::seconds(10),
               "the worker's call to reach the bureau");
    for (int i = 0; i < 5; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        CHECK(s.client->request("GET", "/v1/projects").status == 200);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300));
    }
    auto check = s.settled_check(id);
    CHECK(check.at("state") == "failed");
    CHECK(error_of(check).starts_with("bureau timeout"));
    CHECK(check.at("attempts") == 2);
    CHECK(check.at("duration_ms").as_int64() < 2500); // the deadline, not the bureau, ended it
    s.approval_refused(id);
}

TEST_CASE("risk bureau: the circuit opens after repeated failures, fails fast, and closes after a good trial",
          "[e2e][risk]") {
    setup s({{"SCHWARM_RISK_BREAKER_FAILURES", "3"}, {"SCHWARM_RISK_BREAKER_COOLDOWN_MS", "1500"}});
    s.bureau.set_mode(mode::fail_500);
    std::string id = s.loan();
    CHECK(s.settled_check(id).at("attempts") == 3);
    REQUIRE(s.bureau.requests() == 3); // three failures in a row: open

    // Open: the bureau is not called; the check fails fast and says why.
    s.bureau.set_mode(mode::approve);
    s.rerun(id);
    auto fast = s.settled_check(id);
    CHECK(fast.at("state") == "failed");
    CHECK(error_of(fast).starts_with("circuit open"));
    CHECK(fast.at("attempts") == 0);
    CHECK(s.bureau.requests() == 3);
    s.approval_refused(id);

    // After the cool-down (on the platform clock) one trial goes out; its
    // success closes the circuit.
    s.db.travel_by(2);
    s.rerun(id);
    auto trial = s.settled_check(id);
    CHECK(trial.at("state") == "completed");
    CHECK(s.bureau.requests() == 4);
    s.rerun(id);
    CHECK(s.settled_check(id).at("state") == "completed");
    CHECK(s.bureau.requests() == 5);
}

TEST_CASE("risk bureau: the circuit is shared by server processes: one opened by another fails fast here",
          "[e2e][risk]") {
    setup s({{"SCHWARM_RISK_BREAKER_FAILURES", "3"}, {"SCHWARM_RISK_BREAKER_COOLDOWN_MS", "60000"}});
    s.bureau.set_mode(mode::fail_500);
    std::string id = s.loan();
    CHECK(s.settled_check(id).at("attempts") == 3);
    REQUIRE(s.bureau.requests() == 3);

    // A new process has made no call of its own, and still does not call.
    s.bureau.set_mode(mode::approve);
    s.restart();
    s.rerun(id);
    auto fast = s.settled_check(id);
    CHECK(fast.at("state") == "failed");
    CHECK(error_of(fast).starts_with("circuit open"));
    CHECK(s.bureau.requests() == 3);
    s.approval_refused(id);
}

TEST_CASE("risk bureau: three server processes run every queued check once", "[e2e][risk][scale]") {
    setup s;
    s.bureau.set_mode(mode::approve);
    // Two more processes on the same database, each with its check worker.
    server b(s.db.url(), s.env), c(s.db.url(), s.env);
    constexpr int loans = 12;
    std::vector<std::string> ids;
    for (int i = 0; i < loans; ++i) ids.push_back(s.loan());
    for (const auto& id : ids) {
        auto check = s.settled_check(id);
        CHECK(check.at("state") == "completed");
        CHECK(check.at("attempts") == 1);
    }
    // Every check called the bureau once: no process ran another's.
    CHECK(s.bureau.requests() == loans);
    CHECK(s.db.scalar("SELECT count(*) FROM risk_checks") == std::to_string(loans));
}

TEST_CASE("risk bureau: a later answer by callback, signed, in the window, once", "[e2e][risk]") {
    setup s;
    s.bureau.set_mode(mode::pending);
    std::string id = s.loan();
    auto pending = s.settled_check(id);
    REQUIRE(pending.at("state") == "pending");
    s.approval_refused(id);
    std::string check_id(pending.at("id").as_string());
    std::string body = json::serialize(json::object{{"reference", check_id},
                                                    {"decision", "approve"},
                                                    {"score", 690},
                                                    {"pd_band", "B"},
                                                    {"reasons", json::array{"income verified"}}});
    auto send = [&](const std::string& ts, const std::string& sig, const std::string& b,
                    const std::string& provider = "webhook") {
        return s.client->request("POST", "/v1/risk/callbacks/" + provider, b,
                                 {{"X-Schwarm-Timestamp", ts}, {"X-Schwarm-Signature", sig}});
    };
    std::string now = unix_now();

    auto forged = send(now, bureau_signature("wrong key", now, body), body);
    CHECK(forged.status == 401);
    CHECK(type_of(forged) == problem_type("risk-callback-signature"));
    std::string tampered = body;
    tampered.replace(tampered.find("approve"), 7, "decline");
    CHECK(send(now, bureau_signature(bureau_key, now, body), tampered).status == 401);
    std::string old = std::to_string(std::stoll(now) - 3600);
    auto stale = send(old, bureau_signature(bureau_key, old, body), body);
    CHECK(stale.status == 401);
    CHECK(type_of(stale) == problem_type("risk-callback-stale"));
    CHECK(send(now, bureau_signature(bureau_key, now, body), body, "schufa").status == 404);
    CHECK(s.db.scalar("SELECT state FROM risk_checks WHERE id = " + check_id) == "pending");

    auto accepted = send(now, bureau_signature(bureau_key, now, body), body);
    INFO(accepted.body);
    REQUIRE(accepted.status == 200);
    auto replayed = send(now, bureau_signature(bureau_key, now, body), body);
    CHECK(replayed.status == 409);
    CHECK(type_of(replayed) == problem_type("risk-callback-replayed"));
    // A fresh signature for an answered check is refused too.
    std::string later = std::to_string(std::stoll(now) + 1);
    CHECK(send(later, bureau_signature(bureau_key, later, body), body).status == 409);

    auto check = s.settled_check(id);
    CHECK(check.at("state") == "completed");
    CHECK(check.at("decision") == "approve");
    CHECK(check.at("score") == 690);
    CHECK(s.client->request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(s.staff)).status == 200);
}
