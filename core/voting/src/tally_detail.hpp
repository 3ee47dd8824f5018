#pragma once

// Internals shared by tally.cpp (driver, eligibility, reports), greedy.cpp and mes.cpp.
// Not part of the voting library's surface.

#include "voting/tally.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace schwarm::voting::detail {

struct supporter {
    std::uint32_t voter_ = 0;
    std::int64_t points_ = 0;
};

// Supporters per project and projects per voter, as flat arrays (one allocation each,
// not one per ballot): MES walks both many times on large rounds. Only active
// projects (those that passed eligibility) have supporters; counts cover all.
struct prepared {
    std::size_t voter_count_ = 0;
    std::vector<std::int64_t> votes_;            // per project, supporters with points > 0
    std::vector<std::int64_t> points_;           // per project
    std::vector<bool> active_;                   // takes part in the rule
    std::vector<std::size_t> supporter_offsets_; // project c: [offsets[c], offsets[c+1])
    std::vector<supporter> supporters_;
    std::vector<std::size_t> voter_offsets_; // voter v: [offsets[v], offsets[v+1])
    std::vector<std::uint32_t> voter_projects_;
    // Per project: how many supporters gave each number of points. Every run starts with
    // all voters alike, so first prices come from this instead of a walk over supporters.
    std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> points_histogram_;
};

// Counts votes and points of every project; every project starts active.
prepared count_votes(const election_input& input);
// Builds the supporter and voter arrays for the active projects.
void link_supporters(prepared& p, const election_input& input);

// Orders tied projects by the spec's tie-breaking criteria, then by input order.
class ranker {
public:
    ranker(const prepared& p, const election_input& input, const tie_breaking& ties);

    // The criteria alone: negative if a wins, positive if b wins, 0 if still tied.
    int compare(std::uint32_t a, std::uint32_t b) const;
    // Greedy's ranking: more points, then the criteria, then the project listed first.
    bool greedy_before(std::uint32_t a, std::uint32_t b) const;
    bool tied_for_greedy(std::uint32_t a, std::uint32_t b) const;
    // The winner among projects tied on the rule's measure. A tie the criteria leave
    // open throws unresolved_tie when refusal is on; otherwise the project listed first
    // wins and, with notes, the tie is written down.
    std::uint32_t settle(const std::vector<std::uint32_t>& tied, const std::string& context,
                         std::vector<tie_note>* notes) const;
    // Throws or notes a tie among `tied` (all equal under the criteria) whose order
    // changes the outcome; `tied` sorted with the winner first.
    void unresolved(const std::vector<std::uint32_t>& tied, const std::string& context,
                    std::vector<tie_note>* notes) const;
    bool refuses() const { return ties_.refuse_unresolved_; }

private:
    const prepared& p_;
    const election_input& input_;
    const tie_breaking& ties_;
    std::vector<std::size_t> listed_at_; // position in ties_.order_, or order_.size()
};

selection make_selection(const prepared& p, const election_input& input, std::uint32_t c, selection_step step);

// A non-negative rational amount of minor units as currency units with `digits`
// decimals, truncated: "~" in traces, never used for a decision.
std::string format_rational_minor(const rational& amount_minor, int digits);

// Greedy by points over the active, supported projects not yet selected, with what is
// left of the budget. stop_at_misfit: greedy-no-skip. Fills reports of the projects it
// considers; `phase` names it there ("greedy", "utilitarian completion").
void greedy_fill(const prepared& p, const election_input& input, const ranker& rank, bool stop_at_misfit,
                 tally_result& result, const char* phase = "greedy");

// MES with the spec's completion by add1 (utilitarian completion and the comparison
// step are the caller's): fills selected_, total_cost_minor_, voter_budget_minor_,
// add1_steps_, trace_ and ties_, and reports every project MES left out.
void equal_shares(const prepared& p, const election_input& input, const rule_spec& spec, const ranker& rank,
                  tally_result& result);

} // namespace schwarm::voting::detail
