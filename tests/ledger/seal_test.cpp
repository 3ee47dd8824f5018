#include "ledger/seal.hpp"

#include "base/db.hpp"
#include "ledger/ledger.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace schwarm;
using namespace schwarm::ledger;
using Catch::Contains;

namespace {

const who staff{std::nullopt, "test"};

entry_request transfer(std::string key, account_id from, account_id to, std::int64_t amount,
                       entry_kind kind = entry_kind::posted) {
    entry_request r;
    r.idempotency_key = std::move(key);
    r.kind = kind;
    r.postings = {{from, side::debit, amount, "EUR"}, {to, side::credit, amount, "EUR"}};
    r.description = "transfer " + r.idempotency_key;
    return r;
}

const entry& booked(const entry_result& r) {
    if (auto* p = std::get_if<problem>(&r)) FAIL("refused: " << p->detail());
    return std::get<entry>(r);
}

struct fixture {
    test::database db;
    std::unique_ptr<pqxx::connection> c = db::connect(db.url());
    account_id bank, alice, escrow;
    account_id other_from, other_to; // for a transaction that must not wait on the others' account locks
    int booked_count = 0;

    fixture() {
        pqxx::work tx(*c);
        auto eur = currency::parse("EUR").value();
        bank = create_account(tx, {"1000:bank", "Cash at bank", account_type::asset, eur}, staff).id;
        alice = create_account(tx, {"2000:alice", "Wallet Alice", account_type::liability, eur}, staff).id;
        escrow = create_account(tx, {"2100:escrow", "Escrow", account_type::liability, eur}, staff).id;
        other_from = create_account(tx, {"1100:other", "Other cash", account_type::asset, eur}, staff).id;
        other_to = create_account(tx, {"2200:other", "Other wallet", account_type::liability, eur}, staff).id;
        tx.commit();
    }

    // Books `count` transfers in batches of `batch`; returns their ids.
    std::vector<std::int64_t> book_many(int count, int batch = 50) {
        std::vector<std::int64_t> ids;
        for (int done = 0; done < count;) {
            std::vector<entry_request> requests;
            for (int i = 0; i < batch && done < count; ++i, ++done) {
                int n = booked_count++;
                requests.push_back(transfer("t-" + std::to_string(n), bank, n % 2 ? alice : escrow, 100 + n));
            }
            pqxx::work tx(*c);
            for (const auto& r : book(tx, requests, false, staff)) ids.push_back(booked(r).id.value);
            tx.commit();
        }
        return ids;
    }

    std::int64_t book_one(pqxx::work& tx, entry_request r) {
        return booked(book(tx, std::span(&r, 1), false, staff).front()).id.value;
    }

    seal_report verify() {
        pqxx::work tx(*c);
        return verify_chain(tx);
    }
    seal_lag lag() {
        pqxx::nontransaction tx(*c);
        return unsealed_lag(tx);
    }
    std::int64_t block_of(std::int64_t entry) {
        return std::stoll(
            db.scalar("SELECT block_no FROM ledger_seal_entries WHERE entry_id = " + std::to_string(entry)));
    }
    std::string sealed_at(int block_no, int position) {
        return db.scalar("SELECT entry_id FROM ledger_seal_entries WHERE block_no = " + std::to_string(block_no) +
                         " AND position = " + std::to_string(position));
    }
    // What a superuser can do: every trigger off, foreign keys included.
    void tamper(const std::string& sql) { db.exec("SET session_replication_role = replica; " + sql); }
};

void require_bad(const seal_report& report, std::int64_t block_no, const std::string& what) {
    INFO(report.first_discrepancy);
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad_block.has_value());
    CHECK(*report.first_bad_block == block_no);
    CHECK_THAT(report.first_discrepancy, Contains("block " + std::to_string(block_no) + ": ") && Contains(what));
}

} // namespace

TEST_CASE("seal: entries are sealed in blocks, the chain verifies, the lag is measured", "[pg][ledger][seal]") {
    fixture f;
    f.book_many(300);
    // The lag is measured from the oldest unsealed entry: wait until it is 50 ms old.
    test::eventually([&] { return f.lag().oldest_unsealed_age_ms >= 50; }, std::chrono::seconds(5),
                     "the oldest unsealed entry to be 50 ms old");

    auto before = f.verify();
    CHECK(before.ok);
    CHECK(before.blocks_checked == 0);
    CHECK(before.unsealed_entries == 300);
    auto lag = f.lag();
    CHECK(lag.unsealed_entries == 300);
    CHECK(lag.oldest_unsealed_age_ms >= 50);

    CHECK(seal_pending(*f.c, 1000, 64) == 300);
    CHECK(f.db.scalar("SELECT string_agg(entry_count::text, ',' ORDER BY block_no) FROM ledger_seal_blocks") ==
          "64,64,64,64,44");
    CHECK(f.db.scalar("SELECT prev_hash FROM ledger_seal_blocks WHERE block_no = 1") == std::string(64, '0'));
    // Sealed in id order: positions follow ids across the whole chain.
    CHECK(f.db.scalar("SELECT count(*) FROM (SELECT entry_id, row_number() OVER (ORDER BY entry_id) AS by_id, "
                      "row_number() OVER (ORDER BY block_no, position) AS by_chain FROM ledger_seal_entries) s "
                      "WHERE by_id <> by_chain") == "0");
    CHECK(f.db.scalar("SELECT count(*) FROM ledger_entries e WHERE NOT EXISTS "
                      "(SELECT 1 FROM ledger_seal_entries s WHERE s.entry_id = e.id)") == "0");

    auto report = f.verify();
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.blocks_checked == 5);
    CHECK(report.entries_checked == 300);
    CHECK(report.unsealed_entries == 0);
    CHECK(report.oldest_unsealed_age_ms == 0);
    CHECK(report.head_block_no == 5);
    CHECK(report.head_hash == f.db.scalar("SELECT hash FROM ledger_seal_blocks WHERE block_no = 5"));
    CHECK(f.lag().unsealed_entries == 0);

    CHECK(seal_pending(*f.c, 1000, 64) == 0);
    CHECK(f.db.scalar("SELECT count(*) FROM ledger_seal_blocks") == "5");

    // entries_max bounds a call; the rest waits for the next.
    f.book_many(10);
    CHECK(f.lag().unsealed_entries == 10);
    CHECK(seal_pending(*f.c, 4, 64) == 4);
    CHECK(f.lag().unsealed_entries == 6);
    CHECK(seal_pending(*f.c, 1000) == 6);
    CHECK(f.lag().unsealed_entries == 0);
    report = f.verify();
    CHECK(report.ok);
    CHECK(report.blocks_checked == 7);
    CHECK(report.entries_checked == 310);

    SECTION("an anchor written down earlier is checked") {
        pqxx::work tx(*f.c);
        CHECK(verify_chain(tx, seal_anchor{7, report.head_hash}).ok);
        require_bad(verify_chain(tx, seal_anchor{5, report.head_hash}), 5, "is not the anchored one");
        auto wrong = verify_chain(tx, seal_anchor{9, report.head_hash});
        require_bad(wrong, 9, "is gone");
    }
    SECTION("the seal tables are append-only and the chain cannot fork") {
        CHECK_THROWS_WITH(f.db.exec("UPDATE ledger_seal_blocks SET entry_count = 1 WHERE block_no = 1"),
                          Contains("append-only"));
        CHECK_THROWS_WITH(f.db.exec("DELETE FROM ledger_seal_blocks WHERE block_no = 7"), Contains("append-only"));
        CHECK_THROWS_WITH(f.db.exec("DELETE FROM ledger_seal_entries"), Contains("append-only"));
        CHECK_THROWS_WITH(f.db.exec("UPDATE ledger_seal_entries SET position = position + 1000"),
                          Contains("append-only"));
        CHECK_THROWS_WITH(f.db.exec("TRUNCATE ledger_seal_entries, ledger_seal_blocks"), Contains("append-only"));
        // A block's entries come whole, with the block: none added later, none to a block that is not there.
        CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledger_seal_entries VALUES (999999, 7, 99, repeat('a', 64))"),
                          Contains("not its whole content"));
        CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledger_seal_entries VALUES (999999, 8, 0, repeat('a', 64))"),
                          Contains("not its whole content"));
        const std::string h6 = f.db.scalar("SELECT hash FROM ledger_seal_blocks WHERE block_no = 6");
        // A second successor of block 6, and a block that skips a number.
        CHECK_THROWS(
            f.db.exec("INSERT INTO ledger_seal_blocks VALUES (8, '" + h6 + "', repeat('1', 64), 1, 1, 1, now())"));
        CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledger_seal_blocks VALUES (9, '" + report.head_hash +
                                    "', repeat('1', 64), 1, 1, 1, now())"),
                          Contains("does not follow"));
        CHECK(f.verify().ok);
    }
}

TEST_CASE("seal: verify_chain names the first block that was tampered with", "[pg][ledger][seal]") {
    fixture f;
    f.book_many(300);
    REQUIRE(seal_pending(*f.c, 1000, 64) == 300);
    REQUIRE(f.verify().ok);
    const std::string in_block_3 = f.sealed_at(3, 7);
    const std::string in_block_2 = f.sealed_at(2, 30);

    SECTION("an altered amount (both postings, so the entry still balances)") {
        f.tamper("UPDATE ledger_postings SET amount_minor = amount_minor + 1 WHERE entry_id = " + in_block_3);
        require_bad(f.verify(), 3, "entry " + in_block_3 + " at position 7 (entry or postings) differs");
    }
    SECTION("an altered account") {
        f.tamper("UPDATE ledger_postings SET account_id = " + f.other_to.str() +
                 " WHERE seq = 1 AND entry_id = " + in_block_3);
        require_bad(f.verify(), 3, "entry " + in_block_3);
    }
    SECTION("swapped sides") {
        f.tamper("UPDATE ledger_postings SET side = CASE side WHEN 'debit' THEN 'credit'::posting_side "
                 "ELSE 'debit'::posting_side END WHERE entry_id = " +
                 in_block_3);
        require_bad(f.verify(), 3, "entry " + in_block_3);
    }
    SECTION("an altered description") {
        f.tamper("UPDATE ledger_entries SET description = 'nothing to see' WHERE id = " + in_block_3);
        require_bad(f.verify(), 3, "entry " + in_block_3);
    }
    SECTION("an added posting") {
        f.tamper("INSERT INTO ledger_postings VALUES (" + in_block_3 + ", 2, " + f.bank.str() +
                 ", 'debit', 1, 'EUR'), (" + in_block_3 + ", 3, " + f.alice.str() + ", 'credit', 1, 'EUR')");
        require_bad(f.verify(), 3, "entry " + in_block_3);
    }
    SECTION("a removed entry, triggers disabled table by table") {
        f.db.exec("ALTER TABLE ledger_postings DISABLE TRIGGER ALL; ALTER TABLE ledger_entries DISABLE TRIGGER ALL; "
                  "DELETE FROM ledger_postings WHERE entry_id = " +
                  in_block_3 +
                  "; "
                  "DELETE FROM ledger_entries WHERE id = " +
                  in_block_3 +
                  "; "
                  "ALTER TABLE ledger_postings ENABLE TRIGGER ALL; ALTER TABLE ledger_entries ENABLE TRIGGER ALL");
        require_bad(f.verify(), 3, "entry " + in_block_3 + " at position 7 is missing");
    }
    SECTION("a removed entry with its seal") {
        f.tamper("DELETE FROM ledger_postings WHERE entry_id = " + in_block_3 +
                 "; DELETE FROM ledger_entries WHERE id = " + in_block_3 +
                 "; DELETE FROM ledger_seal_entries WHERE entry_id = " + in_block_3);
        require_bad(f.verify(), 3, "block says 64 entries, 63 are sealed in it");
    }
    SECTION("reordered entries (swapped positions)") {
        f.tamper("UPDATE ledger_seal_entries SET position = 1000 WHERE block_no = 2 AND position = 3; "
                 "UPDATE ledger_seal_entries SET position = 3 WHERE block_no = 2 AND position = 4; "
                 "UPDATE ledger_seal_entries SET position = 4 WHERE block_no = 2 AND position = 1000");
        require_bad(f.verify(), 2, "out of order");
    }
    SECTION("reordered entries (swapped entries, digests left in place)") {
        const std::string a = f.sealed_at(2, 3), b = f.sealed_at(2, 4);
        f.tamper("UPDATE ledger_seal_entries SET entry_id = -1 WHERE entry_id = " + a +
                 "; "
                 "UPDATE ledger_seal_entries SET entry_id = " +
                 a + " WHERE entry_id = " + b +
                 "; "
                 "UPDATE ledger_seal_entries SET entry_id = " +
                 b + " WHERE entry_id = -1");
        require_bad(f.verify(), 2, "entry " + b + " at position 3 (entry or postings) differs");
    }
    SECTION("a removed block") {
        f.tamper("DELETE FROM ledger_seal_blocks WHERE block_no = 2");
        require_bad(f.verify(), 2, "block 2 is missing (the next is block 3)");
    }
    SECTION("a removed block with its seals") {
        f.tamper(
            "DELETE FROM ledger_seal_entries WHERE block_no = 2; DELETE FROM ledger_seal_blocks WHERE block_no = 2");
        require_bad(f.verify(), 2, "is missing");
    }
    SECTION("a removed last block keeping its seals") {
        f.tamper("DELETE FROM ledger_seal_blocks WHERE block_no = 5");
        require_bad(f.verify(), 5, "which does not exist");
    }
    SECTION("an altered block hash") {
        f.tamper("UPDATE ledger_seal_blocks SET hash = repeat('ab', 32) WHERE block_no = 2");
        require_bad(f.verify(), 2, "hash does not match");
    }
    SECTION("an altered link") {
        f.tamper("UPDATE ledger_seal_blocks SET prev_hash = repeat('ab', 32) WHERE block_no = 4");
        require_bad(f.verify(), 4, "prev_hash does not match the hash of block 3");
    }
    SECTION("an altered entry count") {
        f.tamper("UPDATE ledger_seal_blocks SET entry_count = 63 WHERE block_no = 2");
        require_bad(f.verify(), 2, "block says 63 entries, 64 are sealed");
    }
    SECTION("an altered seal time") {
        f.tamper("UPDATE ledger_seal_blocks SET sealed_at = sealed_at - interval '1 day' WHERE block_no = 2");
        require_bad(f.verify(), 2, "hash does not match");
    }
    SECTION("an altered digest") {
        f.tamper("UPDATE ledger_seal_entries SET digest = repeat('cd', 32) WHERE entry_id = " + in_block_2);
        require_bad(f.verify(), 2, "entry " + in_block_2);
    }
    SECTION("two blocks altered: the first is named") {
        f.tamper("UPDATE ledger_entries SET description = 'x' WHERE id IN (" + in_block_3 + ", " + in_block_2 + ")");
        require_bad(f.verify(), 2, "entry " + in_block_2);
    }
    SECTION("the newest block cut off: only an anchor shows it") {
        const std::string h5 = f.db.scalar("SELECT hash FROM ledger_seal_blocks WHERE block_no = 5");
        f.tamper(
            "DELETE FROM ledger_seal_entries WHERE block_no = 5; DELETE FROM ledger_seal_blocks WHERE block_no = 5");
        auto report = f.verify();
        CHECK(report.ok);
        CHECK(report.unsealed_entries == 44); // unsealed again: the lag shows it
        pqxx::work tx(*f.c);
        require_bad(verify_chain(tx, seal_anchor{5, h5}), 5, "is gone");
    }
}

TEST_CASE("seal: concurrent sealers never seal an entry twice or fork the chain", "[pg][ledger][seal]") {
    fixture f;
    constexpr int entries = 600;
    std::atomic<bool> booking_done{false};
    std::atomic<int> sealed_total{0};
    std::vector<std::string> errors(3);

    auto sealer = [&](int n) {
        try {
            auto connection = db::connect(f.db.url());
            for (bool last = false; !last;) {
                last = booking_done.load();
                int sealed = seal_pending(*connection, 40, 8);
                sealed_total += sealed;
                // Idle between empty passes as the server's sealer does: load pacing, not a wait for a condition.
                if (sealed == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        } catch (const std::exception& e) {
            errors[n] = e.what();
        }
    };
    std::thread booker([&] {
        try {
            auto connection = db::connect(f.db.url());
            for (int n = 0; n < entries; n += 5) {
                std::vector<entry_request> requests;
                for (int i = n; i < n + 5; ++i)
                    requests.push_back(transfer("c-" + std::to_string(i), f.bank, f.alice, 1 + i));
                pqxx::work tx(*connection);
                for (const auto& r : book(tx, requests, false, staff)) {
                    if (!std::holds_alternative<entry>(r))
                        throw std::runtime_error("refused: " + std::get<problem>(r).detail());
                }
                tx.commit();
            }
        } catch (const std::exception& e) {
            errors[2] = e.what();
        }
        booking_done = true;
    });
    std::thread s1(sealer, 0), s2(sealer, 1);
    booker.join();
    s1.join();
    s2.join();
    for (const auto& e : errors) CHECK(e.empty());
    while (int sealed = seal_pending(*f.c, 1000)) sealed_total += sealed;

    CHECK(sealed_total.load() == entries);
    CHECK(f.db.scalar("SELECT count(*) FROM ledger_seal_entries") == std::to_string(entries));
    CHECK(f.db.scalar("SELECT sum(entry_count) FROM ledger_seal_blocks") == std::to_string(entries));
    auto report = f.verify();
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.entries_checked == entries);
    CHECK(report.unsealed_entries == 0);
    CHECK(report.blocks_checked >= entries / 8);
}

TEST_CASE("seal: an entry that commits late with a lower id is sealed in a later block", "[pg][ledger][seal]") {
    fixture f;
    auto a_connection = db::connect(f.db.url());

    pqxx::work a(*a_connection);
    const std::int64_t a_id = f.book_one(a, transfer("late", f.other_from, f.other_to, 7));
    const std::int64_t b_id = f.book_many(1).front();
    REQUIRE(a_id < b_id);

    CHECK(seal_pending(*f.c, 100) == 1);
    CHECK(f.block_of(b_id) == 1);
    CHECK(f.lag().unsealed_entries == 0); // A is not committed: nobody can see it yet
    // More entries and seals while A is open: the low-water mark must stay below A.
    const std::int64_t c_id = f.book_many(1).front();
    CHECK(seal_pending(*f.c, 100) == 1);
    CHECK(seal_pending(*f.c, 100) == 0);
    CHECK(f.block_of(c_id) == 2);
    CHECK(f.lag().low_water_id < a_id);

    a.commit();
    auto lag = f.lag();
    CHECK(lag.unsealed_entries == 1);
    CHECK(seal_pending(*f.c, 100) == 1);
    CHECK(f.block_of(a_id) == 3);
    auto report = f.verify();
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.blocks_checked == 3);
    CHECK(report.entries_checked == 3);
    CHECK(report.unsealed_entries == 0);

    // Once nothing older is running, the mark catches up (so the sealer's
    // scan starts near the newest entries, not at the beginning).
    // (A background transaction such as autovacuum's may delay it a little.)
    test::eventually(
        [&] {
            CHECK(seal_pending(*f.c, 100) == 0);
            return f.lag().low_water_id == c_id;
        },
        std::chrono::seconds(10), "the low-water mark to catch up");
}

TEST_CASE("seal: an id taken before its transaction writes anything is not skipped", "[pg][ledger][seal]") {
    // nextval does not always give the transaction an xid; a horizon based on
    // xids would pass this id by. The sealer's fence waits for the transaction.
    fixture f;
    auto a_connection = db::connect(f.db.url());
    pqxx::work a(*a_connection);
    const auto late_id = a.exec1("SELECT nextval('ledger_entries_id_seq')")[0].as<std::int64_t>();

    const std::int64_t b_id = f.book_many(1).front();
    CHECK(seal_pending(*f.c, 100) == 1);
    f.book_many(3);
    CHECK(seal_pending(*f.c, 100) == 3);
    CHECK(seal_pending(*f.c, 100) == 0);
    CHECK(f.lag().low_water_id < late_id);

    const std::string id = std::to_string(late_id);
    a.exec("INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, description, request_id) VALUES (" +
           id + ", 'late-raw', repeat('a', 64), 'posted', 'written late', 'test')");
    a.exec("INSERT INTO ledger_postings VALUES (" + id + ", 0, " + f.bank.str() + ", 'debit', 5, 'EUR'), (" + id +
           ", 1, " + f.alice.str() + ", 'credit', 5, 'EUR')");
    a.commit();
    CHECK(late_id < b_id);
    CHECK(seal_pending(*f.c, 100) == 1);
    CHECK(f.block_of(late_id) == 3);
    auto report = f.verify();
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.entries_checked == 5);
    CHECK(report.unsealed_entries == 0);
}

TEST_CASE("seal: booking is not blocked while a seal transaction is open", "[pg][ledger][seal]") {
    fixture f;
    f.book_many(20);
    std::int64_t hold;
    {
        pqxx::work tx(*f.c);
        hold = f.book_one(tx, transfer("hold", f.bank, f.escrow, 500, entry_kind::pending));
        tx.commit();
    }

    auto sealer_connection = db::connect(f.db.url());
    pqxx::work sealing(*sealer_connection);
    REQUIRE(seal_block(sealing, 1000) == 21); // the hold among them; lock held, not committed

    // Another sealer skips instead of waiting.
    auto other = db::connect(f.db.url());
    const auto started = std::chrono::steady_clock::now();
    CHECK(seal_pending(*other, 100) == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));

    // Posting the hold locks its entry row FOR UPDATE: a sealer that held row
    // locks on entries (a foreign key would) would block this.
    auto booking = std::async(std::launch::async, [&] {
        auto connection = db::connect(f.db.url());
        pqxx::work tx(*connection);
        entry_request post;
        post.idempotency_key = "post-hold";
        post.kind = entry_kind::post_pending;
        post.pending = entry_id{hold};
        std::vector<entry_request> requests{post, transfer("during-seal", f.bank, f.alice, 9)};
        auto results = book(tx, requests, false, staff);
        tx.commit();
        return results; // checked on the test's thread: Catch's assertions are not thread-safe
    });
    const auto status = booking.wait_for(std::chrono::seconds(10));
    CHECK(status == std::future_status::ready);

    sealing.commit();
    for (const auto& r : booking.get()) booked(r);
    CHECK(seal_pending(*other, 100) == 2);
    auto report = f.verify();
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.entries_checked == 23);
}
