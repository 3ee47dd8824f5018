#include "base/migrate.hpp"

#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace schwarm;
using migrations::migration;

namespace {
std::vector<migration> two() {
    return {{1, "first", "CREATE TABLE a (x int)"}, {2, "second", "CREATE TABLE b (y int)"}};
}
} // namespace

TEST_CASE("migrations: applied in order, once, and recorded with checksums", "[pg][migrate]") {
    test::database db(false);
    pqxx::connection c(db.url());
    CHECK(migrations::apply(c, two()) == 2);
    CHECK(migrations::apply(c, two()) == 0);
    CHECK(db.scalar("SELECT string_agg(name, ',' ORDER BY version) FROM schema_migrations") == "first,second");
    CHECK(db.scalar("SELECT checksum FROM schema_migrations WHERE version = 1").size() == 64);

    auto more = two();
    more.push_back({3, "third", "CREATE TABLE c (z int)"});
    CHECK(migrations::apply(c, more) == 1);
    pqxx::read_transaction tx(c);
    CHECK_NOTHROW(migrations::check_current(tx, more));
}

TEST_CASE("migrations: an edited applied migration is refused", "[pg][migrate]") {
    test::database db(false);
    pqxx::connection c(db.url());
    migrations::apply(c, two());
    auto edited = two();
    edited[0].sql = "CREATE TABLE a (x bigint)";
    CHECK_THROWS_WITH(migrations::apply(c, edited), Catch::Contains("migration 1 (first) was edited"));
    pqxx::read_transaction tx(c);
    CHECK_THROWS_AS(migrations::check_current(tx, edited), migrations::migration_error);
}

TEST_CASE("migrations: a database newer than the binary is refused", "[pg][migrate]") {
    test::database db(false);
    pqxx::connection c(db.url());
    migrations::apply(c, two());
    std::vector<migration> older{two()[0]};
    CHECK_THROWS_WITH(migrations::apply(c, older), Catch::Contains("does not know"));
}

TEST_CASE("migrations: a failing migration leaves nothing behind", "[pg][migrate]") {
    test::database db(false);
    pqxx::connection c(db.url());
    std::vector<migration> broken{{1, "first", "CREATE TABLE a (x int)"},
                                  {2, "broken", "CREATE TABLE b (y int); SELECT no_such_function()"}};
    CHECK_THROWS(migrations::apply(c, broken));
    CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == "1");
    CHECK(db.scalar("SELECT to_regclass('b') IS NULL") == "t");
}

TEST_CASE("migrations: pending ones are reported as not current", "[pg][migrate]") {
    test::database db(false);
    pqxx::connection c(db.url());
    migrations::apply(c, {two()[0]});
    pqxx::read_transaction tx(c);
    CHECK_THROWS_WITH(migrations::check_current(tx, two()), Catch::Contains("migration 2 (second) is not applied"));
}

TEST_CASE("migrations: two processes migrating at once apply each migration once", "[pg][migrate]") {
    test::database db(false);
    std::atomic<int> applied{0};
    auto run = [&] {
        pqxx::connection c(db.url());
        applied += migrations::apply(c, migrations::bundled());
    };
    std::thread a(run), b(run);
    a.join();
    b.join();
    CHECK(applied == static_cast<int>(migrations::bundled().size()));
    CHECK(db.scalar("SELECT count(*) FROM schema_migrations") == std::to_string(migrations::bundled().size()));
}
