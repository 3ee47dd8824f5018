#pragma once
// Matches a request's method and path against the route table.

#include "pipeline/http.hpp"

#include <variant>

namespace schwarm::api {

struct route_match {
    const route* matched;
    std::map<std::string, std::string, std::less<>> path_params;
};
struct no_route {};
struct wrong_method {
    std::string allow; // for the Allow header, e.g. "GET, POST"
};

class router {
public:
    explicit router(std::vector<route> routes);
    std::variant<route_match, no_route, wrong_method> match(http::verb method, std::string_view path) const;
    const std::vector<route>& routes() const { return routes_; }

private:
    std::vector<route> routes_;
    std::vector<std::vector<std::string_view>> segments_; // each pattern, split once
};

// The whole table: every resource's routes.
std::vector<route> all_routes();

} // namespace schwarm::api
