#pragma once
// A history: what a seeded run of tests/api/histories_test.cpp did to the
// platform, step by step, as data that can be printed, read back, shortened
// and replayed. Steps name what they act on by the names earlier steps gave
// (customer c3, project p7, pledge g12: the number is the step that made
// it), so a history with steps removed still means something; a step whose
// names are gone is skipped.

#include "support/money_model.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace schwarm::test::history {

// One request, a fault, a move of the clock, or a burst of requests sent at
// once by different clients.
struct step {
    int n = 0;      // its number in the history as generated: names and keys derive from it
    std::string op; // register, deposit, payout, open, pledge, revoke, settle, cancel, withdraw,
                    // travel, retry, burst, kill, crash
    std::map<std::string, std::string> args;
    std::vector<step> parts; // a burst's requests

    std::string arg(const std::string& name, const std::string& fallback = "") const;
    std::int64_t number(const std::string& name, std::int64_t fallback = 0) const;
};

// What a history runs with: the server's settings and what may happen.
struct config {
    std::uint64_t seed = 0;
    int fee_bp = 200;
    int settlement_chunk = 5000;
    bool settlement_job = false; // the servers settle by themselves (or staff do)
    std::int64_t owner_limit_minor = 500'000'000;
    std::int64_t project_limit_minor = 10'000'000;
    bool faults = true; // SIGKILL of a server, immediate stop of PostgreSQL
    int steps = 60;
    // The operations the generator may use (empty: all); for runs against
    // older servers that lack some routes.
    std::vector<std::string> ops;
    bool allows(const std::string& op) const;
};

struct recorded {
    config cfg;
    std::vector<step> steps;
};

// One line per step ("pledge n=12 who=c3 …"), a burst's parts indented
// below it; the config first.
std::string print(const recorded& h);
recorded parse(const std::string& text);
std::string print(const step& s);

// A history's configuration from its seed (within `base`'s switches).
config config_for(std::uint64_t seed, const config& base);

// The next step of a history, chosen by `random` from what the model says
// exists now (who has money, which pledges are held, which deadlines lie
// ahead). Never a step that needs a name the model does not know, except
// on purpose (an unknown project).
class generator {
public:
    explicit generator(const config& cfg) : cfg_(cfg), random_(cfg.seed) {}
    // The steps every history starts with: customers and campaigns.
    std::vector<step> opening();
    step next(const model::platform& m, int n);
    std::mt19937_64& random() { return random_; }

private:
    config cfg_;
    std::mt19937_64 random_;

    bool chance(double p);
    int pick(int n);
    std::int64_t between(std::int64_t lo, std::int64_t hi);
    template <typename T>
    const T& any(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(pick(static_cast<int>(items.size())))];
    }
    step money_request(const model::platform& m, int n, bool in_burst);
    step pledge(const model::platform& m, int n);
    step revoke(const model::platform& m, int n);
    step deposit(const model::platform& m, int n, const char* op);
    step project_move(const model::platform& m, int n, const char* op);
    step travel(const model::platform& m, int n);
    step loan_move(const model::platform& m, int n, const char* op);
    step retry(int n);
    step burst(const model::platform& m, int n);
    void pledges_to(step& s, const model::platform& m, const std::vector<std::string>& projects, int count,
                    const std::function<std::int64_t(const model::project&)>& amount);
    step open(const model::platform& m, int n, const std::string& owner);
    std::vector<std::string> customers(const model::platform& m);
    std::vector<int> money_steps_; // steps a retry may repeat
};

} // namespace schwarm::test::history
