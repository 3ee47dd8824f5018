// Paper ballots (issue 13, part 3): one staff member enters a batch, another
// confirms it; only confirmed batches count, and they count in MES like online
// ballots; a voter has one ballot, online or on paper, also when both arrive
// at once; paper keeps the secrecy of online ballots. Through the real binary.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

struct polling_station {
    platform p;
    std::string clerk;   // enters batches
    std::string checker; // confirms them
    std::vector<customer> voters;

    explicit polling_station(int n) {
        clerk = p.staff;
        checker = p.create_user("checker@bank.example", "staff");
        for (int i = 0; i < n; ++i) {
            voters.push_back(p.register_customer("p" + std::to_string(i) + "@example.org", investor::none));
        }
    }

    std::string user_id(std::size_t voter) {
        return p.db.scalar("SELECT id FROM users WHERE email = 'p" + std::to_string(voter) + "@example.org'");
    }

    // {voter index, projects}
    reply enter(const voting_round& r, const std::vector<std::pair<std::size_t, std::vector<std::string>>>& ballots,
                const std::string& token = {}) {
        json::array items;
        for (const auto& [voter, projects] : ballots) {
            json::array choices;
            for (const auto& project : projects) choices.push_back(json::object{{"project", project}});
            items.push_back(json::object{{"voter_id", user_id(voter)}, {"choices", choices}});
        }
        return raw_enter(r, json::object{{"ballots", items}}, token);
    }
    reply raw_enter(const voting_round& r, const json::object& body, const std::string& token = {}) {
        return p.client.request("POST", r.path() + "/paper-batches", json::serialize(body),
                                auth_headers(token.empty() ? clerk : token));
    }
    reply decide(const voting_round& r, const reply& entered, const std::string& action, const std::string& token,
                 const std::string& body = {}) {
        return p.client.request(
            "POST", r.path() + "/paper-batches/" + std::string(entered.json().at("id").as_string()) + "/" + action,
            body, auth_headers(token));
    }
    std::string channel(const voting_round& r, std::size_t voter) {
        return p.db.scalar("SELECT coalesce((SELECT channel FROM ballot_roll WHERE round_id = " + r.id() +
                           " AND voter_id = " + user_id(voter) + "), 'none')");
    }
};

std::vector<std::string> selected(const json::value& result) {
    std::vector<std::string> out;
    for (const auto& s : result.at("selected").as_array()) out.emplace_back(s.at("project").as_string());
    return out;
}

voting_round mes_round(platform& p, json::object changes = {}) {
    json::object fields{{"rule", "mes"}};
    for (const auto& [k, v] : changes) fields[k] = v;
    auto r = p.new_round(fields);
    for (auto [key, cost] : {std::pair{"garden", 60000}, std::pair{"bench", 30000}, std::pair{"library", 30000}}) {
        REQUIRE(r.add_item(key, cost).status == 201);
    }
    return r;
}

} // namespace

TEST_CASE("paper ballots: one staff enters, another confirms, and confirmed paper counts in MES like online",
          "[e2e][rounds][paper]") {
    polling_station s(7);
    auto& p = s.p;
    auto r = mes_round(p);
    REQUIRE(r.open().status == 200);
    // Online: two for the garden, one for the bench. Counted alone, MES at
    // 333.33 a voter buys the garden (rho 1/2) and then the bench.
    REQUIRE(r.ballot(s.voters[0].token, {"garden"}).status == 201);
    REQUIRE(r.ballot(s.voters[1].token, {"garden"}).status == 201);
    REQUIRE(r.ballot(s.voters[2].token, {"bench"}).status == 201);

    auto first = s.enter(r, {{3, {"bench", "library"}}, {4, {"bench", "library"}}});
    REQUIRE(first.status == 201);
    CHECK(first.json().at("state") == "pending");
    CHECK(first.json().at("ballots") == 2);
    // Pending: sealed, of the online envelopes' size, the choices nowhere in the clear.
    CHECK(p.db.scalar("SELECT count(*) FROM paper_ballots WHERE envelope IS NOT NULL") == "2");
    CHECK(p.db.scalar("SELECT count(DISTINCT octet_length(envelope)) FROM (SELECT envelope FROM paper_ballots "
                      "UNION ALL SELECT envelope FROM ballot_roll) e") == "1");
    CHECK(p.db.scalar("SELECT count(*) FROM paper_ballots WHERE position(convert_to('library', 'UTF8') in envelope) "
                      "> 0") == "0");
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'paper.enter'") == "1");
    CHECK(p.db.scalar(
              "SELECT count(*) FROM audit_log WHERE action LIKE 'paper.%' AND details::text LIKE '%library%'") == "0");
    CHECK(s.channel(r, 3) == "none"); // not counted before it is confirmed

    // Four eyes: not the clerk, not a customer; the checker confirms once.
    auto own = s.decide(r, first, "confirm", s.clerk);
    CHECK(own.status == 403);
    CHECK(problem_slug(own) == "paper-four-eyes");
    CHECK(s.decide(r, first, "confirm", s.voters[6].token).status == 403);
    auto confirmed = s.decide(r, first, "confirm", s.checker);
    REQUIRE(confirmed.status == 200);
    CHECK(confirmed.json().at("state") == "confirmed");
    CHECK(confirmed.json().at("decided_by") != confirmed.json().at("entered_by"));
    auto twice = s.decide(r, first, "confirm", s.checker);
    CHECK(twice.status == 409);
    CHECK(problem_slug(twice) == "paper-batch-state");
    CHECK(s.channel(r, 3) == "paper");
    CHECK(p.db.scalar("SELECT count(*) FROM paper_ballots WHERE envelope IS NOT NULL") == "0");

    // Who voted on paper cannot vote online; who voted online cannot be on paper.
    auto online = r.ballot(s.voters[3].token, {"garden"});
    CHECK(online.status == 409);
    CHECK(problem_slug(online) == "voted-on-paper");
    auto taken = s.enter(r, {{5, {"bench"}}, {0, {"library"}}});
    CHECK(taken.status == 409);
    CHECK(problem_slug(taken) == "voter-already-voted");
    CHECK(taken.json().at("voters") == json::value(s.user_id(0)));

    // A rejected batch does not count, and its voter may then be entered again.
    auto wrong = s.enter(r, {{5, {"garden"}}});
    REQUIRE(wrong.status == 201);
    CHECK(s.decide(r, wrong, "reject", s.checker, R"({})").status == 400); // a reason is required
    auto rejected = s.decide(r, wrong, "reject", s.checker, R"({"reason":"misread: the cross was on the bench"})");
    REQUIRE(rejected.status == 200);
    CHECK(rejected.json().at("state") == "rejected");
    CHECK(s.decide(r, wrong, "confirm", s.checker).status == 409);
    CHECK(s.channel(r, 5) == "none");
    auto again = s.enter(r, {{5, {"bench", "library"}}});
    REQUIRE(again.status == 201);
    REQUIRE(s.decide(r, again, "confirm", s.checker).status == 200);
    // A batch still pending at the close is not counted.
    auto late = s.enter(r, {{6, {"garden"}}});
    REQUIRE(late.status == 201);
    auto listed = p.client.request("GET", r.path() + "/paper-batches", {}, auth_headers(s.checker));
    REQUIRE(listed.status == 200);
    CHECK(listed.json().at("items").as_array().size() == 4);
    CHECK(p.client.request("GET", r.path() + "/paper-batches", {}, auth_headers(s.voters[0].token)).status == 403);

    REQUIRE(r.close().status == 200);
    CHECK(s.decide(r, late, "confirm", s.checker).status == 409); // the round is closed
    CHECK(p.db.scalar("SELECT count(*) FROM paper_ballots WHERE envelope IS NOT NULL") == "0");
    // Six ballots: three online, three on paper. MES at 166.67 a voter: the
    // bench's four supporters buy it (rho 1/4), then the library's three have
    // 91.67 each, too little; the garden's two have 333.33, too little.
    auto tallied = r.tally();
    REQUIRE(tallied.status == 200);
    CHECK(tallied.json().at("ballots") == 6);
    CHECK(selected(tallied.json()) == std::vector<std::string>{"bench"});
    CHECK(tallied.json().at("selected").as_array()[0].at("votes") == 4);
    auto published = p.client.request("GET", r.path() + "/ballots");
    REQUIRE(published.status == 200);
    CHECK(published.json().at("items").as_array().size() == 6);
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'paper.confirm'") == "2");
}

TEST_CASE("paper ballots: what is refused, and that it changes nothing", "[e2e][rounds][paper]") {
    polling_station s(3);
    auto& p = s.p;
    auto r = mes_round(p, {{"eligibility", "members"}, {"max_projects", 2}});
    // Not while the round is a draft.
    auto draft = s.enter(r, {{0, {"bench"}}});
    CHECK(draft.status == 409);
    CHECK(problem_slug(draft) == "round-state");
    REQUIRE(r.open().status == 200);
    std::string admin = p.create_user("ada@bank.example", "admin");
    REQUIRE(p.client.request("PUT", "/v1/users/" + s.user_id(0) + "/member", R"({"member":true})", auth_headers(admin))
                .status == 200);
    REQUIRE(p.client.request("PUT", "/v1/users/" + s.user_id(1) + "/member", R"({"member":true})", auth_headers(admin))
                .status == 200);

    CHECK(s.enter(r, {{0, {"bench"}}}, s.voters[0].token).status == 403); // customers do not enter paper
    auto field_of = [&](const json::object& body) {
        auto refused = s.raw_enter(r, body);
        INFO(refused.body);
        CHECK(refused.status == 400);
        return std::string(refused.json().at("field").as_string());
    };
    CHECK(field_of({{"ballots", json::array{}}}) == "ballots");
    CHECK(field_of({{"ballots", json::array{json::object{{"voter_id", "x"}, {"choices", json::array{}}}}}}) ==
          "ballots[0].voter_id");
    CHECK(field_of({{"ballots", json::array{json::object{{"voter_id", "999999"}, {"choices", json::array{}}}}}}) ==
          "ballots[0].voter_id");
    const std::string staff_id = p.db.scalar("SELECT id FROM users WHERE role = 'staff' ORDER BY id LIMIT 1");
    CHECK(field_of({{"ballots", json::array{json::object{{"voter_id", staff_id}, {"choices", json::array{}}}}}}) ==
          "ballots[0].voter_id");
    auto twice = json::object{{"voter_id", s.user_id(0)}, {"choices", json::array{json::object{{"project", "bench"}}}}};
    CHECK(field_of({{"ballots", json::array{twice, twice}}}) == "ballots[1].voter_id");
    CHECK(field_of({{"ballots", json::array{json::object{{"voter_id", s.user_id(0)}}}}}) == "ballots[0].choices");

    // The round's limits and eligibility, as online, naming the ballot.
    auto too_many = s.enter(r, {{0, {"bench"}}, {1, {"bench", "library", "garden"}}});
    CHECK(too_many.status == 422);
    CHECK(too_many.json().at("limit") == "max_projects");
    CHECK(too_many.json().at("ballot") == 1);
    auto unknown = s.enter(r, {{0, {"pool"}}});
    CHECK(problem_slug(unknown) == "ballot-unknown-project");
    auto not_member = s.enter(r, {{2, {"bench"}}});
    CHECK(not_member.status == 403);
    CHECK(problem_slug(not_member) == "not-eligible");
    CHECK(p.db.scalar("SELECT count(*) FROM paper_batches") == "0");
    CHECK(p.db.scalar("SELECT count(*) FROM paper_ballots") == "0");

    // A batch of another round, or none, is not found.
    auto ok = s.enter(r, {{0, {"bench"}}});
    REQUIRE(ok.status == 201);
    auto other = mes_round(p);
    REQUIRE(other.open().status == 200);
    CHECK(s.decide(other, ok, "confirm", s.checker).status == 404);
    CHECK(p.client.request("POST", r.path() + "/paper-batches/999999/confirm", {}, auth_headers(s.checker)).status ==
          404);
    CHECK(s.decide(r, ok, "reject", s.clerk, R"({"reason":"mine"})").status == 403); // four eyes for rejections too
    CHECK(s.channel(r, 0) == "none");
}

TEST_CASE("paper ballots: a voter online and on paper at the same time keeps exactly one ballot",
          "[e2e][rounds][paper][race]") {
    constexpr std::size_t voters = 6;
    polling_station s(static_cast<int>(voters));
    auto& p = s.p;
    auto r = mes_round(p);
    REQUIRE(r.open().status == 200);
    std::vector<reply> batches;
    for (std::size_t v = 0; v < voters; ++v) {
        batches.push_back(s.enter(r, {{v, {"library"}}}));
        REQUIRE(batches.back().status == 201);
    }
    for (std::size_t v = 0; v < voters; ++v) {
        std::atomic<int> online{0}, paper{0};
        std::thread caster([&] {
            https_client c(p.srv.port());
            json::array choices{json::object{{"project", "garden"}}};
            online = c.request("PUT", r.path() + "/ballot", json::serialize(json::object{{"choices", choices}}),
                               auth_headers(s.voters[v].token))
                         .status;
        });
        std::thread confirmer([&] {
            https_client c(p.srv.port());
            paper = c.request("POST",
                              r.path() + "/paper-batches/" + std::string(batches[v].json().at("id").as_string()) +
                                  "/confirm",
                              {}, auth_headers(s.checker))
                        .status;
        });
        caster.join();
        confirmer.join();
        INFO("voter " << v << ": online " << online << ", paper " << paper);
        CHECK(((online == 201 && paper == 409) || (online == 409 && paper == 200)));
        CHECK(s.channel(r, v) == (online == 201 ? "online" : "paper"));
        CHECK(p.db.scalar("SELECT count(*) FROM ballot_roll WHERE round_id = " + r.id() +
                          " AND voter_id = " + s.user_id(v)) == "1");
    }
}
