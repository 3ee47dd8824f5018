#pragma once

// Rules by name: the platform's (greedy, mes, mes-add1, mes-add1-greedy, stored by rounds)
// and pabulib's META names (greedy-no-skip, greedy-threshold, greedy-exclusive,
// equalshares, equalshares/add1, ...). docs/voting.md gives each one's definition and
// source.

#include "voting/tally.hpp"

#include <optional>
#include <string>
#include <string_view>

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

} // namespace schwarm::voting
