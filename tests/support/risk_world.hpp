#pragma once
// What the risk end-to-end tests share: a loan through the real binary, its
// credit application, and waiting for the check worker.

#include "support/support.hpp"

#include <chrono>
#include <string>

namespace schwarm::test::risk {

namespace json = boost::json;

inline json::object loan(std::int64_t principal_minor = 5'000'000) {
    return {{"title", "Solardach für die Kita"},
            {"summary", "Photovoltaik auf dem Dach"},
            {"category", "energy"},
            {"kind", "loan"},
            {"goal_minor", principal_minor},
            {"currency", "EUR"},
            {"deadline", "2099-06-30T23:59:59Z"},
            {"loan_rate_bp", 350},
            {"loan_term_months", 60},
            {"loan_schedule", "annuity"}};
}

// A sound small business: income 20,000 a month, outgoings well below.
inline json::object sound_application() {
    return {{"applicant_type", "company"},
            {"monthly_income_minor", 2'000'000},
            {"monthly_expenses_minor", 600'000},
            {"existing_debt_minor", 1'000'000},
            {"purpose", "energy"},
            {"years_in_business", 8}};
}

// Creates a loan, declares its application (unless null), submits it; the id.
inline std::string submitted_loan(https_client& client, const std::string& owner, std::int64_t principal_minor,
                                  const json::value& application) {
    auto created = client.request("POST", "/v1/projects", json::serialize(loan(principal_minor)), auth_headers(owner));
    REQUIRE(created.status == 201);
    std::string id(created.json().at("id").as_string());
    if (!application.is_null()) {
        auto put =
            client.request("PUT", "/v1/risk/applications/" + id, json::serialize(application), auth_headers(owner));
        INFO(put.body);
        REQUIRE(put.status == 200);
    }
    auto submitted = client.request("POST", "/v1/projects/" + id + "/submit", {}, auth_headers(owner));
    REQUIRE(submitted.status == 200);
    return id;
}

// Polls the review until `done` holds for it (at most `timeout`); the last review.
template <typename Pred>
json::value wait_review(https_client& client, const std::string& staff, const std::string& id, Pred done,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    json::value review;
    eventually(
        [&] {
            auto r = client.request("GET", "/v1/risk/reviews/" + id, {}, auth_headers(staff));
            REQUIRE(r.status == 200);
            review = r.json();
            return done(review);
        },
        timeout, [&] { return "the review to reach the expected state: " + json::serialize(review); });
    return review;
}

// The latest check (checks are listed newest first) is no longer queued or running.
inline bool latest_check_settled(const json::value& review) {
    const auto& checks = review.at("checks").as_array();
    if (checks.empty()) return false;
    auto state = checks[0].at("state").as_string();
    return state != "queued" && state != "running";
}

inline std::string type_of(const reply& r) {
    auto v = r.json();
    return v.as_object().contains("type") ? std::string(v.at("type").as_string()) : "";
}

inline std::string problem_type(const char* slug) { return std::string("tag:schwarm.dev,2026:problem:") + slug; }

} // namespace schwarm::test::risk
