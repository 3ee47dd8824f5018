#include "risk/circuit.hpp"

#include <pqxx/nontransaction>

#include <cassert>

namespace schwarm::risk {

namespace {

std::string interval(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " milliseconds"; }

} // namespace

circuit::circuit(std::string provider, int failures_max, std::chrono::milliseconds cooldown,
                 std::chrono::milliseconds trial_lease)
    : provider_(std::move(provider)), failures_max_(failures_max), cooldown_(cooldown), trial_lease_(trial_lease) {
    assert(failures_max_ >= 1);
}

bool circuit::allow(pqxx::connection& db) {
    pqxx::nontransaction tx(db);
    auto closed = tx.exec_params("SELECT opened_at IS NULL FROM provider_circuits WHERE provider = $1", provider_);
    if (closed.empty() || closed[0][0].as<bool>()) return true;
    // Open: after the cool-down, one caller claims the trial. The UPDATE
    // re-reads the row under its lock, so two claims cannot both win.
    return !tx.exec_params("UPDATE provider_circuits SET trial_until = schwarm_clock() + $3::interval "
                           "WHERE provider = $1 AND opened_at IS NOT NULL "
                           "AND opened_at + $2::interval <= schwarm_clock() "
                           "AND (trial_until IS NULL OR trial_until <= schwarm_clock()) RETURNING 1",
                           provider_, interval(cooldown_), interval(trial_lease_))
                .empty();
}

void circuit::succeeded(pqxx::connection& db) {
    pqxx::nontransaction tx(db);
    tx.exec_params("UPDATE provider_circuits SET failures = 0, opened_at = NULL, trial_until = NULL "
                   "WHERE provider = $1 AND (failures > 0 OR opened_at IS NOT NULL)",
                   provider_);
}

void circuit::failed(pqxx::connection& db) {
    // A failure while open or half-open (the trial, or a call that went out
    // before the circuit opened) starts the cool-down again.
    pqxx::nontransaction tx(db);
    tx.exec_params("INSERT INTO provider_circuits AS c (provider, failures, opened_at) "
                   "VALUES ($1, 1, CASE WHEN $2 <= 1 THEN schwarm_clock() END) "
                   "ON CONFLICT (provider) DO UPDATE SET failures = c.failures + 1, trial_until = NULL, "
                   "opened_at = CASE WHEN c.opened_at IS NOT NULL OR c.failures + 1 >= $2 "
                   "THEN schwarm_clock() END",
                   provider_, failures_max_);
}

circuit::state circuit::current(pqxx::connection& db) const {
    pqxx::nontransaction tx(db);
    auto r = tx.exec_params("SELECT opened_at IS NULL, opened_at + $2::interval <= schwarm_clock() "
                            "FROM provider_circuits WHERE provider = $1",
                            provider_, interval(cooldown_));
    if (r.empty() || r[0][0].as<bool>()) return state::closed;
    return r[0][1].as<bool>() ? state::half_open : state::open;
}

std::string_view to_string(circuit::state s) {
    switch (s) {
    case circuit::state::closed: return "closed";
    case circuit::state::open: return "open";
    case circuit::state::half_open: return "half_open";
    }
    return "unknown";
}

} // namespace schwarm::risk
