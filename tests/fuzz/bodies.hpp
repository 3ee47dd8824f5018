#pragma once
// The request-body readers of the resources (resources/bodies.hpp), reached
// from fuzz_bodies.cpp without a database.

#include "pipeline/http.hpp"

namespace schwarm::fuzz {

void ledger_bodies(api::context& ctx, unsigned which);
void projects_bodies(api::context& ctx, unsigned which);
void wallets_bodies(api::context& ctx, unsigned which);

} // namespace schwarm::fuzz
