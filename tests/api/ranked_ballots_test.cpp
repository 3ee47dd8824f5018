// Ranked (ordinal) ballots in rounds (issue 13, part 3): a voter ranks up to
// max_ranks projects, best first, and each scores by its position as Kraków
// counts (max_ranks - position); the round's rule counts those points; an
// ordinal pabulib file imports as a ranked round that keeps the file's rule.
// Through the real binary.
#include "support/platform.hpp"

#include "base/crypto.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string pabulib(const std::string& name) {
    const char* shared = std::getenv("SCHWARM_TEST_SHARED_DIR");
    return read(std::string(shared ? shared : SCHWARM_SOURCE_DIR "/../shared") + "/data/pabulib/" + name);
}

std::vector<std::string> selected(const json::value& result) {
    std::vector<std::string> out;
    for (const auto& s : result.at("selected").as_array()) out.emplace_back(s.at("project").as_string());
    return out;
}

reply import(platform& p, const std::string& file, const std::string& query = "currency=EUR") {
    return p.client.request("POST", "/v1/rounds/import?" + query, file,
                            {{"Authorization", "Bearer " + p.staff}, {"Content-Type", "text/plain"}});
}

// Four projects, 1,000.00 EUR, three ranks.
voting_round ranked_round(platform& p, json::object changes = {}) {
    json::object fields{{"ballot", "ranked"}, {"max_ranks", 3}};
    for (const auto& [k, v] : changes) fields[k] = v;
    auto r = p.new_round(fields);
    for (auto [key, cost] :
         {std::pair{"a", 60000}, std::pair{"b", 30000}, std::pair{"c", 30000}, std::pair{"d", 10000}}) {
        REQUIRE(r.add_item(key, cost).status == 201);
    }
    return r;
}

} // namespace

TEST_CASE("ranked ballots: points by position, the limits, a tally, publication, export and import",
          "[e2e][rounds][ranked]") {
    platform p;
    std::vector<std::string> voters;
    for (int i = 0; i < 5; ++i) {
        voters.push_back(p.register_customer("r" + std::to_string(i) + "@example.org", investor::none).token);
    }
    const json::object options{{"min_votes", 1}, {"tie_break", json::array{"min-cost"}}};
    auto r = ranked_round(p, {{"options", options}});
    auto shown = p.client.request("GET", r.path()).json();
    CHECK(shown.at("ballot") == "ranked");
    CHECK(shown.at("max_ranks") == 3);
    REQUIRE(r.open().status == 200);

    // Refused, and nothing is written: a project twice, one not in the round,
    // more ranks than the round has, points (the order is the ranking).
    auto limit_of = [&](const std::string& body) {
        auto refused = p.client.request("PUT", r.path() + "/ballot", body, auth_headers(voters[0]));
        CHECK(refused.status == 422);
        return refused.json().as_object().contains("limit") ? std::string(refused.json().at("limit").as_string())
                                                            : problem_slug(refused);
    };
    auto ranking = [](std::initializer_list<const char*> projects) {
        json::array choices;
        for (const auto* key : projects) choices.push_back(json::object{{"project", key}});
        return json::serialize(json::object{{"choices", choices}});
    };
    CHECK(limit_of(ranking({"a", "b", "a"})) == "duplicate");
    CHECK(limit_of(ranking({"a", "zz"})) == "ballot-unknown-project");
    CHECK(limit_of(ranking({"a", "b", "c", "d"})) == "max_ranks");
    CHECK(limit_of(R"({"choices":[{"project":"a","points":3}]})") == "points");
    CHECK(p.db.scalar("SELECT count(*) FROM ballot_roll WHERE round_id = " + r.id()) == "0");

    // Points by position (3, 2, 1): a 3+3+2 = 8, b 2+3+2 = 7, c 1+2+3 = 6,
    // d 1+3 = 4. Votes: a, b and c 3 each, d 2. Greedy by points: a (600),
    // b (300), c does not fit the 100 left, d (100) does.
    const std::vector<std::vector<std::string>> ballots{
        {"a", "b", "c"}, {"a", "c"}, {"b", "a", "d"}, {"c", "b"}, {"d"}};
    std::string first_receipt, first_secret;
    for (std::size_t i = 0; i < ballots.size(); ++i) {
        auto cast = r.ballot(voters[i], ballots[i]);
        REQUIRE(cast.status == 201);
        if (i == 0) {
            first_receipt = std::string(cast.json().at("receipt").as_string());
            first_secret = std::string(cast.json().at("secret").as_string());
        }
    }
    REQUIRE(r.close().status == 200);

    // The published ballot carries the points of its ranks; its receipt is
    // made from them.
    auto published = p.client.request("GET", r.path() + "/ballots");
    REQUIRE(published.status == 200);
    bool found = false;
    const json::value page = published.json();
    for (const auto& b : page.at("items").as_array()) {
        if (b.at("receipt") != json::value(first_receipt)) continue;
        const std::string ballot = json::serialize(b.at("choices"));
        CHECK(ballot == R"([{"project":"a","points":3},{"project":"b","points":2},{"project":"c","points":1}])");
        CHECK(schwarm::crypto::sha256_hex("schwarm-ballot|" + r.id() + "|" + ballot + "|" + first_secret) ==
              first_receipt);
        found = true;
    }
    CHECK(found);

    auto tallied = r.tally();
    REQUIRE(tallied.status == 200);
    CHECK(selected(tallied.json()) == std::vector<std::string>{"a", "b", "d"});
    CHECK(tallied.json().at("selected").as_array()[0].at("points") == 8);
    CHECK(tallied.json().at("selected").as_array()[1].at("points") == 7);

    // MES counts the ranks' points as utility; cost utility is refused.
    auto mes = p.client.request("POST", r.path() + "/what-if",
                                R"({"rule":"mes","utility":"approval","options":{"completion":"add1e"}})",
                                auth_headers(p.staff));
    REQUIRE(mes.status == 200);
    CHECK(!selected(mes.json()).empty());
    auto cost = p.client.request("POST", r.path() + "/what-if", R"({"rule":"mes"})", auth_headers(p.staff));
    CHECK(cost.status == 400);
    CHECK(cost.json().at("field") == "utility");

    // The export is an ordinal file, best first, that `schwarm tally` counts
    // as the round did, and that imports back as a ranked round with its rule.
    auto pb = p.client.request("GET", r.path() + "/pabulib");
    REQUIRE(pb.status == 200);
    CHECK(pb.body.find("vote_type;ordinal") != std::string::npos);
    CHECK(pb.body.find("max_length;3") != std::string::npos);
    std::string file =
        required_env("SCHWARM_TEST_SCRATCH") + "/ranked-" + r.id() + "-" + std::to_string(p.srv.pid()) + ".pb";
    std::ofstream(file) << pb.body;
    std::string output;
    REQUIRE(run_cli({"tally", file}, {}, "", output) == 0);
    CHECK(output == "a\nb\nd\n");
    auto back = import(p, pb.body);
    REQUIRE(back.status == 201);
    CHECK(back.json().at("ballot") == "ranked");
    CHECK(back.json().at("max_ranks") == 3);
    CHECK(back.json().at("rule") == "greedy");
    CHECK(back.json().at("options") == options); // written back as META schwarm_options, kept
    CHECK(back.json().at("ballots") == 5);
    voting_round again(p, std::string(back.json().at("id").as_string()));
    auto recount = again.tally();
    REQUIRE(recount.status == 200);
    CHECK(selected(recount.json()) == std::vector<std::string>{"a", "b", "d"});
}

TEST_CASE("ranked ballots: a round set up wrongly is refused and nothing is made", "[e2e][rounds][ranked]") {
    platform p;
    json::object base{{"title", "Dorf 2030"},
                      {"budget_minor", 100'000},
                      {"currency", "EUR"},
                      {"opens_at", "2020-01-01T00:00:00Z"},
                      {"closes_at", "2099-01-01T00:00:00Z"}};
    const std::pair<json::object, const char*> bad[] = {
        {{{"ballot", "ranked"}}, "max_ranks"},                     // no max_ranks
        {{{"ballot", "approval"}, {"max_ranks", 3}}, "max_ranks"}, // only for ranked
        {{{"ballot", "ranked"}, {"max_ranks", 3}, {"max_projects", 2}}, "max_projects"},
        {{{"ballot", "ranked"}, {"max_ranks", 0}}, "max_ranks"},
        {{{"ballot", "ranked"}, {"max_ranks", 2}, {"min_projects", 3}}, "min_projects"},
        {{{"ballot", "ranked"}, {"max_ranks", 3}, {"rule", "mes-add1"}}, "utility"}, // cost utility
        {{{"ballot", "ranked"}, {"max_ranks", 3}, {"rule", "equalshares"}, {"utility", "cost"}}, "utility"},
        {{{"ballot", "borda"}}, "ballot"},
    };
    const std::string before = p.db.scalar("SELECT count(*) FROM voting_rounds");
    for (const auto& [changes, field] : bad) {
        json::object body = base;
        for (const auto& [k, v] : changes) body[k] = v;
        auto refused = p.client.request("POST", "/v1/rounds", json::serialize(body), auth_headers(p.staff));
        INFO(refused.body);
        CHECK(refused.status == 400);
        CHECK(refused.json().at("field") == field);
    }
    CHECK(p.db.scalar("SELECT count(*) FROM voting_rounds") == before);

    // MES with utility approval takes ranked ballots; a change to cost
    // utility is refused and the draft keeps its rule.
    auto r = ranked_round(p, {{"rule", "mes-add1"}, {"utility", "approval"}});
    auto patch = p.client.request("PATCH", r.path(), R"({"utility":"cost"})", auth_headers(p.staff));
    CHECK(patch.status == 400);
    CHECK(patch.json().at("field") == "utility");
    CHECK(p.client.request("GET", r.path()).json().at("utility") == "approval");
    CHECK(p.client.request("PATCH", r.path(), R"({"rule":"greedy"})", auth_headers(p.staff)).status == 200);
}

TEST_CASE("ranked ballots: Krakow 2024 imported as a round keeps its rule and reproduces the city's winners",
          "[e2e][rounds][ranked][pabulib]") {
    platform p(std::map<std::string, std::string>{{"SCHWARM_BODY_LIMIT_BYTES", "8388608"}});
    const std::string file = pabulib("Poland_Krakow_2024.pb");
    auto imported = import(p, file, "currency=PLN");
    REQUIRE(imported.status == 201);
    const json::value round = imported.json();
    CHECK(round.at("ballot") == "ranked");
    CHECK(round.at("max_ranks") == 3);
    CHECK(round.at("rule") == "greedy"); // META rule;greedy, kept
    CHECK(round.at("options").at("tie_break") == json::array{"order"});
    CHECK(round.at("ballots") == 65101);
    voting_round r(p, std::string(round.at("id").as_string()));
    auto tallied = r.tally();
    REQUIRE(tallied.status == 200);

    // The city's winners: the PROJECTS rows with selected 1; and the points
    // of the first are the file's score (3, 2, 1 by position).
    std::set<std::string> official;
    std::istringstream lines(
        file.substr(file.find("\nPROJECTS\n") + 10, file.find("\nVOTES\n") - file.find("\nPROJECTS\n") - 10));
    std::string line;
    std::getline(lines, line); // header
    while (std::getline(lines, line)) {
        if (line.ends_with(";1")) official.insert(line.substr(0, line.find(';')));
    }
    REQUIRE(official.size() == 10);
    auto chosen = selected(tallied.json());
    CHECK(std::set<std::string>(chosen.begin(), chosen.end()) == official);
    CHECK(chosen.front() == "BO.OM.97/24");
    CHECK(tallied.json().at("selected").as_array()[0].at("points") == 16141);

    // A rule in the query replaces the file's; an ordinal file under an MES
    // rule with cost utility, or with a rule nobody knows, is refused.
    const std::string small = "META\nkey;value\ndescription;t\nbudget;100\nvote_type;ordinal\nrule;RULE\n"
                              "max_length;2\nPROJECTS\nproject_id;cost\nx;60\ny;50\nVOTES\nvoter_id;vote\n1;x,y\n2;y\n";
    auto with_rule = [&](const std::string& rule) {
        std::string text = small;
        text.replace(text.find("RULE"), 4, rule);
        return text;
    };
    const std::string before = p.db.scalar("SELECT count(*) FROM voting_rounds");
    auto unknown = import(p, with_rule("greedy-custom"));
    CHECK(unknown.status == 400);
    CHECK(unknown.json().at("field") == "rule");
    auto mes_cost = import(p, with_rule("equalshares"));
    CHECK(mes_cost.status == 400);
    CHECK(mes_cost.json().at("field") == "utility");
    CHECK(p.db.scalar("SELECT count(*) FROM voting_rounds") == before);
    auto as_mes = import(p, with_rule("equalshares"), "currency=EUR&utility=approval");
    REQUIRE(as_mes.status == 201);
    CHECK(as_mes.json().at("rule") == "equalshares");
    auto replaced = import(p, with_rule("greedy-custom"), "currency=EUR&rule=greedy-no-skip");
    REQUIRE(replaced.status == 201);
    CHECK(replaced.json().at("rule") == "greedy-no-skip");
    CHECK(replaced.json().at("options") == json::object{});
}
