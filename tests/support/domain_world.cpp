#include "support/domain_world.hpp"

#include "base/db.hpp"
#include "platform/risk_port.hpp"

#include <chrono>

namespace schwarm::test::domain {

risk::settings risk_settings() {
    risk::settings s;
    s.providers = {"scorecard"};
    s.four_eyes_above_minor = 100'000'000; // one approval: four eyes are tested in tests/api/risk_test.cpp
    s.calls_max = 2;
    s.poll = std::chrono::milliseconds(10);
    return s;
}

bound_gate::bound_gate(risk::settings s) : gate_(std::move(s)) { risk_port::bind(&gate_); }
bound_gate::~bound_gate() { risk_port::bind(nullptr); }

std::string outcome_of(const pledges::result& r) {
    if (const auto* p = std::get_if<problem>(&r)) return std::string(p->type().slug);
    return std::get<pledges::pledge>(r).state;
}

namespace {
// The database's clock set to the start before the first connection is used.
const std::string& at_start(const database& db) {
    db.travel_to(world::start);
    return db.url();
}
} // namespace

world::world()
    : connection(db::connect(at_start(db))), staff([&] {
          pqxx::work tx(*connection);
          auto u = users::create(tx, {"staff@bank.example", "correct horse battery", "Staff"}, users::role::staff,
                                 "test", users::created_via::command_line);
          tx.commit();
          return users::principal{u.id, u.role_, u};
      }()) {}

users::principal world::customer(const std::string& email, bool investor) {
    pqxx::work tx(*connection);
    auto u = users::create(tx, {email, "correct horse battery", email.substr(0, email.find('@'))},
                           users::role::customer, "test", users::created_via::registration);
    if (investor) { // net worth EUR 100,000: the risk warning starts at EUR 5,000
        risk::put_profile(tx, u.id, {6'000'000, 5'000'000, 1'000'000}, "test");
        risk::run_loss_simulation(tx, u.id, "test");
        risk::take_knowledge_test(
            tx, u.id,
            {{"total_loss", 1}, {"deposit_guarantee", 1}, {"liquidity", 1}, {"diversification", 1}, {"reflection", 0}},
            "test");
    }
    tx.commit();
    return {u.id, u.role_, u};
}

std::string world::days_from_now(int days) const {
    return db.scalar("SELECT to_char((schwarm_clock() + make_interval(days => " + std::to_string(days) +
                     ")) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

projects::project_id world::funding_project(const users::principal& owner,
                                            const std::function<void(projects::fields&)>& changes) {
    projects::fields f{"Dorfladen Kleinwalde", "Ein Laden für das Dorf", "", "community", "donation", 10'000, "EUR",
                       "all_or_nothing",       days_from_now(30)};
    if (changes) changes(f);
    projects::project_id id;
    {
        pqxx::work tx(*connection);
        id = projects::create(tx, f, as(owner)).id;
        if (f.kind == "loan") { // the credit inputs the scorecard reads
            risk::put_application(tx, risk_rules, id, {"person", 2'000'000, 500'000, 0, "business", std::nullopt},
                                  as(owner));
        }
        projects::transition(tx, id, "submit", "", as(owner));
        projects::transition(tx, id, "start_review", "", as(staff));
        if (f.kind != "loan") projects::transition(tx, id, "approve", "", as(staff));
        tx.commit();
    }
    if (f.kind == "loan") { // approved through its review once the credit check is in
        risk::check_worker checks(risk_rules, db.url(), nullptr);
        checks.start();
        eventually(
            [&] {
                return db.scalar("SELECT count(*) FROM risk_checks WHERE state = 'completed' AND project_id = " +
                                 id.str()) == "1";
            },
            std::chrono::seconds(10), "the loan's credit check");
        checks.stop();
        pqxx::work tx(*connection);
        risk::approve(tx, risk_rules, id, as(staff));
        tx.commit();
    }
    pqxx::work tx(*connection);
    projects::transition(tx, id, "open_funding", "", as(staff));
    tx.commit();
    return id;
}

projects::project_id world::funding_loan(const users::principal& owner, std::int64_t principal_minor, int months) {
    return funding_project(owner, [&](projects::fields& f) {
        f.title = "Hofladen mit Kühlraum";
        f.kind = "loan";
        f.goal_minor = principal_minor;
        f.loan_rate_bp = 600;
        f.loan_term_months = months;
        f.loan_schedule = "annuity";
    });
}

void world::deposit(const users::principal& who, std::int64_t amount_minor) {
    pqxx::work tx(*connection);
    wallets::deposit(tx,
                     {who.id, amount_minor, "EUR", "deposit-" + std::to_string(++keys_), "Deposit", staff.id, "test"});
    tx.commit();
}

wallets::balance world::wallet(const users::principal& who) {
    pqxx::nontransaction tx(*connection);
    return wallets::of(tx, who.id, "EUR");
}

pledges::result world::pledge(const users::principal& who, projects::project_id project, std::int64_t amount_minor,
                              const std::string& key, bool acknowledged) {
    pqxx::work tx(*connection);
    pledges::request r{project.value, who.id, amount_minor, "EUR", acknowledged, key, "test"};
    auto out = pledges::place(tx, std::span(&r, 1));
    tx.commit();
    return out.at(0);
}

std::string world::column(projects::project_id project, const std::string& name) const {
    return db.scalar("SELECT " + name + "::text FROM projects WHERE id = " + project.str());
}

void world::make_due(projects::project_id project) {
    db.travel_to(db.scalar("SELECT settles_at + interval '1 second' FROM projects WHERE id = " + project.str()));
}

std::int64_t world::credit_balance(const accounts::key& account) {
    pqxx::nontransaction tx(*connection);
    auto found = accounts::find(tx, account);
    if (!found) return 0;
    auto b = accounts::balance(tx, *found);
    return b.credits_posted - b.debits_posted;
}

void world::check_books() {
    pqxx::nontransaction tx(*connection);
    auto report = ledger::verify(tx);
    INFO(report.first_discrepancy);
    CHECK(report.ok);
    CHECK(report.entries_checked > 0);
}

} // namespace schwarm::test::domain
