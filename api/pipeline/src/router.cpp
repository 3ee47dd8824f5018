#include "pipeline/router.hpp"

#include <cassert>
#include <set>
#include <stdexcept>

namespace schwarm::api {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t start = 1; // paths start with '/'
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        segments.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(const std::vector<std::string_view>& wanted, const std::vector<std::string_view>& segments,
             std::map<std::string, std::string, std::less<>>* params) {
    if (wanted.size() != segments.size()) return false;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (is_param(wanted[i])) {
            if (segments[i].empty()) return false;
            if (params) params->emplace(wanted[i].substr(1, wanted[i].size() - 2), segments[i]);
        } else if (wanted[i] != segments[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

router::router(std::vector<route> routes) : routes_(std::move(routes)) {
    std::set<std::pair<http::verb, std::string_view>> seen;
    for (const auto& r : routes_) {
        if (!seen.emplace(r.method, r.pattern).second) {
            throw std::logic_error("route declared twice: " + std::string(r.pattern));
        }
        assert(r.pattern.starts_with("/"));
        segments_.push_back(split_path(r.pattern));
        if (!r.handle && !r.handle_batch) throw std::logic_error("route without handler: " + std::string(r.pattern));
    }
}

std::variant<route_match, no_route, wrong_method> router::match(http::verb method, std::string_view path) const {
    if (path.empty() || path.front() != '/') return no_route{};
    auto segments = split_path(path);
    std::string allow;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const route& r = routes_[i];
        if (!matches(segments_[i], segments, nullptr)) continue;
        if (r.method == method) {
            route_match found{&r, {}};
            matches(segments_[i], segments, &found.path_params);
            return found;
        }
        if (!allow.empty()) allow += ", ";
        allow += std::string(http::to_string(r.method));
    }
    if (allow.empty()) return no_route{};
    return wrong_method{std::move(allow)};
}

} // namespace schwarm::api
