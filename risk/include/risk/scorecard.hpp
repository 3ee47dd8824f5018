#pragma once
// The built-in credit-check provider: a points scorecard. The points table
// is data (migrations, table risk_scorecard_points), versioned; every check
// records the version that decided it. Scoring itself is a pure function.

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::risk::scorecard {

struct inputs {
    std::string applicant_type; // person | company
    std::int64_t monthly_income_minor = 0;
    std::int64_t monthly_expenses_minor = 0;
    std::int64_t existing_debt_minor = 0;
    std::string purpose;
    std::optional<int> years_in_business; // companies only
    std::int64_t principal_minor = 0;
    int term_months = 1;
    int rate_bp = 0;
};

struct points_row {
    std::string factor;
    std::optional<std::int64_t> lower_incl;
    std::optional<std::int64_t> upper_excl;
    std::optional<std::string> category;
    int points = 0;
    std::string reason;
};

struct band {
    int min_score = 0;
    std::string pd_band;
    std::string decision; // approve | refer | decline
};

struct card {
    int version = 0;
    int base_points = 0;
    std::vector<points_row> points;
    std::vector<band> bands;
};

struct reason {
    std::string factor;
    std::string value; // the factor's value as text
    int points = 0;
    std::string text;
};

struct result {
    int version = 0;
    int score = 0;
    std::string pd_band;
    std::string decision;
    std::vector<reason> reasons; // what moved the score most, largest first
};

inline constexpr std::size_t reasons_max = 3;

// The numeric factors (percentages are whole percent, rounded down); an
// income of zero counts as an unbounded ratio.
std::map<std::string, std::int64_t> numeric_factors(const inputs& in);
result score(const card& c, const inputs& in);

// The newest version of the card.
card load(pqxx::transaction_base& tx);

} // namespace schwarm::risk::scorecard
