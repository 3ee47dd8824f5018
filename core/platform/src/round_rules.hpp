#pragma once
// A round's rule as staff configure it (issue 13, part 3): any rule core/voting
// knows by name, with the options `schwarm tally` takes, as a JSON object
// ("completion": "add1e", "tie_break": ["max-votes", "min-cost"], ...). Read
// here into the voting rules' own types; refusals name "options.<key>".

#include "platform/rounds.hpp"
#include "voting/rules.hpp"
#include "voting/tally.hpp"

#include <string>
#include <vector>

namespace schwarm::voting {

// The spec the tally runs, with project keys resolved through `index`. Throws
// a validation problem for an unknown rule, option or value, an option the
// rule cannot take, or a project not in `index`.
rule_spec spec_of(const round_rule& rule, const project_index& index);

// Checks everything but the project keys (a draft may not have its projects
// yet; opening checks those).
void check_rule(const round_rule& rule);

// Whether the rule can count the round's ballot type: ranked ballots score
// by position, and under MES that score is the voter's utility (pabutools'
// additive positional satisfaction), so MES on ranked ballots takes utility
// approval; cost utility (score x cost) is refused, naming "utility".
void check_rule_takes(const round_rule& rule, const std::string& ballot);

// The option names a round takes, for refusals and docs.
std::string round_option_names();

} // namespace schwarm::voting
