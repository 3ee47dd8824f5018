#pragma once

// Tally rules for a voting round: greedy, the Method of Equal Shares (MES) and its
// add1 completion. Pure functions over an election_input; docs/voting.md explains the
// rules, the tie-breaking and why the arithmetic is exact.

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::voting {

// Exact rational: MES prices are fractions of a minor unit and a float must never
// decide which project wins.
using rational = boost::multiprecision::cpp_rational;

enum class rule { greedy, mes, mes_add1, mes_add1_greedy };

// How much an approval is worth to a supporter under MES (equalshares.net offers both).
// Cumulative or ordinal points multiply the utility.
enum class utility { cost, approval };

struct ballot_entry {
    std::uint32_t project_ = 0; // index into election_input::projects_
    std::int64_t points_ = 1;   // 1 for approval; points for cumulative and ordinal
};

struct ballot {
    std::vector<ballot_entry> entries_;
};

struct tally_project {
    std::string id_;
    std::int64_t cost_minor_ = 0;
};

struct election_input {
    std::int64_t budget_minor_ = 0;
    std::vector<tally_project> projects_;
    std::vector<ballot> ballots_;
};

struct tally_options {
    utility utility_ = utility::cost;
    // add1 raises every voter's budget by this much per step: one currency unit, as
    // equalshares.net and pabulib's "equalshares/add1" do, for two-decimal currencies.
    std::int64_t add1_step_minor_ = 100;
    // Refuses a step so small that add1 would run for minutes (Kraków 2024 takes 162
    // steps of 1 PLN, Assen 2024 843 of 1 EUR).
    std::int64_t add1_steps_max_ = 100'000;
};

// Voters who paid the same amount for one selected project.
struct payment_group {
    rational payment_minor_;  // what each of these voters paid
    std::int64_t points_ = 0; // their points for the project
    std::int64_t voter_count_ = 0;
    bool capped_ = false; // true: they paid all they had left, less than rho*utility
};

enum class selection_step { greedy, mes };

struct selection {
    std::uint32_t project_ = 0; // index into election_input::projects_
    std::string id_;
    std::int64_t cost_minor_ = 0;
    std::int64_t votes_ = 0;  // supporters
    std::int64_t points_ = 0; // sum of supporters' points (== votes_ for approval)
    selection_step step_ = selection_step::greedy;
    // MES only: the price per unit of utility; each supporter paid min(left, rho*utility).
    rational rho_;
    std::int64_t supporters_full_ = 0;   // paid exactly rho*utility
    std::int64_t supporters_capped_ = 0; // paid their whole remaining budget
    std::vector<payment_group> payments_;
};

struct tally_result {
    rule rule_ = rule::greedy;
    utility utility_ = utility::cost;
    std::vector<selection> selected_; // in selection order
    std::int64_t total_cost_minor_ = 0;
    std::int64_t budget_minor_ = 0;
    // MES rules: the per-voter budget of the run that produced the outcome (raised by
    // add1), and how many add1 steps were accepted.
    rational voter_budget_minor_;
    std::int64_t add1_steps_ = 0;
    std::vector<std::string> trace_; // human-readable, one line per step
};

// Ballot points above this are refused: it keeps every sum of points within 64 bits.
inline constexpr std::int64_t points_max = 1'000'000;

// Throws std::invalid_argument for input no rule can tally (unknown project index,
// negative cost, budget or points, points above points_max, a project twice on one
// ballot, costs whose sum overflows) and when add1 would exceed add1_steps_max_.
tally_result tally(const election_input& input, rule r, const tally_options& options = {});

// Names as the command line and pabulib spell them: "greedy", "mes", "mes-add1",
// "mes-add1-greedy"; "cost", "approval".
const char* to_string(rule r);
const char* to_string(utility u);
std::optional<rule> parse_rule(std::string_view name);
std::optional<utility> parse_utility(std::string_view name);

// "123.45" from 12345; exact, for traces and exports.
std::string format_minor(std::int64_t amount_minor);

} // namespace schwarm::voting
