#include "core/voting/tally.hpp"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>

namespace schwarm::voting {

namespace {

using boost::multiprecision::cpp_int;

// --- input, reshaped for the rules ---

struct supporter {
    std::uint32_t voter_ = 0;
    std::int64_t points_ = 0;
};

// Supporters per project and projects per voter, as flat arrays (one allocation each,
// not one per ballot): MES walks both many times on large rounds.
struct prepared {
    std::size_t voter_count_ = 0;
    std::vector<std::size_t> supporter_offsets_;  // project c: [offsets[c], offsets[c+1])
    std::vector<supporter> supporters_;
    std::vector<std::size_t> voter_offsets_;      // voter v: [offsets[v], offsets[v+1])
    std::vector<std::uint32_t> voter_projects_;
    std::vector<std::int64_t> votes_;   // per project
    std::vector<std::int64_t> points_;  // per project
};

void validate(const election_input& input, const tally_options& options) {
    if (input.budget_minor_ < 0) {
        throw std::invalid_argument("tally: negative budget");
    }
    if (options.add1_step_minor_ <= 0) {
        throw std::invalid_argument("tally: add1 step must be positive");
    }
    for (const tally_project& p : input.projects_) {
        if (p.cost_minor_ < 0) {
            throw std::invalid_argument("tally: negative cost for project '" + p.id_ + "'");
        }
    }
    std::vector<std::size_t> seen_on_ballot(input.projects_.size(), 0);
    for (std::size_t b = 0; b < input.ballots_.size(); ++b) {
        for (const ballot_entry& entry : input.ballots_[b].entries_) {
            if (entry.project_ >= input.projects_.size()) {
                throw std::invalid_argument("tally: ballot " + std::to_string(b) + " names unknown project index " +
                                            std::to_string(entry.project_));
            }
            if (entry.points_ < 0) {
                throw std::invalid_argument("tally: ballot " + std::to_string(b) + " has negative points");
            }
            // Marked with b + 1 so that the array needs no clearing between ballots.
            if (seen_on_ballot[entry.project_] == b + 1) {
                throw std::invalid_argument("tally: ballot " + std::to_string(b) + " names project '" +
                                            input.projects_[entry.project_].id_ + "' twice");
            }
            seen_on_ballot[entry.project_] = b + 1;
        }
    }
}

prepared prepare(const election_input& input) {
    const std::size_t project_count = input.projects_.size();
    prepared p;
    p.voter_count_ = input.ballots_.size();
    p.votes_.assign(project_count, 0);
    p.points_.assign(project_count, 0);
    p.voter_offsets_.reserve(p.voter_count_ + 1);
    p.voter_offsets_.push_back(0);
    // Zero points express no support: such an entry neither counts as a vote nor pays.
    for (const ballot& b : input.ballots_) {
        for (const ballot_entry& entry : b.entries_) {
            if (entry.points_ > 0) {
                ++p.votes_[entry.project_];
                p.points_[entry.project_] += entry.points_;
                p.voter_projects_.push_back(entry.project_);
            }
        }
        p.voter_offsets_.push_back(p.voter_projects_.size());
    }
    p.supporter_offsets_.assign(project_count + 1, 0);
    for (std::size_t c = 0; c < project_count; ++c) {
        p.supporter_offsets_[c + 1] = p.supporter_offsets_[c] + static_cast<std::size_t>(p.votes_[c]);
    }
    p.supporters_.resize(p.supporter_offsets_[project_count]);
    std::vector<std::size_t> fill(p.supporter_offsets_.begin(), p.supporter_offsets_.end() - 1);
    for (std::size_t v = 0; v < p.voter_count_; ++v) {
        for (const ballot_entry& entry : input.ballots_[v].entries_) {
            if (entry.points_ > 0) {
                p.supporters_[fill[entry.project_]++] = {static_cast<std::uint32_t>(v), entry.points_};
            }
        }
    }
    return p;
}

// --- formatting ---

// A non-negative rational amount of minor units as currency units with `digits`
// decimals, truncated: "≈" in traces, never used for a decision.
std::string format_rational_minor(const rational& amount_minor, int digits) {
    cpp_int scale = 1;
    for (int i = 0; i < digits; ++i) {
        scale *= 10;
    }
    const cpp_int scaled = numerator(amount_minor) * scale / (denominator(amount_minor) * 100);
    const cpp_int whole = scaled / scale;
    std::string fraction = cpp_int{scaled % scale}.str();
    fraction.insert(0, static_cast<std::size_t>(digits) - fraction.size(), '0');
    return whole.str() + "." + fraction;
}

// --- tie-breaking ---

// Greedy order and MES ties: more points, then more votes, then lower cost, then the
// project listed first. Total, so every tally is deterministic.
bool ranks_before(const prepared& p, const election_input& input, std::uint32_t a, std::uint32_t b) {
    if (p.points_[a] != p.points_[b]) return p.points_[a] > p.points_[b];
    if (p.votes_[a] != p.votes_[b]) return p.votes_[a] > p.votes_[b];
    const std::int64_t cost_a = input.projects_[a].cost_minor_;
    const std::int64_t cost_b = input.projects_[b].cost_minor_;
    if (cost_a != cost_b) return cost_a < cost_b;
    return a < b;
}

selection make_selection(const prepared& p, const election_input& input, std::uint32_t c, selection_step step) {
    selection s;
    s.project_ = c;
    s.id_ = input.projects_[c].id_;
    s.cost_minor_ = input.projects_[c].cost_minor_;
    s.votes_ = p.votes_[c];
    s.points_ = p.points_[c];
    s.step_ = step;
    return s;
}

// --- greedy ---

// Adds projects by rank while they fit what is left; a project that does not fit is
// skipped and the next one tried (as Warszawa and Kraków count). Projects nobody
// supports are never funded.
void greedy_fill(const prepared& p, const election_input& input, tally_result& result) {
    std::vector<bool> taken(input.projects_.size(), false);
    for (const selection& s : result.selected_) {
        taken[s.project_] = true;
    }
    std::vector<std::uint32_t> order;
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        if (!taken[c] && p.votes_[c] > 0) {
            order.push_back(c);
        }
    }
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return ranks_before(p, input, a, b); });
    for (const std::uint32_t c : order) {
        const std::int64_t cost = input.projects_[c].cost_minor_;
        const std::int64_t left = result.budget_minor_ - result.total_cost_minor_;
        const std::string what = input.projects_[c].id_ + " (points " + std::to_string(p.points_[c]) + ", votes " +
                                 std::to_string(p.votes_[c]) + ", cost " + format_minor(cost) + ")";
        if (cost > left) {
            result.trace_.push_back("greedy: skip " + what + ": exceeds the " + format_minor(left) + " left");
            continue;
        }
        result.selected_.push_back(make_selection(p, input, c, selection_step::greedy));
        result.total_cost_minor_ += cost;
        result.trace_.push_back("greedy: select " + what + ", " +
                                format_minor(result.budget_minor_ - result.total_cost_minor_) + " left");
    }
}

// --- Method of Equal Shares ---

// Voters whose budgets are equal share a budget class, so prices are computed per
// (class, points) bucket instead of per voter. Budgets only shrink; a class is split
// when some of its voters pay for a project and others do not.
struct bucket {
    std::uint32_t class_ = 0;
    std::int64_t points_ = 0;
    std::int64_t count_ = 0;
    std::int32_t next_ = -1;  // next bucket of the same class (other points)
    bool capped_ = false;
};

struct price {
    rational rho_;              // per unit of utility: what MES minimises
    rational per_point_minor_;  // what an uncapped supporter pays per point
};

struct mes_outcome {
    std::vector<selection> selected_;
    std::int64_t total_cost_minor_ = 0;
    bool over_cap_ = false;  // stopped early: the outcome already cost more than the cap
};

class mes_run {
public:
    mes_run(const prepared& p, const election_input& input, utility u)
        : p_{p}, input_{input}, utility_{u} {}

    // One MES run where every voter starts with `voter_budget_minor`. With a cap the run
    // stops as soon as the selected projects cost more than it: add1 only needs to know
    // that such a budget is too much.
    mes_outcome run(const rational& voter_budget_minor, std::optional<std::int64_t> cost_cap_minor) {
        reset(voter_budget_minor);
        mes_outcome outcome;
        while (true) {
            const std::optional<std::uint32_t> best = choose();
            if (!best) {
                break;
            }
            outcome.selected_.push_back(pay(*best));
            outcome.total_cost_minor_ += input_.projects_[*best].cost_minor_;
            if (cost_cap_minor && outcome.total_cost_minor_ > *cost_cap_minor) {
                outcome.over_cap_ = true;
                break;
            }
        }
        return outcome;
    }

private:
    static constexpr std::uint32_t zero_class = 0;

    void reset(const rational& voter_budget_minor) {
        class_budget_minor_.clear();
        class_budget_minor_.push_back(0);
        class_budget_minor_.push_back(voter_budget_minor);
        voter_class_.assign(p_.voter_count_, voter_budget_minor > 0 ? 1 : zero_class);
        class_stamp_.assign(2, 0);
        class_first_.assign(2, -1);
        remaining_.clear();
        for (std::uint32_t c = 0; c < input_.projects_.size(); ++c) {
            // Free projects have no price to share; MES leaves them out, as equalshares.net does.
            if (input_.projects_[c].cost_minor_ > 0 && p_.votes_[c] > 0) {
                remaining_.push_back(c);
            }
        }
        rho_bound_.assign(input_.projects_.size(), rational{0});
        dirty_.assign(input_.projects_.size(), true);
    }

    rational utility_base(std::uint32_t c) const {
        return utility_ == utility::cost ? rational{input_.projects_[c].cost_minor_} : rational{1};
    }

    // The cheapest affordable project, or none. Prices only rise as budgets shrink, so
    // a price computed earlier is a lower bound and projects whose bound already exceeds
    // the best price need not be recomputed.
    std::optional<std::uint32_t> choose() {
        std::sort(remaining_.begin(), remaining_.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return rho_bound_[a] < rho_bound_[b]; });
        std::optional<std::uint32_t> best;
        std::vector<std::uint32_t> unaffordable;
        for (const std::uint32_t c : remaining_) {
            if (best && rho_bound_[c] > rho_bound_[*best]) {
                break;
            }
            if (dirty_[c]) {
                const std::optional<price> current = compute_price(c);
                if (!current) {
                    // Budgets never grow within a run, so it stays unaffordable.
                    unaffordable.push_back(c);
                    continue;
                }
                rho_bound_[c] = current->rho_;
                dirty_[c] = false;
            }
            if (!best || rho_bound_[c] < rho_bound_[*best] ||
                (rho_bound_[c] == rho_bound_[*best] && ranks_before(p_, input_, c, *best))) {
                best = c;
            }
        }
        remove_remaining(unaffordable);
        return best;
    }

    void remove_remaining(const std::vector<std::uint32_t>& gone) {
        if (gone.empty()) {
            return;
        }
        std::erase_if(remaining_, [&](std::uint32_t c) {
            return std::find(gone.begin(), gone.end(), c) != gone.end();
        });
    }

    // Groups c's supporters with money left into (class, points) buckets.
    void gather(std::uint32_t c) {
        buckets_.clear();
        ++stamp_;
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

    // Smallest price per point at which c's supporters can pay its cost, each paying
    // min(budget left, price * points); none if all they have is not enough. Marks the
    // buckets that pay everything they have.
    std::optional<price> compute_price(std::uint32_t c) {
        gather(c);
        const rational cost{input_.projects_[c].cost_minor_};
        rational money = 0;
        std::int64_t points_left = 0;
        for (const bucket& b : buckets_) {
            money += class_budget_minor_[b.class_] * b.count_;
            points_left += b.points_ * b.count_;
        }
        if (money < cost) {
            return std::nullopt;
        }
        // Order by budget per point: the poorest (per point) are the first to be capped.
        order_.resize(buckets_.size());
        ratio_.resize(buckets_.size());
        for (std::size_t i = 0; i < buckets_.size(); ++i) {
            order_[i] = i;
            ratio_[i] = class_budget_minor_[buckets_[i].class_] / buckets_[i].points_;
        }
        std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return ratio_[a] < ratio_[b]; });
        rational cost_left = cost;
        rational per_point = 0;
        for (const std::size_t i : order_) {
            bucket& b = buckets_[i];
            per_point = cost_left / points_left;
            // Capped when it cannot pay the equal price per point: it pays all it has.
            b.capped_ = ratio_[i] < per_point;
            if (!b.capped_) {
                break;
            }
            cost_left -= class_budget_minor_[b.class_] * b.count_;
            points_left -= b.points_ * b.count_;
        }
        assert(points_left > 0);
        per_point = cost_left / points_left;
        return price{per_point / utility_base(c), per_point};
    }

    // Selects c: its supporters pay, budget classes split, and the prices of every project
    // those voters support become stale.
    selection pay(std::uint32_t c) {
        const std::optional<price> current = compute_price(c);
        assert(current);
        selection s = make_selection(p_, input_, c, selection_step::mes);
        s.rho_ = current->rho_;
        std::vector<std::uint32_t> new_class(buckets_.size());
        for (std::size_t i = 0; i < buckets_.size(); ++i) {
            const bucket& b = buckets_[i];
            const rational& left = class_budget_minor_[b.class_];
            rational payment = b.capped_ ? left : rational{current->per_point_minor_ * b.points_};
            if (b.capped_ || payment >= left) {
                new_class[i] = zero_class;
                payment = left;
            } else {
                new_class[i] = add_class(left - payment);
            }
            (b.capped_ ? s.supporters_capped_ : s.supporters_full_) += b.count_;
            add_payment(s.payments_, payment, b.points_, b.count_, b.capped_);
        }
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
            voter_class_[who.voter_] = new_class[static_cast<std::size_t>(b)];
            for (std::size_t j = p_.voter_offsets_[who.voter_]; j < p_.voter_offsets_[who.voter_ + 1]; ++j) {
                dirty_[p_.voter_projects_[j]] = true;
            }
        }
        std::sort(s.payments_.begin(), s.payments_.end(), [](const payment_group& a, const payment_group& b) {
            if (a.capped_ != b.capped_) return !a.capped_;
            if (a.points_ != b.points_) return a.points_ > b.points_;
            return a.payment_minor_ > b.payment_minor_;
        });
        std::erase(remaining_, c);
        return s;
    }

    static void add_payment(std::vector<payment_group>& groups, const rational& payment, std::int64_t points,
                            std::int64_t count, bool capped) {
        for (payment_group& g : groups) {
            if (g.capped_ == capped && g.points_ == points && g.payment_minor_ == payment) {
                g.voter_count_ += count;
                return;
            }
        }
        groups.push_back({payment, points, count, capped});
    }

    std::uint32_t add_class(rational budget_minor) {
        class_budget_minor_.push_back(std::move(budget_minor));
        class_stamp_.push_back(0);
        class_first_.push_back(-1);
        return static_cast<std::uint32_t>(class_budget_minor_.size() - 1);
    }

    const prepared& p_;
    const election_input& input_;
    utility utility_;

    std::vector<rational> class_budget_minor_;
    std::vector<std::uint32_t> voter_class_;
    std::vector<std::uint32_t> remaining_;
    std::vector<rational> rho_bound_;
    std::vector<bool> dirty_;

    // Scratch for gather(), kept to avoid allocating per price computation.
    std::vector<bucket> buckets_;
    std::vector<std::uint64_t> class_stamp_;
    std::vector<std::int32_t> class_first_;
    std::uint64_t stamp_ = 0;
    std::vector<std::size_t> order_;
    std::vector<rational> ratio_;
};

void trace_mes_selection(tally_result& result, const selection& s, utility u) {
    std::string line = "mes: select " + s.id_ + " (cost " + format_minor(s.cost_minor_) + ", votes " +
                       std::to_string(s.votes_) + ", points " + std::to_string(s.points_) + "): rho = " +
                       s.rho_.str() + " per unit of " + (u == utility::cost ? "cost utility" : "approval utility") +
                       "; " + std::to_string(s.supporters_full_) + " supporters paid rho*utility, " +
                       std::to_string(s.supporters_capped_) + " paid all they had left";
    for (const payment_group& g : s.payments_) {
        line += "; " + std::to_string(g.voter_count_) + " x " + format_rational_minor(g.payment_minor_, 4) +
                (g.capped_ ? " (all left)" : "") + " at " + std::to_string(g.points_) + " points";
    }
    result.trace_.push_back(std::move(line));
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
        count += input.projects_[c].cost_minor_ > 0 && p.votes_[c] > 0;
    }
    return count;
}

// Exhaustive: no project left out would still fit the real budget (equalshares.net's
// check, over all projects).
bool exhaustive(const mes_outcome& outcome, const election_input& input, std::int64_t budget_minor) {
    std::vector<bool> taken(input.projects_.size(), false);
    for (const selection& s : outcome.selected_) {
        taken[s.project_] = true;
    }
    for (std::size_t c = 0; c < input.projects_.size(); ++c) {
        if (!taken[c] && outcome.total_cost_minor_ + input.projects_[c].cost_minor_ <= budget_minor) {
            return false;
        }
    }
    return true;
}

// add1 completion (equalshares.net, pabulib "equalshares/add1"): start from the whole
// currency units of budget/n per voter, then raise every voter's budget by one step
// while the outcome still costs no more than the real budget. Stops at the first step
// that overshoots; never jumps ahead, because the outcome's cost is not monotone in
// the per-voter budget and a search could land on a different step than the rule's.
void mes_add1(const prepared& p, const election_input& input, const tally_options& options, tally_result& result) {
    const std::int64_t n = static_cast<std::int64_t>(p.voter_count_);
    const std::int64_t step = options.add1_step_minor_;
    std::int64_t voter_budget = input.budget_minor_ / n / step * step;
    mes_run run{p, input, options.utility_};
    mes_outcome current = run.run(rational{voter_budget}, std::nullopt);
    result.trace_.push_back("add1: per-voter budget " + format_minor(voter_budget) + ": outcome costs " +
                            format_minor(current.total_cost_minor_));
    const std::size_t candidates = mes_candidate_count(p, input);
    // Bounded: once one voter's budget covers every cost, every candidate is selected.
    while (!exhaustive(current, input, input.budget_minor_) && current.selected_.size() < candidates) {
        const std::int64_t next_budget = voter_budget + step;
        mes_outcome next = run.run(rational{next_budget}, input.budget_minor_);
        if (next.over_cap_) {
            result.trace_.push_back("add1: per-voter budget " + format_minor(next_budget) +
                                    ": outcome costs more than the budget; stop");
            break;
        }
        voter_budget = next_budget;
        current = std::move(next);
        ++result.add1_steps_;
        result.trace_.push_back("add1: per-voter budget " + format_minor(voter_budget) + ": outcome costs " +
                                format_minor(current.total_cost_minor_));
    }
    result.voter_budget_minor_ = voter_budget;
    adopt(result, std::move(current), options.utility_);
}

}  // namespace

tally_result tally(const election_input& input, rule r, const tally_options& options) {
    validate(input, options);
    const prepared p = prepare(input);
    tally_result result;
    result.rule_ = r;
    result.utility_ = options.utility_;
    result.budget_minor_ = input.budget_minor_;
    if (r == rule::greedy) {
        greedy_fill(p, input, result);
        return result;
    }
    if (p.voter_count_ == 0) {
        result.trace_.push_back("mes: no voters, nothing selected");
        return result;
    }
    if (r == rule::mes) {
        result.voter_budget_minor_ = rational{input.budget_minor_, static_cast<std::int64_t>(p.voter_count_)};
        mes_run run{p, input, options.utility_};
        adopt(result, run.run(result.voter_budget_minor_, std::nullopt), options.utility_);
        return result;
    }
    mes_add1(p, input, options, result);
    if (r == rule::mes_add1_greedy) {
        greedy_fill(p, input, result);
    }
    return result;
}

const char* to_string(rule r) {
    switch (r) {
        case rule::greedy: return "greedy";
        case rule::mes: return "mes";
        case rule::mes_add1: return "mes-add1";
        case rule::mes_add1_greedy: return "mes-add1-greedy";
    }
    return "greedy";
}

const char* to_string(utility u) {
    switch (u) {
        case utility::cost: return "cost";
        case utility::approval: return "approval";
    }
    return "cost";
}

std::string format_minor(std::int64_t amount_minor) {
    const bool negative = amount_minor < 0;
    // Through unsigned so that the most negative value does not overflow on negation.
    const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(amount_minor)
                                             : static_cast<std::uint64_t>(amount_minor);
    const std::uint64_t cents = magnitude % 100;
    std::string out = (negative ? "-" : "") + std::to_string(magnitude / 100);
    if (cents != 0) {
        out += cents < 10 ? ".0" : ".";
        out += std::to_string(cents);
    }
    return out;
}

}  // namespace schwarm::voting
