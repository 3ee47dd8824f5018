// The rule family by its definitions: small elections whose outcome is derived by hand in
// the comments, refusals, and the greedy family against a from-the-definition reference.
#include "voting_support.hpp"

#include <algorithm>
#include <optional>
#include <random>

using namespace voting_test;

namespace {

rule_spec greedy_spec(method m = method::greedy) {
    rule_spec spec;
    spec.method_ = m;
    return spec;
}

rule_spec mes_spec(completion c = completion::none, utility u = utility::cost) {
    rule_spec spec;
    spec.method_ = method::mes;
    spec.utility_ = u;
    spec.completion_ = c;
    return spec;
}

outcome outcome_of(const tally_result& r, std::uint32_t project) { return r.projects_.at(project).outcome_; }

} // namespace

// ---------------------------------------------------------------- greedy family

TEST_CASE("greedy-no-skip stops at the first project that does not fit", "[voting][rules]") {
    // Budget 100. A (60) has 3 votes, B (50) 2, C (30) 1. Greedy: A, then B does not fit
    // the 40 left and is skipped, C fits: {A, C}. No-skip stops at B: {A}.
    const election_input input = make_input(100, {60, 50, 30}, {{{0, 1}, {1, 1}, {2, 1}}, {{0, 1}, {1, 1}}, {{0, 1}}});
    const tally_result skip = tally(input, greedy_spec());
    CHECK(selected_order(skip) == std::vector<std::string>{"A", "C"});
    CHECK(outcome_of(skip, 1) == outcome::does_not_fit);
    const tally_result stop = tally(input, greedy_spec(method::greedy_no_skip));
    CHECK(selected_order(stop) == std::vector<std::string>{"A"});
    CHECK(outcome_of(stop, 1) == outcome::does_not_fit);
    CHECK(outcome_of(stop, 2) == outcome::not_reached);
    CHECK(stop.projects_[2].reason_.find("stopped at B") != std::string::npos);
}

TEST_CASE("a score threshold takes projects below it out of the count", "[voting][rules]") {
    // Cumulative points, budget 130. A (50): 3 + 2 = 5 points from 2 voters; B (40): 4
    // points from 1 voter; C (30): 1 + 1 = 2 points from 2 voters. All fit together (120).
    const election_input input = make_input(130, {50, 40, 30}, {{{0, 3}}, {{0, 2}, {2, 1}}, {{1, 4}, {2, 1}}});
    rule_spec spec = greedy_spec();
    CHECK(selected_ids(tally(input, spec)) == std::set<std::string>{"A", "B", "C"});
    // At least 4 points: B with exactly 4 stays, C (2) goes.
    spec.eligibility_.min_points_ = 4;
    tally_result r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"A", "B"});
    CHECK(outcome_of(r, 2) == outcome::below_min_points);
    CHECK(r.projects_[2].reason_ == "2 points, below the threshold of 4");
    // At least 5 points: only A.
    spec.eligibility_.min_points_ = 5;
    CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"A"});
    // At least 2 approvals: B (1 voter) goes, C (2 voters) stays.
    spec.eligibility_.min_points_ = 0;
    spec.eligibility_.min_votes_ = 2;
    r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"A", "C"});
    CHECK(outcome_of(r, 1) == outcome::below_min_votes);
}

TEST_CASE("Świecie's rule drops a project whose share of voters is below cost / (3 x budget)", "[voting][rules]") {
    // Budget 1200, 4 voters (one casts an empty ballot: still a voter). Each project has 1
    // vote, a share of 1/4. A (1200) needs 1/3 x 1200/1200 = 1/3: dropped. B (900) needs
    // exactly 1/4: stays (the rule drops only below). C (300) needs 1/12: stays. Without
    // the rule greedy takes A (first in the file among equal votes) and nothing else fits.
    const election_input input = make_input(1200, {1200, 900, 300}, {{{0, 1}}, {{1, 1}}, {{2, 1}}, {}});
    rule_spec spec = greedy_spec();
    CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"A"});
    spec.eligibility_.min_share_per_cost_ = rational{1, 3};
    const tally_result r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"B", "C"});
    CHECK(outcome_of(r, 0) == outcome::below_share_of_cost);
    // Had the empty ballot not counted (3 voters), A's share 1/3 would have kept it.
}

TEST_CASE("a withdrawn project takes no part in greedy or MES", "[voting][rules]") {
    // 3 voters, budget 300 (100 each), approval utility. X (240) by all, Y (50) by voter
    // 1. With Y withdrawn, X costs 80 each: rho 80.
    const election_input input = make_input(300, {240, 50}, {{{0, 1}, {1, 1}}, {{0, 1}}, {{0, 1}}});
    rule_spec spec = mes_spec(completion::none, utility::approval);
    spec.eligibility_.withdrawn_ = {1};
    const tally_result r = tally(input, spec);
    REQUIRE(selected_order(r) == std::vector<std::string>{"A"});
    CHECK(r.selected_[0].rho_ == 80);
    CHECK(outcome_of(r, 1) == outcome::withdrawn);
    rule_spec greedy = greedy_spec();
    greedy.eligibility_.withdrawn_ = {0};
    CHECK(selected_order(tally(input, greedy)) == std::vector<std::string>{"B"});
}

TEST_CASE("of an exclusive group only the better-ranked project takes part", "[voting][rules]") {
    // A (60) 3 votes, B (30) 2 votes, C (50) 1 vote; A and B cannot both be built.
    const std::vector<std::vector<ballot_entry>> ballots{{{0, 1}, {1, 1}, {2, 1}}, {{0, 1}, {1, 1}}, {{0, 1}}};
    rule_spec spec = greedy_spec();
    spec.eligibility_.exclusive_groups_ = {{0, 1}};
    SECTION("budget 110: A, then C in the 50 left; B never takes part") {
        // Without the group greedy takes A and B (90) and C no longer fits.
        CHECK(selected_order(tally(make_input(110, {60, 30, 50}, ballots), greedy_spec())) ==
              std::vector<std::string>{"A", "B"});
        const tally_result r = tally(make_input(110, {60, 30, 50}, ballots), spec);
        CHECK(selected_order(r) == std::vector<std::string>{"A", "C"});
        CHECK(outcome_of(r, 1) == outcome::excluded_by_group);
    }
    SECTION("budget 50: A does not fit, and B is still out") {
        // Without the group: A skipped, B (30), C (50 > 20) skipped: {B}.
        CHECK(selected_order(tally(make_input(50, {60, 30, 50}, ballots), greedy_spec())) ==
              std::vector<std::string>{"B"});
        CHECK(selected_order(tally(make_input(50, {60, 30, 50}, ballots), spec)) == std::vector<std::string>{"C"});
    }
    SECTION("a group whose best two tie is refused when ties are refused") {
        // A and B both 2 votes, same cost: nothing decides which one takes part.
        const election_input tied = make_input(100, {40, 40}, {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}});
        rule_spec strict = spec;
        strict.ties_.refuse_unresolved_ = true;
        CHECK_THROWS_AS(tally(tied, strict), unresolved_tie);
        // Without refusal the one listed first stays, and the tie is written down.
        const tally_result r = tally(tied, spec);
        CHECK(selected_order(r) == std::vector<std::string>{"A"});
        REQUIRE(r.ties_.size() == 1);
        CHECK(r.ties_[0].projects_ == std::vector<std::string>{"A", "B"});
    }
}

TEST_CASE("greedy ties in points follow the criteria in order, then the file, or are refused", "[voting][rules]") {
    // Cumulative. A (60): 2 + 2 points from 2 voters; B (50): 4 points from 1 voter. Both
    // have 4 points; budget 100 takes only one.
    const election_input input = make_input(100, {60, 50}, {{{0, 2}}, {{0, 2}}, {{1, 4}}});
    const auto winner = [&](std::vector<tie_criterion> criteria, std::vector<std::uint32_t> order = {}) {
        rule_spec spec = greedy_spec();
        spec.ties_.criteria_ = std::move(criteria);
        spec.ties_.order_ = std::move(order);
        return selected_order(tally(input, spec));
    };
    CHECK(winner({tie_criterion::max_votes}) == std::vector<std::string>{"A"}); // 2 voters against 1
    CHECK(winner({tie_criterion::min_cost}) == std::vector<std::string>{"B"});
    CHECK(winner({tie_criterion::max_cost}) == std::vector<std::string>{"A"});
    CHECK(winner({tie_criterion::listed_order}, {1, 0}) == std::vector<std::string>{"B"});
    // Criteria apply in order: max-points ties (4 and 4), so min-cost decides.
    CHECK(winner({tie_criterion::max_points, tie_criterion::min_cost}) == std::vector<std::string>{"B"});
    SECTION("no criterion: the file's order, written down") {
        rule_spec spec = greedy_spec();
        const tally_result r = tally(input, spec);
        CHECK(selected_order(r) == std::vector<std::string>{"A"});
        REQUIRE(r.ties_.size() == 1);
        CHECK(r.ties_[0].projects_ == std::vector<std::string>{"A", "B"});
        spec.ties_.refuse_unresolved_ = true;
        CHECK_THROWS_AS(tally(input, spec), unresolved_tie);
        spec.ties_.criteria_ = {tie_criterion::max_votes};
        CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"A"});
    }
    SECTION("a tie whose order changes nothing is no reason to refuse") {
        rule_spec spec = greedy_spec();
        spec.ties_.refuse_unresolved_ = true;
        // Budget 200: both fit, in either order.
        election_input roomy = input;
        roomy.budget_minor_ = 200;
        const tally_result r = tally(roomy, spec);
        CHECK(selected_ids(r) == std::set<std::string>{"A", "B"});
        CHECK(r.ties_.empty());
        // Budget 55: only B fits, in either order.
        election_input tight = input;
        tight.budget_minor_ = 55;
        CHECK(selected_order(tally(tight, spec)) == std::vector<std::string>{"B"});
        // No-skip with budget 40: neither fits, it stops either way.
        spec.method_ = method::greedy_no_skip;
        tight.budget_minor_ = 40;
        CHECK(tally(tight, spec).selected_.empty());
        // No-skip with budget 55: B first selects B, A first stops at once: refused.
        tight.budget_minor_ = 55;
        CHECK_THROWS_AS(tally(tight, spec), unresolved_tie);
    }
}

// ---------------------------------------------------------------- MES options

TEST_CASE("MES ties on rho follow the criteria, an explicit order, or are refused", "[voting][rules]") {
    // Approval utility, 3 voters, budget 300: 100 each. A (200) by voters 1 and 2, B (100)
    // by voter 3: both cost their supporters 100 a head, rho 100. Both get bought; the
    // tie decides the order.
    const election_input input = make_input(300, {200, 100}, {{{0, 1}}, {{0, 1}}, {{1, 1}}});
    const auto order = [&](std::vector<tie_criterion> criteria, std::vector<std::uint32_t> listed = {}) {
        rule_spec spec = mes_spec(completion::none, utility::approval);
        spec.ties_.criteria_ = std::move(criteria);
        spec.ties_.order_ = std::move(listed);
        spec.ties_.refuse_unresolved_ = true;
        return selected_order(tally(input, spec));
    };
    CHECK(order({tie_criterion::max_votes}) == std::vector<std::string>{"A", "B"});
    CHECK(order({tie_criterion::min_cost}) == std::vector<std::string>{"B", "A"});
    CHECK(order({tie_criterion::max_cost}) == std::vector<std::string>{"A", "B"});
    CHECK(order({tie_criterion::listed_order}, {1}) == std::vector<std::string>{"B", "A"});
    CHECK_THROWS_AS(order({}), unresolved_tie);
    CHECK_THROWS_WITH(order({}), Catch::Contains("A, B") && Catch::Contains("mes step 1"));
    // Without refusal: the one listed first, and the tie is written down.
    rule_spec spec = mes_spec(completion::none, utility::approval);
    const tally_result r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"A", "B"});
    REQUIRE(r.ties_.size() == 1);
    CHECK(r.ties_[0].context_.find("mes step 1") != std::string::npos);
}

TEST_CASE("MES completions: none, utilitarian, add1 and its options, add1u", "[voting][rules]") {
    // Whole currency units (x100 minor). Budget 300.50, 3 voters. Ballots: voter 1 {A, C},
    // voter 2 {A, C}, voter 3 {B, C}. A costs 200, B 150, C 90. Cost utility: rho is
    // 1/(supporters) while nobody is capped, so C (3 supporters) goes first, each paying
    // 30. From a per-voter budget b: A needs its 2 supporters to have 200 after C, i.e.
    // b >= 130; B needs voter 3 to have 150 after C, i.e. b >= 180.
    const election_input input =
        make_input(30050, {20000, 15000, 9000}, {{{0, 1}, {2, 1}}, {{0, 1}, {2, 1}}, {{1, 1}, {2, 1}}});
    SECTION("none: budget/n = 100.1666..: {C}") {
        const tally_result r = tally(input, mes_spec());
        CHECK(selected_order(r) == std::vector<std::string>{"C"});
        CHECK(r.voter_budget_minor_ == rational{30050, 3});
        CHECK(outcome_of(r, 0) == outcome::not_affordable);
    }
    SECTION("utilitarian: then greedy by points over the 210.50 left: A fits, B no longer") {
        const tally_result r = tally(input, mes_spec(completion::utilitarian));
        CHECK(selected_order(r) == std::vector<std::string>{"C", "A"});
        CHECK(r.selected_[1].step_ == selection_step::greedy);
        // B: what MES said, then why greedy could not take it either.
        CHECK(outcome_of(r, 1) == outcome::does_not_fit);
        CHECK(r.projects_[1].reason_.find("when MES stopped") != std::string::npos);
        CHECK(r.projects_[1].reason_.find("then utilitarian completion") != std::string::npos);
        CHECK(r.projects_[0].reason_.find("utilitarian completion, rank 1") == 0);
    }
    SECTION("add1, integral, exhaustive: from 100 to 130 in 30 steps, then B cannot fit") {
        const tally_result r = tally(input, mes_spec(completion::add1));
        CHECK(selected_order(r) == std::vector<std::string>{"C", "A"});
        CHECK(r.voter_budget_minor_ == 13000);
        CHECK(r.add1_steps_ == 30);
    }
    SECTION("add1, not exhaustive: on to 179; at 180 B comes in and {C, A, B} costs 440") {
        rule_spec spec = mes_spec(completion::add1);
        spec.add1_.exhaustive_ = false;
        const tally_result r = tally(input, spec);
        CHECK(selected_order(r) == std::vector<std::string>{"C", "A"});
        CHECK(r.voter_budget_minor_ == 17900);
        CHECK(r.add1_steps_ == 79);
    }
    SECTION("add1, not integral: from 100.1666.. to 130.1666..") {
        rule_spec spec = mes_spec(completion::add1);
        spec.add1_.integral_ = false;
        const tally_result r = tally(input, spec);
        CHECK(r.voter_budget_minor_ == rational{30050, 3} + 3000);
        CHECK(r.add1_steps_ == 30);
    }
    SECTION("add1 with an increment of 7: 107, 114, 121, 128, 135") {
        rule_spec spec = mes_spec(completion::add1);
        spec.add1_.increment_minor_ = 700;
        const tally_result r = tally(input, spec);
        CHECK(r.voter_budget_minor_ == 13500);
        CHECK(r.add1_steps_ == 5);
        spec.add1_.steps_max_ = 4;
        CHECK_THROWS_AS(tally(input, spec), std::invalid_argument);
    }
    SECTION("an increment of 100 overshoots at once (200 buys all three); add1u then adds A") {
        rule_spec spec = mes_spec(completion::add1);
        spec.add1_.increment_minor_ = 10000;
        CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"C"});
        spec.completion_ = completion::add1u;
        CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"C", "A"});
    }
}

TEST_CASE("MES's greedy parts break ties by their own list, the file's order by default", "[voting][rules]") {
    // 3 voters, budget 100: 33.33 each. A (60) by voter 1, B (50) by voter 2: neither is
    // affordable, MES buys nothing. The utilitarian completion sees A and B tied on 1 vote;
    // the budget takes one of them. MES's own criterion (min-cost) does not apply there.
    const election_input input = make_input(100, {60, 50}, {{{0, 1}}, {{1, 1}}, {}});
    rule_spec spec = mes_spec(completion::utilitarian);
    spec.ties_.criteria_ = {tie_criterion::min_cost};
    const tally_result r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"A"});
    REQUIRE(r.ties_.size() == 1);
    spec.completion_ties_.criteria_ = {tie_criterion::min_cost};
    CHECK(selected_order(tally(input, spec)) == std::vector<std::string>{"B"});
    CHECK(legacy_spec(rule::mes_add1_greedy).completion_ties_.criteria_ == legacy_spec(rule::mes).ties_.criteria_);
}

TEST_CASE("completion names: add1e and add1eu are add1 and add1u with the exhaustive stop", "[voting][rules]") {
    rule_spec spec;
    spec.add1_.exhaustive_ = false;
    REQUIRE(parse_completion("add1e", spec));
    CHECK(spec.completion_ == completion::add1);
    CHECK(spec.add1_.exhaustive_);
    spec.add1_.exhaustive_ = false;
    REQUIRE(parse_completion("add1eu", spec));
    CHECK(spec.completion_ == completion::add1u);
    CHECK(spec.add1_.exhaustive_);
    spec.add1_.exhaustive_ = false;
    REQUIRE(parse_completion("add1u", spec));
    CHECK_FALSE(spec.add1_.exhaustive_);
    CHECK_FALSE(parse_completion("add2", spec));
    CHECK(parse_comparison("exclusionRatio") == comparison::exclusion_ratio);
    CHECK(parse_tie_criterion("minCost") == tie_criterion::min_cost);
    CHECK_FALSE(parse_tie_criterion("random").has_value());
}

TEST_CASE("the comparison step keeps MES unless more voters prefer greedy", "[voting][rules]") {
    // 5 voters, budget 500: 100 each. Voters 1-3 approve X and Y (250 each), voters 4-5
    // approve Z (200). Greedy by votes: X, Y (500). MES, cost utility: X and Y cost their
    // 3 supporters 83.33 each (rho 1/3; X first in the file), which leaves them 16.67, so Y
    // is out; Z costs its 2 supporters 100 each (rho 1/2): MES = {X, Z}.
    const election_input input = make_input(50000, {25000, 25000, 20000},
                                            {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}}, {{2, 1}}});
    CHECK(selected_order(tally(input, mes_spec())) == std::vector<std::string>{"A", "C"});
    SECTION("satisfaction: voters 1-3 have 2 winners under greedy and 1 under MES; 3 against 2") {
        rule_spec spec = mes_spec();
        spec.comparison_ = comparison::satisfaction;
        const tally_result r = tally(input, spec);
        CHECK(selected_order(r) == std::vector<std::string>{"A", "B"});
        REQUIRE(r.comparison_.has_value());
        CHECK(r.comparison_->prefer_greedy_ == 3);
        CHECK(r.comparison_->prefer_mes_ == 2);
        CHECK_FALSE(r.comparison_->kept_mes_);
        CHECK(r.selected_[0].step_ == selection_step::greedy);
        CHECK(outcome_of(r, 2) == outcome::does_not_fit);
    }
    SECTION("exclusion ratio: voters 1-3 have a winner either way; 4-5 only under MES") {
        rule_spec spec = mes_spec();
        spec.comparison_ = comparison::exclusion_ratio;
        const tally_result r = tally(input, spec);
        CHECK(selected_order(r) == std::vector<std::string>{"A", "C"});
        CHECK(r.comparison_->prefer_mes_ == 2);
        CHECK(r.comparison_->prefer_greedy_ == 0);
        CHECK(r.comparison_->kept_mes_);
    }
}

TEST_CASE("a draw in the comparison step keeps MES", "[voting][rules]") {
    // 4 voters, budget 400: voters 1-2 approve X and Y, voters 3-4 Z; 200 each. Greedy (equal
    // votes, file order): X, Y. MES: X (first of three at rho 1/2), then voters 1-2 are
    // spent, Z: {X, Z}. Satisfaction: voters 1-2 prefer greedy, 3-4 MES: 2 against 2.
    const election_input input =
        make_input(400, {200, 200, 200}, {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}}, {{2, 1}}});
    rule_spec spec = mes_spec();
    spec.comparison_ = comparison::satisfaction;
    const tally_result r = tally(input, spec);
    CHECK(selected_order(r) == std::vector<std::string>{"A", "C"});
    CHECK(r.comparison_->prefer_mes_ == 2);
    CHECK(r.comparison_->prefer_greedy_ == 2);
    CHECK(r.comparison_->kept_mes_);
}

TEST_CASE("the platform's rule names keep their definitions", "[voting][rules]") {
    const rule_spec greedy = legacy_spec(rule::greedy);
    CHECK(greedy.method_ == method::greedy);
    CHECK(greedy.ties_.criteria_ == std::vector<tie_criterion>{tie_criterion::max_votes, tie_criterion::min_cost});
    const rule_spec add1 = legacy_spec(rule::mes_add1, {utility::approval, 500, 7});
    CHECK(add1.method_ == method::mes);
    CHECK(add1.utility_ == utility::approval);
    CHECK(add1.completion_ == completion::add1);
    CHECK(add1.add1_.integral_);
    CHECK(add1.add1_.exhaustive_);
    CHECK(add1.add1_.increment_minor_ == 500);
    CHECK(add1.add1_.steps_max_ == 7);
    CHECK(legacy_spec(rule::mes_add1_greedy).completion_ == completion::add1u);
    CHECK(legacy_spec(rule::mes).completion_ == completion::none);
}

TEST_CASE("a spec out of range is refused", "[voting][rules]") {
    const election_input input = make_input(100, {10, 20}, {{{0, 1}}});
    const auto refused = [&](auto change) {
        rule_spec spec = mes_spec(completion::add1);
        change(spec);
        return [&input, spec] { (void)tally(input, spec); };
    };
    CHECK_THROWS_AS(refused([](rule_spec& s) { s.ties_.order_ = {2}; })(), std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) { s.eligibility_.withdrawn_ = {5}; })(), std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) { s.eligibility_.exclusive_groups_ = {{0}}; })(), std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) {
                        s.eligibility_.exclusive_groups_ = {{0, 0}};
                    })(),
                    std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) {
                        s.eligibility_.exclusive_groups_ = {{0, 9}};
                    })(),
                    std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) { s.add1_.increment_minor_ = 0; })(), std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) { s.eligibility_.min_votes_ = -1; })(), std::invalid_argument);
    CHECK_THROWS_AS(refused([](rule_spec& s) {
                        s.eligibility_.min_share_per_cost_ = rational{-1, 3};
                    })(),
                    std::invalid_argument);
    CHECK_NOTHROW(refused([](rule_spec& s) { s.eligibility_.exclusive_groups_ = {{0, 1}}; })());
}

TEST_CASE("every project gets a reason", "[voting][rules]") {
    // The comparison example under plain MES: A and C bought, B not affordable.
    const election_input input = make_input(
        50000, {25000, 25000, 20000}, {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}}, {{2, 1}}, {}});
    election_input with_extra = input;
    with_extra.projects_.push_back({"D", 100}); // nobody votes for D
    with_extra.projects_.push_back({"E", 0});
    with_extra.ballots_.back().entries_.push_back({4, 1}); // E is free and supported
    const tally_result r = tally(with_extra, mes_spec());
    CHECK(outcome_of(r, 0) == outcome::selected);
    CHECK(outcome_of(r, 1) == outcome::not_affordable);
    CHECK(outcome_of(r, 3) == outcome::unsupported);
    CHECK(outcome_of(r, 4) == outcome::free_of_cost);
    for (const project_report& p : r.projects_) {
        CHECK_FALSE(p.reason_.empty());
    }
}

// ---------------------------------------------------------------- greedy against a reference

namespace {

struct greedy_case {
    election_input input_;
    rule_spec spec_;
};

// The greedy family straight from the definitions: filter, rank by points with a stable
// sort (ties keep input order), walk.
std::vector<std::uint32_t> reference_greedy(const greedy_case& g) {
    const election_input& in = g.input_;
    const eligibility& e = g.spec_.eligibility_;
    const std::size_t m = in.projects_.size();
    std::vector<std::int64_t> votes(m, 0), points(m, 0);
    for (const ballot& b : in.ballots_) {
        for (const ballot_entry& x : b.entries_) {
            if (x.points_ > 0) {
                ++votes[x.project_];
                points[x.project_] += x.points_;
            }
        }
    }
    std::vector<bool> ok(m, true);
    for (std::uint32_t c = 0; c < m; ++c) {
        const rational share{votes[c], static_cast<std::int64_t>(in.ballots_.size())};
        const bool share_ok = !e.min_share_per_cost_ ||
                              share >= *e.min_share_per_cost_ * rational{in.projects_[c].cost_minor_, in.budget_minor_};
        ok[c] = votes[c] > 0 && votes[c] >= e.min_votes_ && points[c] >= e.min_points_ && share_ok &&
                std::find(e.withdrawn_.begin(), e.withdrawn_.end(), c) == e.withdrawn_.end();
    }
    std::vector<std::uint32_t> order;
    for (std::uint32_t c = 0; c < m; ++c) order.push_back(c);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return points[a] > points[b]; });
    for (const auto& group : e.exclusive_groups_) {
        bool first = true;
        for (const std::uint32_t c : order) {
            if (ok[c] && std::find(group.begin(), group.end(), c) != group.end()) {
                ok[c] = first;
                first = false;
            }
        }
    }
    std::vector<std::uint32_t> out;
    std::int64_t left = in.budget_minor_;
    for (const std::uint32_t c : order) {
        if (!ok[c]) continue;
        if (in.projects_[c].cost_minor_ <= left) {
            out.push_back(c);
            left -= in.projects_[c].cost_minor_;
        } else if (g.spec_.method_ == method::greedy_no_skip) {
            break;
        }
    }
    return out;
}

greedy_case random_greedy_case(std::mt19937& rng) {
    std::uniform_int_distribution<int> count(1, 9), cost(1, 12), points(1, 3), chance(0, 99);
    greedy_case g;
    const int m = count(rng);
    for (int c = 0; c < m; ++c) g.input_.projects_.push_back({std::to_string(c), cost(rng) * 10});
    const int n = count(rng) + 2;
    const bool weighted = chance(rng) < 50;
    for (int i = 0; i < n; ++i) {
        ballot b;
        for (int c = 0; c < m; ++c) {
            if (chance(rng) < 45) b.entries_.push_back({static_cast<std::uint32_t>(c), weighted ? points(rng) : 1});
        }
        g.input_.ballots_.push_back(std::move(b));
    }
    g.input_.budget_minor_ = std::uniform_int_distribution<int>(1, 60)(rng) * 5;
    g.spec_.method_ = chance(rng) < 50 ? method::greedy : method::greedy_no_skip;
    eligibility& e = g.spec_.eligibility_;
    if (chance(rng) < 30) e.min_votes_ = std::uniform_int_distribution<int>(1, 3)(rng);
    if (chance(rng) < 30) e.min_points_ = std::uniform_int_distribution<int>(1, 6)(rng);
    if (chance(rng) < 30) e.min_share_per_cost_ = rational{1, std::uniform_int_distribution<int>(1, 4)(rng)};
    if (chance(rng) < 20) e.withdrawn_ = {static_cast<std::uint32_t>(chance(rng) % m)};
    if (m >= 3 && chance(rng) < 30) e.exclusive_groups_ = {{0, static_cast<std::uint32_t>(m - 1)}};
    return g;
}

} // namespace

TEST_CASE("the greedy family agrees with a from-the-definition reference on random rounds", "[voting][rules]") {
    std::mt19937 rng{20250113};
    int selections = 0;
    for (int round = 0; round < 600; ++round) {
        const greedy_case g = random_greedy_case(rng);
        const tally_result r = tally(g.input_, g.spec_);
        std::vector<std::uint32_t> got;
        for (const selection& s : r.selected_) got.push_back(s.project_);
        INFO("round " << round);
        CHECK(got == reference_greedy(g));
        CHECK(r.total_cost_minor_ <= r.budget_minor_);
        selections += static_cast<int>(got.size());
    }
    CHECK(selections > 600);
}
