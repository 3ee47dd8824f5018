#pragma once
// A person's rights over their data (GDPR art. 15, 17, 20) next to the
// bank's duties to keep records (docs/data-rights.md): the export of
// everything the platform holds about a customer, and erasure, which removes
// or pseudonymises their personal data and keeps the ledger, the audit log
// and the ballots intact (they name people by id only).

#include "base/ids.hpp"
#include "base/problem.hpp"

#include <boost/json/object.hpp>
#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace schwarm::data_rights {

namespace problems {
inline constexpr problem_type erasure_blocked{409, "erasure-blocked",
                                              "The account still has money or open business on the platform"};
inline constexpr problem_type erased{409, "user-erased", "The account has been erased"};
inline constexpr problem_type not_a_customer{422, "erasure-not-a-customer", "Only customers' accounts are erased"};
} // namespace problems

// What the platform's own tables hold about `who` (the account, sessions
// without their tokens, wallets with every posting, projects, pledges,
// loans, comments, ideas, feedback, follows, webhooks without their secrets,
// the rounds they voted in, payments, payouts, their audit records), one
// JSON object; risk adds its part (api).
boost::json::object export_of(pqxx::transaction_base& tx, user_id who);

struct erasure_state {
    std::optional<std::string> requested_at;
    std::optional<std::string> erased_at;
};
erasure_state state_of(pqxx::transaction_base& tx, user_id who);

// The customer asks to be erased; audited. Asking again keeps the first
// request's time.
erasure_state request_erasure(pqxx::work& tx, user_id who, const std::string& request_id);

// What stops an erasure now (money in a wallet, held pledges, open
// projects, loans still repaying, payouts waiting): one reason each.
std::vector<std::string> blockers(pqxx::transaction_base& tx, user_id who);

// An admin erases the customer `who`: e-mail, name and password replaced,
// sessions ended, webhooks removed, follows, the bank account on file and
// stored replies dropped; the ledger, audit log, ballots and payment records
// stay, naming the account by id. Refused while blockers() names any.
void erase(pqxx::work& tx, user_id who, user_id admin, const std::string& reason, const std::string& request_id);

// Customers who asked and are not erased yet, oldest first.
struct pending_request {
    user_id who;
    std::string requested_at;
};
std::vector<pending_request> pending_requests(pqxx::transaction_base& tx, int limit);

} // namespace schwarm::data_rights
