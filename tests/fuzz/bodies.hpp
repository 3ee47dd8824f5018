#pragma once
// The request-body readers of the resources, reached from fuzz_bodies.cpp.
// Each bodies_<resource>.cpp includes api/<resource>.cpp, so that the
// file-local readers are callable without a database and without changing
// the product code.

#include "api/http.hpp"

namespace schwarm::fuzz {

void ledger_bodies(api::context& ctx, unsigned which);
void projects_bodies(api::context& ctx, unsigned which);
void wallets_bodies(api::context& ctx, unsigned which);

} // namespace schwarm::fuzz
