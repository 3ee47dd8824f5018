#pragma once

// `schwarm tally FILE.pb [options]`: counts a pabulib file the way the city did (the rule
// its META names, with the META's threshold and other parameters) unless options say
// otherwise. docs/voting.md documents every option; README.md has the synopsis.

#include "voting/pabulib.hpp"
#include "voting/rules.hpp"
#include "voting/tally.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace schwarm::voting {

// What is counted and how, once the file's META and the options are combined.
struct counted_rule {
    std::string name_;
    bool from_meta_ = false;
    rule_spec spec_;
    // How the file was read where the format is silent: a withdrawn project, exclusive
    // groups found in a META comment. Printed as notes; of these --strict refuses only
    // a greedy-exclusive file whose comment names no group.
    std::vector<std::string> notes_;
};

// How `schwarm tally FILE` without options counts `e`: the rule its META names
// (pabulib's meaning, or the platform's for a file with META unit schwarm) with
// the META's threshold, withdrawn projects and exclusive groups. Throws
// std::invalid_argument for a missing or unknown rule or one that lacks its
// parameters; rounds' import keeps what this says.
counted_rule rule_of_file(const election& e);

// The whole command: `args` are the words after "tally". Writes the outcome to `out` and,
// unless --json, warnings to `err`; returns the exit status (0). Throws
// std::invalid_argument for bad options (main prints the usage and exits 2),
// pabulib_error for a malformed file or, under --strict, a quirk, unresolved_tie when
// --refuse-ties meets one, std::runtime_error when the file cannot be read.
int tally_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace schwarm::voting
