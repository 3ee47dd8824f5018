#include "voting/rules.hpp"

#include "voting/pabulib.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

namespace schwarm::voting {

namespace {

// pabulib files keep the order of the city's results list, and pabulib's checker ranks
// with a stable sort: among projects with equal points the one listed first goes first.
rule_spec pabulib_greedy(method m) {
    rule_spec spec;
    spec.method_ = m;
    return spec;
}

// equalshares.net's recommended tie-breaking (lower cost, then more votes), which
// pabulib's checker also uses; cost utility, the effective vote count of both tools.
rule_spec pabulib_equal_shares(bool add1, bool compare) {
    rule_spec spec;
    spec.method_ = method::mes;
    spec.utility_ = utility::cost;
    spec.ties_.criteria_ = {tie_criterion::min_cost, tie_criterion::max_votes};
    if (add1) {
        // pabulib's checker: whole-unit start, steps of 1, no exhaustive stop: raise
        // until the next step overshoots.
        spec.completion_ = completion::add1;
        spec.add1_.integral_ = true;
        spec.add1_.exhaustive_ = false;
    }
    if (compare) {
        spec.comparison_ = comparison::satisfaction;
    }
    return spec;
}

constexpr std::array<std::string_view, 11> names{
    "greedy",
    "greedy-no-skip",
    "greedy-threshold",
    "greedy-exclusive",
    "mes",
    "mes-add1",
    "mes-add1-greedy",
    "equalshares",
    "equalshares-comparison",
    "equalshares/add1",
    "equalshares/add1-comparison",
};

[[noreturn]] void bad_option(const std::string& option, const std::string& detail) {
    throw std::invalid_argument(option + ": " + detail);
}

std::vector<std::string> split_list(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) {
            out.emplace_back(list.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return out;
}

std::int64_t whole_number(const std::string& option, std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) {
        bad_option(option, "expected a whole number, not '" + std::string{text} + "'");
    }
    return value;
}

bool yes_no(const std::string& option, std::string_view text) {
    if (text == "yes" || text == "on" || text == "true") return true;
    if (text == "no" || text == "off" || text == "false") return false;
    bad_option(option, "expected yes or no, not '" + std::string{text} + "'");
}

// "1/3", "0.5" or "2": an exact non-negative fraction.
rational fraction(const std::string& option, std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash != std::string_view::npos) {
        const std::int64_t den = whole_number(option, text.substr(slash + 1));
        if (den == 0) bad_option(option, "the denominator must not be 0");
        return rational{whole_number(option, text.substr(0, slash)), den};
    }
    const std::optional<std::int64_t> hundredths = parse_units_minor(text);
    if (!hundredths || *hundredths < 0) {
        bad_option(option, "expected a fraction such as 1/3 or 0.25, not '" + std::string{text} + "'");
    }
    return rational{*hundredths, 100};
}

std::vector<tie_criterion> tie_criteria(const std::string& option, std::string_view text) {
    std::vector<tie_criterion> out;
    if (text == "none") {
        return out;
    }
    for (const std::string& name : split_list(text)) {
        const std::optional<tie_criterion> t = parse_tie_criterion(name);
        if (!t)
            bad_option(option, "unknown criterion '" + name + "' (max-votes, min-cost, max-cost, max-points, order)");
        out.push_back(*t);
    }
    return out;
}

std::vector<std::uint32_t> resolve(const project_index& index, const std::vector<std::string>& ids,
                                   const char* option) {
    std::vector<std::uint32_t> out;
    for (const std::string& id : ids) {
        const auto it = index.find(id);
        if (it == index.end()) bad_option(option, "unknown project '" + id + "'");
        out.push_back(it->second);
    }
    return out;
}

void apply_mes_options(const rule_options& o, rule_spec& spec) {
    const bool mes_option = o.utility_ || o.completion_ || o.integral_ || o.exhaustive_ || o.increment_minor_ ||
                            o.steps_max_ || o.comparison_;
    if (mes_option && spec.method_ != method::mes) {
        throw std::invalid_argument("--utility, --completion, --add1-* and --comparison apply to MES rules only");
    }
    if (o.utility_) spec.utility_ = *o.utility_;
    if (o.completion_) {
        // add1 and add1u keep the rule's exhaustive setting (on unless the rule is pabulib's
        // equalshares/add1); add1e and add1eu switch it on.
        if (!parse_completion(*o.completion_, spec)) {
            bad_option("--completion", "must be none, utilitarian, add1, add1e, add1u or add1eu");
        }
        if (o.exhaustive_ == false && spec.add1_.exhaustive_) {
            bad_option("--add1-exhaustive", "no contradicts --completion " + *o.completion_);
        }
    }
    if (o.integral_) spec.add1_.integral_ = *o.integral_;
    if (o.exhaustive_) spec.add1_.exhaustive_ = *o.exhaustive_;
    if (o.increment_minor_) spec.add1_.increment_minor_ = *o.increment_minor_;
    if (o.steps_max_) spec.add1_.steps_max_ = *o.steps_max_;
    if (o.comparison_) spec.comparison_ = *o.comparison_;
}

void apply_tie_options(const rule_options& o, const project_index& index, rule_spec& spec) {
    tie_breaking& ties = spec.ties_;
    if (o.ties_) ties.criteria_ = *o.ties_;
    if (o.refuse_ties_) ties.refuse_unresolved_ = true;
    ties.order_ = resolve(index, o.tie_order_, "--tie-order");
    const bool listed =
        std::find(ties.criteria_.begin(), ties.criteria_.end(), tie_criterion::listed_order) != ties.criteria_.end();
    if (listed && ties.order_.empty()) {
        bad_option("--tie-break", "'order' needs --tie-order with the drawn order of projects");
    }
    // A drawn order, once given, is the last word after the other criteria.
    if (!listed && !ties.order_.empty()) ties.criteria_.push_back(tie_criterion::listed_order);
}

void apply_eligibility_options(const rule_options& o, const project_index& index, rule_spec& spec) {
    eligibility& e = spec.eligibility_;
    if (o.min_votes_) e.min_votes_ = *o.min_votes_;
    if (o.min_score_) e.min_points_ = *o.min_score_;
    if (o.min_share_) e.min_share_per_cost_ = *o.min_share_;
    const std::vector<std::uint32_t> excluded = resolve(index, o.exclude_, "--exclude");
    e.withdrawn_.insert(e.withdrawn_.end(), excluded.begin(), excluded.end());
    if (!o.exclusive_.empty()) {
        e.exclusive_groups_.clear();
        for (const auto& group : o.exclusive_) {
            if (group.size() < 2) bad_option("--exclusive", "a group needs two or more projects");
            e.exclusive_groups_.push_back(resolve(index, group, "--exclusive"));
        }
    }
}

} // namespace

std::optional<named_rule> find_rule(std::string_view name, rule_source source) {
    named_rule r;
    r.name_ = std::string{name};
    if (const std::optional<rule> legacy = parse_rule(name);
        legacy && !(*legacy == rule::greedy && source == rule_source::pabulib)) {
        r.spec_ = legacy_spec(*legacy);
        return r;
    }
    if (name == "greedy") {
        r.spec_ = pabulib_greedy(method::greedy);
    } else if (name == "greedy-no-skip") {
        r.spec_ = pabulib_greedy(method::greedy_no_skip);
    } else if (name == "greedy-threshold") {
        r.spec_ = pabulib_greedy(method::greedy);
        r.needs_threshold_ = true;
    } else if (name == "greedy-exclusive") {
        r.spec_ = pabulib_greedy(method::greedy);
        r.reads_exclusive_groups_ = true;
    } else if (name == "equalshares" || name == "equalshares-comparison") {
        r.spec_ = pabulib_equal_shares(false, name == "equalshares-comparison");
    } else if (name == "equalshares/add1" || name == "equalshares/add1-comparison") {
        r.spec_ = pabulib_equal_shares(true, name == "equalshares/add1-comparison");
    } else {
        return std::nullopt;
    }
    return r;
}

std::string supported_rules() {
    std::string out;
    for (const std::string_view name : names) {
        out += (out.empty() ? "" : ", ") + std::string{name};
    }
    return out;
}

bool read_rule_option(rule_options& o, const std::string& option, const std::string& value) {
    if (option == "--utility") {
        o.utility_ = parse_utility(value);
        if (!o.utility_) bad_option(option, "must be cost or approval");
    } else if (option == "--completion") o.completion_ = value;
    else if (option == "--add1-integral") o.integral_ = yes_no(option, value);
    else if (option == "--add1-exhaustive") o.exhaustive_ = yes_no(option, value);
    else if (option == "--add1-increment") {
        o.increment_minor_ = parse_units_minor(value);
        if (!o.increment_minor_ || *o.increment_minor_ <= 0)
            bad_option(option, "expected a positive amount such as 1 or 0.5");
    } else if (option == "--add1-steps-max") o.steps_max_ = whole_number(option, value);
    else if (option == "--comparison") {
        o.comparison_ = parse_comparison(value);
        if (!o.comparison_) bad_option(option, "must be none, satisfaction or exclusion-ratio");
    } else if (option == "--tie-break") o.ties_ = tie_criteria(option, value);
    else if (option == "--tie-order") o.tie_order_ = split_list(value);
    else if (option == "--min-votes") o.min_votes_ = whole_number(option, value);
    else if (option == "--min-score") o.min_score_ = whole_number(option, value);
    else if (option == "--min-share-per-cost") o.min_share_ = fraction(option, value);
    else if (option == "--exclude") {
        const std::vector<std::string> ids = split_list(value);
        o.exclude_.insert(o.exclude_.end(), ids.begin(), ids.end());
    } else if (option == "--exclusive") o.exclusive_.push_back(split_list(value));
    else if (option == "--refuse-ties") o.refuse_ties_ = yes_no(option, value);
    else return false;
    return true;
}

void apply_rule_options(const rule_options& o, const project_index& index, rule_spec& spec) {
    apply_mes_options(o, spec);
    apply_tie_options(o, index, spec);
    apply_eligibility_options(o, index, spec);
}

} // namespace schwarm::voting
