#include "round_rules.hpp"

#include "base/problem.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

namespace schwarm::voting {

namespace {

enum class shape { text, flag, whole, list, groups };

struct option_kind {
    std::string_view key; // the command line's --key with '_' for '-'
    shape shape_;
    bool mes_only = false;
};

// utility is the round's own field, not an option.
constexpr std::array<option_kind, 14> known{{
    {"completion", shape::text, true},
    {"add1_integral", shape::flag, true},
    {"add1_exhaustive", shape::flag, true},
    {"add1_increment", shape::text, true},
    {"add1_steps_max", shape::whole, true},
    {"comparison", shape::text, true},
    {"tie_break", shape::list},
    {"tie_order", shape::list},
    {"refuse_ties", shape::flag},
    {"min_votes", shape::whole},
    {"min_score", shape::whole},
    {"min_share_per_cost", shape::text},
    {"exclude", shape::list},
    {"exclusive", shape::groups},
}};

constexpr std::size_t list_size_max = 1000;

problem option_problem(std::string_view key, const std::string& detail) {
    return field_problem("options." + std::string(key), detail);
}

std::string flag_of(std::string_view key) {
    std::string flag = "--" + std::string(key);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

std::string list_text(std::string_view key, const boost::json::value& v) {
    if (!v.is_array() || v.as_array().size() > list_size_max) {
        throw option_problem(key, "expected an array of at most " + std::to_string(list_size_max) + " strings");
    }
    std::string text;
    for (const auto& item : v.as_array()) {
        if (!item.is_string() || item.as_string().empty() || item.as_string().find(',') != std::string::npos) {
            throw option_problem(key, "expected non-empty strings without commas");
        }
        if (!text.empty()) text += ',';
        text += item.as_string();
    }
    return text;
}

// The option as the command line's words: a flag and its value(s).
std::vector<std::pair<std::string, std::string>> words_of(const option_kind& kind, const boost::json::value& v) {
    const std::string flag = flag_of(kind.key);
    switch (kind.shape_) {
    case shape::text:
        if (v.is_string()) return {{flag, std::string(v.as_string())}};
        if (v.is_int64()) return {{flag, std::to_string(v.as_int64())}};
        throw option_problem(kind.key, "expected a string");
    case shape::flag:
        if (!v.is_bool()) throw option_problem(kind.key, "expected true or false");
        return {{flag, v.as_bool() ? "yes" : "no"}};
    case shape::whole:
        if (!v.is_int64() || v.as_int64() < 0) throw option_problem(kind.key, "expected a whole number");
        return {{flag, std::to_string(v.as_int64())}};
    case shape::list: return {{flag, list_text(kind.key, v)}};
    case shape::groups: {
        if (!v.is_array() || v.as_array().size() > list_size_max) {
            throw option_problem(kind.key, "expected an array of groups, each an array of project keys");
        }
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& group : v.as_array()) out.emplace_back(flag, list_text(kind.key, group));
        return out;
    }
    }
    throw std::logic_error("unreachable");
}

// "--tie-order: unknown project 'x'" as the problem of options.tie_order.
problem from_voting(const std::invalid_argument& e) {
    std::string_view what = e.what();
    auto colon = what.find(": ");
    if (!what.starts_with("--") || colon == std::string_view::npos) return field_problem("options", std::string(what));
    std::string key(what.substr(2, colon - 2));
    std::replace(key.begin(), key.end(), '-', '_');
    return option_problem(key, std::string(what.substr(colon + 2)));
}

struct read_rule {
    named_rule named;
    rule_options options;
};

read_rule read(const round_rule& rule) {
    const auto named = find_rule(rule.name, rule_source::platform);
    if (!named) throw field_problem("rule", "Unknown rule '" + rule.name + "'; supported: " + supported_rules());
    const auto utility = parse_utility(rule.utility);
    if (!utility) throw field_problem("utility", "utility must be cost or approval");
    read_rule out{*named, {}};
    if (named->spec_.method_ == method::mes) out.options.utility_ = *utility;
    for (const auto& member : rule.options) {
        const std::string_view key = member.key(); // (not a structured binding: clang 14's lambdas cannot take one)
        const boost::json::value& value = member.value();
        const auto* kind = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.key == key; });
        if (kind == known.end()) {
            throw option_problem(key, "Unknown option; a round takes " + round_option_names() +
                                          (key == "utility" ? " (utility is the round's own field)" : ""));
        }
        if (kind->mes_only && named->spec_.method_ != method::mes) {
            throw option_problem(key, "applies to MES rules (mes, mes-add1, equalshares, ...) only");
        }
        for (const auto& [flag, text] : words_of(*kind, value)) {
            try {
                read_rule_option(out.options, flag, text);
            } catch (const std::invalid_argument& e) {
                throw from_voting(e);
            }
        }
    }
    return out;
}

rule_spec spec_from(const read_rule& r, const project_index& index) {
    rule_spec spec = r.named.spec_;
    try {
        apply_rule_options(r.options, index, spec);
    } catch (const std::invalid_argument& e) {
        throw from_voting(e);
    }
    if (r.named.needs_threshold_ && spec.eligibility_.min_points_ == 0) {
        throw option_problem("min_score", r.named.name_ + " needs min_score, the least points a project must have");
    }
    if (r.named.reads_exclusive_groups_ && spec.eligibility_.exclusive_groups_.empty()) {
        throw option_problem("exclusive", r.named.name_ + " needs the exclusive groups of projects");
    }
    return spec;
}

} // namespace

std::string round_option_names() {
    std::string names;
    for (const auto& k : known) names += (names.empty() ? "" : ", ") + std::string(k.key);
    return names;
}

rule_spec spec_of(const round_rule& rule, const project_index& index) { return spec_from(read(rule), index); }

void check_rule_takes(const round_rule& rule, const std::string& ballot) {
    const auto named = find_rule(rule.name, rule_source::platform);
    if (ballot == "ranked" && named && named->spec_.method_ == method::mes && rule.utility != "approval") {
        throw field_problem("utility", "MES counts ranked ballots with utility approval: a voter's utility for a "
                                       "project is the points of its rank (" +
                                           rule.name + " with utility " + rule.utility + " would weigh ranks by cost)");
    }
}

void check_rule(const round_rule& rule) {
    read_rule r = read(rule);
    // Every key the options name stands for a project here; opening checks them.
    project_index index;
    auto name_all = [&](const std::vector<std::string>& keys) {
        for (const auto& k : keys) index.emplace(k, static_cast<std::uint32_t>(index.size()));
    };
    name_all(r.options.tie_order_);
    name_all(r.options.exclude_);
    for (const auto& group : r.options.exclusive_) name_all(group);
    spec_from(r, index);
}

} // namespace schwarm::voting
