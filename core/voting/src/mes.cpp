#include "tally_detail.hpp"

#include <algorithm>
#include <cassert>
#include <optional>
#include <stdexcept>
#include <utility>

namespace schwarm::voting::detail {

namespace {

using boost::multiprecision::cpp_int;

// --- Method of Equal Shares ---

// Exactness without the cost of normalised fractions: during a run every budget and
// every price is an integer numerator over one shared denominator. Selecting a project
// whose price is X / (D * P) multiplies the shared denominator by P and every numerator
// with it, so no gcd is ever taken (gcds were most of the time of a cpp_rational MES).
// Integers grow by about log2(P) bits per selection, a few hundred bits on Kraków.

// Voters whose budgets are equal share a budget class, so prices are computed per
// (class, points) bucket instead of per voter. Budgets only shrink; a class is split
// when some of its voters pay for a project and others do not.
struct bucket {
    std::uint32_t class_ = 0;
    std::int64_t points_ = 0;
    std::int64_t count_ = 0;
    std::int32_t next_ = -1; // next bucket of the same class (other points)
    bool capped_ = false;
};

struct mes_outcome {
    std::vector<selection> selected_;
    std::int64_t total_cost_minor_ = 0;
    bool over_cap_ = false; // stopped early: the outcome already cost more than the cap
};

class mes_run {
public:
    mes_run(const prepared& p, const election_input& input, utility u, const ranker& rank)
        : p_{p}, input_{input}, utility_{u}, rank_{rank} {}

    // One MES run where every voter starts with `voter_budget_minor`. With a cap the run
    // stops as soon as the selected projects cost more than it: add1 only needs to know
    // that such a budget is too much. `detail` fills prices and payments in; `notes`
    // collects ties the input order settled (every run refuses one if the spec says so,
    // as the compute tool does, whether or not add1 keeps the run).
    mes_outcome run(const rational& voter_budget_minor, std::optional<std::int64_t> cost_cap_minor, bool detail,
                    std::vector<tie_note>* notes = nullptr) {
        reset(voter_budget_minor);
        notes_ = notes;
        voter_budget_text_ = format_units(voter_budget_minor);
        mes_outcome outcome;
        while (true) {
            const std::optional<std::uint32_t> best = choose(outcome.selected_.size() + 1);
            if (!best) {
                break;
            }
            outcome.selected_.push_back(pay(*best, detail));
            outcome.total_cost_minor_ += input_.projects_[*best].cost_minor_;
            if (cost_cap_minor && outcome.total_cost_minor_ > *cost_cap_minor) {
                outcome.over_cap_ = true;
                break;
            }
        }
        return outcome;
    }

    // After a run: what c's supporters have left in all (why MES could not buy c).
    rational money_behind(std::uint32_t c) const {
        cpp_int total = 0;
        for (std::size_t at = p_.supporter_offsets_[c]; at < p_.supporter_offsets_[c + 1]; ++at) {
            total += class_numerator_[voter_class_[p_.supporters_[at].voter_]];
        }
        return rational{total, denominator_};
    }

private:
    static constexpr std::uint32_t zero_class = 0;

    void reset(const rational& voter_budget_minor) {
        denominator_ = denominator(voter_budget_minor);
        class_numerator_.assign(2, cpp_int{0});
        class_numerator_[1] = numerator(voter_budget_minor);
        const bool has_money = voter_budget_minor > 0;
        class_voters_.assign(2, 0);
        class_voters_[has_money ? 1 : zero_class] = static_cast<std::int64_t>(p_.voter_count_);
        voter_class_.assign(p_.voter_count_, has_money ? 1 : zero_class);
        class_stamp_.assign(2, 0);
        class_first_.assign(2, -1);
        remaining_.clear();
        for (std::uint32_t c = 0; c < input_.projects_.size(); ++c) {
            // Free projects have no price to share; MES leaves them out, as equalshares.net does.
            if (p_.active_[c] && input_.projects_[c].cost_minor_ > 0 && p_.votes_[c] > 0) {
                remaining_.push_back(c);
            }
        }
        untouched_.assign(input_.projects_.size(), true);
        bound_numerator_.assign(input_.projects_.size(), cpp_int{0});
        bound_denominator_.assign(input_.projects_.size(), cpp_int{1});
        dirty_.assign(input_.projects_.size(), true);
    }

    // rho(a) < rho(b) as lower bounds: rho = numerator / (shared denominator * per-project
    // denominator), so the shared part cancels.
    int compare_bounds(std::uint32_t a, std::uint32_t b) {
        scratch_a_ = bound_numerator_[a];
        scratch_a_ *= bound_denominator_[b];
        scratch_b_ = bound_numerator_[b];
        scratch_b_ *= bound_denominator_[a];
        return scratch_a_.compare(scratch_b_);
    }

    // The cheapest affordable project, or none. Prices only rise as budgets shrink, so a
    // price computed earlier is a lower bound: remaining_ is kept sorted by bound and the
    // scan stops at the first bound above the best exact price found. Every project at
    // exactly the best price is exact by then (its bound is not above it), so ties are
    // all seen and go to the tie-breaking.
    std::optional<std::uint32_t> choose(std::size_t step) {
        std::optional<std::uint32_t> best;
        tied_.clear();
        recomputed_.clear();
        unaffordable_.clear();
        for (const std::uint32_t c : remaining_) {
            if (best && compare_bounds(c, *best) > 0) {
                break;
            }
            if (dirty_[c]) {
                if (!compute_price(c)) {
                    // Budgets never grow within a run, so it stays unaffordable.
                    unaffordable_.push_back(c);
                    continue;
                }
                bound_numerator_[c] = price_numerator_;
                bound_denominator_[c] = price_points_;
                if (utility_ == utility::cost) {
                    bound_denominator_[c] *= input_.projects_[c].cost_minor_;
                }
                dirty_[c] = false;
                recomputed_.push_back(c);
            }
            const int order = best ? compare_bounds(c, *best) : -1;
            if (order < 0) {
                best = c;
                tied_.assign(1, c);
            } else if (order == 0) {
                tied_.push_back(c);
            }
        }
        resort_remaining();
        if (tied_.size() > 1) {
            best = rank_.settle(
                tied_, "mes step " + std::to_string(step) + " at per-voter budget " + voter_budget_text_, notes_);
        }
        return best;
    }

    // Only recomputed bounds moved (and only upwards); re-insert those, drop the rest.
    void resort_remaining() {
        if (recomputed_.empty() && unaffordable_.empty()) {
            return;
        }
        std::erase_if(remaining_, [&](std::uint32_t c) {
            return std::find(recomputed_.begin(), recomputed_.end(), c) != recomputed_.end() ||
                   std::find(unaffordable_.begin(), unaffordable_.end(), c) != unaffordable_.end();
        });
        for (const std::uint32_t c : recomputed_) {
            const auto at =
                std::upper_bound(remaining_.begin(), remaining_.end(), c,
                                 [&](std::uint32_t x, std::uint32_t y) { return compare_bounds(x, y) < 0; });
            remaining_.insert(at, c);
        }
    }

    // Groups c's supporters with money left into (class, points) buckets.
    void gather(std::uint32_t c) {
        buckets_.clear();
        ++stamp_;
        if (untouched_[c]) {
            gather_untouched(c);
            return;
        }
        for (std::size_t s = p_.supporter_offsets_[c]; s < p_.supporter_offsets_[c + 1]; ++s) {
            const supporter& who = p_.supporters_[s];
            const std::uint32_t k = voter_class_[who.voter_];
            if (k == zero_class) {
                continue;
            }
            if (class_stamp_[k] != stamp_) {
                class_stamp_[k] = stamp_;
                class_first_[k] = -1;
            }
            std::int32_t b = class_first_[k];
            while (b >= 0 && buckets_[static_cast<std::size_t>(b)].points_ != who.points_) {
                b = buckets_[static_cast<std::size_t>(b)].next_;
            }
            if (b < 0) {
                buckets_.push_back({k, who.points_, 0, class_first_[k], false});
                b = static_cast<std::int32_t>(buckets_.size() - 1);
                class_first_[k] = b;
            }
            ++buckets_[static_cast<std::size_t>(b)].count_;
        }
    }

    // No supporter of c has paid yet: they are all in the starting class.
    void gather_untouched(std::uint32_t c) {
        constexpr std::uint32_t start_class = 1;
        if (class_voters_[start_class] == 0) {
            return;
        }
        class_stamp_[start_class] = stamp_;
        class_first_[start_class] = -1;
        for (const auto& [points, count] : p_.points_histogram_[c]) {
            buckets_.push_back({start_class, points, count, class_first_[start_class], false});
            class_first_[start_class] = static_cast<std::int32_t>(buckets_.size() - 1);
        }
    }

    // The smallest price per point at which c's supporters can pay its cost, each paying
    // min(budget left, price * points); false if all they have is not enough. The price
    // is price_numerator_ / (denominator_ * price_points_); buckets that pay all they
    // have are marked capped.
    //
    // Found by fixed-point iteration instead of sorting the buckets: start with nobody
    // capped; cap every bucket whose budget per point is below the current price; the
    // price of the rest rises but never beyond the true one, since capping only those
    // who truly cannot pay it keeps an upper bound on the money collected. It stops when
    // no one more is capped, after a few rounds in practice.
    bool compute_price(std::uint32_t c) {
        gather(c);
        cpp_int& cost_left = price_numerator_;
        cost_left = input_.projects_[c].cost_minor_;
        cost_left *= denominator_;
        money_ = 0;
        std::int64_t points_left = 0;
        for (const bucket& b : buckets_) {
            scratch_a_ = class_numerator_[b.class_];
            scratch_a_ *= b.count_;
            money_ += scratch_a_;
            points_left += b.points_ * b.count_;
        }
        if (money_ < cost_left) {
            return false;
        }
        bool capped_more = true;
        while (capped_more) {
            capped_more = false;
            newly_capped_.clear();
            for (std::size_t i = 0; i < buckets_.size(); ++i) {
                bucket& b = buckets_[i];
                if (b.capped_) {
                    continue;
                }
                // budget / points < cost_left / points_left, both over the shared denominator.
                scratch_a_ = class_numerator_[b.class_];
                scratch_a_ *= points_left;
                scratch_b_ = cost_left;
                scratch_b_ *= b.points_;
                if (scratch_a_ < scratch_b_) {
                    newly_capped_.push_back(i);
                }
            }
            for (const std::size_t i : newly_capped_) {
                bucket& b = buckets_[i];
                b.capped_ = true;
                scratch_a_ = class_numerator_[b.class_];
                scratch_a_ *= b.count_;
                cost_left -= scratch_a_;
                points_left -= b.points_ * b.count_;
                capped_more = true;
            }
        }
        assert(points_left > 0);
        price_points_ = points_left;
        return true;
    }

    // Selects c: its supporters pay, budget classes split, and the prices of every project
    // those voters support become stale.
    selection pay(std::uint32_t c, bool detail) {
        const bool affordable = compute_price(c);
        assert(affordable);
        (void)affordable;
        selection s = make_selection(p_, input_, c, selection_step::mes);
        const std::int64_t points = price_points_;
        if (detail) {
            const rational per_point_minor{price_numerator_, denominator_ * points};
            s.rho_ = utility_ == utility::cost ? per_point_minor / input_.projects_[c].cost_minor_ : per_point_minor;
        }
        rescale(points);
        new_class_.assign(buckets_.size(), zero_class);
        for (std::size_t i = 0; i < buckets_.size(); ++i) {
            const bucket& b = buckets_[i];
            // Both over the new shared denominator.
            const cpp_int& left = class_numerator_[b.class_];
            cpp_int payment = b.capped_ ? left : cpp_int{price_numerator_ * b.points_};
            if (!b.capped_ && payment < left) {
                new_class_[i] = add_class(left - payment);
            }
            (b.capped_ ? s.supporters_capped_ : s.supporters_full_) += b.count_;
            if (detail) {
                add_payment(s.payments_, rational{payment, denominator_}, b.points_, b.count_, b.capped_);
            }
        }
        if (detail) {
            add_broke_supporters(c, s);
        }
        move_payers(c);
        std::sort(s.payments_.begin(), s.payments_.end(), [](const payment_group& a, const payment_group& b) {
            if (a.capped_ != b.capped_) return !a.capped_;
            if (a.points_ != b.points_) return a.points_ > b.points_;
            return a.payment_minor_ > b.payment_minor_;
        });
        std::erase(remaining_, c);
        return s;
    }

    // Supporters with nothing left still back c: they pay all they have, zero.
    void add_broke_supporters(std::uint32_t c, selection& s) const {
        for (std::size_t at = p_.supporter_offsets_[c]; at < p_.supporter_offsets_[c + 1]; ++at) {
            const supporter& who = p_.supporters_[at];
            if (voter_class_[who.voter_] == zero_class) {
                ++s.supporters_capped_;
                add_payment(s.payments_, rational{0}, who.points_, 1, true);
            }
        }
    }

    // Multiplies the shared denominator by `factor` and every live numerator with it.
    void rescale(std::int64_t factor) {
        denominator_ *= factor;
        for (std::size_t k = 1; k < class_numerator_.size(); ++k) {
            if (class_voters_[k] > 0) {
                class_numerator_[k] *= factor;
            }
        }
        for (const std::uint32_t c : remaining_) {
            bound_numerator_[c] *= factor;
        }
    }

    // Moves c's paying supporters to their new classes; projects they support are stale.
    void move_payers(std::uint32_t c) {
        for (std::size_t at = p_.supporter_offsets_[c]; at < p_.supporter_offsets_[c + 1]; ++at) {
            const supporter& who = p_.supporters_[at];
            const std::uint32_t k = voter_class_[who.voter_];
            if (k == zero_class) {
                continue;
            }
            std::int32_t b = class_first_[k];
            while (buckets_[static_cast<std::size_t>(b)].points_ != who.points_) {
                b = buckets_[static_cast<std::size_t>(b)].next_;
            }
            const std::uint32_t to = new_class_[static_cast<std::size_t>(b)];
            voter_class_[who.voter_] = to;
            --class_voters_[k];
            ++class_voters_[to];
            for (std::size_t j = p_.voter_offsets_[who.voter_]; j < p_.voter_offsets_[who.voter_ + 1]; ++j) {
                dirty_[p_.voter_projects_[j]] = true;
                untouched_[p_.voter_projects_[j]] = false;
            }
        }
        // Emptied classes are never read again; free their digits.
        for (const bucket& b : buckets_) {
            if (class_voters_[b.class_] == 0) {
                class_numerator_[b.class_] = 0;
            }
        }
    }

    static void add_payment(std::vector<payment_group>& groups, rational payment, std::int64_t points,
                            std::int64_t count, bool capped) {
        for (payment_group& g : groups) {
            if (g.capped_ == capped && g.points_ == points && g.payment_minor_ == payment) {
                g.voter_count_ += count;
                return;
            }
        }
        groups.push_back({std::move(payment), points, count, capped});
    }

    std::uint32_t add_class(cpp_int budget_numerator) {
        class_numerator_.push_back(std::move(budget_numerator));
        class_voters_.push_back(0);
        class_stamp_.push_back(0);
        class_first_.push_back(-1);
        return static_cast<std::uint32_t>(class_numerator_.size() - 1);
    }

    const prepared& p_;
    const election_input& input_;
    utility utility_;
    const ranker& rank_;
    std::vector<tie_note>* notes_ = nullptr;
    std::string voter_budget_text_;
    std::vector<std::uint32_t> tied_;

    cpp_int denominator_;                  // shared by every budget and bound below
    std::vector<cpp_int> class_numerator_; // budget of each class (class 0: nothing left)
    std::vector<std::int64_t> class_voters_;
    std::vector<std::uint32_t> voter_class_;
    std::vector<std::uint32_t> remaining_; // candidates, sorted by bound
    std::vector<cpp_int> bound_numerator_;
    std::vector<cpp_int> bound_denominator_; // points paid for (times cost for cost utility)
    std::vector<bool> dirty_;                // bound is stale: supporters paid since
    std::vector<bool> untouched_;            // no supporter has paid for anything yet

    // Scratch, kept to avoid allocating per price computation.
    std::vector<bucket> buckets_;
    std::vector<std::uint64_t> class_stamp_;
    std::vector<std::int32_t> class_first_;
    std::uint64_t stamp_ = 0;
    std::vector<std::size_t> newly_capped_;
    std::vector<std::uint32_t> new_class_;
    std::vector<std::uint32_t> recomputed_;
    std::vector<std::uint32_t> unaffordable_;
    cpp_int price_numerator_;
    std::int64_t price_points_ = 0;
    cpp_int money_;
    cpp_int scratch_a_;
    cpp_int scratch_b_;
};

void trace_mes_selection(tally_result& result, const selection& s, utility u) {
    std::string line = "mes: select " + s.id_ + " (cost " + format_minor(s.cost_minor_) + ", votes " +
                       std::to_string(s.votes_) + ", points " + std::to_string(s.points_) + "): rho = " + s.rho_.str() +
                       " per unit of " + (u == utility::cost ? "cost utility" : "approval utility") + "; " +
                       std::to_string(s.supporters_full_) + " supporters paid rho*utility, " +
                       std::to_string(s.supporters_capped_) + " paid all they had left";
    for (const payment_group& g : s.payments_) {
        line += "; " + std::to_string(g.voter_count_) + " x ~" + format_rational_minor(g.payment_minor_, 4) +
                (g.capped_ ? " (all they had)" : "") + " with " + std::to_string(g.points_) + " point(s)";
    }
    result.trace_.push_back(std::move(line));
}

// Why each project MES saw was bought or not, from the adopted run.
void report_mes(const prepared& p, const election_input& input, const mes_run& run, tally_result& result) {
    std::vector<bool> taken(input.projects_.size(), false);
    for (std::size_t k = 0; k < result.selected_.size(); ++k) {
        const selection& s = result.selected_[k];
        taken[s.project_] = true;
        const rational per_point = result.utility_ == utility::cost ? s.rho_ * s.cost_minor_ : s.rho_;
        result.projects_[s.project_] = {outcome::selected,
                                        "MES step " + std::to_string(k + 1) + " at per-voter budget " +
                                            format_units(result.voter_budget_minor_) + ", the lowest price then: ~" +
                                            format_rational_minor(per_point, 2) + " per point; " +
                                            std::to_string(s.supporters_full_) + " supporters paid that, " +
                                            std::to_string(s.supporters_capped_) + " paid all they had left"};
    }
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        if (taken[c] || !p.active_[c] || p.votes_[c] == 0) {
            continue;
        }
        if (input.projects_[c].cost_minor_ == 0) {
            result.projects_[c] = {outcome::free_of_cost, "costs nothing: MES has no price to share"};
            continue;
        }
        result.projects_[c] = {outcome::not_affordable,
                               "when MES stopped (per-voter budget " + format_units(result.voter_budget_minor_) +
                                   "), its " + std::to_string(p.votes_[c]) + " supporters had ~" +
                                   format_rational_minor(run.money_behind(c), 2) + " left in all, less than its cost " +
                                   format_minor(input.projects_[c].cost_minor_)};
    }
}

void adopt(tally_result& result, mes_outcome outcome, utility u) {
    for (selection& s : outcome.selected_) {
        trace_mes_selection(result, s, u);
        result.selected_.push_back(std::move(s));
    }
    result.total_cost_minor_ = outcome.total_cost_minor_;
}

std::size_t mes_candidate_count(const prepared& p, const election_input& input) {
    std::size_t count = 0;
    for (std::size_t c = 0; c < input.projects_.size(); ++c) {
        count += p.active_[c] && input.projects_[c].cost_minor_ > 0 && p.votes_[c] > 0;
    }
    return count;
}

// Exhaustive: no project left out would still fit the real budget. equalshares.net
// checks every project, supported or not; here every project that passed eligibility.
bool exhaustive(const prepared& p, const mes_outcome& outcome, const election_input& input) {
    std::vector<bool> taken(input.projects_.size(), false);
    for (const selection& s : outcome.selected_) {
        taken[s.project_] = true;
    }
    for (std::size_t c = 0; c < input.projects_.size(); ++c) {
        if (p.active_[c] && !taken[c] &&
            outcome.total_cost_minor_ + input.projects_[c].cost_minor_ <= input.budget_minor_) {
            return false;
        }
    }
    return true;
}

// Integral endowments (the compute tool's option): budget/n rounded down to whole
// currency units; otherwise budget/n exactly.
rational add1_start(const election_input& input, std::size_t voter_count, const add1_settings& add1) {
    const std::int64_t n = static_cast<std::int64_t>(voter_count);
    if (!add1.integral_) {
        return rational{input.budget_minor_, n};
    }
    constexpr std::int64_t minor_per_unit = 100;
    return rational{input.budget_minor_ / n / minor_per_unit * minor_per_unit};
}

void trace_add1(tally_result& result, const rational& voter_budget, const std::string& what) {
    result.trace_.push_back("add1: per-voter budget " + format_units(voter_budget) + ": " + what);
}

// add1 completion (equalshares.net compute tool, pabulib "equalshares/add1"): from the
// start endowment, raise every voter's budget by one increment while the outcome still
// costs no more than the real budget, and (exhaustive) stop at the first outcome no
// project could be added to. Never jumps ahead: the outcome's cost is not monotone in
// the per-voter budget, so a search could stop at another step than the rule does.
// Also stops once every project MES could ever buy is bought: raising budgets further
// cannot add one (the compute tool would loop on such an input).
rational add1_search(const prepared& p, const election_input& input, const add1_settings& add1, mes_run& run,
                     tally_result& result) {
    rational voter_budget = add1_start(input, p.voter_count_, add1);
    mes_outcome current = run.run(voter_budget, std::nullopt, false);
    trace_add1(result, voter_budget, "outcome costs " + format_minor(current.total_cost_minor_));
    const std::size_t candidates = mes_candidate_count(p, input);
    while (current.selected_.size() < candidates && !(add1.exhaustive_ && exhaustive(p, current, input))) {
        if (result.add1_steps_ >= add1.steps_max_) {
            throw std::invalid_argument("tally: add1 needs more than " + std::to_string(add1.steps_max_) +
                                        " steps of " + format_minor(add1.increment_minor_) +
                                        "; use a larger increment");
        }
        rational next_budget = voter_budget + add1.increment_minor_;
        mes_outcome next = run.run(next_budget, input.budget_minor_, false);
        if (next.over_cap_) {
            trace_add1(result, next_budget, "outcome costs more than the budget; stop");
            return voter_budget;
        }
        voter_budget = std::move(next_budget);
        current = std::move(next);
        ++result.add1_steps_;
        trace_add1(result, voter_budget, "outcome costs " + format_minor(current.total_cost_minor_));
    }
    trace_add1(result, voter_budget,
               current.selected_.size() == candidates ? "every project MES could buy is bought; stop"
                                                      : "exhaustive: no other project fits the budget; stop");
    return voter_budget;
}

} // namespace

void equal_shares(const prepared& p, const election_input& input, const rule_spec& spec, const ranker& rank,
                  tally_result& result) {
    if (p.voter_count_ == 0) {
        result.trace_.push_back("mes: no voters, nothing selected");
        return;
    }
    mes_run run{p, input, spec.utility_, rank};
    const bool add1 = spec.completion_ == completion::add1 || spec.completion_ == completion::add1u;
    result.voter_budget_minor_ = add1 ? add1_search(p, input, spec.add1_, run, result)
                                      : rational{input.budget_minor_, static_cast<std::int64_t>(p.voter_count_)};
    // add1's steps ran without prices and payments; the adopted budget runs again to report
    // them (deterministic, so it selects the same projects).
    adopt(result, run.run(result.voter_budget_minor_, std::nullopt, true, &result.ties_), spec.utility_);
    report_mes(p, input, run, result);
}

} // namespace schwarm::voting::detail
