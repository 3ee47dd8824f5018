#pragma once
// The request-body readers of the resources that take money and projects,
// as the handlers call them: a validation problem for a body that breaks a
// rule, else what the domain is asked. Public for the fuzzers
// (tests/fuzz/bodies_*.cpp), which drive them without a database.

#include "ledger/ledger.hpp"
#include "pipeline/http.hpp"
#include "platform/projects.hpp"
#include "platform/wallets.hpp"

namespace schwarm::api::bodies {

ledger::entry_request new_entry(const context& ctx); // POST /v1/ledger/entries
ledger::entry_request post_hold(const context& ctx); // POST /v1/ledger/entries/{id}/post
ledger::entry_request void_hold(const context& ctx); // POST /v1/ledger/entries/{id}/void
// One entry of POST /v1/ledger/batches; `prefix` names it in problems.
ledger::entry_request batch_entry(const boost::json::object& object, const std::string& prefix);
projects::fields project_fields(const boost::json::object& body);     // POST, PUT /v1/projects…
wallets::movement wallet_movement(context& ctx, const char* purpose); // deposits, payouts

} // namespace schwarm::api::bodies
