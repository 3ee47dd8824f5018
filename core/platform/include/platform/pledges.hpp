#pragma once
// Pledges (DESIGN.md 4.3): a customer backs a project in funding with a hold
// from their wallet to the project's escrow; a non-sophisticated investor may
// revoke it within the reflection period; at the deadline settlement posts or
// voids every hold (core/settlement.hpp).

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "ledger/ledger.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace schwarm::pledges {

struct pledge_tag;
using pledge_id = id<pledge_tag>;

// EU crowdfunding regulation 2020/1503 art. 22: four calendar days.
inline constexpr int reflection_days = 4;

namespace problems {
inline constexpr problem_type not_funding{409, "project-not-funding", "The project is not open for pledges"};
inline constexpr problem_type below_minimum{422, "pledge-below-minimum", "The pledge is below the project's minimum"};
inline constexpr problem_type above_goal{422, "pledge-above-goal",
                                         "The pledge would raise the campaign beyond its goal"};
inline constexpr problem_type wrong_currency{422, "pledge-currency-mismatch",
                                             "The pledge's currency is not the project's"};
inline constexpr problem_type own_project{403, "pledge-own-project", "Nobody may back their own project"};
inline constexpr problem_type insufficient_funds{422, "insufficient-funds",
                                                 "The wallet's available balance is too low"};
inline constexpr problem_type not_revocable{409, "pledge-not-revocable", "The pledge can no longer be revoked"};
} // namespace problems

struct pledge {
    pledge_id id;
    std::int64_t project_id = 0;
    user_id backer;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::string state; // held | revoked | posted | voided
    bool risk_acknowledged = false;
    std::optional<std::string> revocable_until;
    std::string created_at;
    ledger::entry_id hold;
    bool replayed = false;
};

struct request {
    std::int64_t project_id = 0;
    user_id backer;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    bool risk_acknowledged = false;
    std::string idempotency_key; // the client's, unique per backer
    std::string request_id;
};
using result = std::variant<pledge, problem>;

// Places pledges from many callers in one transaction, each accepted or
// refused on its own (in order). A retry with the same key and content gets
// the original pledge back (replayed); with other content, a conflict.
std::vector<result> place(pqxx::work& tx, std::span<const request> requests);

// The project's rules for one pledge, in the order they are checked (pure):
// the project exists and is in funding before its deadline, the backer is
// not its owner, the currency and minimum fit, the backer has a wallet, and
// unless the campaign allows over-funding the pledge fits what the goal
// still needs (`pledged_so_far_minor` counts the earlier pledges of the same
// batch). nullopt: allowed, on to the wallet's balance and risk.
std::optional<problem> refusal(const request& r, const projects::funding* f, bool has_wallet,
                               std::int64_t pledged_so_far_minor);

// The backer revokes a held pledge within its reflection period: its hold is
// voided. Revoking a revoked pledge again answers the pledge as it is.
pledge revoke(pqxx::work& tx, pledge_id id, user_id backer, const std::string& request_id);

// The backer's own pledge (or any, for staff): not found otherwise.
pledge find(pqxx::transaction_base& tx, pledge_id id, const users::principal& viewer);
// The backer's pledges, newest first.
std::vector<pledge> list_mine(pqxx::transaction_base& tx, user_id backer, std::optional<std::int64_t> before_id,
                              int limit);

// Settlement (core/settlement.cpp): a project's held pledges, oldest first,
// locked; and their resolution.
struct held {
    pledge_id id;
    user_id backer;
    std::int64_t amount_minor = 0;
    ledger::entry_id hold;
};
std::vector<held> lock_held(pqxx::work& tx, std::int64_t project_id, int limit);
void mark_resolved(pqxx::work& tx, const std::vector<std::pair<pledge_id, ledger::entry_id>>& entries,
                   const std::string& state);
// A stopped campaign's posted pledges, paid back: refunded.
void mark_refunded(pqxx::work& tx, std::int64_t project_id);
// A loan's lenders: the sum of each backer's posted pledges, by backer id.
std::vector<std::pair<user_id, std::int64_t>> posted_by_backer(pqxx::transaction_base& tx, std::int64_t project_id);

// Questions risk asks (risk/ uses these; no SQL on pledges outside core).
// Whether the user has ever backed the project (any state).
bool has_backed(pqxx::transaction_base& tx, user_id user, std::int64_t project_id);
// The backer's held and posted pledges to the project.
std::int64_t pledged_by(pqxx::transaction_base& tx, user_id backer, std::int64_t project_id);
// Held and posted pledges to every project of `owner` created in the last 12 months.
std::int64_t raised_by_owner_last_12_months(pqxx::transaction_base& tx, user_id owner);
// Whether the backer has any held or posted pledge to a loan project.
bool has_pledged_to_loan(pqxx::transaction_base& tx, user_id backer);

} // namespace schwarm::pledges
