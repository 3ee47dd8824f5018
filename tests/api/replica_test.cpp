// Read replicas (issue 17; api/pipeline/replicas.hpp): the read routes come
// from a streaming replica that ./test.sh runs beside the primary, a client
// reads its own writes through the Schwarm-LSN token, and a replica that lags
// is not used until it catches up.
#include "base/db.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace schwarm;
using namespace schwarm::test;
namespace json = boost::json;

namespace {

// The same database on the replica, as `role`.
std::string replica_url(const std::string& primary_url, const std::string& role) {
    std::string db = primary_url.substr(std::string("postgresql:///").size());
    db = db.substr(0, db.find('?'));
    return "postgresql:///" + db + "?host=" + required_env("SCHWARM_TEST_REPLICA_HOST") +
           "&port=" + required_env("SCHWARM_TEST_REPLICA_PORT") + "&user=" + role;
}

double metric(https_client& c, const std::string& name) {
    auto text = c.request("GET", "/metrics", {}, auth_headers(test_metrics_token)).body;
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
}

// Replay paused on the replica for as long as this lives.
struct replay_paused {
    std::string url;
    explicit replay_paused(std::string u) : url(std::move(u)) { run("SELECT pg_wal_replay_pause()"); }
    ~replay_paused() {
        try {
            run("SELECT pg_wal_replay_resume()");
        } catch (const std::exception&) {}
    }
    void run(const std::string& sql) const {
        pqxx::connection c(url);
        pqxx::nontransaction tx(c);
        tx.exec(sql);
    }
};

} // namespace

TEST_CASE("replicas: reads come from the replica, a client reads its own writes, a lagging replica is not used",
          "[e2e][replicas]") {
    database db;
    server srv(db.url(), {{"SCHWARM_READ_DATABASE_URL", replica_url(db.url(), "schwarm_app")},
                          {"SCHWARM_REPLICA_LAG_MAX_MS", "300"},
                          {"SCHWARM_REPLICA_WAIT_MS", "200"}});
    https_client client(srv.port());
    const std::string usable = "schwarm_replica_usable{replica=\"0\"}";
    const std::string from_replica = "schwarm_reads_total{from=\"replica\"}";
    const std::string from_primary = "schwarm_reads_total{from=\"primary\"}";
    eventually([&] { return metric(client, usable) == 1; }, std::chrono::seconds(15), "the replica to be in use");

    std::string staff = create_user_and_login(client, db, "staff@bank.example", "staff");
    auto deposit = [&](std::int64_t amount, const std::string& key) {
        auto r = client.request("POST", "/v1/fund/deposits",
                                json::serialize(json::object{{"amount_minor", amount}, {"currency", "EUR"}}),
                                auth_headers(staff, key));
        REQUIRE(r.status == 201);
        REQUIRE(std::regex_match(r.header("schwarm-lsn"), std::regex("[0-9A-F]+/[0-9A-F]+")));
        return r.header("schwarm-lsn");
    };
    auto fund = [&](const std::string& after) {
        std::map<std::string, std::string> headers;
        if (!after.empty()) headers["Schwarm-Read-After"] = after;
        auto r = client.request("GET", "/v1/fund", {}, headers);
        REQUIRE(r.status == 200);
        return r.json().at("balance_minor").as_int64();
    };

    // Its own write, read at once from the replica, which waited for it.
    std::string lsn = deposit(1'000, "d-1");
    double replica_before = metric(client, from_replica);
    CHECK(fund(lsn) == 1'000);
    CHECK(metric(client, from_replica) == replica_before + 1);
    CHECK(problem_slug(client.request("GET", "/v1/fund", {}, {{"Schwarm-Read-After", "yesterday"}})) == "validation");

    // Replay stops: the replica falls behind, is taken out, and reads (with
    // or without a token) come from the primary, which has everything.
    {
        replay_paused paused(replica_url(db.url(), "schwarm"));
        std::string later = deposit(500, "d-2");
        eventually([&] { return metric(client, usable) == 0; }, std::chrono::seconds(10),
                   "the lagging replica to be taken out");
        double primary_before = metric(client, from_primary);
        CHECK(fund(later) == 1'500);
        CHECK(fund("") == 1'500);
        CHECK(metric(client, from_primary) == primary_before + 2);
    }
    eventually([&] { return metric(client, usable) == 1; }, std::chrono::seconds(15), "the replica to catch up");
    CHECK(fund("") == 1'500);
}
