#pragma once

// Reading and writing pabulib .pb files (https://pabulib.org/format): sections META,
// PROJECTS and VOTES, `;`-separated with CSV quoting. docs/voting.md lists the decisions
// (amounts in minor units, ordinal scoring, what is refused).

#include "voting/tally.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schwarm::voting {

// A malformed file. The message names the line and, where there is one, the field.
class pabulib_error : public std::runtime_error {
public:
    pabulib_error(std::size_t line, std::string field, const std::string& detail);

    std::size_t line() const noexcept { return line_; }
    const std::string& field() const noexcept { return field_; }

private:
    std::size_t line_;
    std::string field_;
};

// A quirk of a real file that the parser read the way the city counted it (a project
// named twice on one ballot counts once, text after a closing quote belongs to the
// field, ...); docs/voting.md lists them. Under parse_options::strict_ each is a
// pabulib_error instead.
struct pabulib_warning {
    std::size_t line_ = 0;
    std::string field_;
    std::string detail_;

    // "pabulib line N, field 'F': detail", as pabulib_error words it.
    std::string message() const;
};

struct parse_options {
    bool strict_ = false;
};

// scoring: a score per project in the points column, like cumulative without a sum.
enum class vote_type { approval, cumulative, ordinal, choose_1, scoring };

struct pb_project {
    std::string id_;
    std::int64_t cost_minor_ = 0;
    std::string name_;
    // Values of the other columns, in the order of election::project_columns_ minus
    // project_id, cost and name.
    std::vector<std::string> extra_;

    bool operator==(const pb_project&) const = default;
};

struct pb_vote {
    std::string voter_id_;
    std::vector<std::uint32_t> projects_; // indices into election::projects_, file order
    std::vector<std::int64_t> points_;    // parallel to projects_ if a points column exists
    // Values of the other columns, in the order of election::vote_columns_ minus
    // voter_id, vote and points.
    std::vector<std::string> extra_;

    bool operator==(const pb_vote&) const = default;
};

struct election {
    // META in file order, without the keys held below as typed fields or derived from
    // the data (budget, vote_type, num_projects, num_votes).
    std::vector<std::pair<std::string, std::string>> meta_;
    // Amounts are minor units: the file's currency units times 100 (docs/voting.md).
    std::int64_t budget_minor_ = 0;
    vote_type vote_type_ = vote_type::approval;
    std::vector<std::string> project_columns_; // all columns, file order
    std::vector<pb_project> projects_;
    std::vector<std::string> vote_columns_; // all columns, file order
    std::vector<pb_vote> votes_;

    bool operator==(const election&) const = default;
};

// Throws pabulib_error for a malformed file (see docs/voting.md for what is refused).
// Quirks are read leniently and reported in `warnings`, or refused when strict.
election parse_pabulib(std::string_view text, const parse_options& options, std::vector<pabulib_warning>& warnings);
// Lenient, warnings dropped: rounds import a file as the city counted it.
election parse_pabulib(std::string_view text);
// Throws std::invalid_argument for a project id with ',' (votes could not name it).
// parse_pabulib(write_pabulib(e)) == e for every parsed e.
std::string write_pabulib(const election& e);

// Ballots for the tally. Points come from the points column when there is one;
// otherwise ordinal ballots score by position, L - position where L is META max_length
// (else the longest ballot): Kraków 2024's 3, 2, 1. Approval and choose-1 score 1.
election_input to_election_input(const election& e);

const char* to_string(vote_type t);

// "1011308" or "1000.5" (currency units, at most two decimals) in minor units; nullopt
// for anything else. The reading the parser gives budgets and costs.
std::optional<std::int64_t> parse_units_minor(std::string_view text);

// The META value for `key`, if the file has one.
std::optional<std::string> meta_value(const election& e, std::string_view key);

} // namespace schwarm::voting
