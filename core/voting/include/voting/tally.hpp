#pragma once

// Tally rules for a voting round: the greedy family (greedy, greedy-no-skip, with
// thresholds and exclusive groups) and the Method of Equal Shares (MES) with the
// completions, comparison step and tie-breaking of the equalshares.net compute tool.
// Pure functions over an election_input; docs/voting.md explains every rule and option,
// the sources they follow and why the arithmetic is exact.

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::voting {

// Exact rational: MES prices are fractions of a minor unit and a float must never
// decide which project wins.
using rational = boost::multiprecision::cpp_rational;

// The rules rounds on the platform store by name; each is a shorthand for a rule_spec
// (legacy_spec below).
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

// --- the rule family ---

// greedy: by points, skipping what does not fit; greedy_no_skip: stops at the first
// project that does not fit (pabulib "greedy-no-skip"); mes: Method of Equal Shares.
enum class method { greedy, greedy_no_skip, mes };

// What MES does with the budget it leaves unspent (equalshares.net compute tool):
// utilitarian: greedy over the rest; add1: raise every voter's budget step by step;
// add1u: add1, then utilitarian. The tool's names add1e and add1eu are add1 and add1u
// with add1_settings::exhaustive_ on (parse_completion sets it).
enum class completion { none, utilitarian, add1, add1u };

// MES is kept unless more voters prefer the greedy outcome (equalshares.net):
// satisfaction compares each voter's points on the winners, exclusion_ratio whether a
// voter supports any winner at all.
enum class comparison { none, satisfaction, exclusion_ratio };

// Tie-breaking criteria, applied in order to projects tied on the rule's own measure
// (points for greedy, rho for MES). listed_order: the first project in
// tie_breaking::order_ wins (an order drawn and published before the vote).
enum class tie_criterion { max_votes, min_cost, max_cost, max_points, listed_order };

struct tie_breaking {
    std::vector<tie_criterion> criteria_;
    std::vector<std::uint32_t> order_; // project indices, for listed_order; unlisted rank last
    // true: a tie left after the criteria throws unresolved_tie. false: the project listed
    // first in the input wins, and result.ties_ says so.
    bool refuse_unresolved_ = false;
};

struct add1_settings {
    bool integral_ = true;   // start from whole increments of budget/n per voter
    bool exhaustive_ = true; // stop at the first outcome no project could be added to
    // One currency unit for two-decimal currencies, as equalshares.net and pabulib do.
    std::int64_t increment_minor_ = 100;
    // Refuses an increment so small that add1 would run for minutes (Kraków 2024 takes
    // 162 steps of 1 PLN, Assen 2024 843 of 1 EUR).
    std::int64_t steps_max_ = 100'000;
};

// Filters cities apply before the tally; a project that fails one takes no part.
struct eligibility {
    std::int64_t min_votes_ = 0;  // supporters (approvals) a project needs
    std::int64_t min_points_ = 0; // pabulib min_project_score_threshold: points (= votes for approval)
    // Świecie 2023 (factor 1/3): dropped when votes / voters < factor * cost / budget.
    std::optional<rational> min_share_per_cost_;
    std::vector<std::uint32_t> withdrawn_; // project indices taking no part
    // Projects that cannot both be built: of each group only the best-ranked by points
    // (then tie-breaking) takes part.
    std::vector<std::vector<std::uint32_t>> exclusive_groups_;
};

struct rule_spec {
    method method_ = method::greedy;
    utility utility_ = utility::cost; // MES only
    completion completion_ = completion::none;
    add1_settings add1_;
    comparison comparison_ = comparison::none;
    tie_breaking ties_; // greedy's ranking; MES's rounds
    // MES only: ties in its greedy parts (utilitarian completion, the comparison's greedy
    // outcome). The compute tool and pabulib's checker rank those by votes with a stable
    // sort, whatever MES's own tie-breaking: no criterion, the file's order.
    tie_breaking completion_ties_;
    eligibility eligibility_;
};

// Options of the platform's named rules.
struct tally_options {
    utility utility_ = utility::cost;
    std::int64_t add1_step_minor_ = 100;
    std::int64_t add1_steps_max_ = 100'000;
};

// greedy: ties by votes, then lower cost; mes: by points, votes, lower cost; then the
// project listed first. mes-add1: add1 (integral, exhaustive); mes-add1-greedy: add1u.
rule_spec legacy_spec(rule r, const tally_options& options = {});

// --- results ---

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

// Why a project won or lost, one per input project.
enum class outcome {
    selected,
    withdrawn,
    below_min_votes,
    below_min_points,
    below_share_of_cost,
    excluded_by_group, // another project of its exclusive group ranked better
    unsupported,       // nobody gave it a point
    free_of_cost,      // MES: costs nothing, so there is no price to share (as equalshares.net)
    not_affordable,    // MES: its supporters' money left is less than its cost
    does_not_fit,      // greedy: costs more than what is left
    not_reached,       // greedy-no-skip stopped before it
};

struct project_report {
    outcome outcome_ = outcome::not_reached;
    std::string reason_; // human-readable, with the numbers that decided
};

// A tie the criteria did not settle and the input order did.
struct tie_note {
    std::vector<std::string> projects_; // tied, the winner first
    std::string context_;               // where: "greedy at 1200 left", "mes step 3", ...
};

struct comparison_report {
    comparison comparison_ = comparison::none;
    std::int64_t prefer_mes_ = 0;
    std::int64_t prefer_greedy_ = 0;
    bool kept_mes_ = true;
};

struct tally_result {
    rule rule_ = rule::greedy; // legacy name when tallied by one
    rule_spec spec_;
    utility utility_ = utility::cost;
    std::vector<selection> selected_; // in selection order
    std::int64_t total_cost_minor_ = 0;
    std::int64_t budget_minor_ = 0;
    // MES rules: the per-voter budget of the run that produced the outcome (raised by
    // add1), and how many add1 steps were accepted.
    rational voter_budget_minor_;
    std::int64_t add1_steps_ = 0;
    std::optional<comparison_report> comparison_;
    std::vector<project_report> projects_; // parallel to election_input::projects_
    std::vector<tie_note> ties_;
    std::vector<std::string> trace_; // human-readable, one line per step
};

// A tie the tie-breaking criteria left open while refuse_unresolved_ was on.
class unresolved_tie : public std::runtime_error {
public:
    unresolved_tie(std::vector<std::string> projects, const std::string& context);
    const std::vector<std::string>& projects() const noexcept { return projects_; }

private:
    std::vector<std::string> projects_;
};

// Ballot points above this are refused: it keeps every sum of points within 64 bits.
inline constexpr std::int64_t points_max = 1'000'000;

// Throws std::invalid_argument for input no rule can tally (unknown project index,
// negative cost, budget or points, points above points_max, a project twice on one
// ballot, costs whose sum overflows), for a spec out of range (unknown project in a tie
// order, group or withdrawn list; a non-positive increment) and when add1 would exceed
// its steps_max_; unresolved_tie as described above.
tally_result tally(const election_input& input, const rule_spec& spec);
tally_result tally(const election_input& input, rule r, const tally_options& options = {});

// Names as the command line spells them.
const char* to_string(rule r);
const char* to_string(utility u);
const char* to_string(method m);
const char* to_string(completion c);
const char* to_string(comparison c);
const char* to_string(tie_criterion t);
const char* to_string(outcome o);
std::optional<rule> parse_rule(std::string_view name); // the platform's names only
std::optional<utility> parse_utility(std::string_view name);
std::optional<comparison> parse_comparison(std::string_view name);
std::optional<tie_criterion> parse_tie_criterion(std::string_view name);
// Sets spec.completion_ (and add1_.exhaustive_ for add1e, add1eu); false if unknown.
bool parse_completion(std::string_view name, rule_spec& spec);

// "123.45" from 12345; exact, for traces and exports.
std::string format_minor(std::int64_t amount_minor);
// A rational amount of minor units as exact currency units: "843", "1011308/1172".
std::string format_units(const rational& amount_minor);

} // namespace schwarm::voting
