#pragma once
// The circuit breaker for calls to one provider, shared by every server
// process through the database (migration 0014): closed (calls go out) until
// `failures_max` consecutive failures, then open (calls fail at once) for
// `cooldown`, then half-open: one trial call, by whichever process claims it;
// its success closes the circuit, its failure opens it again. A trial that
// never reports (its process died) lapses after `trial_lease`.
//
// Times are the platform clock's (schwarm_clock()), so tests move them.
// A closed circuit costs one read per call; only failures, a trial and the
// first success after failures write.

#include <chrono>
#include <string>
#include <string_view>

#include <pqxx/connection>

namespace schwarm::risk {

class circuit {
public:
    enum class state { closed, open, half_open };

    circuit(std::string provider, int failures_max, std::chrono::milliseconds cooldown,
            std::chrono::milliseconds trial_lease);

    // Whether a call may go out now. In half-open, one caller of all
    // processes gets true until that trial reports back or its lease ends.
    bool allow(pqxx::connection& db);
    void succeeded(pqxx::connection& db);
    void failed(pqxx::connection& db);
    state current(pqxx::connection& db) const;

private:
    const std::string provider_;
    const int failures_max_;
    const std::chrono::milliseconds cooldown_;
    const std::chrono::milliseconds trial_lease_;
};

std::string_view to_string(circuit::state s);

} // namespace schwarm::risk
