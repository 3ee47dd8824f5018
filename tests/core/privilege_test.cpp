// Least privilege (migrations/0013_least_privilege.sql): the serving role the
// server connects as owns nothing and cannot rewrite history, whatever SQL it
// sends; only the schema's owner could, and the tests run every server as
// the serving role.
#include "base/db.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

using namespace schwarm;

namespace {

// Runs `sql` as its own transaction and says how the database answered:
// "ok", "privilege" (insufficient_privilege) or "refused" (another error,
// such as the append-only trigger's).
std::string attempt(pqxx::connection& c, const std::string& sql) {
    try {
        pqxx::work tx(c);
        tx.exec(sql);
        tx.commit();
        return "ok";
    } catch (const pqxx::insufficient_privilege&) {
        return "privilege";
    } catch (const pqxx::sql_error&) {
        return "refused";
    }
}

} // namespace

TEST_CASE("privileges: the serving role cannot change, empty, alter or unguard ledger and audit tables",
          "[pg][privileges]") {
    test::database db;
    // Something to protect: an account pair, an entry, an audit record.
    db.exec("INSERT INTO ledger_accounts (code, name, type, currency) VALUES ('p:a', 'a', 'asset', 'EUR'), "
            "('p:b', 'b', 'asset', 'EUR')");
    db.exec("INSERT INTO audit_log (action, subject, request_id) VALUES ('test.seed', 'x', 'r')");
    auto serving = db::connect(test::serving_url(db.url()));
    CHECK(attempt(*serving, "SELECT count(*) FROM ledger_entries") == "ok");
    CHECK(attempt(*serving, "INSERT INTO audit_log (action, subject, request_id) VALUES ('test.more', 'x', 'r')") ==
          "ok");

    for (std::string table :
         {"ledger_entries", "ledger_postings", "audit_log", "ledger_seal_blocks", "ledger_seal_entries"}) {
        INFO(table);
        CHECK(attempt(*serving, "DELETE FROM " + table) == "privilege");
        CHECK(attempt(*serving, "TRUNCATE " + table) == "privilege");
        CHECK(attempt(*serving, "ALTER TABLE " + table + " DISABLE TRIGGER ALL") == "privilege");
        CHECK(attempt(*serving, "ALTER TABLE " + table + " ADD COLUMN x integer") == "privilege");
        CHECK(attempt(*serving, "DROP TABLE " + table) == "privilege");
    }
    CHECK(attempt(*serving, "UPDATE ledger_postings SET amount_minor = 1") == "privilege");
    CHECK(attempt(*serving, "UPDATE audit_log SET action = 'test.forged'") == "privilege");
    // A row lock on an entry needs UPDATE on one of its columns (id), which
    // the append-only trigger still refuses to change.
    CHECK(attempt(*serving, "UPDATE ledger_entries SET description = 'x'") == "privilege");
    CHECK(attempt(*serving, "UPDATE ledger_entries SET id = id") == "ok"); // no rows yet; with one, the trigger refuses
    CHECK(attempt(*serving, "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only") == "privilege");
    // An account's balances change with every entry; nothing else of it does.
    CHECK(attempt(*serving, "UPDATE ledger_accounts SET code = 'p:c' WHERE code = 'p:a'") == "privilege");
    CHECK(attempt(*serving, "UPDATE ledger_accounts SET debits_must_not_exceed_credits = true") == "privilege");
    CHECK(attempt(*serving, "DELETE FROM ledger_accounts") == "privilege");
    // No clock moves, no new tables, no ownership.
    CHECK(attempt(*serving, "SELECT schwarm_travel_to(now() + interval '1 day')") == "privilege");
    CHECK(attempt(*serving, "CREATE TABLE mine (x integer)") == "privilege");
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tableowner = 'schwarm_app'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'test.seed'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM ledger_accounts WHERE code = 'p:a'") == "1");
}

TEST_CASE("privileges: with an entry written, the serving role cannot change it either", "[pg][privileges]") {
    test::database db;
    db.exec("INSERT INTO ledger_accounts (code, name, type, currency) VALUES ('p:a', 'a', 'asset', 'EUR'), "
            "('p:b', 'b', 'asset', 'EUR')");
    db.exec("INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, description, request_id) "
            "VALUES (nextval('ledger_entries_id_seq'), 'k', repeat('0', 64), 'posted', 'seed', 'r')");
    auto serving = db::connect(test::serving_url(db.url()));
    CHECK(attempt(*serving, "UPDATE ledger_entries SET id = id") != "ok");        // the append-only trigger
    CHECK(attempt(*serving, "SELECT id FROM ledger_entries FOR UPDATE") == "ok"); // a lock is all it may take
    CHECK(db.scalar("SELECT description FROM ledger_entries") == "seed");
}
