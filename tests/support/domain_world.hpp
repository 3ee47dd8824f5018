#pragma once
// The platform's money functions on a real database, without the server
// (tests/platform/): a database whose platform clock starts at a fixed
// moment, the real risk gate bound as `serve` binds it, staff, customers
// with money in their wallets, and projects taken through their lifecycle
// by the domain's own functions.

#include "support/support.hpp"

#include "platform/accounts.hpp"
#include "platform/pledges.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"
#include "platform/wallets.hpp"
#include "risk/risk.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace schwarm::test::domain {

// Risk as the stories need it: the scorecard only, one staff approval per
// loan, the regulation's limits.
risk::settings risk_settings();

// Binds a gate for its lifetime; unbinds (so later code fails closed) after.
class bound_gate {
public:
    explicit bound_gate(risk::settings s);
    ~bound_gate();
    bound_gate(const bound_gate&) = delete;
    bound_gate& operator=(const bound_gate&) = delete;

private:
    risk::gate gate_;
};

// The result's slug: "held" (or the pledge's state) for a pledge, the
// problem's type otherwise.
std::string outcome_of(const pledges::result& r);

class world {
public:
    // Where the platform clock starts (as platform::default_start).
    static constexpr const char* start = "2030-03-04T09:00:00+01:00";

    world();

    database db;
    std::unique_ptr<pqxx::connection> connection;
    risk::settings risk_rules = risk_settings();
    bound_gate gate{risk_rules};
    users::principal staff;

    // A customer; `investor`: with the profile, loss simulation and
    // knowledge test that loan pledges need.
    users::principal customer(const std::string& email, bool investor = true);
    // The actor of a domain call.
    projects::actor as(const users::principal& who) const { return {who, "test"}; }

    // A donation of 100.00 EUR with a deadline 30 days on, `changes` applied,
    // taken through review to funding (a loan through its credit check and
    // staff approval).
    projects::project_id funding_project(const users::principal& owner,
                                         const std::function<void(projects::fields&)>& changes = {});
    // A loan of `principal_minor` over `months` at 6 % (annuity), in funding.
    projects::project_id funding_loan(const users::principal& owner, std::int64_t principal_minor, int months);
    void deposit(const users::principal& who, std::int64_t amount_minor);
    wallets::balance wallet(const users::principal& who);

    // One pledge in a transaction of its own, committed.
    pledges::result pledge(const users::principal& who, projects::project_id project, std::int64_t amount_minor,
                           const std::string& key, bool acknowledged = false);
    // The project's row as the database has it.
    std::string column(projects::project_id project, const std::string& name) const;
    // Moves the platform clock one second past the moment the project is due
    // for settlement (its deadline and every reflection period).
    void make_due(projects::project_id project);
    // A platform account's posted credits less debits (0 if it was never opened).
    std::int64_t credit_balance(const accounts::key& account);
    // The ledger verifies: every balance recomputed from the postings, every entry balanced.
    void check_books();

private:
    int keys_ = 0;
    std::string days_from_now(int days) const;
};

} // namespace schwarm::test::domain
