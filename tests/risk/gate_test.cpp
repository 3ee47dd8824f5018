// The pledge rules of investor protection, asked directly of the gate
// inside a real transaction, as the pledge path asks them.
#include "risk/risk.hpp"
#include "support/support.hpp"

#include "base/db.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"

#include <catch2/catch.hpp>

using namespace schwarm;
using namespace schwarm::test;

namespace {

struct world {
    database db;
    std::unique_ptr<pqxx::connection> connection = db::connect(db.url());
    risk::settings settings;
    users::principal owner, ivo, sofia;
    std::int64_t loan_id = 0, donation_id = 0;

    world() {
        settings.providers = {"scorecard"};
        settings.pledge_limit_per_project_minor = 2'000'000; // EUR 20,000
        settings.owner_limit_minor = 500'000'000;
        pqxx::work tx(*connection);
        owner = principal(tx, "olga@example.org");
        ivo = principal(tx, "ivo@example.org");
        sofia = principal(tx, "sofia@example.org");
        loan_id = project(tx, "loan");
        donation_id = project(tx, "donation");
        tx.commit();
    }

    users::principal principal(pqxx::work& tx, const std::string& email) {
        auto u = users::create(tx, {email, "correct horse battery", email.substr(0, email.find('@'))},
                               users::role::customer, "test", users::created_via::registration);
        return {u.id, u.role_, u};
    }

    std::int64_t project(pqxx::work& tx, const std::string& kind) {
        projects::fields f{"Solardach für die Kita", "Photovoltaik",        "", "energy", kind, 5'000'000, "EUR",
                           "all_or_nothing",         "2099-06-30T23:59:59Z"};
        if (kind == "loan") {
            f.loan_rate_bp = 350;
            f.loan_term_months = 60;
            f.loan_schedule = "annuity";
        }
        return projects::create(tx, f, {owner, "test"}).id.value;
    }

    risk_port::pledge_request pledge(const users::principal& who, std::int64_t amount, bool acknowledged = false,
                                     std::int64_t project = 0, const std::string& kind = "loan") {
        return {who.id, project ? project : loan_id, owner.id, kind, amount, "EUR", acknowledged};
    }

    std::vector<std::optional<problem>> ask(std::vector<risk_port::pledge_request> requests) {
        risk::gate gate(settings);
        pqxx::work tx(*connection);
        auto out = gate.pledges_allowed(tx, requests);
        REQUIRE(out.size() == requests.size());
        return out; // rolled back: the gate changes nothing
    }

    // Declares a net worth, runs the simulation, passes the test.
    void prepare(const users::principal& who, std::int64_t income, std::int64_t assets, std::int64_t commitments) {
        pqxx::work tx(*connection);
        risk::put_profile(tx, who.id, {income, assets, commitments}, "test");
        risk::run_loss_simulation(tx, who.id, "test");
        risk::take_knowledge_test(
            tx, who.id,
            {{"total_loss", 1}, {"deposit_guarantee", 1}, {"liquidity", 1}, {"diversification", 1}, {"reflection", 0}},
            "test");
        tx.commit();
    }
};

std::string slug(const std::optional<problem>& p) { return p ? std::string(p->type().slug) : "allowed"; }
std::string ext(const std::optional<problem>& p, const std::string& key) {
    REQUIRE(p);
    return p->extension(key);
}

} // namespace

TEST_CASE("risk gate: a first loan pledge needs the knowledge test and the loss simulation", "[pg][risk]") {
    world w;
    auto untested = w.ask({w.pledge(w.ivo, 10'000)});
    CHECK(slug(untested[0]) == "risk-knowledge-test-required");
    CHECK(ext(untested[0], "test_status") == "none");
    CHECK(ext(untested[0], "rule").find("art. 21") != std::string::npos);
    // Donations are not investments: no test needed.
    CHECK(slug(w.ask({w.pledge(w.ivo, 10'000, false, w.donation_id, "donation")})[0]) == "allowed");

    {
        pqxx::work tx(*w.connection);
        auto failed = risk::take_knowledge_test(
            tx, w.ivo.id,
            {{"total_loss", 0}, {"deposit_guarantee", 0}, {"liquidity", 1}, {"diversification", 1}, {"reflection", 0}},
            "test");
        CHECK(failed.at("passed") == false);
        tx.commit();
    }
    CHECK(ext(w.ask({w.pledge(w.ivo, 10'000)})[0], "test_status") == "failed");
    {
        pqxx::work tx(*w.connection);
        risk::take_knowledge_test(
            tx, w.ivo.id,
            {{"total_loss", 1}, {"deposit_guarantee", 1}, {"liquidity", 1}, {"diversification", 1}, {"reflection", 0}},
            "test");
        tx.commit();
    }
    auto no_simulation = w.ask({w.pledge(w.ivo, 10'000)});
    CHECK(slug(no_simulation[0]) == "risk-loss-simulation-required");
    CHECK(ext(no_simulation[0], "profile_declared") == "false");
    {
        pqxx::work tx(*w.connection);
        risk::put_profile(tx, w.ivo.id, {6'000'000, 4'000'000, 0}, "test");
        risk::run_loss_simulation(tx, w.ivo.id, "test");
        tx.commit();
    }
    CHECK(slug(w.ask({w.pledge(w.ivo, 10'000)})[0]) == "allowed");

    // An expired test must be taken again.
    w.db.travel_to(
        w.db.scalar("SELECT expires_at + interval '1 second' FROM risk_knowledge_tests ORDER BY id DESC LIMIT 1"));
    auto expired = w.ask({w.pledge(w.ivo, 10'000)});
    CHECK(slug(expired[0]) == "risk-knowledge-test-required");
    CHECK(ext(expired[0], "test_status") == "expired");
}

TEST_CASE("risk gate: the risk warning above the higher of EUR 1,000 and 5% of net worth", "[pg][risk]") {
    world w;
    // Net worth EUR 10,000 + 2,000 - 2,000 = 10,000: 5% is EUR 500, so the floor of EUR 1,000 applies.
    w.prepare(w.ivo, 1'000'000, 200'000, 200'000);
    CHECK(slug(w.ask({w.pledge(w.ivo, 100'000)})[0]) == "allowed");
    auto above = w.ask({w.pledge(w.ivo, 100'001)});
    CHECK(slug(above[0]) == "risk-acknowledgement-required");
    CHECK(ext(above[0], "threshold_minor") == "100000");
    CHECK(ext(above[0], "total_minor") == "100001");
    CHECK(ext(above[0], "net_worth_minor") == "1000000");
    CHECK(slug(w.ask({w.pledge(w.ivo, 100'001, true)})[0]) == "allowed");
    // Per project: two pledges of one span add up.
    auto two = w.ask({w.pledge(w.ivo, 60'000), w.pledge(w.ivo, 60'000)});
    CHECK(slug(two[0]) == "allowed");
    CHECK(slug(two[1]) == "risk-acknowledgement-required");
    CHECK(ext(two[1], "total_minor") == "120000");

    // Net worth EUR 1,000,000: 5% is EUR 50,000, above the floor.
    w.prepare(w.sofia, 10'000'000, 90'000'000, 0);
    CHECK(slug(w.ask({w.pledge(w.sofia, 1'000'000)})[0]) == "allowed");
    auto big = w.ask({w.pledge(w.sofia, 5'000'001)});
    CHECK(ext(big[0], "threshold_minor") == "5000000");
}

TEST_CASE("risk gate: the limits per investor per project and per owner per 12 months", "[pg][risk]") {
    world w;
    w.prepare(w.ivo, 100'000'000, 0, 0);
    auto limited =
        w.ask({w.pledge(w.ivo, 1'500'000, true), w.pledge(w.ivo, 600'000, true), w.pledge(w.ivo, 500'000, true)});
    CHECK(slug(limited[0]) == "allowed");
    CHECK(slug(limited[1]) == "risk-investor-project-limit");
    CHECK(ext(limited[1], "limit_minor") == "2000000");
    CHECK(ext(limited[1], "pledged_minor") == "1500000");
    CHECK(ext(limited[1], "requested_minor") == "600000");
    CHECK(slug(limited[2]) == "allowed"); // exactly the limit

    w.settings.owner_limit_minor = 3'000'000;
    w.prepare(w.sofia, 100'000'000, 0, 0);
    auto owner =
        w.ask({w.pledge(w.ivo, 2'000'000, true), w.pledge(w.sofia, 1'000'000, true), w.pledge(w.sofia, 1, true)});
    CHECK(slug(owner[0]) == "allowed");
    CHECK(slug(owner[1]) == "allowed");
    CHECK(slug(owner[2]) == "risk-owner-limit");
    CHECK(ext(owner[2], "raised_minor") == "3000000");
    CHECK(ext(owner[2], "limit_minor") == "3000000");
}

TEST_CASE("risk gate: sophisticated investors skip the test and warning but not the limits, only others may revoke",
          "[pg][risk]") {
    world w;
    {
        pqxx::work tx(*w.connection);
        risk::request_sophistication(tx, w.sofia.id, "Professional investor", "test");
        auto staff = w.principal(tx, "anna@bank.example");
        tx.exec("UPDATE users SET role = 'staff' WHERE id = " + staff.id.str());
        staff.role_ = users::role::staff;
        auto id = tx.exec("SELECT id FROM risk_sophistication_requests")[0][0].as<std::int64_t>();
        risk::decide_sophistication(tx, id, true, "", {staff, "test"});
        tx.commit();
    }
    auto out = w.ask({w.pledge(w.sofia, 1'500'000), w.pledge(w.sofia, 600'000)});
    CHECK(slug(out[0]) == "allowed");
    CHECK(slug(out[1]) == "risk-investor-project-limit");
    risk::gate gate(w.settings);
    pqxx::work tx(*w.connection);
    std::vector<schwarm::user_id> both{w.sofia.id, w.ivo.id};
    CHECK(gate.may_revoke(tx, both) == std::vector<bool>{false, true});
}
