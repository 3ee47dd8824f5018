#pragma once
// One function per resource file, each returning that file's route table.

#include "pipeline/service.hpp"
#include "platform/projects.hpp"
#include "platform/prototypes.hpp"

#include <boost/json/object.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace schwarm::api {

// The caller of an authenticated route, with their role, as the domain's
// rules take them.
projects::actor caller(const context& ctx);

// A project as every answer shows it (api/resources/src/projects.cpp).
boost::json::object project_json(const projects::project& p);
// A prototype's test phase, as its page shows it.
boost::json::object feedback_summary_json(const prototypes::summary& s);

// api/openapi.yaml, compiled in.
std::string_view openapi_document();

// The web front's files (api/web/), compiled in: index.html and assets/*.
struct web_asset {
    std::string_view name; // "index.html", "app.js"
    std::string_view content;
};
std::span<const web_asset> web_assets();

std::vector<route> web_routes();
std::vector<route> health_routes();
std::vector<route> users_routes();
std::vector<route> sessions_routes();
std::vector<route> audit_routes();
std::vector<route> ledger_routes();
std::vector<route> rounds_routes();
std::vector<route> projects_routes();
std::vector<route> wallets_routes();
std::vector<route> pledges_routes();
std::vector<route> loans_routes();
std::vector<route> comments_routes();
std::vector<route> risk_routes();
std::vector<route> ideas_routes();
std::vector<route> prototypes_routes();
std::vector<route> feed_routes();
std::vector<route> payments_routes();
std::vector<route> data_rights_routes();
std::vector<route> deadlines_routes();

} // namespace schwarm::api
