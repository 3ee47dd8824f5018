#pragma once
// A running platform for money tests: a database, the real server, staff and
// auditor sessions, and the steps every money story starts with (customers
// with money in their wallets, a project open for pledges).

#include "support/support.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace schwarm::test {

struct customer {
    std::string token;
    std::string id;
    std::string email;
};

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

    customer register_customer(const std::string& email);
    // New sessions for staff, the auditor and `customers`, for stories longer
    // than a session lives.
    void log_in_again(std::initializer_list<customer*> customers = {});
    // A project taken through review to funding; `changes` overrides fields
    // of a donation project with goal 100.00 EUR and a deadline 30 days on.
    std::string open_project(const customer& owner, boost::json::object changes = {});
    // The same, stopping at approved.
    std::string approved_project(const customer& owner, boost::json::object changes = {});
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

} // namespace schwarm::test
