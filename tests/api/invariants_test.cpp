// Invariants that guard money hold in the shipped (Release) build (issue 11,
// item 8). Faults are injected into the real database (triggers that corrupt
// what is written), and the server must notice: the request fails with a
// logged internal error and nothing of it commits; other requests go on.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

struct ledger_world {
    platform p;
    std::string account(const std::string& code) { return p.ledger_account(code, "asset"); }
    reply transfer(const std::string& from, const std::string& to, const std::string& key) {
        return p.transfer(from, to, 100, key);
    }
    std::string entries() { return p.db.scalar("SELECT count(*) FROM ledger_entries"); }
};

} // namespace

TEST_CASE("invariants: an entry that does not balance as written is refused whole", "[e2e][invariants]") {
    ledger_world w;
    std::string a = w.account("inv:a"), b = w.account("inv:b"), c = w.account("inv:c"), d = w.account("inv:d");
    // The database "loses" a cent of every posting to account c.
    w.p.db.exec("CREATE FUNCTION shave() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.account_id = " +
                c +
                " THEN NEW.amount_minor = NEW.amount_minor - 1; END IF; RETURN NEW; END $$; "
                "CREATE TRIGGER shave BEFORE INSERT ON ledger_postings FOR EACH ROW EXECUTE FUNCTION shave()");
    std::string before = w.entries();
    auto refused = w.transfer(a, c, "k-1");
    CHECK(refused.status == 500);
    CHECK(problem_slug(refused) == "internal");
    CHECK(refused.body.find("balance") == std::string::npos); // the reason is for the log
    CHECK(w.entries() == before);
    CHECK(w.p.db.scalar("SELECT debits_posted FROM ledger_accounts WHERE id = " + a) == "0");
    eventually([&] { return w.p.srv.log().find("does not balance as written") != std::string::npos; },
               std::chrono::seconds(5), "the invariant's reason in the log");
    // Everyone else's bookings go on.
    CHECK(w.transfer(a, b, "k-2").status == 201);
    CHECK(w.transfer(d, b, "k-3").status == 201);
    w.p.check_books();
}

TEST_CASE("invariants: a balance the database stores otherwise than computed is refused whole", "[e2e][invariants]") {
    ledger_world w;
    std::string a = w.account("inv:a"), b = w.account("inv:b"), c = w.account("inv:c");
    w.p.db.exec("CREATE FUNCTION inflate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.id = " +
                c +
                " THEN NEW.credits_posted = NEW.credits_posted + 1; END IF; RETURN NEW; END $$; "
                "CREATE TRIGGER inflate BEFORE UPDATE ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION inflate()");
    std::string before = w.entries();
    auto refused = w.transfer(a, c, "k-1");
    CHECK(refused.status == 500);
    CHECK(w.entries() == before);
    CHECK(w.p.db.scalar("SELECT credits_posted FROM ledger_accounts WHERE id = " + c) == "0");
    eventually([&] { return w.p.srv.log().find("is not what its postings make it") != std::string::npos; },
               std::chrono::seconds(5), "the invariant's reason in the log");
    CHECK(w.transfer(a, b, "k-2").status == 201);
    // The same request after the fault is repaired goes through: the refusal changed nothing.
    w.p.db.exec("DROP TRIGGER inflate ON ledger_accounts");
    CHECK(w.transfer(a, c, "k-1").status == 201);
    w.p.check_books();
}
