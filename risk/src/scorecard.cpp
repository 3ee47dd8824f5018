#include "risk/scorecard.hpp"

#include "base/db.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <stdexcept>

namespace schwarm::risk::scorecard {

namespace {

const db::query select_version{
    "risk.scorecard.version", "SELECT version, base_points FROM risk_scorecard_versions ORDER BY version DESC LIMIT 1"};
const db::query select_points{
    "risk.scorecard.points",
    "SELECT factor, lower_incl, upper_excl, category, points, reason FROM risk_scorecard_points WHERE version = $1 "
    "ORDER BY factor, lower_incl NULLS FIRST, category"};
const db::query select_bands{
    "risk.scorecard.bands",
    "SELECT min_score, pd_band, decision FROM risk_scorecard_bands WHERE version = $1 ORDER BY min_score"};

constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();

// a * 100 / b in whole percent, saturating; b == 0 is unbounded.
std::int64_t percent(std::int64_t a, std::int64_t b) {
    if (b <= 0) return unbounded;
    __int128 p = static_cast<__int128>(a) * 100 / b;
    return p > unbounded ? unbounded : static_cast<std::int64_t>(p);
}

bool matches(const points_row& row, std::int64_t value) {
    return (!row.lower_incl || value >= *row.lower_incl) && (!row.upper_excl || value < *row.upper_excl);
}

} // namespace

std::map<std::string, std::int64_t> numeric_factors(const inputs& in) {
    assert(in.term_months >= 1);
    // The new instalment, simply: principal over the term plus a month's
    // interest on the whole principal (an upper bound of an annuity's).
    __int128 instalment =
        in.principal_minor / in.term_months + static_cast<__int128>(in.principal_minor) * in.rate_bp / 10000 / 12;
    // Existing debt is serviced, by assumption, over five years.
    __int128 outgoings = static_cast<__int128>(in.monthly_expenses_minor) + instalment + in.existing_debt_minor / 60;
    std::int64_t outgoings_minor = outgoings > unbounded ? unbounded : static_cast<std::int64_t>(outgoings);
    __int128 debt = static_cast<__int128>(in.existing_debt_minor) + in.principal_minor;
    __int128 annual_income = static_cast<__int128>(in.monthly_income_minor) * 12;
    std::map<std::string, std::int64_t> out{
        {"debt_service_ratio_pct", percent(outgoings_minor, in.monthly_income_minor)},
        {"debt_to_income_pct",
         annual_income == 0 ? unbounded
                            : static_cast<std::int64_t>(std::min<__int128>(debt * 100 / annual_income, unbounded))},
        {"term_months", in.term_months},
    };
    if (in.years_in_business) out["years_in_business"] = *in.years_in_business;
    return out;
}

result score(const card& c, const inputs& in) {
    result out;
    out.version = c.version;
    out.score = c.base_points;
    std::vector<reason> moved;
    auto numeric = numeric_factors(in);
    for (const auto& row : c.points) {
        if (row.category) {
            if (row.factor == "purpose" && *row.category == in.purpose) {
                out.score += row.points;
                moved.push_back({row.factor, in.purpose, row.points, row.reason});
            }
            continue;
        }
        auto value = numeric.find(row.factor);
        if (value == numeric.end() || !matches(row, value->second)) continue;
        out.score += row.points;
        moved.push_back({row.factor, value->second == unbounded ? "unbounded" : std::to_string(value->second),
                         row.points, row.reason});
    }
    // The bands are sorted by min_score; the last one not above the score.
    assert(!c.bands.empty());
    const band* chosen = &c.bands.front();
    for (const auto& b : c.bands) {
        if (b.min_score <= out.score) chosen = &b;
    }
    out.pd_band = chosen->pd_band;
    out.decision = chosen->decision;
    std::stable_sort(moved.begin(), moved.end(),
                     [](const reason& a, const reason& b) { return std::abs(a.points) > std::abs(b.points); });
    for (auto& r : moved) {
        if (out.reasons.size() == reasons_max) break;
        if (r.points != 0) out.reasons.push_back(std::move(r));
    }
    return out;
}

card load(pqxx::transaction_base& tx) {
    auto version = tx.exec_prepared(select_version.name);
    if (version.empty()) throw std::logic_error("no scorecard version (migration 0008 seeds one)");
    card c;
    c.version = version[0][0].as<int>();
    c.base_points = version[0][1].as<int>();
    for (const auto& row : tx.exec_prepared(select_points.name, c.version)) {
        c.points.push_back({row[0].as<std::string>(), db::nullable<std::int64_t>(row[1]),
                            db::nullable<std::int64_t>(row[2]), db::nullable<std::string>(row[3]), row[4].as<int>(),
                            row[5].as<std::string>()});
    }
    for (const auto& row : tx.exec_prepared(select_bands.name, c.version)) {
        c.bands.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    if (c.bands.empty()) throw std::logic_error("scorecard version " + std::to_string(c.version) + " has no bands");
    return c;
}

} // namespace schwarm::risk::scorecard
