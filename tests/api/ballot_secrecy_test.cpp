// Ballot secrecy (issue 19, item 1; docs/SECURITY.md, "Ballot secrecy"): a
// reader of the database learns who voted, never what they voted; the box
// carries nothing that joins it to the roll; receipts prove nothing to a
// third party once the round has closed. Through the real binary.
#include "support/support.hpp"

#include "base/crypto.hpp"
#include "base/migrate.hpp"

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <algorithm>
#include <set>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

std::string vote(const std::vector<std::string>& projects) {
    json::array choices;
    for (const auto& p : projects) choices.push_back(json::object{{"project", p}});
    return json::serialize(json::object{{"choices", choices}});
}

struct round_fixture {
    std::string id, base;
};

round_fixture open_round(https_client& client, const std::string& staff) {
    auto created = client.request("POST", "/v1/rounds",
                                  R"({"title":"Dorfladen 2027","budget_minor":100000,"currency":"EUR",)"
                                  R"("opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z"})",
                                  auth_headers(staff));
    REQUIRE(created.status == 201);
    std::string id(created.json().at("id").as_string());
    std::string base = "/v1/rounds/" + id;
    for (auto [key, cost] : {std::pair{"bench", 30000}, std::pair{"garden", 60000}, std::pair{"library", 50000}}) {
        REQUIRE(client
                    .request("POST", base + "/projects",
                             json::serialize(json::object{{"key", key}, {"name", key}, {"cost_minor", cost}}),
                             auth_headers(staff))
                    .status == 201);
    }
    REQUIRE(client.request("POST", base + "/open", {}, auth_headers(staff)).status == 200);
    return {id, base};
}

// Rows of any table in the schema whose text contains `needle`: a reader of
// the database who looks for it everywhere.
std::vector<std::string> tables_containing(const database& db, const std::string& needle) {
    pqxx::connection c(db.url());
    pqxx::nontransaction tx(c);
    std::vector<std::string> found;
    for (const auto& row : tx.exec("SELECT quote_ident(table_name) FROM information_schema.tables "
                                   "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
        std::string table = row[0].as<std::string>();
        auto hits =
            tx.exec("SELECT count(*) FROM " + table + " t WHERE t::text LIKE '%' || " + tx.quote(needle) + " || '%'");
        if (hits[0][0].as<int>() > 0) found.push_back(table);
    }
    return found;
}

} // namespace

TEST_CASE("ballot secrecy: the database shows who voted, never what, and the box does not join the roll",
          "[e2e][rounds][secrecy]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    auto round = open_round(client, staff);

    // Six voters, ballots of different sizes; one voter replaces hers.
    std::vector<std::vector<std::string>> ballots{{"bench"},           {"garden", "library"},
                                                  {"library"},         {"bench", "garden", "library"},
                                                  {"garden", "bench"}, {"library", "bench"}};
    std::vector<std::pair<std::string, std::string>> handed_out; // receipt, secret
    std::string first_receipt;
    for (std::size_t i = 0; i < ballots.size(); ++i) {
        std::string token = register_and_login(client, "voter" + std::to_string(i) + "@example.org");
        if (i == 0) {
            auto first = client.request("PUT", round.base + "/ballot", vote({"garden"}), auth_headers(token));
            REQUIRE(first.status == 201);
            first_receipt = std::string(first.json().at("receipt").as_string());
        }
        auto cast = client.request("PUT", round.base + "/ballot", vote(ballots[i]), auth_headers(token));
        REQUIRE((cast.status == 200 || cast.status == 201));
        handed_out.emplace_back(std::string(cast.json().at("receipt").as_string()),
                                std::string(cast.json().at("secret").as_string()));
    }

    // While open: the roll has six voters with sealed envelopes of one size;
    // the box is empty; no receipt or secret handed out is anywhere in the
    // database, nor the choices in the clear.
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll WHERE round_id = " + round.id + " AND envelope IS NOT NULL") ==
          "6");
    CHECK(db.scalar("SELECT count(DISTINCT octet_length(envelope)) FROM ballot_roll WHERE round_id = " + round.id) ==
          "1");
    CHECK(db.scalar("SELECT count(*) FROM ballot_box") == "0");
    for (const auto& [receipt, secret] : handed_out) {
        CHECK(tables_containing(db, receipt).empty());
        CHECK(tables_containing(db, secret).empty());
    }
    CHECK(tables_containing(db, first_receipt).empty());
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll WHERE position(convert_to('library', 'UTF8') in envelope) > 0") ==
          "0");
    // The box has no column that could name a voter, a time or an order.
    CHECK(db.scalar("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns "
                    "WHERE table_name = 'ballot_box'") == "choices,receipt,round_id,secret");

    REQUIRE(client.request("POST", round.base + "/close", {}, auth_headers(staff)).status == 200);

    // After the close: six ballots in the box (the replaced one gone), all
    // written by one transaction, stored in receipt order rather than the
    // order of casting; the envelopes are empty.
    CHECK(db.scalar("SELECT count(*) FROM ballot_box WHERE round_id = " + round.id) == "6");
    CHECK(db.scalar("SELECT count(DISTINCT xmin::text) FROM ballot_box WHERE round_id = " + round.id) == "1");
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll WHERE envelope IS NOT NULL") == "0");
    CHECK(db.scalar("SELECT string_agg(receipt, ',' ORDER BY ctid) = string_agg(receipt, ',' ORDER BY receipt) "
                    "FROM ballot_box WHERE round_id = " +
                    round.id) == "t");
    CHECK(tables_containing(db, first_receipt).empty());

    // Published: every ballot with its receipt and its opening, so that a
    // voter finds theirs and anyone can show any of them: showing one proves
    // nothing about whose it is.
    auto published = client.request("GET", round.base + "/ballots");
    REQUIRE(published.status == 200);
    const json::value page = published.json();
    const auto& items = page.at("items").as_array();
    REQUIRE(items.size() == 6);
    std::set<std::string> receipts;
    for (const auto& b : items) {
        std::string receipt(b.at("receipt").as_string());
        std::string secret(b.at("secret").as_string());
        CHECK(schwarm::crypto::sha256_hex("schwarm-ballot|" + round.id + "|" + json::serialize(b.at("choices")) + "|" +
                                          secret) == receipt);
        receipts.insert(receipt);
    }
    for (const auto& [receipt, secret] : handed_out) CHECK(receipts.contains(receipt));
    CHECK_FALSE(receipts.contains(first_receipt));
    auto tally = client.request("POST", round.base + "/tally", {}, auth_headers(staff));
    REQUIRE(tally.status == 200);
    CHECK(tally.json().at("ballots") == 6);
}

TEST_CASE("ballot secrecy: envelopes do not open under another key or on another row, and that close changes nothing",
          "[e2e][rounds][secrecy]") {
    database db;
    round_fixture round;
    std::string staff;
    {
        server srv(db.url());
        https_client client(srv.port());
        staff = create_user_and_login(client, db, "sam@bank.example", "staff");
        round = open_round(client, staff);
        std::string ana = register_and_login(client, "ana@example.org");
        REQUIRE(client.request("PUT", round.base + "/ballot", vote({"bench"}), auth_headers(ana)).status == 201);
    }
    std::string envelope = db.scalar("SELECT encode(envelope, 'hex') FROM ballot_roll");
    {
        server other(db.url(), {{"SCHWARM_BALLOT_KEY", "another-ballot-key-of-forty-characters-xx"}});
        https_client client(other.port());
        auto refused = client.request("POST", round.base + "/close", {}, auth_headers(staff));
        CHECK(refused.status == 500);
        CHECK(problem_slug(refused) == "internal");
        CHECK(refused.body.find("SCHWARM_BALLOT_KEY") == std::string::npos); // the reason is for the log
        CHECK(other.log().find("does not open under SCHWARM_BALLOT_KEY") != std::string::npos);
    }
    CHECK(db.scalar("SELECT state FROM voting_rounds WHERE id = " + round.id) == "open");
    CHECK(db.scalar("SELECT encode(envelope, 'hex') FROM ballot_roll") == envelope);
    CHECK(db.scalar("SELECT count(*) FROM ballot_box") == "0");

    // An envelope moved to another voter's row does not open either: it is
    // bound to its round and voter.
    {
        server srv(db.url());
        https_client client(srv.port());
        std::string ben = register_and_login(client, "ben@example.org");
        REQUIRE(client.request("PUT", round.base + "/ballot", vote({"garden"}), auth_headers(ben)).status == 201);
        db.exec("UPDATE ballot_roll SET envelope = decode('" + envelope +
                "', 'hex') WHERE voter_id = (SELECT id FROM users WHERE email = 'ben@example.org')");
        CHECK(client.request("POST", round.base + "/close", {}, auth_headers(staff)).status == 500);
        db.exec("DELETE FROM ballot_roll WHERE voter_id = (SELECT id FROM users WHERE email = 'ben@example.org')");
        REQUIRE(client.request("POST", round.base + "/close", {}, auth_headers(staff)).status == 200);
        CHECK(db.scalar("SELECT choices::text FROM ballot_box") == R"([{"points": 1, "project": "bench"}])");
    }
}

TEST_CASE("ballot secrecy: a server without a ballot key does not start", "[e2e][cli][secrecy]") {
    database db;
    std::string output;
    std::map<std::string, std::string> env{{"DATABASE_URL", db.url()},
                                           {"SCHWARM_TLS_CERT", required_env("SCHWARM_TEST_TLS_CERT")},
                                           {"SCHWARM_TLS_KEY", required_env("SCHWARM_TEST_TLS_KEY")},
                                           {"SCHWARM_PORT", "0"}};
    CHECK(run_cli({"serve"}, env, "", output) == 2);
    CHECK(output.find("SCHWARM_BALLOT_KEY must be set") != std::string::npos);
    env["SCHWARM_BALLOT_KEY"] = "too short";
    CHECK(run_cli({"serve"}, env, "", output) == 2);
    CHECK(output.find("SCHWARM_BALLOT_KEY must be at least 32 characters") != std::string::npos);
}

TEST_CASE("ballot secrecy: ballots cast before migration 0040 move to the box at their round's close",
          "[e2e][rounds][secrecy][migrate]") {
    database db(false);
    {
        pqxx::connection c(db.url());
        std::vector<schwarm::migrations::migration> before;
        for (const auto& m : schwarm::migrations::bundled()) {
            if (m.version < 40) before.push_back(m);
        }
        schwarm::migrations::apply(c, before);
    }
    // As the old schema kept them: a closed round and an open one, ballots
    // with their voters beside them.
    db.exec("INSERT INTO users (email, display_name, password_hash) VALUES ('a@x.org', 'a', '$argon2id$x'), "
            "('b@x.org', 'b', '$argon2id$x')");
    db.exec(
        "INSERT INTO voting_rounds (title, budget_minor, currency, opens_at, closes_at, ballot, rule, state) VALUES "
        "('old', 100, 'EUR', '2020-01-01', '2021-01-01', 'approval', 'greedy', 'closed'), "
        "('running', 100, 'EUR', '2020-01-01', '2099-01-01', 'approval', 'greedy', 'open')");
    db.exec("INSERT INTO round_projects (round_id, project_key, name, cost_minor) SELECT id, 'p', 'p', 10 FROM "
            "voting_rounds");
    db.exec("INSERT INTO ballots (round_id, voter_id, choices, receipt) SELECT r.id, u.id, "
            "'[{\"project\": \"p\", \"points\": 1}]', encode(sha256(convert_to(r.title || u.email, 'UTF8')), 'hex') "
            "FROM voting_rounds r, users u");

    server srv(db.url()); // migrates the rest
    https_client client(srv.port());
    std::string staff = create_user_and_login(client, db, "sam@bank.example", "staff");
    std::string old_id = db.scalar("SELECT id FROM voting_rounds WHERE title = 'old'");
    std::string running = db.scalar("SELECT id FROM voting_rounds WHERE title = 'running'");
    CHECK(db.scalar("SELECT to_regclass('ballots') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM ballot_box WHERE round_id = " + old_id) == "2");
    CHECK(db.scalar("SELECT count(*) FROM ballot_roll") == "4");
    CHECK(db.scalar("SELECT count(*) FROM ballots_unsealed WHERE round_id = " + running) == "2");
    auto before = client.request("GET", "/v1/rounds/" + running);
    CHECK(before.json().at("ballots") == 2);

    // b casts again: the old ballot in the clear gives way to a sealed one.
    db.exec("INSERT INTO sessions (token_hash, user_id, expires_at) SELECT sha256(convert_to('tok-b', 'UTF8')), id, "
            "now() + interval '1 hour' FROM users WHERE email = 'b@x.org'");
    auto recast = client.request("PUT", "/v1/rounds/" + running + "/ballot", vote({"p"}), auth_headers("tok-b"));
    REQUIRE(recast.status == 200);
    CHECK(recast.json().at("replaced") == true);
    CHECK(db.scalar("SELECT count(*) FROM ballots_unsealed") == "1");

    REQUIRE(client.request("POST", "/v1/rounds/" + running + "/close", {}, auth_headers(staff)).status == 200);
    CHECK(db.scalar("SELECT count(*) FROM ballots_unsealed") == "0");
    CHECK(db.scalar("SELECT count(*) FROM ballot_box WHERE round_id = " + running) == "2");
    CHECK(db.scalar("SELECT count(*) FROM ballot_box WHERE round_id = " + running + " AND secret IS NULL") == "1");
    auto published = client.request("GET", "/v1/rounds/" + running + "/ballots");
    REQUIRE(published.status == 200);
    CHECK(published.json().at("items").as_array().size() == 2);
}
