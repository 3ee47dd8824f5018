#include "platform/users.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

using namespace schwarm;
using schwarm::test::caught;

namespace {

users::login_limits limits{3, std::chrono::seconds(900), std::chrono::seconds(3600), 5};

users::user make_user(pqxx::connection& c, const std::string& email, users::role r = users::role::customer) {
    pqxx::work tx(c);
    auto u = users::create(tx, {email, "correct horse battery", "Test"}, r, "req-1", users::created_via::registration);
    tx.commit();
    return u;
}

std::variant<users::session, users::login_refusal> try_login(pqxx::connection& c, const std::string& email,
                                                             const std::string& password,
                                                             const std::string& client = "198.51.100.7") {
    pqxx::work tx(c);
    auto outcome = users::login(tx, email, password, client, limits, "req-2");
    tx.commit();
    return outcome;
}

} // namespace

TEST_CASE("users: create stores an Argon2id hash and an audit record", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    auto u = make_user(*c, "ada@example.org");
    CHECK(u.id.value > 0);
    CHECK(db.scalar("SELECT password_hash LIKE '$argon2id$%' FROM users") == "t");
    CHECK(db.scalar("SELECT action || ' ' || subject || ' ' || request_id FROM audit_log") ==
          "user.create user:" + u.id.str() + " req-1");
}

TEST_CASE("users: refusals change nothing", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    make_user(*c, "ada@example.org");

    auto attempt = [&](users::new_user fields) {
        return caught([&] {
            pqxx::work tx(*c);
            users::create(tx, fields, users::role::customer, "r", users::created_via::registration);
            tx.commit();
        });
    };
    auto taken = attempt({"ADA@example.org", "correct horse battery", "Ada"});
    CHECK(taken.type().slug == "email-taken");
    CHECK(taken.status() == 409);
    CHECK(attempt({"no-at-sign", "correct horse battery", "X"}).extensions().at("field") == "email");
    CHECK(attempt({"a@b", "correct horse battery", "X"}).extensions().at("field") == "email");
    CHECK(attempt({"x@example.org", "short", "X"}).extensions().at("field") == "password");
    CHECK(attempt({"x@example.org", "correct horse battery", "   "}).extensions().at("field") == "display_name");
    CHECK(db.scalar("SELECT count(*) FROM users") == "1");
    CHECK(db.scalar("SELECT count(*) FROM audit_log") == "1");
}

TEST_CASE("users: login gives a token that authenticates until logout", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    auto u = make_user(*c, "ada@example.org", users::role::staff);
    auto outcome = try_login(*c, "Ada@Example.org", "correct horse battery");
    REQUIRE(std::holds_alternative<users::session>(outcome));
    auto s = std::get<users::session>(outcome);
    // Only the token's hash is stored.
    CHECK(db.scalar("SELECT encode(token_hash, 'hex') FROM sessions") == crypto::sha256_hex(s.token));

    pqxx::nontransaction tx(*c);
    auto who = users::authenticate(tx, s.token);
    REQUIRE(who);
    CHECK(who->id == u.id);
    CHECK(who->role_ == users::role::staff);
    CHECK_FALSE(users::authenticate(tx, s.token + "x"));
    CHECK_FALSE(users::authenticate(tx, ""));
    tx.commit();

    {
        pqxx::work w(*c);
        users::logout(w, s.token, u.id, "req-3");
        w.commit();
    }
    pqxx::nontransaction after(*c);
    CHECK_FALSE(users::authenticate(after, s.token));
}

TEST_CASE("users: an expired session does not authenticate", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    make_user(*c, "ada@example.org");
    auto s = std::get<users::session>(try_login(*c, "ada@example.org", "correct horse battery"));
    {
        pqxx::nontransaction before(*c);
        CHECK(users::authenticate(before, s.token));
    }
    db.travel_by(limits.session_ttl.count() + 1);
    pqxx::nontransaction tx(*c);
    CHECK_FALSE(users::authenticate(tx, s.token));
}

TEST_CASE("users: repeated failed logins from one address lock it out of the account for the window", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    make_user(*c, "ada@example.org");

    for (int i = 0; i < limits.failures_max; ++i) {
        auto refused = try_login(*c, "ada@example.org", "wrong password!");
        REQUIRE(std::holds_alternative<users::login_refusal>(refused));
        CHECK(std::get<users::login_refusal>(refused).reason.status() == 401);
    }
    // Now even the right password is refused, with the time to wait.
    auto locked = try_login(*c, "ADA@example.org", "correct horse battery");
    REQUIRE(std::holds_alternative<users::login_refusal>(locked));
    const auto& refusal = std::get<users::login_refusal>(locked);
    CHECK(refusal.reason.status() == 429);
    CHECK(refusal.retry_after.count() > 0);
    CHECK(refusal.retry_after.count() <= 900);
    CHECK(db.scalar("SELECT count(*) FROM sessions") == "0");

    // After the window, a right password succeeds and clears this address's count.
    db.travel_by(limits.window.count() + 1);
    CHECK(std::holds_alternative<users::session>(try_login(*c, "ada@example.org", "correct horse battery")));
    CHECK(db.scalar("SELECT count(*) FROM login_failures WHERE client_hash <> ''") == "0");
}

TEST_CASE("users: unknown addresses are throttled too, and stored only hashed", "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    auto refused = try_login(*c, "nobody@example.org", "whatever it is");
    REQUIRE(std::holds_alternative<users::login_refusal>(refused));
    CHECK(std::get<users::login_refusal>(refused).reason.status() == 401);
    CHECK(db.scalar("SELECT string_agg(DISTINCT encode(email_hash, 'hex'), ',') FROM login_failures") ==
          crypto::sha256_hex("nobody@example.org"));
}

TEST_CASE("users: a guesser is throttled, not the owner, and every spelling of an address counts as one",
          "[pg][users]") {
    test::database db;
    auto c = db::connect(db.url());
    auto kim = make_user(*c, "kim@example.org");
    const std::string guesser = "203.0.113.9", owner = "198.51.100.20";
    auto status = [](const std::variant<users::session, users::login_refusal>& outcome) {
        return std::holds_alternative<users::session>(outcome)
                   ? 201
                   : std::get<users::login_refusal>(outcome).reason.status();
    };
    // The Kelvin sign (U+212A) finds the same account through lower(): it
    // counts on the account's key, so the guesser gains nothing by it.
    CHECK(status(try_login(*c, "kim@example.org", "wrong password!", guesser)) == 401);
    CHECK(status(try_login(*c, "kim@example.org", "wrong password!", guesser)) == 401);
    CHECK(status(try_login(*c, "kim@example.org", "wrong password!", guesser)) == 401);
    CHECK(status(try_login(*c, "\u212Aim@example.org", "correct horse battery", guesser)) == 429);
    CHECK(status(try_login(*c, "KIM@EXAMPLE.ORG", "correct horse battery", guesser)) == 429);
    // The owner, elsewhere, is not locked out, and their login leaves the
    // guesser's count as it was.
    CHECK(status(try_login(*c, "kim@example.org", "correct horse battery", owner)) == 201);
    CHECK(status(try_login(*c, "kim@example.org", "correct horse battery", guesser)) == 429);

    // From every address together (5 here): then the account waits out the
    // window everywhere, until an admin unlocks it.
    CHECK(status(try_login(*c, "kim@example.org", "wrong password!", "192.0.2.1")) == 401);
    CHECK(status(try_login(*c, "kim@example.org", "wrong password!", "192.0.2.2")) == 401);
    CHECK(status(try_login(*c, "kim@example.org", "correct horse battery", owner)) == 429);
    {
        auto admin = make_user(*c, "root@bank.example", users::role::admin);
        pqxx::work tx(*c);
        users::unlock(tx, kim.id, admin.id, "req-unlock");
        tx.commit();
    }
    CHECK(db.scalar("SELECT count(*) FROM login_failures") == "0");
    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'user.unlock'") == "1");
    CHECK(status(try_login(*c, "kim@example.org", "correct horse battery", guesser)) == 201);
}

TEST_CASE("audit log: the database refuses UPDATE, DELETE and TRUNCATE", "[pg][audit]") {
    test::database db;
    auto c = db::connect(db.url());
    make_user(*c, "ada@example.org");
    CHECK_THROWS_WITH(db.exec("UPDATE audit_log SET action = 'user.forged'"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(db.exec("DELETE FROM audit_log"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(db.exec("TRUNCATE audit_log"), Catch::Contains("append-only"));
    CHECK(db.scalar("SELECT action FROM audit_log") == "user.create");
}
