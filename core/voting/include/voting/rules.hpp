#pragma once

// Rules by name: the platform's (greedy, mes, mes-add1, mes-add1-greedy, stored by rounds)
// and pabulib's META names (greedy-no-skip, greedy-threshold, greedy-exclusive,
// equalshares, equalshares/add1, ...). docs/voting.md gives each one's definition and
// source.

#include "voting/tally.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::voting {

// Where a name comes from decides one thing: pabulib's "greedy" breaks ties in points by
// the file's order (as pabulib's checker does), the platform's by votes, then lower cost.
enum class rule_source { platform, pabulib };

struct named_rule {
    std::string name_;
    rule_spec spec_;
    bool needs_threshold_ = false;        // greedy-threshold: a min score is required
    bool reads_exclusive_groups_ = false; // greedy-exclusive: groups from META comment
};

std::optional<named_rule> find_rule(std::string_view name, rule_source source);

// "greedy, greedy-no-skip, ..." for refusals.
std::string supported_rules();

// Options over a named rule: `schwarm tally`'s, and a round's "options" (the same names
// without the leading "--"). docs/voting.md documents each.
struct rule_options {
    std::optional<utility> utility_;
    std::optional<std::string> completion_;
    std::optional<bool> integral_;
    std::optional<bool> exhaustive_;
    std::optional<std::int64_t> increment_minor_;
    std::optional<std::int64_t> steps_max_;
    std::optional<comparison> comparison_;
    std::optional<std::vector<tie_criterion>> ties_;
    std::vector<std::string> tie_order_;
    bool refuse_ties_ = false;
    std::optional<std::int64_t> min_votes_;
    std::optional<std::int64_t> min_score_;
    std::optional<rational> min_share_;
    std::vector<std::string> exclude_;
    std::vector<std::vector<std::string>> exclusive_;
};

// Reads one option ("--completion", "add1e"); false for a name that is not a rule
// option. Throws std::invalid_argument "--name: why" for a bad value.
bool read_rule_option(rule_options& o, const std::string& option, const std::string& value);

// Project ids to their index in the election.
using project_index = std::map<std::string, std::uint32_t, std::less<>>;

// Applies the options to a rule's spec. Throws std::invalid_argument "--name: why" for an
// option the rule cannot take or a project id not in `index`.
void apply_rule_options(const rule_options& o, const project_index& index, rule_spec& spec);

} // namespace schwarm::voting
