#include "voting/rules.hpp"

#include <array>

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

} // namespace schwarm::voting
