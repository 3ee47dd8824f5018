// Settlement through the domain's own functions (core/platform/settlement.hpp):
// the fee (pure), a campaign settled by staff or by the job, funded or
// failed, refused while it is not due, and set aside when its books disagree.
#include "support/domain_world.hpp"

#include "platform/settlement.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace schwarm;
using namespace schwarm::test;
using namespace schwarm::test::domain;

TEST_CASE("settlement fee: floor(raised × bp / 10000), never above what was raised", "[platform][settlement]") {
    using settlement::fee_of;
    CHECK(fee_of(10'000, 200) == 200); // 2 % of 100.00
    CHECK(fee_of(12'345, 200) == 246); // 246.9 rounds down
    CHECK(fee_of(149, 200) == 2);      // 2.98
    CHECK(fee_of(49, 200) == 0);       // 0.98: a fee below one cent is none
    CHECK(fee_of(6, 200) == 0);
    CHECK(fee_of(1, 10'000) == 1); // 100 %
    // The cap: a fee above 100 % takes no more than everything.
    CHECK(fee_of(500, 20'000) == 500);
    CHECK(fee_of(1, 1'000'000) == 1);
    // Nothing raised, no fee, or nonsense: nothing.
    CHECK(fee_of(0, 200) == 0);
    CHECK(fee_of(-100, 200) == 0);
    CHECK(fee_of(10'000, 0) == 0);
    CHECK(fee_of(10'000, -200) == 0);
    // raised × bp would overflow 64 bits; the fee does not.
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    CHECK(fee_of(max, 200) == 184'467'440'737'095'516);
    CHECK(fee_of(max, 9'999) == 9'222'449'699'651'090'329);
    CHECK(fee_of(max, 10'000) == max); // the configuration's most (SCHWARM_PLATFORM_FEE_BP is 0 to 10000)
}

namespace {

const settlement::settings fee_2_percent{200, 5000};

settlement::progress settle_now(world& w, projects::project_id id, const settlement::settings& s = fee_2_percent) {
    pqxx::work tx(*w.connection);
    auto out = settlement::settle_now(tx, id, s, w.as(w.staff));
    tx.commit();
    return out;
}

std::optional<settlement::progress> settle_next(world& w, const settlement::settings& s = fee_2_percent) {
    return settlement::settle_next(*w.connection, s, "test-job");
}

void require_held(const pledges::result& r) {
    INFO(outcome_of(r));
    REQUIRE(outcome_of(r) == "held");
}

} // namespace

TEST_CASE("settlement: a met goal posts every hold, books the fee and pays the owner, once",
          "[pg][platform][settlement]") {
    world w;
    auto owner = w.customer("owner@example.org");
    auto anna = w.customer("anna@example.org");
    auto ben = w.customer("ben@example.org");
    auto project = w.funding_project(owner);
    w.deposit(anna, 8'000);
    w.deposit(ben, 5'000);
    require_held(w.pledge(anna, project, 6'000, "a"));
    require_held(w.pledge(ben, project, 4'000, "b"));
    w.make_due(project);

    auto done = settle_now(w, project);
    CHECK(done.outcome == "funded");
    CHECK(done.resolved == 2);
    CHECK(done.finished);
    CHECK_FALSE(done.set_aside);
    CHECK(w.column(project, "state") == "funded");
    CHECK(w.column(project, "fee_minor") == "200");
    CHECK(w.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "posted,posted");
    CHECK(w.wallet(anna).balance_minor == 2'000);
    CHECK(w.wallet(anna).held_minor == 0);
    CHECK(w.wallet(ben).balance_minor == 1'000);
    CHECK(w.wallet(owner).balance_minor == 9'800);
    CHECK(w.credit_balance({accounts::role::fee_income, 0, "EUR"}) == 200);
    CHECK(w.credit_balance({accounts::role::escrow, project.value, "EUR"}) == 0);
    CHECK(w.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.settlement_decided'") == "1");

    // Never twice: the project is no longer in funding.
    auto twice = caught([&] { settle_now(w, project); });
    CHECK(twice.is(projects::problems::illegal_transition));
    CHECK(twice.extension("state") == "funded");
    CHECK(w.credit_balance({accounts::role::fee_income, 0, "EUR"}) == 200);
    w.check_books();
}

TEST_CASE("settlement: a missed goal voids every hold and moves no money", "[pg][platform][settlement]") {
    world w;
    auto owner = w.customer("owner@example.org");
    auto anna = w.customer("anna@example.org");
    auto ben = w.customer("ben@example.org");
    auto project = w.funding_project(owner);
    w.deposit(anna, 8'000);
    w.deposit(ben, 5'000);
    require_held(w.pledge(anna, project, 6'000, "a"));
    require_held(w.pledge(ben, project, 3'999, "b"));
    w.make_due(project);

    auto done = settle_now(w, project);
    CHECK(done.outcome == "failed");
    CHECK(done.resolved == 2);
    CHECK(done.finished);
    CHECK(w.column(project, "state") == "failed");
    CHECK(w.column(project, "fee_minor") == "0");
    CHECK(w.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "voided,voided");
    CHECK(w.wallet(anna).available_minor == 8'000);
    CHECK(w.wallet(ben).available_minor == 5'000);
    CHECK(w.wallet(owner).balance_minor == 0);
    CHECK(w.credit_balance({accounts::role::fee_income, 0, "EUR"}) == 0);
    w.check_books();
}

TEST_CASE("settlement: not due before the deadline, nor while a reflection period runs", "[pg][platform][settlement]") {
    world w;
    auto owner = w.customer("owner@example.org");
    auto anna = w.customer("anna@example.org");
    auto project = w.funding_project(owner);
    w.deposit(anna, 10'000);
    auto not_due = [&] {
        auto p = caught([&] { settle_now(w, project); });
        CHECK(p.is(settlement::problems::not_due));
        CHECK(p.extension("settles_at") == w.db.scalar("SELECT to_char(settles_at AT TIME ZONE 'UTC', "
                                                       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM projects"));
        return p.detail();
    };
    CHECK(not_due() == "The campaign runs until its deadline");

    // Anna pledges the whole goal a day before the deadline: her four days run past it.
    w.db.travel_to(w.db.scalar("SELECT deadline - interval '1 day' FROM projects WHERE id = " + project.str()));
    require_held(w.pledge(anna, project, 10'000, "a"));
    w.db.travel_to(w.db.scalar("SELECT deadline + interval '1 second' FROM projects WHERE id = " + project.str()));
    CHECK(not_due().find("(the reflection period)") != std::string::npos);
    CHECK(w.column(project, "state") == "funding");
    CHECK(w.db.scalar("SELECT state FROM pledges") == "held");
    // Nor does the job take it early.
    CHECK_FALSE(settle_next(w).has_value());

    w.make_due(project);
    CHECK(settle_now(w, project).outcome == "funded");
}

TEST_CASE("settlement job: the next due campaign, chunk by chunk, then nothing", "[pg][platform][settlement]") {
    world w;
    auto owner = w.customer("owner@example.org");
    auto anna = w.customer("anna@example.org");
    auto ben = w.customer("ben@example.org");
    auto project = w.funding_project(owner);
    w.deposit(anna, 10'000);
    w.deposit(ben, 10'000);
    require_held(w.pledge(anna, project, 5'000, "a"));
    require_held(w.pledge(ben, project, 5'000, "b"));
    CHECK_FALSE(settle_next(w).has_value()); // not due yet
    w.make_due(project);

    // One hold per chunk: two chunks post one each, a third finds none
    // left and finishes (fee, payout, state).
    const settlement::settings one_per_chunk{200, 1};
    auto first = settle_next(w, one_per_chunk);
    REQUIRE(first);
    CHECK(first->project == project);
    CHECK(first->outcome == "funded");
    CHECK(first->resolved == 1);
    CHECK_FALSE(first->finished);
    CHECK(w.column(project, "settlement") == "funded"); // decided in the first chunk, once
    CHECK(w.column(project, "state") == "funding");
    CHECK(w.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "posted,held");
    auto second = settle_next(w, one_per_chunk);
    REQUIRE(second);
    CHECK(second->resolved == 1);
    CHECK_FALSE(second->finished);
    auto third = settle_next(w, one_per_chunk);
    REQUIRE(third);
    CHECK(third->resolved == 0);
    CHECK(third->finished);
    CHECK(w.column(project, "state") == "funded");
    CHECK(w.wallet(owner).balance_minor == 9'800);
    CHECK_FALSE(settle_next(w, one_per_chunk).has_value());
    CHECK(w.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.settlement_decided'") == "1");
    w.check_books();
}

TEST_CASE("settlement: books that disagree with themselves are set aside, the others settle, a repair retries",
          "[pg][platform][settlement]") {
    world w;
    auto owner = w.customer("owner@example.org");
    auto anna = w.customer("anna@example.org");
    auto broken = w.funding_project(owner, [](projects::fields& f) { f.goal_minor = 1'000; });
    auto healthy = w.funding_project(owner, [](projects::fields& f) { f.title = "Schulgarten"; });
    w.deposit(anna, 10'000);
    require_held(w.pledge(anna, healthy, 10'000, "a"));
    // Its counter says 10.00 EUR were pledged; its escrow holds nothing.
    w.db.exec("UPDATE projects SET pledged_minor = pledged_minor + 1000 WHERE id = " + broken.str());
    w.make_due(healthy);

    // Staff settling it now: the invariant refuses, nothing commits.
    CHECK_THROWS_AS(settle_now(w, broken), invariant_violation);
    CHECK(w.column(broken, "settlement") == "");

    // The job: due first, it is set aside with its reason, and the healthy one settles next.
    auto aside = settle_next(w);
    REQUIRE(aside);
    CHECK(aside->project == broken);
    CHECK(aside->set_aside);
    CHECK(aside->outcome.empty());
    CHECK_FALSE(aside->finished);
    CHECK(w.column(broken, "state") == "funding");
    {
        pqxx::nontransaction tx(*w.connection);
        auto waiting = projects::settlements_pending(tx, true, std::nullopt, 10);
        REQUIRE(waiting.size() == 1);
        CHECK(waiting[0].id == broken);
        REQUIRE(waiting[0].error);
        CHECK(waiting[0].error->find("escrow holds 0 but its pledges and allocations count 1000") != std::string::npos);
        CHECK(waiting[0].attempts == 1);
        CHECK(waiting[0].retry_at.has_value());
    }
    CHECK(w.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.settlement_set_aside'") == "1");
    auto next = settle_next(w);
    REQUIRE(next);
    CHECK(next->project == healthy);
    CHECK(next->outcome == "funded");
    CHECK(next->finished);
    CHECK_FALSE(settle_next(w).has_value()); // the broken one waits for its retry

    // Repaired, it settles at its next try (a minute later, on the platform clock).
    w.db.exec("UPDATE projects SET pledged_minor = 0 WHERE id = " + broken.str());
    CHECK_FALSE(settle_next(w).has_value());
    w.db.travel_by(61);
    auto retried = settle_next(w);
    REQUIRE(retried);
    CHECK(retried->project == broken);
    CHECK(retried->outcome == "failed");
    CHECK(retried->finished);
    CHECK(w.column(broken, "settlement_error") == "");
    CHECK(w.column(broken, "state") == "failed");
    w.check_books();
}
