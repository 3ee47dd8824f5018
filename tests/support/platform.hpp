#pragma once
// A running platform for money tests: a database, the real server, staff and
// auditor sessions, and the steps every money story starts with (customers
// with money in their wallets, a project open for pledges).

#include "tests/support/support.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace schwarm::test {

struct customer {
    std::string token;
    std::string id;
};

class platform {
public:
    explicit platform(std::map<std::string, std::string> env = {});

    database db;
    server srv;
    https_client client;
    std::string staff;
    std::string auditor;

    customer register_customer(const std::string& email);
    // A project taken through review to funding; `changes` overrides fields
    // of a donation project with goal 100.00 EUR.
    std::string open_project(const customer& owner, boost::json::object changes = {});
    // The same, stopping at approved.
    std::string approved_project(const customer& owner, boost::json::object changes = {});
    void deposit(const customer& c, std::int64_t amount_minor, const std::string& currency = "EUR");
    // The wallet's available balance.
    std::int64_t available(const customer& c, const std::string& currency = "EUR");
    std::int64_t balance(const customer& c, const std::string& currency = "EUR");
    reply pledge(const customer& c, const std::string& project, std::int64_t amount_minor,
                 const std::string& key, const std::string& currency = "EUR", bool acknowledged = false);
    // Moves the deadline into the past (time passes in tests by the clock in the database).
    void pass_deadline(const std::string& project);
    std::string state_of(const std::string& project);
    // The auditor's view: the ledger verifies and the trial balance balances.
    void check_books();

private:
    int keys_ = 0;
};

} // namespace schwarm::test
