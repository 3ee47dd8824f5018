// The platform clock (docs/time.md, migrations/0011_platform_clock.sql): one
// clock for every rule, calendar arithmetic in the bank's time zone, and a
// way to move it that only a test cluster allows.
#include "base/config.hpp"
#include "base/db.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

using namespace schwarm;

namespace {

std::string one(pqxx::connection& c, const std::string& sql) {
    pqxx::nontransaction tx(c);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "" : row[0].as<std::string>();
}

// `local` (a wall-clock time in Europe/Berlin) plus `span` on the bank's
// calendar, as UTC text.
std::string local_add(pqxx::connection& c, const std::string& local, const std::string& span) {
    return one(c, "SELECT to_char(schwarm_local_add(timestamp '" + local +
                      "' AT TIME ZONE 'Europe/Berlin', interval '" + span +
                      "') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')");
}

} // namespace

TEST_CASE("clock: a move is seen by every connection at its next statement, prepared or not", "[pg][clock]") {
    test::database db;
    auto server = db::connect(db.url()); // as a server's pooled connection: opened and prepared before the move
    server->prepare("clock_probe", "SELECT extract(epoch FROM schwarm_now())::bigint");
    auto read = [&] {
        pqxx::nontransaction tx(*server);
        return tx.exec_prepared("clock_probe")[0][0].as<std::int64_t>();
    };
    std::int64_t real = read();
    CHECK(one(*server, "SELECT schwarm_clock_shift() < interval '1 second'") == "t");

    db.travel_to("2031-12-31T23:30:00Z");
    std::int64_t moved = read();
    CHECK(moved >= 1956526200); // 2031-12-31T23:30:00Z
    CHECK(moved < 1956526200 + 60);
    CHECK(moved > real);
    CHECK(one(*server, "SELECT to_char(schwarm_clock() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')") ==
          "2031-12-31 23:30");
    // 23:30 UTC on New Year's Eve is already 1 January in Berlin: the bank's day.
    CHECK(one(*server, "SELECT schwarm_today()") == "2032-01-01");

    // Columns that say when something happened take the same clock.
    db.exec("INSERT INTO users (email, password_hash, display_name, role) VALUES ('x@example.org', '$argon2id$x', 'x', "
            "'customer')");
    CHECK(db.scalar("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM users") == "2031-12-31");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND column_default = 'now()' AND table_name <> 'schema_migrations'") == "0");

    db.travel_by(3600);
    CHECK(one(*server, "SELECT to_char(schwarm_clock() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')") == "2032-01-01 00");
}

TEST_CASE("clock: calendar days and months on the bank's wall clock", "[pg][clock]") {
    test::database db;
    auto c = db::connect(db.url());
    // Four calendar days across the change to summer time (30 March 2031):
    // 10:00 to 10:00 is 95 hours, not 96.
    CHECK(local_add(*c, "2031-03-27 10:00", "4 days") == "2031-03-31 08:00");
    // And across the change back (26 October 2031): 97 hours.
    CHECK(local_add(*c, "2031-10-24 10:00", "4 days") == "2031-10-28 09:00");
    // A month from the 31st before a 30-day month, before February, and in
    // a leap year; a year from 29 February.
    CHECK(local_add(*c, "2031-03-31 12:00", "1 month") == "2031-04-30 10:00");
    CHECK(local_add(*c, "2031-01-31 12:00", "1 month") == "2031-02-28 11:00");
    CHECK(local_add(*c, "2032-01-31 12:00", "1 month") == "2032-02-29 11:00");
    CHECK(local_add(*c, "2032-02-29 12:00", "1 year") == "2033-02-28 11:00");
    CHECK(local_add(*c, "2031-12-31 12:00", "1 month") == "2032-01-31 11:00");
    CHECK(local_add(*c, "2031-12-31 12:00", "2 months") == "2032-02-29 11:00");
}

TEST_CASE("clock: another time zone is the bank's when configured, and an unknown one is refused", "[pg][clock]") {
    test::database db;
    db::set_time_zone("America/New_York");
    auto c = db::connect(db.url());
    db::set_time_zone("Europe/Berlin");
    db.travel_to("2032-01-01T03:00:00Z"); // 22:00 on 31 December in New York
    CHECK(one(*c, "SELECT schwarm_today()") == "2031-12-31");
    CHECK(one(*c, "SELECT current_setting('TimeZone')") == "UTC");

    db::set_time_zone("Mars/Olympus_Mons");
    CHECK_THROWS_AS(db::connect(db.url()), config_error);
    db::set_time_zone("Europe/Berlin");
}

TEST_CASE("clock: refused outside a test cluster, and by sessions that lack the bank's zone", "[pg][clock]") {
    test::database db;
    auto c = db::connect(db.url());
    {
        pqxx::nontransaction tx(*c);
        tx.exec("SET schwarm.test_clock = off"); // as on every production cluster
        CHECK_THROWS_WITH(tx.exec("SELECT schwarm_travel_to(now() + interval '1 day')"),
                          Catch::Contains("only on a test cluster"));
    }
    CHECK(one(*c, "SELECT schwarm_clock_shift() < interval '1 second'") == "t");
    // A session that never said which zone the bank is in gets no dates.
    pqxx::connection bare(db.url());
    pqxx::nontransaction tx(bare);
    CHECK_THROWS_WITH(tx.exec("SELECT schwarm_today()"), Catch::Contains("schwarm.time_zone"));
}
