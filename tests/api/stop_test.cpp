// Campaigns stopped cleanly (issue 11, item 5): an owner withdraws until the
// deadline, staff cancel with a reason until a loan is disbursed; every hold
// is voided, posted pledges are paid back, allocations return to the fund.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

// A round that selects `project` (approved) and allocates `cost` to it from
// the community fund, which staff fill first.
void allocate(platform& p, const std::string& project, std::int64_t cost, const customer& voter) {
    REQUIRE(p.fund_deposit(cost, "fund-" + project).status == 201);
    auto round = p.new_round({{"title", "Runde " + project}, {"budget_minor", cost}});
    REQUIRE(round.add_project(project, cost).status == 201);
    round.vote_and_allocate(voter, {project});
    REQUIRE(p.state_of(project) == "selected");
}

} // namespace

TEST_CASE("stop: an owner withdraws a campaign until its deadline, and every cent goes back", "[e2e][stop]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    std::string project = p.approved_project(owner, {{"goal_minor", 50'000}});
    allocate(p, project, 20'000, anna);
    CHECK(p.fund_balance() == 0);
    REQUIRE(p.move(project, "open-funding", p.staff).status == 200);
    p.deposit(anna, 5'000);
    p.deposit(ben, 5'000);
    REQUIRE(p.pledge(anna, project, 3'000, "a").status == 201);
    REQUIRE(p.pledge(ben, project, 4'000, "b").status == 201);
    CHECK(p.project(project).json().at("pledged_minor") == 27'000);

    CHECK(p.move(project, "withdraw", anna.token, "w-0").status == 403); // not hers
    auto withdrawn = p.move(project, "withdraw", owner.token, "w-1");
    INFO(withdrawn.body);
    REQUIRE(withdrawn.status == 200);
    CHECK(withdrawn.json().at("state") == "withdrawn");
    CHECK(withdrawn.json().at("pledged_minor") == 0);
    CHECK(withdrawn.json().at("backers") == 0);
    CHECK(p.available(anna) == 5'000);
    CHECK(p.available(ben) == 5'000);
    CHECK(p.fund_balance() == 20'000);
    CHECK(p.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "voided,voided");
    CHECK(problem_slug(p.pledge(anna, project, 1'000, "a-2")) == "project-not-funding");
    // A retry answers as the first time; the stopped project moves no more.
    auto again = p.move(project, "withdraw", owner.token, "w-1");
    CHECK(again.status == 200);
    CHECK(again.header("idempotent-replayed") == "true");
    CHECK(again.body == withdrawn.body);
    CHECK(problem_slug(p.move(project, "withdraw", owner.token, "w-2")) == "project-state");
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project.unwound' AND actor_id = " + owner.id) ==
          "1");
    p.check_books();

    // After its deadline an owner can no longer withdraw: it settles as it stands.
    std::string late = p.open_project(owner, {{"deadline", p.days_from_now(5)}});
    p.pass_deadline(late);
    CHECK(problem_slug(p.move(late, "withdraw", owner.token, "w-3")) == "project-deadline-passed");
    CHECK(p.state_of(late) == "funding");
}

TEST_CASE("stop: staff cancel a funded loan before disbursement, and backers get everything back", "[e2e][stop]") {
    platform p;
    auto borrower = p.register_customer("bora@example.org");
    auto anna = p.register_customer("anna@example.org");
    auto ben = p.register_customer("ben@example.org");
    auto fields = loan_fields(10'000);
    fields["deadline"] = p.days_from_now(10);
    std::string loan = p.open_project(borrower, fields);
    p.deposit(anna, 6'000);
    p.deposit(ben, 4'000);
    REQUIRE(p.pledge(anna, loan, 6'000, "a").status == 201);
    REQUIRE(p.pledge(ben, loan, 4'000, "b").status == 201);
    p.make_due(loan);
    REQUIRE(p.settle(loan, "s").status == 200);
    REQUIRE(p.state_of(loan) == "funded");
    CHECK(p.balance(anna) == 0);

    CHECK(p.move(loan, "cancel", borrower.token, "c-0", "mine").status == 403);
    CHECK(problem_slug(p.move(loan, "cancel", p.staff, "c-1")) == "validation"); // a reason is needed
    auto cancelled = p.move(loan, "cancel", p.staff, "c-2", "Sicherheiten fehlen");
    INFO(cancelled.body);
    REQUIRE(cancelled.status == 200);
    CHECK(cancelled.json().at("state") == "cancelled");
    CHECK(p.balance(anna) == 6'000);
    CHECK(p.balance(ben) == 4'000);
    CHECK(p.balance(borrower) == 0);
    CHECK(p.db.scalar("SELECT coalesce((SELECT credits_posted - debits_posted FROM ledger_accounts "
                      "WHERE code = 'income:fees:EUR'), 0)") == "0"); // the fee went back too
    CHECK(p.db.scalar("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE code = 'escrow:" + loan +
                      ":EUR'") == "0");
    CHECK(p.db.scalar("SELECT string_agg(state::text, ',' ORDER BY id) FROM pledges") == "refunded,refunded");
    CHECK(problem_slug(p.disburse(loan, "d")) == "project-state");
    CHECK(p.db.scalar("SELECT details->>'reason' FROM audit_log WHERE action = 'project.cancel'") ==
          "Sicherheiten fehlen");
    p.check_books();
}

TEST_CASE("stop: what cannot be stopped, approved or opened once its time is over", "[e2e][stop]") {
    platform p;
    auto owner = p.register_customer("owner@example.org");
    auto anna = p.register_customer("anna@example.org");
    p.deposit(anna, 5'000);

    // A funded donation was paid out when it settled.
    std::string paid = p.open_project(owner, {{"goal_minor", 1'000}, {"deadline", p.days_from_now(10)}});
    REQUIRE(p.pledge(anna, paid, 1'000, "a").status == 201);
    p.make_due(paid);
    REQUIRE(p.settle(paid, "s").status == 200);
    auto refused = p.move(paid, "cancel", p.staff, "c-1", "zu spät");
    CHECK(problem_slug(refused) == "project-state");
    CHECK(refused.json().at("state") == "funded");
    CHECK(p.balance(owner) == 980);

    // Past its deadline, a project is neither approved nor opened.
    std::string late = p.draft_project(
        owner, {{"title", "Spät dran"}, {"summary", "x"}, {"goal_minor", 1000}, {"deadline", p.days_from_now(3)}});
    REQUIRE(p.move(late, "submit", owner.token).status == 200);
    REQUIRE(p.move(late, "start-review", p.staff).status == 200);
    std::string approved = p.approved_project(owner, {{"deadline", p.days_from_now(4)}});
    p.pass_deadline(approved);
    auto not_approved = p.move(late, "approve", p.staff);
    CHECK(problem_slug(not_approved) == "project-deadline-passed");
    CHECK(problem_slug(p.move(approved, "open-funding", p.staff)) == "project-deadline-passed");
    CHECK(p.state_of(late) == "in_review");
    CHECK(p.state_of(approved) == "approved");
    p.check_books();
}
