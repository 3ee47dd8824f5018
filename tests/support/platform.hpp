#pragma once
// A running platform for money tests: a database, the real server, staff and
// auditor sessions, and the steps every money story starts with (customers
// with money in their wallets, a project open for pledges).

#include "support/support.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::test {

struct customer {
    std::string token;
    std::string id;
    std::string email;
};

// What customer registration includes: investor protection passed (the
// profile, the loss simulation seen, the knowledge test), so loan pledges
// are allowed; or nothing beyond the account.
enum class investor { ready, none };

// The id of what a reply created (its `id`).
std::string id_of(const reply& r);

// A loan's fields for open_project: `principal_minor` over `months` at
// `rate_bp` a year, annuity.
boost::json::object loan_fields(std::int64_t principal_minor, int months = 12, int rate_bp = 500);

class voting_round;

// The documented pro-rata rule (core/loan_math.hpp), written again here to
// check the server by: the floor of each part, then one unit each by largest
// remainder, ties to the lower index.
std::vector<std::int64_t> split_largest_remainder(std::int64_t amount, const std::vector<std::int64_t>& weights);

class platform {
public:
    // Where the platform clock starts (docs/time.md): a fixed moment, so no
    // story depends on the day the tests run.
    static constexpr const char* default_start = "2030-03-04T09:00:00+01:00";
    // The settlement job looks every 200 ms (the platform's stories settle by
    // hand otherwise).
    static std::map<std::string, std::string> settling_job(std::map<std::string, std::string> env = {}) {
        env.emplace("SCHWARM_SETTLEMENT_INTERVAL_MS", "200");
        return env;
    }

    // Sessions last 90 days here (the configuration's most), so that stories
    // may move the clock by weeks without logging in again.
    explicit platform(std::map<std::string, std::string> env = {}) : platform(std::move(env), default_start) {}
    explicit platform(std::map<std::string, std::string> env, const std::string& start);

    database db;
    server srv;
    https_client client;
    std::string staff;
    std::string auditor;

    customer register_customer(const std::string& email, investor setup = investor::ready);
    // A staff member, auditor or admin of the command line, logged in; the token.
    std::string create_user(const std::string& email, const std::string& role);
    // New sessions for staff, the auditor and `customers`, for stories longer
    // than a session lives.
    void log_in_again(std::initializer_list<customer*> customers = {});
    // A project taken through review to funding; `changes` overrides fields
    // of a donation project with goal 100.00 EUR and a deadline 30 days on.
    std::string open_project(const customer& owner, boost::json::object changes = {});
    // The same, stopping at approved.
    std::string approved_project(const customer& owner, boost::json::object changes = {});
    // The typed client: the calls the stories make, through the real server.
    // A call that may be refused answers its reply (problem_slug reads it); a
    // step the story needs done REQUIREs success and answers what it made.

    // A donation of 100.00 EUR with a deadline 30 days on, `changes` applied, created by `owner`.
    reply propose(const customer& owner, boost::json::object changes = {});
    reply propose(const std::string& owner_token, boost::json::object changes = {});
    // The same, REQUIREd; the draft's id.
    std::string draft_project(const customer& owner, boost::json::object changes = {});
    std::string draft_project(const std::string& owner_token, boost::json::object changes = {});
    // A lifecycle move, POST /v1/projects/{id}/{action} (submit, start-review,
    // approve, reject, open-funding, withdraw, cancel, settle, disburse), by `token`.
    reply move(const std::string& project, const std::string& action, const std::string& token,
               const std::string& key = {}, const std::string& reason = {});
    reply project(const std::string& id);
    // Staff settle a campaign now, or disburse a funded loan.
    reply settle(const std::string& project, const std::string& key);
    reply disburse(const std::string& loan, const std::string& key);
    // Staff settle it and it comes out as `outcome` (REQUIREd).
    void settled(const std::string& project, const std::string& outcome = "funded");
    reply revoke(const customer& c, const std::string& pledge, const std::string& key);
    reply repay(const customer& c, const std::string& loan, std::int64_t amount_minor, const std::string& key);
    reply loan(const std::string& token, const std::string& loan);
    // The pledge, REQUIREd to be held; its id.
    std::string pledged(const customer& c, const std::string& project, std::int64_t amount_minor,
                        const std::string& key);
    // Staff put money into the community fund; its balance.
    reply fund_deposit(std::int64_t amount_minor, const std::string& key);
    std::int64_t fund_balance();
    // A ledger account in EUR staff open (REQUIREd), with the balance rule
    // debits_must_not_exceed_credits when `no_overdraft`; its id.
    std::string ledger_account(const std::string& code, const std::string& type = "liability",
                               bool no_overdraft = false);
    // A transfer between two ledger accounts, by staff unless `token` says otherwise.
    reply transfer(const std::string& from, const std::string& to, std::int64_t amount_minor, const std::string& key,
                   const std::string& token = {});
    // A voting round staff create: 1,000.00 EUR, open from 2020 to 2099, `changes` applied (REQUIREd).
    voting_round new_round(boost::json::object changes = {});

    void deposit(const customer& c, std::int64_t amount_minor, const std::string& currency = "EUR");
    // The wallet's available balance.
    std::int64_t available(const customer& c, const std::string& currency = "EUR");
    std::int64_t balance(const customer& c, const std::string& currency = "EUR");
    reply pledge(const customer& c, const std::string& project, std::int64_t amount_minor, const std::string& key,
                 const std::string& currency = "EUR", bool acknowledged = false);
    // Moves the platform clock one second past the project's deadline.
    void pass_deadline(const std::string& project);
    // Moves it past the moment the campaign is due for settlement: its
    // deadline and the end of every reflection period of its pledges.
    void make_due(const std::string& project);
    // RFC 3339 UTC, `days` from the platform time now.
    std::string days_from_now(int days);
    std::string state_of(const std::string& project);
    // The auditor's view: the ledger verifies and the trial balance balances.
    void check_books();

private:
    int keys_ = 0;
};

// A voting round's steps, as staff and voters take them.
class voting_round {
public:
    voting_round(platform& p, std::string id) : p_(p), id_(std::move(id)), path_("/v1/rounds/" + id_) {}
    const std::string& id() const { return id_; }
    const std::string& path() const { return path_; }
    // A platform project on the ballot (at its goal unless `cost_minor`), by staff unless `token`.
    reply add_project(const std::string& project, std::optional<std::int64_t> cost_minor = std::nullopt,
                      const std::string& token = {});
    // A project of the round's own (a key, named by it).
    reply add_item(const std::string& key, std::int64_t cost_minor);
    reply open();
    reply close();
    reply tally();
    // Choices by key: an item's, or "project-<id>" for a platform project.
    reply ballot(const std::string& token, const std::vector<std::string>& choices);
    reply allocate(const std::string& key, boost::json::object body = {});
    // Opens it, `voter` votes for the platform `projects`, closes, tallies and allocates (each REQUIREd).
    void vote_and_allocate(const customer& voter, const std::vector<std::string>& projects);

private:
    platform& p_;
    std::string id_, path_;
};

} // namespace schwarm::test
