#include "voting/pabulib.hpp"
#include "voting/tally.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace schwarm::voting;

namespace {

// Real files live beside the repository in shared/ (test.sh exports
// SCHWARM_TEST_SHARED_DIR; without it, ../shared next to the source tree).
std::string pabulib_path(const std::string& file_name) {
    const char* dir = std::getenv("SCHWARM_TEST_SHARED_DIR");
    return std::string{dir != nullptr ? dir : SCHWARM_SOURCE_DIR "/../shared"} + "/data/pabulib/" + file_name;
}

std::string read_text(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        FAIL("cannot open " << path << " (set SCHWARM_TEST_SHARED_DIR)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

election load(const std::string& file_name) { return parse_pabulib(read_text(pabulib_path(file_name))); }

// Value of a kept column of a project (one not held as a typed field).
std::string project_column(const election& e, const pb_project& p, const std::string& column) {
    std::size_t extra = 0;
    for (const std::string& name : e.project_columns_) {
        if (name == "project_id" || name == "cost" || name == "name") {
            continue;
        }
        if (name == column) {
            return p.extra_.at(extra);
        }
        ++extra;
    }
    FAIL("no column " << column);
    return {};
}

std::set<std::string> official_winners(const election& e) {
    std::set<std::string> ids;
    for (const pb_project& p : e.projects_) {
        if (project_column(e, p, "selected") == "1") {
            ids.insert(p.id_);
        }
    }
    return ids;
}

std::set<std::string> selected_ids(const tally_result& r) {
    std::set<std::string> ids;
    for (const selection& s : r.selected_) {
        ids.insert(s.id_);
    }
    return ids;
}

std::vector<std::string> selected_order(const tally_result& r) {
    std::vector<std::string> ids;
    for (const selection& s : r.selected_) {
        ids.push_back(s.id_);
    }
    return ids;
}

// Builds an input from {cost} and ballots of {project, points}.
election_input make_input(std::int64_t budget_minor, const std::vector<std::int64_t>& costs,
                          const std::vector<std::vector<ballot_entry>>& ballots) {
    election_input input;
    input.budget_minor_ = budget_minor;
    for (std::size_t c = 0; c < costs.size(); ++c) {
        input.projects_.push_back({std::string(1, static_cast<char>('A' + c)), costs[c]});
    }
    for (const auto& entries : ballots) {
        input.ballots_.push_back({entries});
    }
    return input;
}

std::size_t error_line(const std::string& text) {
    try {
        parse_pabulib(text);
    } catch (const pabulib_error& e) {
        return e.line();
    }
    FAIL("accepted malformed file:\n" << text);
    return 0;
}

const std::string meta_head = "META\nkey;value\nbudget;1000\nvote_type;approval\n";
const std::string projects_head = "PROJECTS\nproject_id;cost;name\n1;400;One\n2;300;Two\n";

} // namespace

// ---------------------------------------------------------------- real outcomes

TEST_CASE("greedy reproduces Warszawa 2023 Rembertów", "[voting][pabulib]") {
    const election e = load("Poland_Warszawa_2023_Rembertow.pb");
    REQUIRE(e.budget_minor_ == 101130800);
    REQUIRE(e.projects_.size() == 38);
    REQUIRE(e.votes_.size() == 1172);
    const tally_result r = tally(to_election_input(e), rule::greedy);
    CHECK(selected_ids(r) == official_winners(e));
    CHECK(r.total_cost_minor_ <= r.budget_minor_);
}

TEST_CASE("greedy reproduces Warszawa 2023 Mokotów", "[voting][pabulib]") {
    const election e = load("Poland_Warszawa_2023_Mokotow.pb");
    REQUIRE(e.votes_.size() == 11067);
    const tally_result r = tally(to_election_input(e), rule::greedy);
    CHECK(selected_ids(r) == official_winners(e));
    // The votes column of the file is what the tally counted.
    for (const selection& s : r.selected_) {
        CHECK(std::to_string(s.votes_) == project_column(e, e.projects_[s.project_], "votes"));
    }
}

TEST_CASE("greedy reproduces Kraków 2024 with ordinal ballots scored 3, 2, 1", "[voting][pabulib]") {
    const election e = load("Poland_Krakow_2024.pb");
    REQUIRE(e.vote_type_ == vote_type::ordinal);
    REQUIRE(e.votes_.size() == 65101);
    const election_input input = to_election_input(e);
    REQUIRE(input.ballots_.front().entries_.size() == 3);
    CHECK(input.ballots_.front().entries_[0].points_ == 3);
    CHECK(input.ballots_.front().entries_[1].points_ == 2);
    CHECK(input.ballots_.front().entries_[2].points_ == 1);
    const tally_result r = tally(input, rule::greedy);
    CHECK(selected_ids(r) == official_winners(e));
    // Positional scores add up to the file's score column for every selected project.
    for (const selection& s : r.selected_) {
        CHECK(std::to_string(s.points_) == project_column(e, e.projects_[s.project_], "score"));
    }
}

TEST_CASE("mes-add1 reproduces Assen 2024", "[voting][pabulib]") {
    const election e = load("Netherlands_Assen_2024.pb");
    REQUIRE(e.budget_minor_ == 10000000);
    const election_input input = to_election_input(e);
    const tally_result r = tally(input, rule::mes_add1);
    CHECK(selected_ids(r) == official_winners(e));
    CHECK(r.total_cost_minor_ <= r.budget_minor_);
    CHECK(r.add1_steps_ > 0);

    // The stopping rule: one more step per voter overshoots the real budget.
    const std::int64_t n = static_cast<std::int64_t>(input.ballots_.size());
    REQUIRE(denominator(r.voter_budget_minor_) == 1);
    election_input raised = input;
    raised.budget_minor_ = (static_cast<std::int64_t>(numerator(r.voter_budget_minor_)) + 100) * n;
    CHECK(tally(raised, rule::mes).total_cost_minor_ > input.budget_minor_);

    // Each MES selection was paid for in full by its supporters.
    for (const selection& s : r.selected_) {
        REQUIRE(s.step_ == selection_step::mes);
        rational paid = 0;
        std::int64_t voters = 0;
        for (const payment_group& g : s.payments_) {
            paid += g.payment_minor_ * g.voter_count_;
            voters += g.voter_count_;
        }
        CHECK(paid == s.cost_minor_);
        CHECK(voters == s.votes_);
        CHECK(s.supporters_full_ + s.supporters_capped_ == s.votes_);
    }
}

TEST_CASE("mes-add1-greedy spends what mes-add1 leaves on Assen", "[voting][pabulib]") {
    const election_input input = to_election_input(load("Netherlands_Assen_2024.pb"));
    const tally_result mes = tally(input, rule::mes_add1);
    const tally_result filled = tally(input, rule::mes_add1_greedy);
    REQUIRE(filled.selected_.size() >= mes.selected_.size());
    for (std::size_t i = 0; i < mes.selected_.size(); ++i) {
        CHECK(filled.selected_[i].id_ == mes.selected_[i].id_);
    }
    CHECK(filled.total_cost_minor_ <= filled.budget_minor_);
    // Nothing supported and left out still fits.
    const std::set<std::string> chosen = selected_ids(filled);
    for (const tally_project& p : input.projects_) {
        if (chosen.count(p.id_) == 0) {
            CHECK(filled.total_cost_minor_ + p.cost_minor_ > filled.budget_minor_);
        }
    }
}

TEST_CASE("Toulouse cumulative points match the file's score and votes columns", "[voting][pabulib]") {
    const election e = load("France_Toulouse_2019.pb");
    REQUIRE(e.vote_type_ == vote_type::cumulative);
    const tally_result r = tally(to_election_input(e), rule::greedy);
    REQUIRE(!r.selected_.empty());
    for (const selection& s : r.selected_) {
        CHECK(std::to_string(s.points_) == project_column(e, e.projects_[s.project_], "score"));
        CHECK(std::to_string(s.votes_) == project_column(e, e.projects_[s.project_], "votes"));
    }
    CHECK(r.total_cost_minor_ <= r.budget_minor_);
}

// ---------------------------------------------------------------- greedy by hand

TEST_CASE("greedy skips a project that does not fit and continues", "[voting]") {
    // A: 3 votes, B: 2, C: 1. A fits, B no longer does, C does.
    const election_input input = make_input(100, {80, 50, 20}, {{{0, 1}, {1, 1}, {2, 1}}, {{0, 1}, {1, 1}}, {{0, 1}}});
    const tally_result r = tally(input, rule::greedy);
    CHECK(selected_order(r) == std::vector<std::string>{"A", "C"});
    CHECK(r.total_cost_minor_ == 100);
}

TEST_CASE("greedy ties: lower cost first, then the project listed first", "[voting]") {
    // A and B both 2 votes; B is cheaper so it goes first and A no longer fits.
    const election_input cheaper = make_input(100, {60, 50}, {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}});
    CHECK(selected_order(tally(cheaper, rule::greedy)) == std::vector<std::string>{"B"});
    // Same votes, same cost: file order.
    const election_input same = make_input(100, {60, 60}, {{{0, 1}, {1, 1}}});
    CHECK(selected_order(tally(same, rule::greedy)) == std::vector<std::string>{"A"});
    // Points outrank votes: A has 2 voters with 1 point, B one voter with 3 points.
    const election_input points = make_input(60, {60, 60}, {{{0, 1}}, {{0, 1}, {1, 3}}});
    CHECK(selected_order(tally(points, rule::greedy)) == std::vector<std::string>{"B"});
}

TEST_CASE("greedy never funds a project nobody supports", "[voting]") {
    const election_input input = make_input(1000, {10, 10}, {{{0, 1}}});
    CHECK(selected_order(tally(input, rule::greedy)) == std::vector<std::string>{"A"});
}

// ---------------------------------------------------------------- MES by hand

TEST_CASE("MES by hand: tie on rho broken by votes, then file order", "[voting][mes]") {
    // 4 voters, budget 400: 100 each. Voters 1-3 approve A and B (cost 300 each); voter 4
    // approves C (100) and D (150).
    const election_input input =
        make_input(400, {300, 300, 100, 150}, {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}, {3, 1}}});
    SECTION("cost utility") {
        // A and B: 100 from each of 3 voters, rho = 100/300 = 1/3; C: rho = 100/100 = 1;
        // D unaffordable. A and B tie in every respect but file order: A. Then B has no
        // money behind it, C is taken at rho 1 and D stays unaffordable.
        const tally_result r = tally(input, rule::mes, {utility::cost});
        REQUIRE(selected_order(r) == std::vector<std::string>{"A", "C"});
        CHECK(r.selected_[0].rho_ == rational{1, 3});
        CHECK(r.selected_[1].rho_ == 1);
        CHECK(r.voter_budget_minor_ == 100);
    }
    SECTION("approval utility") {
        // A, B and C all cost their supporters 100 each: rho = 100 three ways. A and B
        // have 3 votes to C's 1; A is listed before B.
        const tally_result r = tally(input, rule::mes, {utility::approval});
        REQUIRE(selected_order(r) == std::vector<std::string>{"A", "C"});
        CHECK(r.selected_[0].rho_ == 100);
        CHECK(r.selected_[1].rho_ == 100);
    }
}

TEST_CASE("MES by hand: a poorer supporter pays all it has left", "[voting][mes]") {
    // 3 voters, budget 300: 100 each. Y (50) approved by voter 1; X (240) by all.
    const election_input input = make_input(300, {240, 50}, {{{0, 1}, {1, 1}}, {{0, 1}}, {{0, 1}}});
    SECTION("approval utility") {
        // Y: rho 50, X: rho 80, so Y first; voter 1 keeps 50. X then: 80 each is more than
        // voter 1 has, so voter 1 pays 50 and the others split 190: rho = 95.
        const tally_result r = tally(input, rule::mes, {utility::approval});
        REQUIRE(selected_order(r) == std::vector<std::string>{"B", "A"});
        const selection& x = r.selected_[1];
        CHECK(x.rho_ == 95);
        CHECK(x.supporters_full_ == 2);
        CHECK(x.supporters_capped_ == 1);
        REQUIRE(x.payments_.size() == 2);
        CHECK(x.payments_[0].payment_minor_ == 95);
        CHECK(x.payments_[0].voter_count_ == 2);
        CHECK_FALSE(x.payments_[0].capped_);
        CHECK(x.payments_[1].payment_minor_ == 50);
        CHECK(x.payments_[1].capped_);
        CHECK(r.total_cost_minor_ == 290);
    }
    SECTION("cost utility") {
        // Y: rho 50/50 = 1, X: rho 80/240 = 1/3, so X first and everyone keeps 20; Y is
        // then unaffordable.
        const tally_result r = tally(input, rule::mes, {utility::cost});
        REQUIRE(selected_order(r) == std::vector<std::string>{"A"});
        CHECK(r.selected_[0].rho_ == rational{1, 3});
        CHECK(r.total_cost_minor_ == 240);
    }
}

TEST_CASE("MES by hand: cumulative points scale the utility", "[voting][mes]") {
    // 2 voters, budget 200: 100 each. Voter 1: 3 points on P (150), 1 on Q (10); voter 2:
    // 1 point on P. Approval utility = points.
    // Q: voter 1 pays 10, rho 10. P costs at least 150 / 4 points = 37.5 per point, so Q
    // goes first and voter 1 keeps 90. P again: 3 * 37.5 = 112.5 > 90, so voter 1 pays its 90
    // and voter 2 pays 60 = rho * 1 point: rho = 60.
    const election_input input = make_input(200, {150, 10}, {{{0, 3}, {1, 1}}, {{0, 1}}});
    const tally_result r = tally(input, rule::mes, {utility::approval});
    REQUIRE(selected_order(r) == std::vector<std::string>{"B", "A"});
    CHECK(r.selected_[0].rho_ == 10);
    const selection& p = r.selected_[1];
    CHECK(p.rho_ == 60);
    CHECK(p.points_ == 4);
    CHECK(p.supporters_capped_ == 1);
    CHECK(p.supporters_full_ == 1);
    CHECK(r.total_cost_minor_ == 160);
}

TEST_CASE("MES by hand: paying exactly all one has is not capped", "[voting][mes]") {
    // As above with P costing 120: 4 rho = 120, rho = 30; voter 1 pays 3 * 30 = 90, all
    // it has left after Q, and counts as paying the full price.
    const election_input input = make_input(200, {120, 10}, {{{0, 3}, {1, 1}}, {{0, 1}}});
    const tally_result r = tally(input, rule::mes, {utility::approval});
    REQUIRE(selected_order(r) == std::vector<std::string>{"B", "A"});
    CHECK(r.selected_[1].rho_ == 30);
    CHECK(r.selected_[1].supporters_capped_ == 0);
    CHECK(r.selected_[1].supporters_full_ == 2);
}

TEST_CASE("MES by hand: add1 raises the per-voter budget until one step more overshoots", "[voting][mes]") {
    // Amounts in minor units, steps of one currency unit (100). Budget 100 units, 2 voters:
    // 50 each. Voter 1 approves A (70); voter 2 approves B (40) and D (50). At 50: B (tie
    // on rho 1 with D, cheaper), then voter 2 has 10: outcome {B}. At 70 A becomes
    // affordable and {B, A} costs 110 > 100, so add1 stops at 69 after 19 steps of 1.
    // Greedy completion then adds D (50 fits in 60); A (70) does not.
    election_input input = make_input(10000, {7000, 4000, 5000}, {{{0, 1}}, {{1, 1}, {2, 1}}});
    const tally_result plain = tally(input, rule::mes);
    CHECK(selected_order(plain) == std::vector<std::string>{"B"});

    const tally_result add1 = tally(input, rule::mes_add1);
    CHECK(selected_order(add1) == std::vector<std::string>{"B"});
    CHECK(add1.add1_steps_ == 19);
    CHECK(add1.voter_budget_minor_ == 6900);

    const tally_result filled = tally(input, rule::mes_add1_greedy);
    CHECK(selected_order(filled) == std::vector<std::string>{"B", "C"});
    CHECK(filled.selected_[1].step_ == selection_step::greedy);
    CHECK(filled.total_cost_minor_ == 9000);
}

TEST_CASE("MES by hand: add1 stops once the outcome is exhaustive", "[voting][mes]") {
    // Voter 1 approves A (60 units), voter 2 B (40); budget 100: 50 each. A needs 60 per
    // voter; at 60 both are bought for exactly 100 and nothing else could fit.
    const election_input input = make_input(10000, {6000, 4000}, {{{0, 1}}, {{1, 1}}});
    const tally_result r = tally(input, rule::mes_add1);
    CHECK(selected_ids(r) == std::set<std::string>{"A", "B"});
    CHECK(r.add1_steps_ == 10);
    CHECK(r.total_cost_minor_ == 10000);
}

// ---------------------------------------------------------------- MES against a reference

namespace {

// MES straight from the definitions (Peters, Pierczyński, Skowron): per-voter exact
// budgets, every price recomputed every round by sorting supporters. Slow, obvious, and
// with the documented tie-breaking, to check the class-based implementation against.
std::vector<std::pair<std::uint32_t, rational>> reference_mes(const election_input& in, const rational& voter_budget,
                                                              utility u) {
    const std::size_t n = in.ballots_.size();
    const std::size_t m = in.projects_.size();
    std::vector<rational> budget(n, voter_budget);
    std::vector<std::int64_t> votes(m, 0), points(m, 0);
    std::vector<std::vector<std::pair<std::size_t, std::int64_t>>> supporters(m);
    for (std::size_t i = 0; i < n; ++i) {
        for (const ballot_entry& e : in.ballots_[i].entries_) {
            if (e.points_ > 0) {
                supporters[e.project_].emplace_back(i, e.points_);
                ++votes[e.project_];
                points[e.project_] += e.points_;
            }
        }
    }
    const auto before = [&](std::size_t a, std::size_t b) {
        if (points[a] != points[b]) return points[a] > points[b];
        if (votes[a] != votes[b]) return votes[a] > votes[b];
        if (in.projects_[a].cost_minor_ != in.projects_[b].cost_minor_)
            return in.projects_[a].cost_minor_ < in.projects_[b].cost_minor_;
        return a < b;
    };
    std::vector<bool> chosen(m, false);
    std::vector<std::pair<std::uint32_t, rational>> out;
    while (true) {
        std::optional<std::size_t> best;
        rational best_rho;
        for (std::size_t c = 0; c < m; ++c) {
            const std::int64_t cost = in.projects_[c].cost_minor_;
            if (chosen[c] || cost == 0 || supporters[c].empty()) continue;
            rational money = 0;
            for (const auto& [i, p] : supporters[c]) money += budget[i];
            if (money < cost) continue;
            auto s = supporters[c];
            std::sort(s.begin(), s.end(), [&](const auto& x, const auto& y) {
                return budget[x.first] / x.second < budget[y.first] / y.second;
            });
            rational left = cost;
            std::int64_t points_left = 0;
            for (const auto& [i, p] : s) points_left += p;
            rational per_point = left / points_left;
            for (const auto& [i, p] : s) {
                per_point = left / points_left;
                if (budget[i] / p >= per_point) break;
                left -= budget[i];
                points_left -= p;
            }
            per_point = left / points_left;
            const rational rho = u == utility::cost ? per_point / cost : per_point;
            if (!best || rho < best_rho || (rho == best_rho && before(c, *best))) {
                best = c;
                best_rho = rho;
            }
        }
        if (!best) break;
        const std::size_t c = *best;
        const rational per_point = u == utility::cost ? best_rho * in.projects_[c].cost_minor_ : best_rho;
        for (const auto& [i, p] : supporters[c]) {
            const rational payment = per_point * p;
            budget[i] -= std::min(budget[i], payment);
        }
        chosen[c] = true;
        out.emplace_back(static_cast<std::uint32_t>(c), best_rho);
    }
    return out;
}

election_input random_input(std::mt19937& rng) {
    std::uniform_int_distribution<int> voters_count(1, 9), projects_count(1, 7), cost(1, 12), points(1, 3),
        chance(0, 99);
    election_input input;
    const int m = projects_count(rng);
    for (int c = 0; c < m; ++c) {
        // Costs in tens so that ties in price are common.
        input.projects_.push_back({std::to_string(c), cost(rng) * 10});
    }
    const int n = voters_count(rng);
    const bool weighted = chance(rng) < 50;
    for (int i = 0; i < n; ++i) {
        ballot b;
        for (int c = 0; c < m; ++c) {
            if (chance(rng) < 45) {
                b.entries_.push_back({static_cast<std::uint32_t>(c), weighted ? points(rng) : 1});
            }
        }
        input.ballots_.push_back(std::move(b));
    }
    input.budget_minor_ = std::uniform_int_distribution<int>(1, 60)(rng) * 5;
    return input;
}

} // namespace

TEST_CASE("MES agrees with a from-the-definition reference on random small rounds", "[voting][mes]") {
    std::mt19937 rng{20240917};
    int selections = 0;
    for (int round = 0; round < 400; ++round) {
        const election_input input = random_input(rng);
        for (const utility u : {utility::cost, utility::approval}) {
            const rational voter_budget{input.budget_minor_, static_cast<std::int64_t>(input.ballots_.size())};
            const auto expected = reference_mes(input, voter_budget, u);
            const tally_result r = tally(input, rule::mes, {u});
            REQUIRE(r.selected_.size() == expected.size());
            for (std::size_t k = 0; k < expected.size(); ++k) {
                CHECK(r.selected_[k].project_ == expected[k].first);
                CHECK(r.selected_[k].rho_ == expected[k].second);
            }
            selections += static_cast<int>(expected.size());
        }
    }
    // The generator must actually exercise selections, not only empty outcomes.
    CHECK(selections > 400);
}

TEST_CASE("mes-add1 agrees with a step-by-step reference on random small rounds", "[voting][mes]") {
    std::mt19937 rng{7};
    for (int round = 0; round < 150; ++round) {
        // In whole currency units (x100), stepped by one unit, as add1 counts them.
        election_input input = random_input(rng);
        input.budget_minor_ *= 100;
        for (tally_project& p : input.projects_) p.cost_minor_ *= 100;
        const std::int64_t n = static_cast<std::int64_t>(input.ballots_.size());
        const auto cost_of = [&](const std::vector<std::pair<std::uint32_t, rational>>& outcome) {
            std::int64_t total = 0;
            for (const auto& s : outcome) total += input.projects_[s.first].cost_minor_;
            return total;
        };
        const auto exhaustive = [&](const std::vector<std::pair<std::uint32_t, rational>>& outcome) {
            std::vector<bool> taken(input.projects_.size(), false);
            for (const auto& s : outcome) taken[s.first] = true;
            for (std::size_t c = 0; c < input.projects_.size(); ++c)
                if (!taken[c] && cost_of(outcome) + input.projects_[c].cost_minor_ <= input.budget_minor_) return false;
            return true;
        };
        std::size_t candidates = 0;
        for (std::size_t c = 0; c < input.projects_.size(); ++c) {
            bool supported = false;
            for (const ballot& b : input.ballots_)
                for (const ballot_entry& e : b.entries_) supported = supported || e.project_ == c;
            candidates += supported;
        }
        std::int64_t voter_budget = input.budget_minor_ / n / 100 * 100;
        auto current = reference_mes(input, voter_budget, utility::cost);
        // Once every supported project is in, raising budgets cannot add anything.
        for (int step = 0; step < 100000 && !exhaustive(current) && current.size() < candidates; ++step) {
            auto next = reference_mes(input, voter_budget + 100, utility::cost);
            if (cost_of(next) > input.budget_minor_) break;
            voter_budget += 100;
            current = std::move(next);
        }
        const tally_result r = tally(input, rule::mes_add1);
        std::vector<std::uint32_t> got, want;
        for (const selection& s : r.selected_) got.push_back(s.project_);
        for (const auto& s : current) want.push_back(s.first);
        CHECK(got == want);
    }
}

TEST_CASE("tally refuses input no rule can count", "[voting]") {
    CHECK_THROWS_AS(tally(make_input(100, {10}, {{{1, 1}}}), rule::greedy), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {10}, {{{0, 1}, {0, 1}}}), rule::mes), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {-10}, {{{0, 1}}}), rule::greedy), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {10}, {{{0, -1}}}), rule::greedy), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(-1, {10}, {{{0, 1}}}), rule::greedy), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {10}, {{{0, points_max + 1}}}), rule::greedy), std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {std::numeric_limits<std::int64_t>::max(), 1}, {{{0, 1}}}), rule::greedy),
                    std::invalid_argument);
    CHECK_THROWS_AS(tally(make_input(100, {10}, {{{0, 1}}}), rule::mes_add1, {utility::cost, 0}),
                    std::invalid_argument);
    // add1 from 50 to 60 units per voter needs 10 steps of 1.
    const election_input slow = make_input(10000, {6000, 4000}, {{{0, 1}}, {{1, 1}}});
    CHECK_THROWS_AS(tally(slow, rule::mes_add1, {utility::cost, 100, 9}), std::invalid_argument);
    CHECK(tally(slow, rule::mes_add1, {utility::cost, 100, 10}).add1_steps_ == 10);
}

// ---------------------------------------------------------------- parser

TEST_CASE("parser reads quoting, CRLF, a BOM and decimal amounts", "[voting][pabulib]") {
    const std::string text =
        "\xEF\xBB\xBFMETA\r\nkey;value\r\ndescription;\"Budget; \"\"quoted\"\"\"\r\nbudget;1000.5\r\n"
        "vote_type;cumulative\r\nPROJECTS\r\nproject_id;cost;name;category\r\n"
        "p1;250.25;\"Park; with \"\"trees\"\"\";green\r\np2;100;\"two\nlines\";\r\n"
        "VOTES\r\nvoter_id;vote;points;age\r\nv1;p1,p2;3,1;30\r\nv2;p2;2;\r\n";
    const election e = parse_pabulib(text);
    REQUIRE(e.meta_.size() == 1);
    CHECK(e.meta_[0].second == "Budget; \"quoted\"");
    CHECK(e.budget_minor_ == 100050);
    CHECK(e.vote_type_ == vote_type::cumulative);
    REQUIRE(e.projects_.size() == 2);
    CHECK(e.projects_[0].name_ == "Park; with \"trees\"");
    CHECK(e.projects_[0].cost_minor_ == 25025);
    CHECK(e.projects_[1].name_ == "two\nlines");
    CHECK(e.projects_[0].extra_ == std::vector<std::string>{"green"});
    REQUIRE(e.votes_.size() == 2);
    CHECK(e.votes_[0].projects_ == std::vector<std::uint32_t>{0, 1});
    CHECK(e.votes_[0].points_ == std::vector<std::int64_t>{3, 1});
    CHECK(e.votes_[1].extra_ == std::vector<std::string>{""});
}

TEST_CASE("scoring ballots count their scores", "[voting][pabulib]") {
    // Project 1 (400) gets 2 + 1 = 3 points, project 2 (300) gets 5: greedy takes 2 first,
    // then 1 fits the 700 left.
    const std::string text = "META\nkey;value\nbudget;1000\nvote_type;scoring\n" + projects_head +
                             "VOTES\nvoter_id;vote;points\na;1,2;2,5\nb;1;1\n";
    const election e = parse_pabulib(text);
    CHECK(e.vote_type_ == vote_type::scoring);
    const tally_result r = tally(to_election_input(e), rule::greedy);
    CHECK(selected_order(r) == std::vector<std::string>{"2", "1"});
    CHECK(r.selected_[0].points_ == 5);
    CHECK(r.selected_[1].points_ == 3);
    CHECK(write_pabulib(e).find("vote_type;scoring\n") != std::string::npos);
}

TEST_CASE("parser refuses malformed files, naming the line and field", "[voting][pabulib]") {
    SECTION("missing section VOTES") {
        const std::string text = meta_head + projects_head;
        CHECK(error_line(text) == 9);
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("missing section VOTES"));
    }
    SECTION("missing section PROJECTS") {
        const std::string text = meta_head + "VOTES\nvoter_id;vote\n";
        CHECK(error_line(text) == 5);
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("missing section PROJECTS"));
    }
    SECTION("missing section META") {
        CHECK(error_line(projects_head) == 1);
        CHECK_THROWS_WITH(parse_pabulib(projects_head), Catch::Contains("missing section META"));
    }
    SECTION("bad number") {
        const std::string text = meta_head + "PROJECTS\nproject_id;cost\n1;400\n2;3x0\nVOTES\nvoter_id;vote\n";
        CHECK(error_line(text) == 8);
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 8, field 'cost': bad number '3x0'"));
    }
    SECTION("too many decimals") {
        const std::string text = meta_head + "PROJECTS\nproject_id;cost\n1;400.125\nVOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 7, field 'cost'"));
    }
    SECTION("negative cost") {
        const std::string text = meta_head + "PROJECTS\nproject_id;cost\n1;-400\nVOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 7, field 'cost': negative cost"));
    }
    SECTION("unknown project in a vote") {
        const std::string text = meta_head + projects_head + "VOTES\nvoter_id;vote\na;1,2\nb;2,7\n";
        CHECK(error_line(text) == 12);
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 12, field 'vote': unknown project '7'"));
    }
    SECTION("duplicate voter id") {
        const std::string text = meta_head + projects_head + "VOTES\nvoter_id;vote\na;1\nb;2\na;2\n";
        CHECK(error_line(text) == 13);
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 13, field 'voter_id': duplicate voter id 'a'"));
    }
    SECTION("duplicate project id") {
        const std::string text = meta_head + "PROJECTS\nproject_id;cost\n1;4\n1;5\nVOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 8, field 'project_id': duplicate project id"));
    }
    SECTION("project twice in one vote, under strict reading") {
        const std::string text = meta_head + projects_head + "VOTES\nvoter_id;vote\na;1,1\n";
        std::vector<pabulib_warning> warnings;
        CHECK_THROWS_WITH(parse_pabulib(text, {true}, warnings), Catch::Contains("line 11, field 'vote'"));
    }
    SECTION("missing required column") {
        const std::string text = meta_head + "PROJECTS\nproject_id;name\n1;x\nVOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 6, field 'cost': missing required column"));
        const std::string no_vote = meta_head + projects_head + "VOTES\nvoter_id;ballot\n";
        CHECK_THROWS_WITH(parse_pabulib(no_vote), Catch::Contains("line 10, field 'vote': missing required column"));
    }
    SECTION("budget missing") {
        const std::string text = "META\nkey;value\nvote_type;approval\n" + projects_head + "VOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 1, field 'budget': META has no budget"));
    }
    SECTION("points that do not match the vote") {
        const std::string text = "META\nkey;value\nbudget;10\nvote_type;cumulative\n" + projects_head +
                                 "VOTES\nvoter_id;vote;points\na;1,2;3\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 11, field 'points'"));
    }
    SECTION("row with the wrong number of fields") {
        const std::string text = meta_head + projects_head + "VOTES\nvoter_id;vote\na;1;extra\n";
        CHECK(error_line(text) == 11);
    }
    SECTION("unclosed quote") {
        const std::string text = meta_head + "PROJECTS\nproject_id;cost;name\n1;4;\"open\nVOTES\n";
        CHECK(error_line(text) == 7);
    }
    SECTION("META without its header") {
        const std::string text = "META\nbudget;10\nvote_type;approval\n" + projects_head + "VOTES\nvoter_id;vote\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 2: META header must be key;value"));
    }
    SECTION("scoring votes without points") {
        const std::string text =
            "META\nkey;value\nbudget;10\nvote_type;scoring\n" + projects_head + "VOTES\nvoter_id;vote\na;1\n";
        CHECK_THROWS_WITH(parse_pabulib(text),
                          Catch::Contains("line 10, field 'points': missing required column for scoring"));
    }
    SECTION("unknown vote type") {
        const std::string text = "META\nkey;value\nbudget;10\nvote_type;approvals\n";
        CHECK_THROWS_WITH(parse_pabulib(text), Catch::Contains("line 4, field 'vote_type'"));
    }
}

TEST_CASE("write then parse gives the same election", "[voting][pabulib]") {
    for (const char* file : {"Poland_Warszawa_2023_Rembertow.pb", "France_Toulouse_2019.pb",
                             "Netherlands_Assen_2024.pb", "Poland_Krakow_2024.pb"}) {
        INFO(file);
        const election e = load(file);
        const std::string written = write_pabulib(e);
        const election again = parse_pabulib(written);
        CHECK(again == e);
        CHECK(write_pabulib(again) == written);
    }
}

TEST_CASE("write quotes what needs quoting and derives counts", "[voting][pabulib]") {
    election e;
    e.meta_ = {{"description", "a;b \"c\""}, {"rule", "greedy"}};
    e.budget_minor_ = 12345;
    e.vote_type_ = vote_type::cumulative;
    e.projects_ = {{"x", 1050, "X; \"one\"", {}}, {"y", 7, "line\nbreak", {}}};
    e.votes_ = {{"v;1", {1, 0}, {2, 5}, {}}};
    const std::string written = write_pabulib(e);
    CHECK(written.find("budget;123.45\n") != std::string::npos);
    CHECK(written.find("num_votes;1\n") != std::string::npos);
    CHECK(written.find("\"a;b \"\"c\"\"\"") != std::string::npos);
    const election again = parse_pabulib(written);
    CHECK(again.meta_ == e.meta_);
    CHECK(again.budget_minor_ == e.budget_minor_);
    REQUIRE(again.projects_.size() == 2);
    CHECK(again.projects_[0].name_ == "X; \"one\"");
    CHECK(again.projects_[1].name_ == "line\nbreak");
    CHECK(again.projects_[1].cost_minor_ == 7);
    REQUIRE(again.votes_.size() == 1);
    CHECK(again.votes_[0].voter_id_ == "v;1");
    CHECK(again.votes_[0].projects_ == std::vector<std::uint32_t>{1, 0});
    CHECK(again.votes_[0].points_ == std::vector<std::int64_t>{2, 5});
}

TEST_CASE("rule and utility names round-trip", "[voting]") {
    for (const rule r : {rule::greedy, rule::mes, rule::mes_add1, rule::mes_add1_greedy}) {
        CHECK(parse_rule(to_string(r)) == r);
    }
    CHECK(parse_rule("mes-add1-greedy") == rule::mes_add1_greedy);
    CHECK_FALSE(parse_rule("mes_add1").has_value());
    CHECK(parse_utility("approval") == utility::approval);
    CHECK_FALSE(parse_utility("points").has_value());
}

TEST_CASE("format_minor writes exact currency units", "[voting]") {
    CHECK(format_minor(0) == "0");
    CHECK(format_minor(101130800) == "1011308");
    CHECK(format_minor(12345) == "123.45");
    CHECK(format_minor(1205) == "12.05");
    CHECK(format_minor(-1250) == "-12.50");
}
