#include "voting/tally.hpp"

#include "base/money.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
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
    std::vector<std::size_t> supporter_offsets_; // project c: [offsets[c], offsets[c+1])
    std::vector<supporter> supporters_;
    std::vector<std::size_t> voter_offsets_; // voter v: [offsets[v], offsets[v+1])
    std::vector<std::uint32_t> voter_projects_;
    std::vector<std::int64_t> votes_;  // per project
    std::vector<std::int64_t> points_; // per project
    // Per project: how many supporters gave each number of points. Every run starts with
    // all voters alike, so first prices come from this instead of a walk over supporters.
    std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> points_histogram_;
};

void validate(const election_input& input, const tally_options& options) {
    if (input.budget_minor_ < 0) {
        throw std::invalid_argument("tally: negative budget");
    }
    if (options.add1_step_minor_ <= 0) {
        throw std::invalid_argument("tally: add1 step must be positive");
    }
    if (input.ballots_.size() > std::numeric_limits<std::uint32_t>::max() ||
        input.projects_.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("tally: more ballots or projects than 32-bit indices hold");
    }
    // Totals of selected costs are int64 sums; if all costs together fit, every total does.
    std::int64_t all_costs_minor = 0;
    for (const tally_project& p : input.projects_) {
        if (p.cost_minor_ < 0) {
            throw std::invalid_argument("tally: negative cost for project '" + p.id_ + "'");
        }
        if (p.cost_minor_ > std::numeric_limits<std::int64_t>::max() - all_costs_minor) {
            throw std::invalid_argument("tally: costs add up beyond 64 bits");
        }
        all_costs_minor += p.cost_minor_;
    }
    std::vector<std::size_t> seen_on_ballot(input.projects_.size(), 0);
    for (std::size_t b = 0; b < input.ballots_.size(); ++b) {
        for (const ballot_entry& entry : input.ballots_[b].entries_) {
            if (entry.project_ >= input.projects_.size()) {
                throw std::invalid_argument("tally: ballot " + std::to_string(b) + " names unknown project index " +
                                            std::to_string(entry.project_));
            }
            if (entry.points_ < 0 || entry.points_ > points_max) {
                throw std::invalid_argument("tally: ballot " + std::to_string(b) + " has points outside 0.." +
                                            std::to_string(points_max));
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
    p.points_histogram_.resize(project_count);
    std::vector<std::size_t> fill(p.supporter_offsets_.begin(), p.supporter_offsets_.end() - 1);
    for (std::size_t v = 0; v < p.voter_count_; ++v) {
        for (const ballot_entry& entry : input.ballots_[v].entries_) {
            if (entry.points_ > 0) {
                p.supporters_[fill[entry.project_]++] = {static_cast<std::uint32_t>(v), entry.points_};
                auto& histogram = p.points_histogram_[entry.project_];
                const auto it = std::find_if(histogram.begin(), histogram.end(),
                                             [&](const auto& h) { return h.first == entry.points_; });
                if (it == histogram.end()) {
                    histogram.emplace_back(entry.points_, 1);
                } else {
                    ++it->second;
                }
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
    mes_run(const prepared& p, const election_input& input, utility u) : p_{p}, input_{input}, utility_{u} {}

    // One MES run where every voter starts with `voter_budget_minor`. With a cap the run
    // stops as soon as the selected projects cost more than it: add1 only needs to know
    // that such a budget is too much. `detail` fills prices and payments in.
    mes_outcome run(const rational& voter_budget_minor, std::optional<std::int64_t> cost_cap_minor, bool detail) {
        reset(voter_budget_minor);
        mes_outcome outcome;
        while (true) {
            const std::optional<std::uint32_t> best = choose();
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
            if (input_.projects_[c].cost_minor_ > 0 && p_.votes_[c] > 0) {
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
    // scan stops at the first bound above the best exact price found.
    std::optional<std::uint32_t> choose() {
        std::optional<std::uint32_t> best;
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
            if (!best) {
                best = c;
                continue;
            }
            const int order = compare_bounds(c, *best);
            if (order < 0 || (order == 0 && ranks_before(p_, input_, c, *best))) {
                best = c;
            }
        }
        resort_remaining();
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
    mes_outcome current = run.run(rational{voter_budget}, std::nullopt, false);
    result.trace_.push_back("add1: per-voter budget " + format_minor(voter_budget) + ": outcome costs " +
                            format_minor(current.total_cost_minor_));
    const std::size_t candidates = mes_candidate_count(p, input);
    // Ends by itself once one voter's budget covers every cost (every candidate is then
    // selected); the named limit turns a step too small for the round into an error
    // rather than an endless tally.
    while (!exhaustive(current, input, input.budget_minor_) && current.selected_.size() < candidates) {
        if (result.add1_steps_ >= options.add1_steps_max_) {
            throw std::invalid_argument("tally: add1 needs more than " + std::to_string(options.add1_steps_max_) +
                                        " steps of " + format_minor(step) + "; use a larger step");
        }
        const std::int64_t next_budget = voter_budget + step;
        mes_outcome next = run.run(rational{next_budget}, input.budget_minor_, false);
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
    // The steps ran without prices and payments; rerun the adopted budget to report them
    // (deterministic, so it selects the same projects).
    mes_outcome detailed = run.run(rational{voter_budget}, std::nullopt, true);
    assert(detailed.total_cost_minor_ == current.total_cost_minor_);
    adopt(result, std::move(detailed), options.utility_);
}

} // namespace

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
        adopt(result, run.run(result.voter_budget_minor_, std::nullopt, true), options.utility_);
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

std::optional<rule> parse_rule(std::string_view name) {
    for (const rule r : {rule::greedy, rule::mes, rule::mes_add1, rule::mes_add1_greedy}) {
        if (name == to_string(r)) {
            return r;
        }
    }
    return std::nullopt;
}

std::optional<utility> parse_utility(std::string_view name) {
    for (const utility u : {utility::cost, utility::approval}) {
        if (name == to_string(u)) {
            return u;
        }
    }
    return std::nullopt;
}

std::string format_minor(std::int64_t amount_minor) {
    // pabulib writes whole amounts without decimals.
    std::string out = format_decimal(amount_minor, 2);
    if (out.ends_with(".00")) out.resize(out.size() - 3);
    return out;
}

} // namespace schwarm::voting
