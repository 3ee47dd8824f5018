#pragma once
// What the co-creation stories share (tests/api/cocreation*_test.cpp,
// webhooks_test.cpp): a platform with small thresholds, calls, the steps
// from an idea to an approved prototype, feeds read back, signatures checked.

#include "support/platform.hpp"
#include "support/webhook_receiver.hpp"

#include "base/crypto.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace schwarm::test::cocreation {

namespace json = boost::json;

constexpr int threshold = 3;
constexpr int window_days = 7;

// Small numbers, so that a story reaches each phase in a few steps, and
// webhooks that reach the test's receiver on localhost, trusting its certificate.
inline std::map<std::string, std::string> cocreation_env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env{{"SCHWARM_IDEA_SUPPORT_THRESHOLD", std::to_string(threshold)},
                                           {"SCHWARM_FEEDBACK_WINDOW_DAYS", std::to_string(window_days)},
                                           {"SCHWARM_WEBHOOK_CA", required_env("SCHWARM_TEST_TLS_CERT")},
                                           {"SCHWARM_WEBHOOK_ALLOW_PRIVATE", "1"},
                                           {"SCHWARM_WEBHOOK_BACKOFF_MS", "200"},
                                           {"SCHWARM_WEBHOOK_POLL_MS", "20"}};
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

inline std::string text_of(const json::value& v) { return std::string(v.as_string()); }

inline reply call(platform& p, const std::string& method, const std::string& path, const std::string& token,
                  const json::object& body = {}) {
    std::string text = method == "GET" || method == "DELETE" ? "" : json::serialize(body);
    return p.client.request(method, path, text,
                            token.empty() ? std::map<std::string, std::string>{} : auth_headers(token));
}

// The server's log lines about a request (every server of the test writes
// its log in the scratch folder): what a 500 hides from the client.
inline std::string server_log_of(const reply& r) {
    if (r.status < 500) return {};
    std::string id = r.header("x-request-id"), out;
    for (const auto& f : std::filesystem::directory_iterator(required_env("SCHWARM_TEST_SCRATCH"))) {
        if (!f.path().filename().string().starts_with("server_")) continue;
        std::ifstream in(f.path());
        for (std::string line; std::getline(in, line);) {
            if (line.find(id) != std::string::npos) out += line + "\n";
        }
    }
    return out;
}

// A reply that must have succeeded with `status`; its JSON.
inline json::object ok(const reply& r, int status = 200) {
    INFO(r.status << " " << r.body << "\n" << server_log_of(r));
    REQUIRE(r.status == status);
    return r.json().as_object();
}

inline std::string post_idea(platform& p, const customer& owner,
                             const std::string& title = "Lastenräder für Kleinwalde",
                             const std::string& category = "mobility") {
    auto made = ok(call(p, "POST", "/v1/ideas", owner.token,
                        {{"title", title},
                         {"problem", "Die Kitas haben kein Auto für ihre Einkäufe und Ausflüge"},
                         {"audience", "Kitas, Familien und der Dorfladen"},
                         {"category", category}}),
                   201);
    CHECK(made.at("phase") == "understand");
    return text_of(made.at("id"));
}

inline reply support(platform& p, const customer& c, const std::string& idea, const std::string& reason = {}) {
    json::object body;
    if (!reason.empty()) body["reason"] = reason;
    return call(p, "POST", "/v1/ideas/" + idea + "/support", c.token, body);
}

inline json::object idea_of(platform& p, const std::string& idea) {
    return ok(call(p, "GET", "/v1/ideas/" + idea, ""));
}

inline json::object project_fields(platform& p, json::object changes = {}) {
    json::object f{{"title", "Lastenräder Kleinwalde"},
                   {"summary", "Drei Lastenräder für die Kitas des Dorfes"},
                   {"category", "mobility"},
                   {"kind", "donation"},
                   {"goal_minor", 10'000},
                   {"currency", "EUR"},
                   {"campaign_mode", "all_or_nothing"},
                   {"deadline", p.days_from_now(60)}};
    for (const auto& [k, v] : changes) f[k] = v;
    return f;
}

// An idea of `owner`'s supported by `supporters` (the threshold reached when
// there are three), accepted by staff: its id.
inline std::string accepted_idea(platform& p, const customer& owner, std::initializer_list<const customer*> supporters,
                                 const std::string& title = "Lastenräder für Kleinwalde") {
    auto idea = post_idea(p, owner, title);
    for (const auto* s : supporters) ok(support(p, *s, idea), 201);
    ok(call(p, "POST", "/v1/ideas/" + idea + "/accept", p.staff));
    return idea;
}

// The accepted idea's project, tested for the whole window, submitted,
// reviewed and approved: its id.
inline std::string approved_prototype(platform& p, const customer& owner, const std::string& idea,
                                      json::object changes = {}) {
    auto made = ok(call(p, "POST", "/v1/ideas/" + idea + "/project", owner.token, project_fields(p, changes)), 201);
    std::string id = text_of(made.at("id"));
    ok(call(p, "POST", "/v1/projects/" + id + "/start-test", owner.token));
    p.db.travel_by(window_days * 86'400 + 60);
    ok(call(p, "POST", "/v1/projects/" + id + "/submit", owner.token));
    ok(call(p, "POST", "/v1/projects/" + id + "/start-review", p.staff));
    ok(call(p, "POST", "/v1/projects/" + id + "/approve", p.staff));
    return id;
}

struct told {
    std::string type;
    json::object data;
    std::string project;
};

// The caller's whole feed, oldest first.
inline std::vector<told> feed_of(platform& p, const std::string& token) {
    auto page = ok(call(p, "GET", "/v1/me/feed?limit=200", token));
    std::vector<told> out;
    for (const auto& item : page.at("items").as_array()) {
        const auto& e = item.as_object();
        out.push_back({text_of(e.at("type")), e.at("data").as_object(),
                       e.at("project_id").is_null() ? "" : text_of(e.at("project_id"))});
    }
    std::reverse(out.begin(), out.end());
    return out;
}

// "type" or "type:to" (the phase or state an event moved to).
inline std::vector<std::string> steps_of(const std::vector<told>& feed) {
    std::vector<std::string> out;
    for (const auto& t : feed) {
        auto to = t.data.if_contains("to");
        out.push_back(to ? t.type + ":" + text_of(*to) : t.type);
    }
    return out;
}

// Whether `wanted` appears in `steps` in this order (others may come between).
inline bool in_order(const std::vector<std::string>& steps, const std::vector<std::string>& wanted) {
    auto at = steps.begin();
    for (const auto& w : wanted) {
        at = std::find(at, steps.end(), w);
        if (at == steps.end()) return false;
        ++at;
    }
    return true;
}

inline bool contains(const std::vector<std::string>& steps, const std::string& step) {
    return std::find(steps.begin(), steps.end(), step) != steps.end();
}

inline std::string joined(const std::vector<std::string>& steps) {
    std::string out;
    for (const auto& s : steps) out += s + " ";
    return out;
}

// Checks the Schwarm-Signature of a delivery as a subscriber would.
inline bool signed_with(const webhook_receiver::delivery& d, const std::string& secret) {
    auto it = d.headers.find("schwarm-signature");
    if (it == d.headers.end()) return false;
    const std::string& v = it->second;
    auto comma = v.find(',');
    if (!v.starts_with("t=") || comma == std::string::npos || v.substr(comma + 1, 3) != "v1=") return false;
    std::string t = v.substr(2, comma - 2);
    return schwarm::crypto::check_timestamped(secret, t, d.body, v.substr(comma + 4), 300) ==
           schwarm::crypto::timestamped::ok;
}

} // namespace schwarm::test::cocreation
