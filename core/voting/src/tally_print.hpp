#pragma once

// How `schwarm tally` prints an outcome: the selected ids, an explanation for people, or
// JSON with the rule and every option used. Internal to the tally command.

#include "voting/tally_cli.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace schwarm::voting {

struct printed {
    const std::string& path_;
    const election& election_;
    const election_input& input_;
    const counted_rule& counted_;
    const tally_result& result_;
    const std::vector<pabulib_warning>& warnings_;
};

// The selected project ids in selection order, one a line.
void print_selected(const printed& p, std::ostream& out);
// Why each project won or lost, with the rule and its options.
void print_explanation(const printed& p, std::ostream& out);
// Quirks of the file, notes on how it was read and ties the file order settled.
void print_warnings(const printed& p, std::ostream& err);
void print_json(const printed& p, std::ostream& out);

// Every option of the rule as people read it, one line each.
std::vector<std::string> describe_spec(const rule_spec& spec, const election_input& input);

} // namespace schwarm::voting
