// The API description must describe every route the server has, and nothing
// it does not have.
#include "pipeline/router.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>

using namespace schwarm::api;

namespace {
// Reads `paths:` of api/openapi.yaml: two-space-indented path keys, each with
// four-space-indented method keys. Our file keeps to that layout.
std::set<std::string> described_operations() {
    std::ifstream in(std::string(SCHWARM_SOURCE_DIR) + "/api/openapi.yaml");
    REQUIRE(in);
    std::set<std::string> out;
    std::string line, path;
    bool in_paths = false;
    static const std::regex path_key(R"(^  (/\S*):\s*$)");
    static const std::regex method_key(R"(^    (get|put|post|delete|patch):\s*$)");
    while (std::getline(in, line)) {
        if (line == "paths:") {
            in_paths = true;
            continue;
        }
        if (in_paths && !line.empty() && line[0] != ' ') break;
        std::smatch m;
        if (std::regex_match(line, m, path_key)) path = m[1];
        else if (std::regex_match(line, m, method_key)) {
            std::string method = m[1];
            for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            out.insert(method + " " + path);
        }
    }
    return out;
}
} // namespace

TEST_CASE("openapi.yaml describes exactly the routes of the route table", "[openapi]") {
    std::set<std::string> routed;
    for (const auto& r : all_routes())
        routed.insert(std::string(http::to_string(r.method)) + " " + std::string(r.pattern));
    auto described = described_operations();
    REQUIRE_FALSE(described.empty());
    for (const auto& op : routed) {
        INFO("route without description: " << op);
        CHECK(described.contains(op));
    }
    for (const auto& op : described) {
        INFO("described but not routed: " << op);
        CHECK(routed.contains(op));
    }
}
