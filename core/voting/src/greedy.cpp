#include "tally_detail.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace schwarm::voting::detail {

namespace {

std::int64_t left_of(const tally_result& result) { return result.budget_minor_ - result.total_cost_minor_; }

std::string describe(const prepared& p, const election_input& input, std::uint32_t c) {
    return input.projects_[c].id_ + " (points " + std::to_string(p.points_[c]) + ", votes " +
           std::to_string(p.votes_[c]) + ", cost " + format_minor(input.projects_[c].cost_minor_) + ")";
}

// Does the order within a group of tied projects change what greedy selects? With
// skipping: only if the projects that fit one by one do not fit together (then the one
// taken first may crowd out another). Without skipping: only if some fit and not all.
bool order_matters(const election_input& input, const std::vector<std::uint32_t>& group, std::int64_t left,
                   bool stop_at_misfit) {
    std::int64_t fitting_sum = 0;
    std::int64_t all_sum = 0;
    bool any_fits = false;
    for (const std::uint32_t c : group) {
        const std::int64_t cost = input.projects_[c].cost_minor_;
        all_sum += cost;
        if (cost <= left) {
            fitting_sum += cost;
            any_fits = true;
        }
    }
    if (stop_at_misfit) {
        return any_fits && all_sum > left;
    }
    return fitting_sum > left;
}

// Adds the reason to what an earlier phase said (MES before a utilitarian completion).
void report(tally_result& result, std::uint32_t c, outcome o, std::string reason, const char* phase) {
    project_report& r = result.projects_[c];
    if (r.outcome_ == outcome::not_affordable && o != outcome::selected) {
        reason = r.reason_ + "; then " + phase + ": " + reason;
    }
    r = {o, std::move(reason)};
}

class greedy_walk {
public:
    greedy_walk(const prepared& p, const election_input& input, bool stop_at_misfit, tally_result& result,
                const char* phase)
        : p_{p}, input_{input}, stop_at_misfit_{stop_at_misfit}, result_{result}, phase_{phase} {}

    void consider(std::uint32_t c, std::size_t rank) {
        const std::string place = "rank " + std::to_string(rank) + " by points";
        if (stopped_at_) {
            report(result_, c, outcome::not_reached,
                   "greedy-no-skip stopped at " + input_.projects_[*stopped_at_].id_ + " before its turn (" + place +
                       ")",
                   phase_);
            return;
        }
        const std::int64_t cost = input_.projects_[c].cost_minor_;
        const std::int64_t left = left_of(result_);
        if (cost > left) {
            const std::string why = "costs " + format_minor(cost) + ", more than the " + format_minor(left) +
                                    " left at its turn (" + place + ")";
            if (stop_at_misfit_) {
                stopped_at_ = c;
                result_.trace_.push_back("greedy-no-skip: stop at " + describe(p_, input_, c) + ": exceeds the " +
                                         format_minor(left) + " left");
                report(result_, c, outcome::does_not_fit, why + "; greedy-no-skip stops here", phase_);
                return;
            }
            result_.trace_.push_back("greedy: skip " + describe(p_, input_, c) + ": exceeds the " + format_minor(left) +
                                     " left");
            report(result_, c, outcome::does_not_fit, why, phase_);
            return;
        }
        result_.selected_.push_back(make_selection(p_, input_, c, selection_step::greedy));
        result_.total_cost_minor_ += cost;
        result_.trace_.push_back("greedy: select " + describe(p_, input_, c) + ", " + format_minor(left_of(result_)) +
                                 " left");
        report(result_, c, outcome::selected,
               std::string{phase_} + ", " + place + " with " + std::to_string(p_.points_[c]) + " points: costs " +
                   format_minor(cost) + " of the " + format_minor(left) + " left",
               phase_);
    }

    bool stopped() const { return stopped_at_.has_value(); }

private:
    const prepared& p_;
    const election_input& input_;
    bool stop_at_misfit_;
    tally_result& result_;
    const char* phase_;
    std::optional<std::uint32_t> stopped_at_;
};

} // namespace

// Adds projects by rank while they fit what is left (as Warszawa and Kraków count); a
// project that does not fit is skipped, or with stop_at_misfit ends the count
// (Gdynia). Projects nobody supports are never funded.
void greedy_fill(const prepared& p, const election_input& input, const ranker& rank, bool stop_at_misfit,
                 tally_result& result, const char* phase) {
    std::vector<bool> taken(input.projects_.size(), false);
    for (const selection& s : result.selected_) {
        taken[s.project_] = true;
    }
    std::vector<std::uint32_t> order;
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        if (!taken[c] && p.active_[c] && p.votes_[c] > 0) {
            order.push_back(c);
        }
    }
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return rank.greedy_before(a, b); });
    greedy_walk walk{p, input, stop_at_misfit, result, phase};
    std::vector<std::uint32_t> group;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t end = i + 1;
        while (end < order.size() && rank.tied_for_greedy(order[i], order[end])) {
            ++end;
        }
        group.assign(order.begin() + static_cast<std::ptrdiff_t>(i), order.begin() + static_cast<std::ptrdiff_t>(end));
        if (group.size() > 1 && !walk.stopped() && order_matters(input, group, left_of(result), stop_at_misfit)) {
            rank.unresolved(group, "greedy with " + format_minor(left_of(result)) + " left", &result.ties_);
        }
        for (std::size_t k = i; k < end; ++k) {
            walk.consider(order[k], k + 1);
        }
        i = end;
    }
}

} // namespace schwarm::voting::detail
