// The bureau's circuit breaker against a real database: its states, moved by
// the platform clock, and that processes (here: connections) share it.
#include "risk/circuit.hpp"
#include "support/support.hpp"

#include "base/db.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace schwarm;
using namespace schwarm::test;
using std::chrono::milliseconds;
using state = risk::circuit::state;

TEST_CASE("circuit: opens after N consecutive failures, fails fast, one half-open trial, closes on success",
          "[pg][risk]") {
    database db;
    auto c = db::connect(db.url());
    risk::circuit b("webhook", 3, milliseconds(1000), milliseconds(5000));
    CHECK(b.allow(*c));
    b.failed(*c);
    b.failed(*c);
    b.succeeded(*c); // consecutive failures only
    b.failed(*c);
    b.failed(*c);
    CHECK(b.current(*c) == state::closed);
    CHECK(b.allow(*c));
    b.failed(*c);
    CHECK(b.current(*c) == state::open);
    CHECK_FALSE(b.allow(*c));

    db.travel_by(1);
    CHECK(b.current(*c) == state::half_open);
    CHECK(b.allow(*c));       // the trial
    CHECK_FALSE(b.allow(*c)); // only one
    b.failed(*c);             // opens again, for another cool-down
    CHECK(b.current(*c) == state::open);
    CHECK_FALSE(b.allow(*c));

    db.travel_by(1);
    CHECK(b.allow(*c));
    b.succeeded(*c);
    CHECK(b.current(*c) == state::closed);
    CHECK(b.allow(*c));
    CHECK(b.allow(*c));
    CHECK(db.scalar("SELECT failures FROM provider_circuits WHERE provider = 'webhook'") == "0");
}

TEST_CASE("circuit: a trial whose caller never reports lapses after its lease", "[pg][risk]") {
    database db;
    auto c = db::connect(db.url());
    risk::circuit b("webhook", 1, milliseconds(1000), milliseconds(3000));
    b.failed(*c);
    db.travel_by(1);
    REQUIRE(b.allow(*c)); // the trial goes out; its process dies
    db.travel_by(2);
    CHECK_FALSE(b.allow(*c)); // the lease (3 s) runs
    db.travel_by(2);
    CHECK(b.allow(*c)); // a new trial
}

TEST_CASE("circuit: processes share it, and of many racing for the trial exactly one wins", "[pg][risk]") {
    database db;
    auto first = db::connect(db.url());
    auto second = db::connect(db.url());
    risk::circuit in_first("webhook", 2, milliseconds(1000), milliseconds(5000));
    risk::circuit in_second("webhook", 2, milliseconds(1000), milliseconds(5000));
    in_first.failed(*first);
    in_second.failed(*second); // the second failure in a row, counted across processes
    CHECK(in_first.current(*first) == state::open);
    CHECK_FALSE(in_second.allow(*second));
    CHECK(in_second.allow(*db::connect(db.url())) == false);

    db.travel_by(1);
    constexpr int racers = 8;
    std::atomic<int> trials{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < racers; ++i) {
        threads.emplace_back([&] {
            auto mine = db::connect(db.url());
            risk::circuit b("webhook", 2, milliseconds(1000), milliseconds(5000));
            if (b.allow(*mine)) ++trials;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(trials == 1);
    in_second.succeeded(*second);
    CHECK(in_first.allow(*first));
}

TEST_CASE("circuit: each provider has its own", "[pg][risk]") {
    database db;
    auto c = db::connect(db.url());
    risk::circuit bureau("webhook", 1, milliseconds(1000), milliseconds(5000));
    risk::circuit other("other", 1, milliseconds(1000), milliseconds(5000));
    bureau.failed(*c);
    CHECK_FALSE(bureau.allow(*c));
    CHECK(other.allow(*c));
    CHECK(other.current(*c) == state::closed);
}
