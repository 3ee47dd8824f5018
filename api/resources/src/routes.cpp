#include "resources/resources.hpp"

namespace schwarm::api {

projects::actor caller(const context& ctx) { return {ctx.who(), ctx.request_id}; }

std::vector<route> all_routes() {
    std::vector<route> all;
    for (auto table :
         {health_routes, users_routes, sessions_routes, audit_routes, ledger_routes, rounds_routes, projects_routes,
          wallets_routes, pledges_routes, loans_routes, comments_routes, risk_routes, ideas_routes, prototypes_routes,
          feed_routes, payments_routes, data_rights_routes, deadlines_routes, web_routes}) {
        for (auto& r : table()) all.push_back(std::move(r));
    }
    return all;
}

} // namespace schwarm::api
