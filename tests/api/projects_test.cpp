// Projects and their lifecycle through the real binary.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

json::object loan(const std::string& title = "Solardach für die Kita",
                  const std::string& summary = "Photovoltaik auf dem Dach") {
    return {{"title", title},
            {"summary", summary},
            {"category", "energy"},
            {"kind", "loan"},
            {"goal_minor", 5'000'000},
            {"currency", "EUR"},
            {"deadline", "2099-06-30T23:59:59Z"},
            {"loan_rate_bp", 350},
            {"loan_term_months", 60},
            {"loan_schedule", "annuity"}};
}

std::string post(https_client& client, const std::string& path, const std::string& token, const std::string& body = {},
                 const std::string& key = {}) {
    auto r = client.request("POST", path, body, auth_headers(token, key));
    INFO(r.body);
    return r.status == 200 ? std::string(r.json().at("state").as_string()) : std::to_string(r.status);
}

} // namespace

TEST_CASE("projects: propose, review, approve, list, search", "[e2e][projects]") {
    // One staff approval suffices below the four-eyes principal (risk; tests/api/risk_test.cpp has four eyes).
    platform p(std::map<std::string, std::string>{{"SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "10000000"}});
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string other = p.register_customer("otto@example.org", investor::none).token;
    const std::string& staff = p.staff;

    auto created = client.request("POST", "/v1/projects", json::serialize(loan()), auth_headers(owner));
    REQUIRE(created.status == 201);
    CHECK(created.json().at("state") == "draft");
    CHECK(created.json().at("loan").at("principal_minor") == 5'000'000);
    std::string id(created.json().at("id").as_string());
    std::string base = "/v1/projects/" + id;

    // A draft is its owner's: not public, not listed, not editable by others.
    CHECK(client.request("GET", base).status == 404);
    CHECK(client.request("GET", "/v1/projects").json().at("items").as_array().empty());
    CHECK(client.request("GET", "/v1/projects/mine", {}, auth_headers(owner)).json().at("items").as_array().size() ==
          1);
    CHECK(client.request("PUT", base, json::serialize(loan("Fremdes Projekt")), auth_headers(other)).status == 404);
    auto edited =
        client.request("PUT", base, json::serialize(loan("Solardach für die Kita Sonnenschein")), auth_headers(owner));
    REQUIRE(edited.status == 200);
    CHECK(edited.json().at("title") == "Solardach für die Kita Sonnenschein");

    // The loan's credit inputs, for the risk check that runs once it is submitted.
    REQUIRE(client
                .request("PUT", "/v1/risk/applications/" + id,
                         R"({"applicant_type":"person","monthly_income_minor":2000000,"monthly_expenses_minor":500000,)"
                         R"("existing_debt_minor":0,"purpose":"energy"})",
                         auth_headers(owner))
                .status == 200);

    CHECK(post(client, base + "/submit", other) == "404");
    CHECK(post(client, base + "/approve", staff) == "409"); // not in review yet
    CHECK(post(client, base + "/submit", owner) == "submitted");
    CHECK(client.request("PUT", base, json::serialize(loan()), auth_headers(owner)).status == 409);
    CHECK(post(client, base + "/start-review", owner) == "403");
    CHECK(post(client, base + "/start-review", staff) == "in_review");
    CHECK(post(client, base + "/reject", staff) == "400"); // a reason is required
    // A loan is approved through its risk review once its credit check is in (risk).
    CHECK(post(client, base + "/approve", staff) == "409");
    eventually([&] { return db.scalar("SELECT count(*) FROM risk_checks WHERE state = 'completed'") == "1"; },
               std::chrono::seconds(5), "the credit check");
    REQUIRE(client.request("POST", "/v1/risk/reviews/" + id + "/approve", {}, auth_headers(staff)).status == 200);
    auto twice = client.request("POST", base + "/approve", {}, auth_headers(staff));
    CHECK(twice.status == 409);
    CHECK(twice.json().at("state") == "approved");
    CHECK(twice.json().at("type") == "tag:schwarm.dev,2026:problem:project-state");

    // Public now, listed and found by German and English words.
    CHECK(client.request("GET", base).json().at("state") == "approved");
    auto found = client.request("GET", "/v1/projects?q=Kita");
    REQUIRE(found.status == 200);
    CHECK(found.json().at("items").as_array().size() == 1);
    CHECK(client.request("GET", "/v1/projects?q=Kitas").json().at("items").as_array().size() == 1); // German stemming
    CHECK(client.request("GET", "/v1/projects?q=Windrad").json().at("items").as_array().empty());
    CHECK(client.request("GET", "/v1/projects?kind=donation").json().at("items").as_array().empty());
    CHECK(client.request("GET", "/v1/projects?state=approved&category=energy").json().at("items").as_array().size() ==
          1);
    CHECK(client.request("GET", "/v1/projects?state=draft").status == 400);

    CHECK(db.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE subject = 'project:" + id +
                    "' AND action LIKE 'project.%'") ==
          "project.create,project.update,project.submit,project.start_review,project.approve");
}

TEST_CASE("projects: refusals name the field and store nothing", "[e2e][projects]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    const std::string& staff = p.staff;
    auto field_of = [&](json::object body) {
        auto r = client.request("POST", "/v1/projects", json::serialize(body), auth_headers(owner));
        CHECK(r.status == 400);
        return r.json().as_object().contains("field") ? std::string(r.json().at("field").as_string()) : r.body;
    };
    auto no_terms = loan();
    no_terms.erase("loan_schedule");
    CHECK(field_of(no_terms) == "loan_rate_bp");
    auto donation_with_terms = loan();
    donation_with_terms["kind"] = "donation";
    CHECK(field_of(donation_with_terms) == "kind");
    auto past = loan();
    past["deadline"] = "2001-01-01T00:00:00Z";
    CHECK(field_of(past) == "deadline");
    // What PostgreSQL would take as a time and the API does not.
    for (const char* text : {"soon", "infinity", "tomorrow", "epoch", "2027-06-30", "2027-02-30T00:00:00Z",
                             "2027-06-30 23:59:59Z", "2027-13-01T00:00:00Z"}) {
        auto odd_deadline = loan();
        odd_deadline["deadline"] = text;
        INFO(text);
        CHECK(field_of(odd_deadline) == "deadline");
    }
    auto bad_category = loan();
    bad_category["category"] = "Energy & more";
    CHECK(field_of(bad_category) == "category");
    auto bad_currency = loan();
    bad_currency["currency"] = "XYZ";
    CHECK(field_of(bad_currency) == "currency");
    auto extra = loan();
    extra["state"] = "approved";
    CHECK(field_of(extra) == "state");
    CHECK(client.request("POST", "/v1/projects", json::serialize(loan()), auth_headers(staff)).status == 403);
    CHECK(client.request("POST", "/v1/projects", json::serialize(loan())).status == 401);
    CHECK(db.scalar("SELECT count(*) FROM projects") == "0");

    // Withdrawing ends an open project for good.
    auto created = client.request("POST", "/v1/projects", json::serialize(loan()), auth_headers(owner));
    std::string base = "/v1/projects/" + std::string(created.json().at("id").as_string());
    CHECK(post(client, base + "/withdraw", owner) == "400"); // it may give money back: a key is needed
    CHECK(post(client, base + "/withdraw", owner, {}, "w-1") == "withdrawn");
    CHECK(post(client, base + "/submit", owner) == "409");
}

TEST_CASE("projects: an owner reads their own draft by id, nobody else does", "[e2e][projects]") {
    platform p;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string other = p.register_customer("otto@example.org", investor::none).token;
    auto created = p.client.request("POST", "/v1/projects", json::serialize(loan()), auth_headers(owner));
    REQUIRE(created.status == 201);
    std::string path = "/v1/projects/" + std::string(created.json().at("id").as_string());
    auto own = p.client.request("GET", path, {}, auth_headers(owner));
    REQUIRE(own.status == 200);
    CHECK(own.json().at("state") == "draft");
    CHECK(p.client.request("GET", path, {}, auth_headers(other)).status == 404);
    CHECK(p.client.request("GET", path).status == 404);
    CHECK(p.client.request("GET", path, {}, auth_headers("not-a-token")).status == 404);
    CHECK(p.client.request("GET", "/v1/projects/987654321", {}, auth_headers(owner)).status == 404);
}

TEST_CASE("projects: listing pages with a stable cursor", "[e2e][projects]") {
    platform p;
    auto& client = p.client;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    for (int i = 0; i < 5; ++i) {
        auto r = client.request("POST", "/v1/projects", json::serialize(loan("Projekt Nummer " + std::to_string(i))),
                                auth_headers(owner));
        REQUIRE(r.status == 201);
        REQUIRE(post(client, "/v1/projects/" + std::string(r.json().at("id").as_string()) + "/submit", owner) ==
                "submitted");
    }
    auto first = client.request("GET", "/v1/projects?limit=2").json();
    REQUIRE(first.at("items").as_array().size() == 2);
    CHECK(first.at("items").as_array()[0].at("title") == "Projekt Nummer 4");
    std::string cursor(first.at("next_cursor").as_string());
    // A project added meanwhile does not shift the next page.
    client.request("POST", "/v1/projects", json::serialize(loan("Neu dazu")), auth_headers(owner));
    auto second = client.request("GET", "/v1/projects?limit=2&cursor=" + cursor).json();
    CHECK(second.at("items").as_array()[0].at("title") == "Projekt Nummer 2");
    auto last =
        client.request("GET", "/v1/projects?limit=2&cursor=" + std::string(second.at("next_cursor").as_string()))
            .json();
    CHECK(last.at("items").as_array().size() == 1);
    CHECK(last.at("next_cursor").is_null());
    CHECK(client.request("GET", "/v1/projects?cursor=abc").status == 400);
}
