// The model the random histories check the server against
// (tests/support/money_model.hpp), and the printed form of a history: if
// these were wrong, the histories would prove nothing.
#include "support/history.hpp"
#include "support/money_model.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
using model::answer;
using model::parse_time;

namespace {

answer refused(int status, const char* slug) { return {status, slug}; }

// Two backers with money, a donation campaign of 10,000 open for ten days.
model::platform funded_world(const std::string& mode = "all_or_nothing") {
    model::platform m;
    m.now = parse_time("2030-03-04T08:00:00Z");
    m.customers["owner"] = {};
    m.customers["anna"] = {};
    m.customers["ben"] = {};
    m.deposit("anna", 8'000, "EUR");
    m.deposit("ben", 5'000, "EUR");
    model::project p;
    p.owner = "owner";
    p.mode = mode;
    p.goal = 10'000;
    p.deadline = parse_time("2030-03-14T08:00:00Z");
    m.projects["p"] = p;
    return m;
}

model::pledge_request pledge(const std::string& name, const std::string& who, std::int64_t amount) {
    return {name, who, "p", amount, "EUR", false};
}

} // namespace

TEST_CASE("histories model: times read and written as the server answers them", "[histories]") {
    CHECK(model::format_time(parse_time("2030-03-04T09:00:00+01:00")) == "2030-03-04T08:00:00Z");
    CHECK(parse_time("2030-03-04T08:00:00.123456Z") == parse_time("2030-03-04T08:00:00Z"));
    CHECK(model::berlin_offset_s(parse_time("2030-01-15T12:00:00Z")) == 3600);
    CHECK(model::berlin_offset_s(parse_time("2030-07-15T12:00:00Z")) == 7200);
    // Summer time begins on 31 March 2030 at 01:00 UTC and ends on 27 October.
    CHECK(model::berlin_offset_s(parse_time("2030-03-31T00:59:59Z")) == 3600);
    CHECK(model::berlin_offset_s(parse_time("2030-03-31T01:00:00Z")) == 7200);
    CHECK(model::berlin_offset_s(parse_time("2030-10-27T01:00:00Z")) == 3600);
}

TEST_CASE("histories model: the reflection period is four days on the bank's wall clock", "[histories]") {
    auto t = parse_time("2030-03-04T08:00:00Z");
    CHECK(model::local_add_days(t, 4) - t == 96 * 3600);
    // Across the change to summer time: 95 hours; back: 97.
    auto spring = parse_time("2030-03-29T10:00:00Z");
    CHECK(model::local_add_days(spring, 4) - spring == 95 * 3600);
    auto autumn = parse_time("2030-10-25T10:00:00Z");
    CHECK(model::local_add_days(autumn, 4) - autumn == 97 * 3600);
    CHECK_FALSE(model::ambiguous_local_add(spring, 4));
    // 02:30 on 31 March does not exist in Berlin.
    CHECK(model::ambiguous_local_add(parse_time("2030-03-27T01:30:00Z"), 4));
}

TEST_CASE("histories model: a pledge is refused by the first rule it breaks", "[histories]") {
    auto m = funded_world();
    auto at = m.now;
    CHECK(m.place(pledge("g1", "owner", 100), at) == refused(403, "pledge-own-project"));
    CHECK(m.place({"g2", "anna", "p", 100, "CHF", false}, at) == refused(422, "pledge-currency-mismatch"));
    CHECK(m.place({"g3", "anna", "nowhere", 100, "EUR", false}, at) == refused(404, "not-found"));
    m.customers["carl"] = {};
    CHECK(m.place(pledge("g4", "carl", 100), at) == refused(422, "insufficient-funds")); // no wallet yet
    CHECK(m.place(pledge("g5", "anna", 10'001), at) == refused(422, "pledge-above-goal"));
    CHECK(m.place(pledge("g6", "anna", 8'001), at) == refused(422, "insufficient-funds"));
    CHECK(m.pledges.empty());
    CHECK(m.place(pledge("g7", "anna", 8'000), at) == model::success(201));
    CHECK(m.find_wallet("anna", "EUR")->available() == 0);
    CHECK(m.projects.at("p").pledged == 8'000);
    CHECK(m.projects.at("p").backers == 1);
    CHECK(m.projects.at("p").settles_at() == m.projects.at("p").deadline); // the period ends before the deadline
    m.now = m.projects.at("p").deadline;
    CHECK(m.place(pledge("g8", "ben", 100), m.now) == refused(409, "project-not-funding"));
}

TEST_CASE("histories model: revocation only within the reflection period and before the decision", "[histories]") {
    auto m = funded_world();
    auto start = m.now;
    REQUIRE(m.place(pledge("g1", "anna", 3'000), start) == model::success(201));
    CHECK(m.revoke("ben", "g1") == refused(404, "not-found"));
    m.now = start + 4 * 86'400 - 1;
    CHECK(m.revoke("anna", "g1") == model::success(200));
    CHECK(m.revoke("anna", "g1") == model::success(200)); // again: nothing changes
    CHECK(m.find_wallet("anna", "EUR")->held == 0);
    CHECK(m.projects.at("p").pledged == 0);
    CHECK(m.projects.at("p").backers == 0);
    REQUIRE(m.place(pledge("g2", "anna", 3'000), m.now) == model::success(201));
    m.now += 4 * 86'400;
    CHECK(m.revoke("anna", "g2") == refused(409, "pledge-not-revocable"));
}

TEST_CASE("histories model: settlement waits for the last reflection period, then posts or voids", "[histories]") {
    auto m = funded_world();
    m.now = m.projects.at("p").deadline - 86'400; // a pledge a day before the deadline
    REQUIRE(m.place(pledge("g1", "anna", 6'000), m.now) == model::success(201));
    REQUIRE(m.place(pledge("g2", "ben", 4'000), m.now) == model::success(201));
    m.now = m.projects.at("p").deadline + 60;
    CHECK(m.settle("p") == refused(409, "settlement-not-due"));
    CHECK(m.due().empty());
    m.now = m.projects.at("p").settles_at();
    CHECK(m.settle("p") == model::success(200));
    const auto& p = m.projects.at("p");
    CHECK(p.state == "funded");
    CHECK(p.fee == 200); // 2 % of 10,000
    CHECK(m.fees.at("EUR") == 200);
    CHECK(m.find_wallet("owner", "EUR")->balance == 9'800);
    CHECK(m.find_wallet("anna", "EUR")->balance == 2'000);
    CHECK(m.pledges.at("g1").state == model::pledge_state::posted);
    CHECK(m.settle("p") == refused(409, "project-state"));
    CHECK(m.cancel("p") == refused(409, "project-state")); // paid out to its owner
}

TEST_CASE("histories model: a failed campaign voids every hold, keep-it-all keeps what came", "[histories]") {
    auto failed = funded_world();
    REQUIRE(failed.place(pledge("g1", "anna", 6'000), failed.now) == model::success(201));
    failed.now = failed.projects.at("p").settles_at();
    CHECK(failed.settle_due() == std::vector<std::string>{"p"});
    CHECK(failed.projects.at("p").state == "failed");
    CHECK(failed.projects.at("p").pledged == 0);
    CHECK(failed.find_wallet("anna", "EUR")->balance == 8'000);
    CHECK(failed.find_wallet("anna", "EUR")->held == 0);
    CHECK(failed.pledges.at("g1").state == model::pledge_state::voided);

    auto kept = funded_world("keep_it_all");
    REQUIRE(kept.place(pledge("g1", "anna", 6'000), kept.now) == model::success(201));
    kept.now = kept.projects.at("p").settles_at();
    kept.settle_due();
    CHECK(kept.projects.at("p").state == "funded");
    CHECK(kept.find_wallet("owner", "EUR")->balance == 6'000 - 120);
}

TEST_CASE("histories model: loan pledges are held to the investor limits", "[histories]") {
    model::settings s;
    s.owner_limit_minor = 10'000;
    s.project_limit_minor = 7'000;
    model::platform m(s);
    m.now = parse_time("2030-03-04T08:00:00Z");
    for (const char* who : {"owner", "anna", "ben"}) m.customers[who] = {};
    m.customers["carl"] = {false, false};
    for (const char* who : {"anna", "ben", "carl"}) m.deposit(who, 50'000, "EUR");
    for (const char* name : {"a", "b"}) {
        model::project p;
        p.owner = "owner";
        p.kind = "loan";
        p.goal = 20'000;
        p.deadline = m.now + 86'400;
        m.projects[name] = p;
    }
    CHECK(m.place({"g0", "carl", "a", 100, "EUR", false}, m.now) == refused(403, "risk-knowledge-test-required"));
    CHECK(m.place({"g1", "anna", "a", 7'001, "EUR", false}, m.now) == refused(422, "risk-investor-project-limit"));
    CHECK(m.place({"g2", "anna", "a", 6'000, "EUR", false}, m.now) == model::success(201));
    // The owner's second loan counts the first's pledges.
    CHECK(m.place({"g3", "ben", "b", 4'001, "EUR", false}, m.now) == refused(422, "risk-owner-limit"));
    CHECK(m.place({"g4", "ben", "b", 4'000, "EUR", false}, m.now) == model::success(201));
    CHECK(m.raised_by_owner("owner") == 10'000);
}

TEST_CASE("histories model: loan schedules by the rules of docs/decisions.md", "[histories]") {
    auto total = [](const model::instalment& i) { return i.principal + i.interest; };
    // The worked example there: 1,000.00 at 20 % over 360 months pays 16.71 a
    // month and 23.93 in the last.
    auto long_one = model::loan_schedule(100'000, 2'000, 360, "annuity");
    REQUIRE(long_one.size() == 360);
    CHECK(total(long_one[0]) == 1'671);
    CHECK(long_one[0].interest == 1'667); // 100000 × 2000 / 120000 = 1666.67, half up
    CHECK(total(long_one[358]) == 1'671);
    CHECK(total(long_one[359]) == 2'393);
    // 1,200.00 at 5 % over 12 months: the payment 102.73 (102.7290…), the
    // first month's interest 5.00, the principal repaid exactly.
    auto year = model::loan_schedule(120'000, 500, 12, "annuity");
    REQUIRE(year.size() == 12);
    CHECK(total(year[0]) == 10'273);
    CHECK(year[0].interest == 500);
    CHECK(year[1].interest == 459); // (120000 − 9773) × 500 / 120000 = 459.28…
    std::int64_t repaid = 0;
    for (const auto& i : year) repaid += i.principal;
    CHECK(repaid == 120'000);
    // Interest-free, and equal principal: floor(P / n), the first P mod n a cent more.
    auto free = model::loan_schedule(1'000, 0, 3, "annuity");
    REQUIRE(free.size() == 3);
    CHECK((free[0].principal == 334 && free[1].principal == 333 && free[2].principal == 333));
    CHECK((free[0].interest == 0 && free[2].interest == 0));
    auto equal = model::loan_schedule(10'001, 1'200, 4, "equal_principal");
    REQUIRE(equal.size() == 4);
    CHECK((equal[0].principal == 2'501 && equal[1].principal == 2'500 && equal[3].principal == 2'500));
    CHECK(equal[0].interest == 100); // 10001 × 1 % = 100.01
    CHECK(equal[1].interest == 75);  // 7500 × 1 %
    CHECK(model::loan_schedule(5'000, 999, 1, "annuity")[0].principal == 5'000);
}

TEST_CASE("histories model: pro-rata splits hand the leftover cents by largest remainder", "[histories]") {
    CHECK(model::split_largest_remainder(100, {1, 1, 1}) == std::vector<std::int64_t>{34, 33, 33});
    CHECK(model::split_largest_remainder(10, {1, 2}) == std::vector<std::int64_t>{3, 7}); // 3.33, 6.67
    CHECK(model::split_largest_remainder(1, {5, 5}) == std::vector<std::int64_t>{1, 0});  // a tie: the lower index
    CHECK(model::split_largest_remainder(0, {5, 5}) == std::vector<std::int64_t>{0, 0});
}

TEST_CASE("histories model: a loan repaid interest first, split over its lenders, then defaulted", "[histories]") {
    model::settings s;
    s.fee_bp = 0;
    model::platform m(s);
    m.now = parse_time("2030-03-04T08:00:00Z");
    m.customers["owner"] = {true, false, 3};
    m.customers["anna"] = {true, false, 2};
    m.customers["ben"] = {true, false, 1};
    m.deposit("anna", 50'000, "EUR");
    m.deposit("ben", 50'000, "EUR");
    model::project p;
    p.owner = "owner";
    p.kind = "loan";
    p.goal = 3'000;
    p.rate_bp = 1'200; // 1 % a month
    p.term_months = 2;
    p.deadline = m.now + 86'400;
    m.projects["p"] = p;
    REQUIRE(m.place({"g1", "anna", "p", 2'000, "EUR", false}, m.now) == model::success(201));
    REQUIRE(m.place({"g2", "ben", "p", 1'000, "EUR", false}, m.now) == model::success(201));
    CHECK(m.disburse("p") == refused(409, "project-state")); // not funded yet
    CHECK(m.repay("owner", "p", 100) == refused(404, "not-found"));
    m.now = m.projects.at("p").settles_at();
    REQUIRE(m.settle("p") == model::success(200));
    REQUIRE(m.disburse("p") == model::success(201));
    CHECK(m.find_wallet("owner", "EUR")->balance == 3'000);
    const auto& l = m.loans.at("p");
    // Lenders in the order of their user ids: ben (1), then anna (2).
    REQUIRE(l.lenders.size() == 2);
    CHECK((l.lenders[0].who == "ben" && l.lenders[0].share == 1'000));
    CHECK((l.lenders[1].who == "anna" && l.lenders[1].share == 2'000));
    // 30.00 of interest first: 10.00 to ben, 20.00 to anna; then 1.00 of
    // principal, split 0.33 / 0.67 by what each is still owed.
    CHECK(l.schedule[0].interest == 30);
    CHECK(m.repay("anna", "p", 31) == refused(404, "not-found"));
    CHECK(m.repay("owner", "p", 100'000) == refused(422, "repayment-exceeds-owed"));
    REQUIRE(m.repay("owner", "p", 31) == model::success(201));
    CHECK((l.lenders[0].interest_received == 10 && l.lenders[1].interest_received == 20));
    CHECK((l.lenders[0].principal_received == 0 && l.lenders[1].principal_received == 1));
    CHECK(l.schedule[0].interest_paid == 30);
    CHECK(l.schedule[0].principal_paid == 1);
    CHECK(m.find_wallet("owner", "EUR")->balance == 3'000 - 31);
    CHECK(m.projects.at("p").state == "repaying");
    CHECK(m.mark_defaulted("p") == model::success(200));
    CHECK(m.repay("owner", "p", 10) == refused(409, "loan-state"));
    CHECK(m.mark_defaulted("p") == refused(409, "loan-state"));
}

TEST_CASE("histories: a printed history reads back as it was, NUL bytes included", "[histories]") {
    history::recorded h;
    h.cfg = history::config_for(42, {});
    h.cfg.ops = {"pledge", "revoke"};
    h.steps.push_back({7, "pledge", {{"who", "c1"}, {"currency", std::string("E\0R", 3)}, {"amount", "\"100\""}}, {}});
    history::step burst{8, "burst", {{"fault", "kill:1"}}, {}};
    burst.parts.push_back({8, "revoke", {{"who", "c2"}, {"pledge", "g7"}, {"key", "k8.0"}}, {}});
    burst.parts.push_back({8, "deposit", {{"who", "c 3"}, {"amount", "5"}, {"key", "k8.1"}}, {}});
    h.steps.push_back(burst);
    auto again = history::parse(history::print(h));
    CHECK(history::print(again) == history::print(h));
    REQUIRE(again.steps.size() == 2);
    CHECK(again.steps[0].arg("currency") == std::string("E\0R", 3));
    CHECK(again.steps[1].parts.size() == 2);
    CHECK(again.steps[1].parts[1].arg("who") == "c 3");
    CHECK(again.cfg.ops == h.cfg.ops);
    CHECK(again.cfg.fee_bp == h.cfg.fee_bp);
}

TEST_CASE("histories: the generator makes the same history from the same seed", "[histories]") {
    auto cfg = history::config_for(7, {});
    history::generator a(cfg), b(cfg);
    model::platform m;
    m.customers["c0"] = {};
    m.customers["c1"] = {};
    auto first = a.opening(), second = b.opening();
    for (int n = 0; n < 30; ++n) {
        first.push_back(a.next(m, n + 100));
        second.push_back(b.next(m, n + 100));
    }
    CHECK(history::print({cfg, first}) == history::print({cfg, second}));
}
