#pragma once
// Shared inside risk/ only.

#include "risk/risk.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace schwarm::risk::detail {

// Queues one check per configured provider for the project's application;
// without an application each check is recorded failed at once.
void queue_checks(pqxx::work& tx, const settings& s, const projects::project& p, std::optional<user_id> requested_by);

// Nullopt when every configured provider's latest check completed and none
// declined; else the problem naming the provider.
std::optional<problem> checks_problem(pqxx::transaction_base& tx, const settings& s, std::int64_t project_id);

// Nullopt unless `staff` owns, backs or is related to the project's owner.
std::optional<problem> conflict(pqxx::transaction_base& tx, user_id staff, std::int64_t project_id, user_id owner);

// Marks a review's end (approved, rejected, withdrawn) when its project moves.
void close_review(pqxx::work& tx, std::int64_t project_id, const std::string& state);
// Opens the review of a submitted loan and queues its checks.
void open_review(pqxx::work& tx, const settings& s, std::int64_t project_id);
// Nullopt when the review allows the final approval.
std::optional<problem> approval_problem(pqxx::transaction_base& tx, const settings& s, std::int64_t project_id);

std::string str(std::int64_t v);
boost::json::value nullable_int(const pqxx::field& f);
boost::json::value nullable_text(const pqxx::field& f);

} // namespace schwarm::risk::detail
