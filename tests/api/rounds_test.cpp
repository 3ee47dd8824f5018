// Voting rounds through the real binary.
#include "support/platform.hpp"

#include "base/crypto.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string vote(std::initializer_list<std::string> projects) {
    json::array choices;
    for (const auto& p : projects) choices.push_back(json::object{{"project", p}});
    return json::serialize(json::object{{"choices", choices}});
}

// The rounds of these tests: 1,000.00 EUR, at most two projects a ballot.
json::object dorfladen() { return {{"title", "Dorfladen 2027"}, {"max_projects", 2}}; }

std::string round_body(const std::string& extra = "") {
    return R"({"title":"Dorfladen 2027","budget_minor":100000,"currency":"EUR",)"
           R"("opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z","max_projects":2)" +
           extra + "}";
}

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

} // namespace

TEST_CASE("rounds: set up, vote, close, tally, publish", "[e2e][rounds]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    const std::string& staff = p.staff;
    std::string ana = p.register_customer("ana@example.org", investor::none).token;
    std::string ben = p.register_customer("ben@example.org", investor::none).token;
    std::string cem = p.register_customer("cem@example.org", investor::none).token;

    auto round = p.new_round(dorfladen());
    std::string id = round.id();
    std::string base = round.path();
    for (auto [key, cost] : {std::pair{"bench", 30000}, std::pair{"garden", 60000}, std::pair{"library", 50000}}) {
        REQUIRE(round.add_item(key, cost).status == 201);
    }
    // Not open yet.
    CHECK(client.request("PUT", base + "/ballot", vote({"bench"}), auth_headers(ana)).status == 409);
    REQUIRE(client.request("POST", base + "/open", {}, auth_headers(staff)).status == 200);
    CHECK(
        client
            .request("POST", base + "/projects", R"({"key":"late","name":"late","cost_minor":1})", auth_headers(staff))
            .status == 409);

    auto first = client.request("PUT", base + "/ballot", vote({"bench"}), auth_headers(ana));
    REQUIRE(first.status == 201);
    auto replaced = client.request("PUT", base + "/ballot", vote({"garden", "bench"}), auth_headers(ana));
    REQUIRE(replaced.status == 200);
    CHECK(replaced.json().at("replaced") == true);
    std::string ana_receipt(replaced.json().at("receipt").as_string());
    std::string ana_secret(replaced.json().at("secret").as_string());
    REQUIRE(client.request("PUT", base + "/ballot", vote({"garden", "library"}), auth_headers(ben)).status == 201);
    REQUIRE(client.request("PUT", base + "/ballot", vote({"bench"}), auth_headers(cem)).status == 201);
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll") == "3");
    // Ballots are secret while the round is open.
    CHECK(client.request("GET", base + "/ballots").status == 409);

    REQUIRE(client.request("POST", base + "/close", {}, auth_headers(staff)).status == 200);
    CHECK(client.request("PUT", base + "/ballot", vote({"bench"}), auth_headers(cem)).status == 409);
    CHECK(client.request("GET", base + "/result").status == 409);

    auto tally = client.request("POST", base + "/tally", {}, auth_headers(staff));
    REQUIRE(tally.status == 200);
    // Votes: bench 2, garden 2, library 1. Ties on votes go to the cheaper
    // project: bench (300) then garden (600) fit 1000; library would not.
    auto selected = tally.json().at("selected").as_array();
    REQUIRE(selected.size() == 2);
    CHECK(selected[0].at("project") == "bench");
    CHECK(selected[1].at("project") == "garden");
    CHECK(tally.json().at("total_cost_minor") == 90000);
    auto result = client.request("GET", base + "/result"); // public
    REQUIRE(result.status == 200);
    CHECK(result.json().at("selected") == tally.json().at("selected"));

    // Published ballots: no voters, and Ana finds hers with her secret.
    auto ballots = client.request("GET", base + "/ballots");
    REQUIRE(ballots.status == 200);
    auto items = ballots.json().at("items").as_array();
    REQUIRE(items.size() == 3);
    CHECK(ballots.body.find("ana@") == std::string::npos);
    bool found = false;
    for (const auto& b : items) {
        if (b.at("receipt") != json::value(ana_receipt)) continue;
        std::string ballot = json::serialize(b.at("choices"));
        CHECK(schwarm::crypto::sha256_hex("schwarm-ballot|" + id + "|" + ballot + "|" + ana_secret) == ana_receipt);
        CHECK(ballot == R"([{"project":"bench","points":1},{"project":"garden","points":1}])");
        found = true;
    }
    CHECK(found);

    // Anyone can recount from the export.
    auto pb = client.request("GET", base + "/pabulib");
    REQUIRE(pb.status == 200);
    std::string file =
        required_env("SCHWARM_TEST_SCRATCH") + "/round-" + id + "-" + std::to_string(p.srv.pid()) + ".pb";
    std::ofstream(file) << pb.body;
    std::string output;
    REQUIRE(run_cli({"tally", file, "--rule", "greedy"}, {}, "", output) == 0);
    CHECK(output == "bench\ngarden\n");
}

TEST_CASE("rounds: ballots that break a rule are refused and change nothing", "[e2e][rounds]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    const std::string& staff = p.staff;
    std::string admin = p.create_user("ada@bank.example", "admin");
    std::string ana = p.register_customer("ana@example.org", investor::none).token;
    auto changes = dorfladen();
    changes["eligibility"] = "members";
    changes["max_total_cost_minor"] = 80'000;
    auto round = p.new_round(changes);
    std::string base = round.path();
    for (auto [key, cost] : {std::pair{"a", 30000}, std::pair{"b", 60000}, std::pair{"c", 10000}}) {
        REQUIRE(round.add_item(key, cost).status == 201);
    }
    REQUIRE(round.open().status == 200);

    auto not_member = client.request("PUT", base + "/ballot", vote({"a"}), auth_headers(ana));
    CHECK(not_member.status == 403);
    CHECK(not_member.json().at("type") == "tag:schwarm.dev,2026:problem:not-eligible");
    std::string ana_id = db.scalar("SELECT id FROM users WHERE email = 'ana@example.org'");
    CHECK(client.request("PUT", "/v1/users/" + ana_id + "/member", R"({"member":true})", auth_headers(staff)).status ==
          403);
    REQUIRE(
        client.request("PUT", "/v1/users/" + ana_id + "/member", R"({"member":true})", auth_headers(admin)).status ==
        200);

    auto limit_of = [&](const std::string& body) {
        auto r = client.request("PUT", base + "/ballot", body, auth_headers(ana));
        CHECK(r.status == 422);
        return r.json().as_object().contains("limit") ? std::string(r.json().at("limit").as_string())
                                                      : std::string(r.json().at("type").as_string());
    };
    CHECK(limit_of(vote({"a", "b", "c"})) == "max_projects");
    CHECK(limit_of(vote({"a", "b"})) == "max_total_cost_minor");
    CHECK(limit_of(vote({"a", "a"})) == "duplicate");
    CHECK(limit_of(vote({})) == "min_projects");
    CHECK(limit_of(vote({"zz"})) == "tag:schwarm.dev,2026:problem:ballot-unknown-project");
    CHECK(limit_of(R"({"choices":[{"project":"a","points":3}]})") == "points");
    CHECK(client.request("PUT", base + "/ballot", vote({"a"}), auth_headers(staff)).status == 403);
    CHECK(client.request("PUT", base + "/ballot", R"({"choices":"a"})", auth_headers(ana)).status == 400);
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll") == "0");

    // Refusals of the round set-up itself.
    CHECK(client.request("POST", "/v1/rounds", round_body(R"(,"rule":"borda")"), auth_headers(staff)).status == 400);
    CHECK(client
              .request("POST", "/v1/rounds",
                       R"({"title":"x","budget_minor":1,"currency":"EUR",)"
                       R"("opens_at":"2030-01-01T00:00:00Z","closes_at":"2029-01-01T00:00:00Z"})",
                       auth_headers(staff))
              .json()
              .at("field") == "closes_at");
    CHECK(client.request("POST", "/v1/rounds", round_body(R"(,"ballot":"cumulative")"), auth_headers(staff))
              .json()
              .at("field") == "points");
    CHECK(client.request("POST", "/v1/rounds", round_body(), auth_headers(ana)).status == 403);
}

TEST_CASE("rounds: a voter casting in parallel leaves exactly one ballot", "[e2e][rounds]") {
    platform p;
    auto& db = p.db;
    const std::string& staff = p.staff;
    std::string ana = p.register_customer("ana@example.org", investor::none).token;
    auto round = p.new_round(dorfladen());
    std::string base = round.path();
    for (auto key : {"a", "b", "c"}) round.add_item(key, 100);
    REQUIRE(round.open().status == 200);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            https_client c(p.srv.port());
            auto r = c.request("PUT", base + "/ballot", vote({i % 2 ? "a" : "b"}), auth_headers(ana));
            if (r.status == 200 || r.status == 201) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 8);
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll") == "1");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'ballot.cast'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'ballot.replace'") == "7");

    // A close waits for ballots still being cast (here: a transaction that
    // holds the casting lock, as cast_ballot does) so none lands after it.
    std::string id = base.substr(base.rfind('/') + 1);
    pqxx::connection c(db.url());
    pqxx::work casting(c);
    casting.exec("SELECT pg_advisory_xact_lock_shared(23114, " + id + ")");
    std::atomic<int> close_status{0};
    std::thread closer([&] {
        https_client staff_client(p.srv.port());
        close_status = staff_client.request("POST", base + "/close", {}, auth_headers(staff)).status;
    });
    eventually([&] { return lock_waiters(db) >= 1; }, std::chrono::seconds(10), "the close to wait for the lock");
    CHECK(close_status == 0);
    CHECK(db.scalar("SELECT state FROM voting_rounds WHERE id = " + id) == "open");
    casting.commit();
    closer.join();
    CHECK(close_status == 200);
    CHECK(db.scalar("SELECT state FROM voting_rounds WHERE id = " + id) == "closed");
}

TEST_CASE("rounds: import a real pabulib election and reproduce its outcome", "[e2e][rounds][pabulib]") {
    platform p(std::map<std::string, std::string>{{"SCHWARM_BODY_LIMIT_BYTES", "4194304"}});
    auto& client = p.client;
    auto& db = p.db;
    const std::string& staff = p.staff;
    auto imported =
        client.request("POST", "/v1/rounds/import?rule=mes-add1&currency=EUR", pabulib("Netherlands_Assen_2024.pb"),
                       {{"Authorization", "Bearer " + staff}, {"Content-Type", "text/plain"}});
    REQUIRE(imported.status == 201);
    CHECK(imported.json().at("state") == "closed");
    CHECK(imported.json().at("ballots") == 84);
    std::string base = "/v1/rounds/" + std::string(imported.json().at("id").as_string());
    auto tally = client.request("POST", base + "/tally", {}, auth_headers(staff));
    REQUIRE(tally.status == 200);
    json::array official{"3", "9", "2", "11", "13", "14", "5", "6", "12"};
    json::array selected;
    const json::value outcome = tally.json();
    for (const auto& s : outcome.at("selected").as_array()) selected.push_back(s.at("project"));
    CHECK(selected == official);
    CHECK(tally.json().at("selected").as_array()[0].at("payments").as_array().size() > 0);

    auto bad = client.request("POST", "/v1/rounds/import", "META\nkey;value\nbudget;abc\n",
                              {{"Authorization", "Bearer " + staff}, {"Content-Type", "text/plain"}});
    CHECK(bad.status == 400);
    CHECK(bad.json().as_object().contains("line"));
    CHECK(db.scalar("SELECT count(*) FROM voting_rounds") == "1");
}
