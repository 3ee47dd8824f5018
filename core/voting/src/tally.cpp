#include "voting/tally.hpp"

#include "base/money.hpp"
#include "tally_detail.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

namespace schwarm::voting {

namespace {

std::string join_ids(const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) {
        out += (out.empty() ? "" : ", ") + id;
    }
    return out;
}

} // namespace

unresolved_tie::unresolved_tie(std::vector<std::string> projects, const std::string& context)
    : std::runtime_error{"tally: unresolved tie between projects " + join_ids(projects) + " (" + context +
                         "); add a tie-breaking criterion or a drawn order"},
      projects_{std::move(projects)} {}

namespace detail {

// --- input, reshaped for the rules ---

prepared count_votes(const election_input& input) {
    const std::size_t project_count = input.projects_.size();
    prepared p;
    p.voter_count_ = input.ballots_.size();
    p.votes_.assign(project_count, 0);
    p.points_.assign(project_count, 0);
    p.active_.assign(project_count, true);
    // Zero points express no support: such an entry neither counts as a vote nor pays.
    for (const ballot& b : input.ballots_) {
        for (const ballot_entry& entry : b.entries_) {
            if (entry.points_ > 0) {
                ++p.votes_[entry.project_];
                p.points_[entry.project_] += entry.points_;
            }
        }
    }
    return p;
}

namespace {

void add_to_histogram(std::vector<std::pair<std::int64_t, std::int64_t>>& histogram, std::int64_t points) {
    const auto it = std::find_if(histogram.begin(), histogram.end(), [&](const auto& h) { return h.first == points; });
    if (it == histogram.end()) {
        histogram.emplace_back(points, 1);
    } else {
        ++it->second;
    }
}

} // namespace

void link_supporters(prepared& p, const election_input& input) {
    const std::size_t project_count = input.projects_.size();
    const auto counts = [&](const ballot_entry& entry) { return entry.points_ > 0 && p.active_[entry.project_]; };
    p.voter_offsets_.assign(1, 0);
    p.voter_offsets_.reserve(p.voter_count_ + 1);
    p.voter_projects_.clear();
    for (const ballot& b : input.ballots_) {
        for (const ballot_entry& entry : b.entries_) {
            if (counts(entry)) {
                p.voter_projects_.push_back(entry.project_);
            }
        }
        p.voter_offsets_.push_back(p.voter_projects_.size());
    }
    p.supporter_offsets_.assign(project_count + 1, 0);
    for (std::size_t c = 0; c < project_count; ++c) {
        const std::size_t linked = p.active_[c] ? static_cast<std::size_t>(p.votes_[c]) : 0;
        p.supporter_offsets_[c + 1] = p.supporter_offsets_[c] + linked;
    }
    p.supporters_.resize(p.supporter_offsets_[project_count]);
    p.points_histogram_.assign(project_count, {});
    std::vector<std::size_t> fill(p.supporter_offsets_.begin(), p.supporter_offsets_.end() - 1);
    for (std::size_t v = 0; v < p.voter_count_; ++v) {
        for (const ballot_entry& entry : input.ballots_[v].entries_) {
            if (counts(entry)) {
                p.supporters_[fill[entry.project_]++] = {static_cast<std::uint32_t>(v), entry.points_};
                add_to_histogram(p.points_histogram_[entry.project_], entry.points_);
            }
        }
    }
}

// --- tie-breaking ---

ranker::ranker(const prepared& p, const election_input& input, const tie_breaking& ties)
    : p_{p}, input_{input}, ties_{ties}, listed_at_(input.projects_.size(), ties.order_.size()) {
    for (std::size_t i = ties.order_.size(); i-- > 0;) {
        listed_at_[ties.order_[i]] = i;
    }
}

namespace {

// Negative when the smaller value wins and a is smaller, and so on.
int prefer_smaller(std::int64_t a, std::int64_t b) { return a < b ? -1 : a > b ? 1 : 0; }

} // namespace

int ranker::compare(std::uint32_t a, std::uint32_t b) const {
    for (const tie_criterion t : ties_.criteria_) {
        int order = 0;
        switch (t) {
        case tie_criterion::max_votes: order = prefer_smaller(p_.votes_[b], p_.votes_[a]); break;
        case tie_criterion::max_points: order = prefer_smaller(p_.points_[b], p_.points_[a]); break;
        case tie_criterion::min_cost:
            order = prefer_smaller(input_.projects_[a].cost_minor_, input_.projects_[b].cost_minor_);
            break;
        case tie_criterion::max_cost:
            order = prefer_smaller(input_.projects_[b].cost_minor_, input_.projects_[a].cost_minor_);
            break;
        case tie_criterion::listed_order:
            order = prefer_smaller(static_cast<std::int64_t>(listed_at_[a]), static_cast<std::int64_t>(listed_at_[b]));
            break;
        }
        if (order != 0) {
            return order;
        }
    }
    return 0;
}

bool ranker::tied_for_greedy(std::uint32_t a, std::uint32_t b) const {
    return p_.points_[a] == p_.points_[b] && compare(a, b) == 0;
}

bool ranker::greedy_before(std::uint32_t a, std::uint32_t b) const {
    if (p_.points_[a] != p_.points_[b]) return p_.points_[a] > p_.points_[b];
    const int order = compare(a, b);
    return order != 0 ? order < 0 : a < b;
}

std::uint32_t ranker::settle(const std::vector<std::uint32_t>& tied, const std::string& context,
                             std::vector<tie_note>* notes) const {
    std::uint32_t best = tied.front();
    for (const std::uint32_t c : tied) {
        const int order = compare(c, best);
        if (order < 0 || (order == 0 && c < best)) {
            best = c;
        }
    }
    std::vector<std::uint32_t> left_open;
    for (const std::uint32_t c : tied) {
        if (compare(c, best) == 0) {
            left_open.push_back(c);
        }
    }
    if (left_open.size() > 1) {
        std::sort(left_open.begin(), left_open.end());
        unresolved(left_open, context, notes);
    }
    return best;
}

void ranker::unresolved(const std::vector<std::uint32_t>& tied, const std::string& context,
                        std::vector<tie_note>* notes) const {
    std::vector<std::string> ids;
    for (const std::uint32_t c : tied) {
        ids.push_back(input_.projects_[c].id_);
    }
    if (ties_.refuse_unresolved_) {
        throw unresolved_tie(std::move(ids), context);
    }
    if (notes != nullptr) {
        notes->push_back({std::move(ids), context});
    }
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

// --- formatting ---

std::string format_rational_minor(const rational& amount_minor, int digits) {
    using boost::multiprecision::cpp_int;
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

} // namespace detail

namespace {

using detail::prepared;

void validate_input(const election_input& input) {
    if (input.budget_minor_ < 0) {
        throw std::invalid_argument("tally: negative budget");
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
}

void validate_ballots(const election_input& input) {
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

void require_projects(const std::vector<std::uint32_t>& indices, std::size_t project_count, const char* what) {
    for (const std::uint32_t c : indices) {
        if (c >= project_count) {
            throw std::invalid_argument(std::string{"tally: "} + what + " names unknown project index " +
                                        std::to_string(c));
        }
    }
}

void validate_spec(const rule_spec& spec, std::size_t project_count) {
    if (spec.add1_.increment_minor_ <= 0) {
        throw std::invalid_argument("tally: the add1 increment must be positive");
    }
    if (spec.add1_.steps_max_ < 0) {
        throw std::invalid_argument("tally: add1 steps_max must not be negative");
    }
    const eligibility& e = spec.eligibility_;
    if (e.min_votes_ < 0 || e.min_points_ < 0 || (e.min_share_per_cost_ && *e.min_share_per_cost_ < 0)) {
        throw std::invalid_argument("tally: eligibility thresholds must not be negative");
    }
    require_projects(spec.ties_.order_, project_count, "the tie-breaking order");
    require_projects(spec.completion_ties_.order_, project_count, "the completion's tie-breaking order");
    require_projects(e.withdrawn_, project_count, "the withdrawn list");
    for (const auto& group : e.exclusive_groups_) {
        require_projects(group, project_count, "an exclusive group");
        std::vector<std::uint32_t> sorted = group;
        std::sort(sorted.begin(), sorted.end());
        if (sorted.size() < 2 || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
            throw std::invalid_argument("tally: an exclusive group needs two or more different projects");
        }
    }
}

// --- eligibility ---

void exclude(prepared& p, tally_result& result, std::uint32_t c, outcome o, std::string reason) {
    if (!p.active_[c]) {
        return; // the first filter that drops a project is the one reported
    }
    p.active_[c] = false;
    result.projects_[c] = {o, std::move(reason)};
}

// Świecie 2023: votes / voters < factor * cost / budget, cross-multiplied exactly.
bool below_share_of_cost(const prepared& p, const election_input& input, std::uint32_t c, const rational& factor) {
    using boost::multiprecision::cpp_int;
    const cpp_int share_side = cpp_int{p.votes_[c]} * input.budget_minor_ * denominator(factor);
    const cpp_int cost_side =
        numerator(factor) * input.projects_[c].cost_minor_ * static_cast<std::int64_t>(p.voter_count_);
    return share_side < cost_side;
}

void apply_thresholds(prepared& p, const election_input& input, const eligibility& e, tally_result& result) {
    for (const std::uint32_t c : e.withdrawn_) {
        exclude(p, result, c, outcome::withdrawn, "withdrawn: takes no part");
    }
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        if (p.votes_[c] < e.min_votes_) {
            exclude(p, result, c, outcome::below_min_votes,
                    std::to_string(p.votes_[c]) + " votes, fewer than the " + std::to_string(e.min_votes_) +
                        " required");
        }
        if (p.points_[c] < e.min_points_) {
            exclude(p, result, c, outcome::below_min_points,
                    std::to_string(p.points_[c]) + " points, below the threshold of " + std::to_string(e.min_points_));
        }
        if (e.min_share_per_cost_ && below_share_of_cost(p, input, c, *e.min_share_per_cost_)) {
            exclude(p, result, c, outcome::below_share_of_cost,
                    "supported by " + std::to_string(p.votes_[c]) + " of " + std::to_string(p.voter_count_) +
                        " voters, a smaller share than " + e.min_share_per_cost_->str() + " x cost / budget (" +
                        format_minor(input.projects_[c].cost_minor_) + " / " + format_minor(input.budget_minor_) + ")");
        }
    }
}

// Of each exclusive group only the best-ranked project that passed the thresholds takes
// part ("at most one of each group, the better-ranked one").
void apply_groups(prepared& p, const election_input& input, const eligibility& e, const detail::ranker& rank,
                  tally_result& result) {
    for (const auto& group : e.exclusive_groups_) {
        std::vector<std::uint32_t> members;
        std::copy_if(group.begin(), group.end(), std::back_inserter(members),
                     [&](std::uint32_t c) { return p.active_[c]; });
        if (members.size() < 2) {
            continue;
        }
        std::sort(members.begin(), members.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return rank.greedy_before(a, b); });
        std::vector<std::uint32_t> tied{members[0]};
        for (std::size_t i = 1; i < members.size() && rank.tied_for_greedy(members[0], members[i]); ++i) {
            tied.push_back(members[i]);
        }
        if (tied.size() > 1) {
            rank.unresolved(tied, "exclusive group", &result.ties_);
        }
        const std::uint32_t best = members[0];
        for (std::size_t i = 1; i < members.size(); ++i) {
            exclude(p, result, members[i], outcome::excluded_by_group,
                    "cannot be built together with " + input.projects_[best].id_ + ", which ranks better (" +
                        std::to_string(p.points_[best]) + " points against " + std::to_string(p.points_[members[i]]) +
                        ")");
        }
        result.trace_.push_back("exclusive group: " + input.projects_[best].id_ + " takes part, " +
                                std::to_string(members.size() - 1) + " other(s) do not");
    }
}

void report_unsupported(const prepared& p, tally_result& result) {
    for (std::uint32_t c = 0; c < result.projects_.size(); ++c) {
        if (p.active_[c] && p.votes_[c] == 0) {
            result.projects_[c] = {outcome::unsupported, "nobody gave it a point"};
        }
    }
}

// --- the comparison step ---

// Per voter: the points they gave to the projects of `chosen`.
std::vector<std::int64_t> satisfaction(const election_input& input, const std::vector<selection>& chosen,
                                       bool count_any) {
    std::vector<bool> in(input.projects_.size(), false);
    for (const selection& s : chosen) {
        in[s.project_] = true;
    }
    std::vector<std::int64_t> out(input.ballots_.size(), 0);
    for (std::size_t v = 0; v < input.ballots_.size(); ++v) {
        for (const ballot_entry& entry : input.ballots_[v].entries_) {
            if (entry.points_ > 0 && in[entry.project_]) {
                out[v] = count_any ? 1 : out[v] + entry.points_;
            }
        }
    }
    return out;
}

comparison_report count_preferences(const election_input& input, comparison kind, const std::vector<selection>& mes,
                                    const std::vector<selection>& greedy) {
    const bool count_any = kind == comparison::exclusion_ratio;
    const std::vector<std::int64_t> with_mes = satisfaction(input, mes, count_any);
    const std::vector<std::int64_t> with_greedy = satisfaction(input, greedy, count_any);
    comparison_report report;
    report.comparison_ = kind;
    for (std::size_t v = 0; v < with_mes.size(); ++v) {
        report.prefer_mes_ += with_mes[v] > with_greedy[v];
        report.prefer_greedy_ += with_greedy[v] > with_mes[v];
    }
    // MES stays unless more voters prefer greedy (equalshares.net): a draw keeps MES.
    report.kept_mes_ = report.prefer_greedy_ <= report.prefer_mes_;
    return report;
}

// `before_rule`: the reports eligibility wrote, for the greedy outcome to start from.
void compare_with_greedy(const prepared& p, const election_input& input, const rule_spec& spec,
                         const detail::ranker& rank, std::vector<project_report> before_rule, tally_result& result) {
    tally_result greedy;
    greedy.budget_minor_ = result.budget_minor_;
    greedy.projects_ = std::move(before_rule);
    detail::greedy_fill(p, input, rank, false, greedy, "greedy, taken by the comparison step");
    const comparison_report report = count_preferences(input, spec.comparison_, result.selected_, greedy.selected_);
    result.comparison_ = report;
    result.trace_.push_back(std::string{"comparison ("} + to_string(spec.comparison_) +
                            "): " + std::to_string(report.prefer_mes_) + " voters prefer the MES outcome, " +
                            std::to_string(report.prefer_greedy_) +
                            " the greedy one: " + (report.kept_mes_ ? "MES kept" : "greedy taken"));
    if (report.kept_mes_) {
        return;
    }
    result.selected_ = std::move(greedy.selected_);
    result.total_cost_minor_ = greedy.total_cost_minor_;
    result.projects_ = std::move(greedy.projects_);
    result.ties_.insert(result.ties_.end(), greedy.ties_.begin(), greedy.ties_.end());
    for (std::string& line : greedy.trace_) {
        result.trace_.push_back("comparison " + std::move(line));
    }
}

void run_rule(const prepared& p, const election_input& input, const rule_spec& spec, const detail::ranker& rank,
              tally_result& result) {
    std::vector<project_report> before_rule = result.projects_;
    if (spec.method_ != method::mes) {
        detail::greedy_fill(p, input, rank, spec.method_ == method::greedy_no_skip, result);
        return;
    }
    detail::equal_shares(p, input, spec, rank, result);
    const detail::ranker greedy_rank{p, input, spec.completion_ties_};
    if (spec.completion_ == completion::utilitarian || spec.completion_ == completion::add1u) {
        result.trace_.push_back("utilitarian completion: greedy over what MES left out, with " +
                                format_minor(result.budget_minor_ - result.total_cost_minor_) + " left");
        detail::greedy_fill(p, input, greedy_rank, false, result, "utilitarian completion");
    }
    if (spec.comparison_ != comparison::none) {
        compare_with_greedy(p, input, spec, greedy_rank, std::move(before_rule), result);
    }
}

} // namespace

tally_result tally(const election_input& input, const rule_spec& spec) {
    validate_input(input);
    validate_ballots(input);
    validate_spec(spec, input.projects_.size());
    prepared p = detail::count_votes(input);
    tally_result result;
    result.spec_ = spec;
    result.utility_ = spec.utility_;
    result.budget_minor_ = input.budget_minor_;
    result.projects_.resize(input.projects_.size());
    const detail::ranker rank{p, input, spec.ties_};
    apply_thresholds(p, input, spec.eligibility_, result);
    apply_groups(p, input, spec.eligibility_, rank, result);
    detail::link_supporters(p, input);
    report_unsupported(p, result);
    run_rule(p, input, spec, rank, result);
    return result;
}

rule_spec legacy_spec(rule r, const tally_options& options) {
    rule_spec spec;
    spec.utility_ = options.utility_;
    spec.add1_.increment_minor_ = options.add1_step_minor_;
    spec.add1_.steps_max_ = options.add1_steps_max_;
    if (r == rule::greedy) {
        spec.ties_.criteria_ = {tie_criterion::max_votes, tie_criterion::min_cost};
        return spec;
    }
    spec.method_ = method::mes;
    spec.ties_.criteria_ = {tie_criterion::max_points, tie_criterion::max_votes, tie_criterion::min_cost};
    // The platform's completion ranks as its greedy does: points, votes, lower cost.
    spec.completion_ties_ = spec.ties_;
    spec.completion_ = r == rule::mes ? completion::none : r == rule::mes_add1 ? completion::add1 : completion::add1u;
    return spec;
}

tally_result tally(const election_input& input, rule r, const tally_options& options) {
    tally_result result = tally(input, legacy_spec(r, options));
    result.rule_ = r;
    return result;
}

// --- names ---

const char* to_string(rule r) {
    switch (r) {
    case rule::greedy: return "greedy";
    case rule::mes: return "mes";
    case rule::mes_add1: return "mes-add1";
    case rule::mes_add1_greedy: return "mes-add1-greedy";
    }
    return "greedy";
}

const char* to_string(utility u) { return u == utility::approval ? "approval" : "cost"; }

const char* to_string(method m) {
    switch (m) {
    case method::greedy: return "greedy";
    case method::greedy_no_skip: return "greedy-no-skip";
    case method::mes: return "mes";
    }
    return "greedy";
}

const char* to_string(completion c) {
    switch (c) {
    case completion::none: return "none";
    case completion::utilitarian: return "utilitarian";
    case completion::add1: return "add1";
    case completion::add1u: return "add1u";
    }
    return "none";
}

const char* to_string(comparison c) {
    switch (c) {
    case comparison::none: return "none";
    case comparison::satisfaction: return "satisfaction";
    case comparison::exclusion_ratio: return "exclusion-ratio";
    }
    return "none";
}

const char* to_string(tie_criterion t) {
    switch (t) {
    case tie_criterion::max_votes: return "max-votes";
    case tie_criterion::min_cost: return "min-cost";
    case tie_criterion::max_cost: return "max-cost";
    case tie_criterion::max_points: return "max-points";
    case tie_criterion::listed_order: return "order";
    }
    return "order";
}

const char* to_string(outcome o) {
    switch (o) {
    case outcome::selected: return "selected";
    case outcome::withdrawn: return "withdrawn";
    case outcome::below_min_votes: return "below-min-votes";
    case outcome::below_min_points: return "below-min-points";
    case outcome::below_share_of_cost: return "below-share-of-cost";
    case outcome::excluded_by_group: return "excluded-by-group";
    case outcome::unsupported: return "unsupported";
    case outcome::free_of_cost: return "free-of-cost";
    case outcome::not_affordable: return "not-affordable";
    case outcome::does_not_fit: return "does-not-fit";
    case outcome::not_reached: return "not-reached";
    }
    return "not-reached";
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

std::optional<comparison> parse_comparison(std::string_view name) {
    // The compute tool spells the second one exclusionRatio.
    if (name == "exclusionRatio") return comparison::exclusion_ratio;
    for (const comparison c : {comparison::none, comparison::satisfaction, comparison::exclusion_ratio}) {
        if (name == to_string(c)) {
            return c;
        }
    }
    return std::nullopt;
}

std::optional<tie_criterion> parse_tie_criterion(std::string_view name) {
    // The compute tool's spellings too.
    if (name == "maxVotes") return tie_criterion::max_votes;
    if (name == "minCost") return tie_criterion::min_cost;
    if (name == "maxCost") return tie_criterion::max_cost;
    for (const tie_criterion t : {tie_criterion::max_votes, tie_criterion::min_cost, tie_criterion::max_cost,
                                  tie_criterion::max_points, tie_criterion::listed_order}) {
        if (name == to_string(t)) {
            return t;
        }
    }
    return std::nullopt;
}

bool parse_completion(std::string_view name, rule_spec& spec) {
    // The compute tool accepts add1e and add1eu beside add1 and add1u: the "e" is the
    // exhaustive stop, which its add1 options also switch on.
    const bool exhaustive = name == "add1e" || name == "add1eu";
    if (name == "add1e") name = "add1";
    if (name == "add1eu") name = "add1u";
    for (const completion c : {completion::none, completion::utilitarian, completion::add1, completion::add1u}) {
        if (name == to_string(c)) {
            spec.completion_ = c;
            spec.add1_.exhaustive_ = spec.add1_.exhaustive_ || exhaustive;
            return true;
        }
    }
    return false;
}

std::string format_minor(std::int64_t amount_minor) {
    // pabulib writes whole amounts without decimals.
    std::string out = format_decimal(amount_minor, 2);
    if (out.ends_with(".00")) out.resize(out.size() - 3);
    return out;
}

std::string format_units(const rational& amount_minor) { return rational{amount_minor / 100}.str(); }

} // namespace schwarm::voting
