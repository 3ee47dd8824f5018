#include "ledger/ledger.hpp"

#include "base/db.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace schwarm;
using namespace schwarm::ledger;

namespace {

const who staff{std::nullopt, "test"};

struct fixture {
    test::database db;
    std::unique_ptr<pqxx::connection> c = db::connect(db.url());
    account_id bank, alice, bob, escrow, usd;

    fixture() {
        pqxx::work tx(*c);
        auto eur = currency::parse("EUR").value();
        bank = create_account(tx, {"1000:bank", "Cash at bank", account_type::asset, eur}, staff).id;
        alice =
            create_account(tx, {"2000:alice", "Wallet Alice", account_type::liability, eur, {}, {}, true, false}, staff)
                .id;
        bob =
            create_account(tx, {"2000:bob", "Wallet Bob", account_type::liability, eur, {}, {}, true, false}, staff).id;
        escrow = create_account(tx, {"2100:escrow", "Escrow", account_type::liability, eur}, staff).id;
        usd =
            create_account(tx, {"1001:usd", "Cash USD", account_type::asset, currency::parse("USD").value()}, staff).id;
        tx.commit();
    }

    std::vector<entry_result> book_all(std::vector<entry_request> requests, bool linked = false) {
        pqxx::work tx(*c);
        auto results = book(tx, requests, linked, staff);
        tx.commit();
        return results;
    }
    entry_result book_one(entry_request request) { return book_all({std::move(request)}).front(); }

    balances of(account_id id) {
        pqxx::nontransaction tx(*c);
        return find_account(tx, id)->bal;
    }
    std::string snapshot() {
        return db.scalar(
            "SELECT (SELECT count(*) FROM ledger_entries) || '/' || (SELECT count(*) FROM ledger_postings) || '/' || "
            "(SELECT string_agg(debits_posted || ':' || credits_posted || ':' || debits_pending || ':' || "
            "credits_pending, ',' ORDER BY id) FROM ledger_accounts)");
    }
};

posting debit(account_id a, std::int64_t amount, std::string cur = "EUR") { return {a, side::debit, amount, cur}; }
posting credit(account_id a, std::int64_t amount, std::string cur = "EUR") { return {a, side::credit, amount, cur}; }

entry_request transfer(std::string key, std::vector<posting> postings, entry_kind kind = entry_kind::posted) {
    entry_request r;
    r.idempotency_key = std::move(key);
    r.kind = kind;
    r.postings = std::move(postings);
    return r;
}

entry_request resolve(std::string key, entry_kind kind, entry_id hold, std::vector<posting> postings = {}) {
    entry_request r;
    r.idempotency_key = std::move(key);
    r.kind = kind;
    r.pending = hold;
    r.postings = std::move(postings);
    return r;
}

std::string_view slug(const entry_result& r) {
    REQUIRE(std::holds_alternative<problem>(r));
    return std::get<problem>(r).type().slug;
}
const entry& booked(const entry_result& r) {
    if (auto* p = std::get_if<problem>(&r)) FAIL("refused: " << p->detail());
    return std::get<entry>(r);
}

} // namespace

TEST_CASE("ledger: a balanced entry moves balances", "[pg][ledger]") {
    fixture f;
    auto e = booked(f.book_one(transfer("dep-1", {debit(f.bank, 10'000), credit(f.alice, 10'000)})));
    CHECK(e.kind == entry_kind::posted);
    CHECK(e.postings.size() == 2);
    CHECK(f.of(f.bank) == balances{10'000, 0, 0, 0});
    CHECK(f.of(f.alice) == balances{0, 10'000, 0, 0});
    pqxx::nontransaction tx(*f.c);
    CHECK(verify(tx).ok);
}

TEST_CASE("ledger: refusals name the rule and change nothing", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep-1", {debit(f.bank, 500), credit(f.alice, 500)})));
    const std::string before = f.snapshot();

    CHECK(slug(f.book_one(transfer("k1", {debit(f.bank, 500), credit(f.alice, 499)}))) == "entry-unbalanced");
    CHECK(slug(f.book_one(transfer("k2", {debit(f.bank, 0), credit(f.alice, 0)}))) == "amount-not-positive");
    CHECK(slug(f.book_one(transfer("k3", {debit(f.bank, -5), credit(f.alice, -5)}))) == "amount-not-positive");
    CHECK(slug(f.book_one(transfer("k4", {debit(f.bank, 5)}))) == "too-few-postings");
    CHECK(slug(f.book_one(transfer("k5", {debit(account_id{999'999}, 5), credit(f.alice, 5)}))) == "account-unknown");
    CHECK(slug(f.book_one(transfer("k6", {debit(f.usd, 5, "USD"), credit(f.alice, 5, "USD")}))) ==
          "account-currency-mismatch");
    // Balanced per currency but the EUR account cannot take USD.
    CHECK(slug(f.book_one(transfer("k7", {debit(f.bank, 5), credit(f.alice, 5, "USD")}))) == "entry-unbalanced");
    CHECK(slug(f.book_one(transfer("k8", {debit(f.alice, 501), credit(f.bob, 501)}))) == "balance-limit-exceeded");
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    CHECK(slug(f.book_one(transfer("k9", {debit(f.bank, max), credit(f.escrow, max)}))) == "amount-overflow");
    CHECK(slug(f.book_one(transfer("k10", {debit(f.bank, max), debit(f.bank, max), credit(f.escrow, 1)}))) ==
          "amount-overflow");
    std::vector<posting> many;
    for (int i = 0; i < 33; ++i) {
        many.push_back(debit(f.bank, 1));
        many.push_back(credit(f.escrow, 1));
    }
    CHECK(slug(f.book_one(transfer("k11", many))) == "too-many-postings");
    CHECK(slug(f.book_one(transfer("", {debit(f.bank, 1), credit(f.escrow, 1)}))) == "validation");
    CHECK(slug(f.book_one(transfer("k12", {debit(f.bank, 1, "XXX"), credit(f.escrow, 1, "XXX")}))) == "validation");
    {
        pqxx::work tx(*f.c);
        close_account(tx, f.bob, staff);
        tx.commit();
    }
    const std::string closed_before = f.snapshot();
    CHECK(slug(f.book_one(transfer("k13", {debit(f.bank, 1), credit(f.bob, 1)}))) == "account-closed");
    CHECK(f.snapshot() == closed_before);
    CHECK(closed_before == before);
}

TEST_CASE("ledger: the balance rule holds under the database too", "[pg][ledger]") {
    fixture f;
    CHECK_THROWS_WITH(f.db.exec("UPDATE ledger_accounts SET debits_posted = 1 WHERE code = '2000:alice'"),
                      Catch::Contains("debits_within_credits"));
}

TEST_CASE("ledger: holds are posted in full, for less, or voided, exactly once", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 1'000), credit(f.alice, 1'000)})));
    auto hold =
        booked(f.book_one(transfer("pledge-1", {debit(f.alice, 600), credit(f.escrow, 600)}, entry_kind::pending)));
    CHECK(f.of(f.alice) == balances{0, 1'000, 600, 0});
    // The hold counts against the balance rule: only 400 are left.
    CHECK(slug(f.book_one(transfer("too-much", {debit(f.alice, 401), credit(f.bob, 401)}))) ==
          "balance-limit-exceeded");

    SECTION("post in full") {
        auto posted = booked(f.book_one(resolve("post-1", entry_kind::post_pending, hold.id)));
        CHECK(posted.postings.size() == 2);
        CHECK(f.of(f.alice) == balances{600, 1'000, 0, 0});
        CHECK(f.of(f.escrow) == balances{0, 600, 0, 0});
        CHECK(slug(f.book_one(resolve("post-2", entry_kind::post_pending, hold.id))) == "hold-already-resolved");
        CHECK(slug(f.book_one(resolve("void-1", entry_kind::void_pending, hold.id))) == "hold-already-resolved");
    }
    SECTION("post for less") {
        booked(f.book_one(
            resolve("post-1", entry_kind::post_pending, hold.id, {debit(f.alice, 250), credit(f.escrow, 250)})));
        CHECK(f.of(f.alice) == balances{250, 1'000, 0, 0});
        CHECK(f.of(f.escrow) == balances{0, 250, 0, 0});
    }
    SECTION("posting more than held is refused") {
        CHECK(slug(f.book_one(resolve("post-1", entry_kind::post_pending, hold.id,
                                      {debit(f.alice, 601), credit(f.escrow, 601)}))) == "post-exceeds-hold");
        CHECK(slug(f.book_one(resolve("post-2", entry_kind::post_pending, hold.id,
                                      {debit(f.bob, 10), credit(f.escrow, 10)}))) == "post-exceeds-hold");
        CHECK(f.of(f.alice) == balances{0, 1'000, 600, 0});
    }
    SECTION("void") {
        booked(f.book_one(resolve("void-1", entry_kind::void_pending, hold.id)));
        CHECK(f.of(f.alice) == balances{0, 1'000, 0, 0});
        CHECK(f.of(f.escrow) == balances{});
        CHECK(slug(f.book_one(resolve("void-2", entry_kind::void_pending, hold.id))) == "hold-already-resolved");
    }
    SECTION("resolving what is not a hold") {
        auto plain = booked(f.book_one(transfer("plain", {debit(f.bank, 1), credit(f.escrow, 1)})));
        CHECK(slug(f.book_one(resolve("x", entry_kind::void_pending, plain.id))) == "hold-unknown");
        CHECK(slug(f.book_one(resolve("y", entry_kind::void_pending, entry_id{987'654}))) == "hold-unknown");
    }
    pqxx::nontransaction tx(*f.c);
    CHECK(verify(tx).ok);
}

TEST_CASE("ledger: expired holds cannot be posted and are voided", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 1'000), credit(f.alice, 1'000)})));
    auto request = transfer("hold", {debit(f.alice, 300), credit(f.escrow, 300)}, entry_kind::pending);
    request.expires_in_s = 3600;
    auto hold = booked(f.book_one(request));
    REQUIRE(hold.expires_at);
    {
        pqxx::work tx(*f.c);
        CHECK(void_expired_holds(tx, 100) == 0);
        tx.commit();
    }
    // Time passes on the platform clock.
    f.db.travel_to(
        f.db.scalar("SELECT expires_at + interval '1 second' FROM ledger_entries WHERE id = " + hold.id.str()));
    CHECK(slug(f.book_one(resolve("late", entry_kind::post_pending, hold.id))) == "hold-expired");
    {
        pqxx::work tx(*f.c);
        CHECK(void_expired_holds(tx, 100) == 1);
        tx.commit();
    }
    CHECK(f.of(f.alice) == balances{0, 1'000, 0, 0});
    pqxx::work tx(*f.c);
    CHECK(void_expired_holds(tx, 100) == 0);
}

TEST_CASE("ledger: a retried request books once, a changed one is a conflict", "[pg][ledger]") {
    fixture f;
    auto first = booked(f.book_one(transfer("dep-7", {debit(f.bank, 700), credit(f.alice, 700)})));
    CHECK_FALSE(first.replayed);
    auto again = booked(f.book_one(transfer("dep-7", {debit(f.bank, 700), credit(f.alice, 700)})));
    CHECK(again.replayed);
    CHECK(again.id == first.id);
    CHECK(again.postings == first.postings);
    CHECK(again.created_at == first.created_at);
    CHECK(slug(f.book_one(transfer("dep-7", {debit(f.bank, 701), credit(f.alice, 701)}))) == "idempotency-conflict");
    CHECK(f.of(f.alice) == balances{0, 700, 0, 0});

    // Twice in one batch: booked once.
    auto batch = f.book_all({transfer("dup", {debit(f.bank, 1), credit(f.alice, 1)}),
                             transfer("dup", {debit(f.bank, 1), credit(f.alice, 1)}),
                             transfer("dup", {debit(f.bank, 2), credit(f.alice, 2)})});
    CHECK(booked(batch[1]).id == booked(batch[0]).id);
    CHECK(slug(batch[2]) == "idempotency-conflict");
    CHECK(f.of(f.alice) == balances{0, 701, 0, 0});
}

TEST_CASE("ledger: unlinked batches book what they can, linked ones all or none", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 100), credit(f.alice, 100)})));
    std::vector<entry_request> batch{transfer("a", {debit(f.alice, 60), credit(f.bob, 60)}),
                                     transfer("b", {debit(f.alice, 60), credit(f.bob, 60)}),
                                     transfer("c", {debit(f.bob, 10), credit(f.alice, 10)})};
    SECTION("unlinked: in order, against the balances so far") {
        auto results = f.book_all(batch);
        booked(results[0]);
        CHECK(slug(results[1]) == "balance-limit-exceeded");
        booked(results[2]);
        CHECK(f.of(f.alice) == balances{60, 110, 0, 0});
    }
    SECTION("linked: nothing") {
        const std::string before = f.snapshot();
        auto results = f.book_all(batch, true);
        CHECK(slug(results[0]) == "linked-entry-failed");
        CHECK(slug(results[1]) == "balance-limit-exceeded");
        CHECK(slug(results[2]) == "linked-entry-failed");
        CHECK(f.snapshot() == before);
    }
}

TEST_CASE("ledger: the database refuses to change or remove booked entries", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 100), credit(f.alice, 100)})));
    CHECK_THROWS_WITH(f.db.exec("UPDATE ledger_postings SET amount_minor = 1"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(f.db.exec("DELETE FROM ledger_postings"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(f.db.exec("UPDATE ledger_entries SET description = 'x'"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(f.db.exec("DELETE FROM ledger_entries"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(f.db.exec("TRUNCATE ledger_postings, ledger_entries CASCADE"), Catch::Contains("append-only"));
}

TEST_CASE("ledger: verify finds a balance that does not match the postings", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 100), credit(f.alice, 100)})));
    f.db.exec("UPDATE ledger_accounts SET credits_posted = 150 WHERE code = '2000:alice'");
    pqxx::nontransaction tx(*f.c);
    auto report = verify(tx);
    CHECK_FALSE(report.ok);
    CHECK_THAT(report.first_discrepancy, Catch::Contains("2000:alice") && Catch::Contains("0/150/0/0"));
}

TEST_CASE("ledger: trial balance as of a time", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 100), credit(f.alice, 100)})));
    booked(f.book_one(transfer("hold", {debit(f.alice, 40), credit(f.escrow, 40)}, entry_kind::pending)));
    pqxx::nontransaction tx(*f.c);
    auto now = trial_balance(tx, "");
    std::int64_t debits = 0, credits = 0;
    for (const auto& line : now) {
        debits += line.debits_minor;
        credits += line.credits_minor;
    }
    CHECK(debits == 100); // holds are not posted
    CHECK(credits == 100);
    auto before = trial_balance(tx, "2000-01-01T00:00:00Z");
    for (const auto& line : before) CHECK(line.debits_minor + line.credits_minor == 0);
}

TEST_CASE("ledger: accounts have unique codes and at most one balance rule", "[pg][ledger]") {
    fixture f;
    pqxx::work tx(*f.c);
    auto eur = currency::parse("EUR").value();
    try {
        create_account(tx, {"1000:bank", "Again", account_type::asset, eur}, staff);
        FAIL("a taken code was accepted");
    } catch (const problem& p) {
        CHECK(p.type().slug == "account-code-taken");
    }
    CHECK_THROWS_AS(create_account(tx, {"9", "Both", account_type::asset, eur, {}, {}, true, true}, staff), problem);
}

namespace {

// Runs `work` on another thread while `blocker` holds a row lock from an
// uncommitted change, commits the change once `work` has read the old row
// and waits for the lock, and returns what `work` returned.
template <typename Work>
auto with_change_committed_meanwhile(const test::database& db, pqxx::work& blocker, Work work) {
    decltype(work()) out;
    std::exception_ptr failure;
    std::thread t([&] {
        try {
            out = work();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    test::eventually([&] { return test::lock_waiters(db) >= 1; }, std::chrono::seconds(10),
                     "the work to wait for the lock");
    blocker.commit();
    t.join();
    if (failure) std::rethrow_exception(failure);
    return out;
}

} // namespace

TEST_CASE("ledger: a balance that overflows with what another batch booked is refused, the rest booked",
          "[pg][ledger]") {
    fixture f;
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    auto other = db::connect(f.db.url());
    pqxx::work blocker(*other);
    // Unlocked, the batch reads 0 for escrow; committed meanwhile, max - 7.
    blocker.exec("UPDATE ledger_accounts SET debits_posted = " + std::to_string(max - 7) +
                 " WHERE id = " + f.escrow.str());
    auto results = with_change_committed_meanwhile(f.db, blocker, [&] {
        return f.book_all({transfer("over", {debit(f.escrow, 10), credit(f.bank, 10)}),
                           transfer("fine", {debit(f.bank, 5), credit(f.alice, 5)})});
    });
    CHECK(slug(results[0]) == "amount-overflow");
    booked(results[1]);
    CHECK(f.of(f.escrow) == balances{max - 7, 0, 0, 0});
    CHECK(f.of(f.bank) == balances{5, 0, 0, 0});
    CHECK(f.of(f.alice) == balances{0, 5, 0, 0});
    CHECK(f.db.scalar("SELECT count(*) FROM ledger_entries WHERE idempotency_key = 'over'") == "0");
    CHECK(f.db.scalar("SELECT count(*) FROM ledger_postings") == "2");
}

TEST_CASE("ledger: an account closed while a batch books to it is refused", "[pg][ledger]") {
    fixture f;
    auto other = db::connect(f.db.url());
    pqxx::work blocker(*other);
    blocker.exec("UPDATE ledger_accounts SET closed_at = now() WHERE id = " + f.escrow.str());
    auto results = with_change_committed_meanwhile(f.db, blocker, [&] {
        return f.book_all({transfer("to-closed", {debit(f.bank, 10), credit(f.escrow, 10)}),
                           transfer("fine", {debit(f.bank, 5), credit(f.alice, 5)})});
    });
    CHECK(slug(results[0]) == "account-closed");
    booked(results[1]);
    CHECK(f.of(f.escrow) == balances{});
    CHECK(f.of(f.bank) == balances{5, 0, 0, 0});
    pqxx::nontransaction tx(*f.c);
    CHECK(verify(tx).ok);
}

TEST_CASE("ledger: under concurrent batches a wallet with a balance rule never goes negative", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("fund", {debit(f.bank, 1'000), credit(f.alice, 1'000)})));
    constexpr int threads_n = 8, batches_n = 15, per_batch = 4;
    std::atomic<int> spent{0}, refused{0}, hot_booked{0};
    std::vector<std::string> failures(threads_n);
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
        threads.emplace_back([&, t] {
            try {
                auto c = db::connect(f.db.url());
                for (int b = 0; b < batches_n; ++b) {
                    std::vector<entry_request> batch;
                    for (int n = 0; n < per_batch; ++n) {
                        std::string key = std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(n);
                        // Alice pays Bob 10 (her rule is checked); the hot,
                        // unruled accounts move both ways, so batches lock
                        // them in both orders.
                        batch.push_back(transfer("pay-" + key, {debit(f.alice, 10), credit(f.bob, 10)}));
                        batch.push_back(n % 2 ? transfer("hot-" + key, {debit(f.bank, 3), credit(f.escrow, 3)})
                                              : transfer("hot-" + key, {debit(f.escrow, 1), credit(f.bank, 1)}));
                    }
                    pqxx::work tx(*c);
                    auto results = book(tx, batch, false, staff);
                    tx.commit();
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        auto* p = std::get_if<problem>(&results[i]);
                        if (i % 2 == 1) {
                            if (p) throw std::runtime_error("hot transfer refused: " + p->detail());
                            ++hot_booked;
                        } else if (!p) {
                            ++spent;
                        } else if (p->type().slug == "balance-limit-exceeded") {
                            ++refused;
                        } else {
                            throw std::runtime_error("unexpected refusal: " + p->detail());
                        }
                    }
                }
            } catch (const std::exception& e) {
                failures[t] = e.what();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& failure : failures) CHECK(failure.empty());
    constexpr int attempts = threads_n * batches_n * per_batch;
    CHECK(spent == 100); // exactly what the 1,000 funded
    CHECK(refused == attempts - 100);
    CHECK(hot_booked == attempts);
    CHECK(f.of(f.alice) == balances{1'000, 1'000, 0, 0});
    CHECK(f.of(f.bob) == balances{0, 1'000, 0, 0});
    pqxx::nontransaction tx(*f.c);
    CHECK(verify(tx).ok);
}

TEST_CASE("ledger: two resolutions of one hold at once: one books, one is refused", "[pg][ledger]") {
    fixture f;
    booked(f.book_one(transfer("dep", {debit(f.bank, 1'000), credit(f.alice, 1'000)})));
    auto hold = booked(f.book_one(transfer("hold", {debit(f.alice, 600), credit(f.escrow, 600)}, entry_kind::pending)));

    // The first resolution holds its transaction open while the second one
    // arrives and waits for the hold's lock.
    auto first_connection = db::connect(f.db.url());
    pqxx::work first(*first_connection);
    std::vector<entry_request> post{resolve("post-a", entry_kind::post_pending, hold.id)};
    booked(book(first, post, false, staff).front());

    std::optional<entry_result> second;
    std::string racer_error;
    std::thread racer([&] {
        try {
            auto c = db::connect(f.db.url());
            pqxx::work tx(*c);
            std::vector<entry_request> void_request{resolve("void-b", entry_kind::void_pending, hold.id)};
            second = book(tx, void_request, false, staff).front();
            tx.commit();
        } catch (const std::exception& e) {
            racer_error = e.what(); // e.g. the unique key on pending_id: a 500, not a refusal
        }
    });
    test::eventually([&] { return test::lock_waiters(f.db) >= 1; }, std::chrono::seconds(10),
                     "the second resolution to wait for the hold's lock");
    first.commit();
    racer.join();
    INFO(racer_error);
    REQUIRE(second);
    CHECK(slug(*second) == "hold-already-resolved");
    CHECK(f.of(f.alice) == balances{600, 1'000, 0, 0});
    pqxx::nontransaction tx(*f.c);
    CHECK(verify(tx).ok);
}

TEST_CASE("ledger: an entry unbalanced by 2^63 is refused with its difference", "[ledger]") {
    // Found by fuzz_ledger: the difference was negated as a signed number.
    ledger::entry_request r;
    r.idempotency_key = "k";
    r.postings = {{ledger::account_id{1}, ledger::side::credit, std::numeric_limits<std::int64_t>::max(), "EUR"},
                  {ledger::account_id{2}, ledger::side::credit, 1, "EUR"}};
    auto p = test::caught([&] { ledger::validate(r); });
    CHECK(p.type().slug == "entry-unbalanced");
    CHECK(p.detail() == "Debits and credits in EUR differ by 9223372036854775808 minor units");
}
