// Rounds run any rule core/voting knows, with its options, frozen once open;
// staff compute what-if tallies that change nothing (issue 13, part 3).
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

// Three voters want the garden, two the bench and the library: 1,000.00 EUR.
struct village {
    platform p;
    std::vector<std::string> voters;

    village() {
        for (int i = 0; i < 5; ++i) {
            voters.push_back(p.register_customer("v" + std::to_string(i) + "@example.org", investor::none).token);
        }
    }

    voting_round round(json::object changes) {
        auto r = p.new_round(std::move(changes));
        for (auto [key, cost] : {std::pair{"garden", 60000}, std::pair{"bench", 30000}, std::pair{"library", 30000}}) {
            REQUIRE(r.add_item(key, cost).status == 201);
        }
        return r;
    }

    void vote(voting_round& r) {
        for (int i = 0; i < 5; ++i) {
            auto choices = i < 3 ? std::vector<std::string>{"garden"} : std::vector<std::string>{"bench", "library"};
            REQUIRE(r.ballot(voters[static_cast<std::size_t>(i)], choices).status == 201);
        }
    }

    reply patch(const voting_round& r, const json::object& body, const std::string& token = {}) {
        return p.client.request("PATCH", r.path(), json::serialize(body),
                                auth_headers(token.empty() ? p.staff : token));
    }
    reply what_if(const voting_round& r, const json::object& body, const std::string& token = {}) {
        return p.client.request("POST", r.path() + "/what-if", json::serialize(body),
                                auth_headers(token.empty() ? p.staff : token));
    }
    json::object round_view(const voting_round& r) { return p.client.request("GET", r.path()).json().as_object(); }
};

std::vector<std::string> selected(const json::value& result) {
    std::vector<std::string> out;
    for (const auto& s : result.at("selected").as_array()) out.emplace_back(s.at("project").as_string());
    return out;
}

const json::object& not_selected(const json::value& result, const std::string& project) {
    for (const auto& n : result.at("not_selected").as_array()) {
        if (n.at("project").as_string() == project) return n.as_object();
    }
    FAIL("no " << project << " among the projects not selected");
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("round rules: a city's rule and options run, are published before the vote and explain the outcome",
          "[e2e][rounds][rules]") {
    village v;
    // Greedy with a minimum of three approvals: the bench and the library
    // (two each) take no part.
    auto r = v.round({{"rule", "greedy"}, {"options", json::object{{"min_votes", 3}, {"tie_break", {"min-cost"}}}}});
    auto shown = v.round_view(r);
    CHECK(shown.at("rule") == "greedy");
    CHECK(shown.at("options").at("min_votes") == 3);
    REQUIRE(r.open().status == 200);
    v.vote(r);
    REQUIRE(r.close().status == 200);
    auto tallied = r.tally();
    REQUIRE(tallied.status == 200);
    auto result = v.p.client.request("GET", r.path() + "/result").json();
    CHECK(selected(result) == std::vector<std::string>{"garden"});
    CHECK(result.at("options").at("min_votes") == 3);
    CHECK(not_selected(result, "bench").at("outcome") == "below-min-votes");
    CHECK(!not_selected(result, "bench").at("reason").as_string().empty());
    CHECK(!result.at("selected").as_array()[0].at("reason").as_string().empty());

    // What if the round had counted with plain greedy, or with Equal Shares
    // and add1? Answered, and the official result is as it was.
    auto plain = v.what_if(r, {{"rule", "greedy"}});
    REQUIRE(plain.status == 200);
    CHECK(plain.json().at("what_if") == true);
    CHECK(selected(plain.json()) == std::vector<std::string>{"garden", "bench"});
    auto mes = v.what_if(r, {{"rule", "mes"}, {"options", json::object{{"completion", "add1e"}}}});
    REQUIRE(mes.status == 200);
    CHECK(mes.json().at("rule") == "mes");
    CHECK(mes.json().at("options").at("completion") == "add1e");
    CHECK(v.p.client.request("GET", r.path() + "/result").json() == tallied.json());
}

TEST_CASE("round rules: what is refused, and that it changes nothing", "[e2e][rounds][rules]") {
    village v;
    const json::object bad_bodies[] = {
        {{"rule", "borda"}},                                                     // no such rule
        {{"rule", "greedy"}, {"options", json::object{{"completion", "add1"}}}}, // an MES option on greedy
        {{"rule", "greedy-threshold"}},                                          // needs min_score
        {{"rule", "mes"}, {"options", json::object{{"utility", "approval"}}}},   // the round's own field
        {{"rule", "mes"}, {"options", json::object{{"comparison", "sometimes"}}}},
        {{"rule", "mes"}, {"options", json::object{{"tie_break", {"coin"}}}}},
        {{"rule", "greedy"}, {"options", json::object{{"min_votes", -1}}}},
        {{"rule", "greedy"}, {"options", "min_votes=1"}},
    };
    const char* fields[] = {"rule",
                            "options.completion",
                            "options.min_score",
                            "options.utility",
                            "options.comparison",
                            "options.tie_break",
                            "options.min_votes",
                            "options"};
    json::object base{{"title", "Dorf 2030"},
                      {"budget_minor", 100'000},
                      {"currency", "EUR"},
                      {"opens_at", "2020-01-01T00:00:00Z"},
                      {"closes_at", "2099-01-01T00:00:00Z"}};
    const std::string rounds_before = v.p.db.scalar("SELECT count(*) FROM voting_rounds");
    for (std::size_t i = 0; i < std::size(bad_bodies); ++i) {
        json::object body = base;
        for (const auto& [k, val] : bad_bodies[i]) body[k] = val;
        auto refused = v.p.client.request("POST", "/v1/rounds", json::serialize(body), auth_headers(v.p.staff));
        INFO(refused.body);
        CHECK(refused.status == 400);
        CHECK(problem_slug(refused) == "validation");
        CHECK(refused.json().at("field") == fields[i]);
    }
    CHECK(v.p.db.scalar("SELECT count(*) FROM voting_rounds") == rounds_before);
    auto unknown = v.p.client.request("POST", "/v1/rounds", json::serialize([&] {
                                          json::object body = base;
                                          body["rule"] = "borda";
                                          return body;
                                      }()),
                                      auth_headers(v.p.staff));
    CHECK(unknown.json().at("detail").as_string().find("equalshares/add1") != std::string::npos); // lists them

    // A tie order naming a project the round does not have: refused at the
    // open, which keeps the draft; fixed in the draft, it opens; then frozen.
    auto r = v.round({{"rule", "mes"}, {"options", json::object{{"tie_order", {"garden", "pool"}}}}});
    auto open = r.open();
    CHECK(open.status == 400);
    CHECK(open.json().at("field") == "options.tie_order");
    CHECK(v.round_view(r).at("state") == "draft");
    auto customer = v.voters[0];
    CHECK(v.patch(r, {{"rule", "equalshares/add1"}}, customer).status == 403);
    auto fixed = v.patch(r, {{"options", json::object{{"tie_order", {"garden", "bench", "library"}}}}});
    REQUIRE(fixed.status == 200);
    CHECK(fixed.json().at("rule") == "mes");
    REQUIRE(r.open().status == 200);
    auto frozen = v.patch(r, {{"rule", "greedy"}});
    CHECK(frozen.status == 409);
    CHECK(problem_slug(frozen) == "round-state");
    CHECK(v.round_view(r).at("rule") == "mes");

    // What-if: staff only, and only once the ballots are in the box.
    CHECK(v.what_if(r, {{"rule", "greedy"}}).status == 409);
    v.vote(r);
    REQUIRE(r.close().status == 200);
    CHECK(v.what_if(r, {{"rule", "greedy"}}, customer).status == 403);
    auto bad = v.what_if(r, {{"rule", "greedy"}, {"options", json::object{{"exclude", {"pool"}}}}});
    CHECK(bad.status == 400);
    CHECK(bad.json().at("field") == "options.exclude");
    REQUIRE(v.what_if(r, {{"rule", "greedy"}}).status == 200);
    CHECK(v.round_view(r).at("state") == "closed"); // a what-if tallies nothing
    CHECK(v.p.client.request("GET", r.path() + "/result").status == 409);
}
