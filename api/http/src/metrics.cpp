#include "http/metrics.hpp"

#include <cstdio>

namespace schwarm::api {

namespace {
std::string number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}
} // namespace

void metrics::observe(std::string_view method, std::string_view route, int status, std::chrono::microseconds duration) {
    double seconds = static_cast<double>(duration.count()) / 1e6;
    std::lock_guard lock(mutex_);
    auto key = std::tuple<std::string_view, std::string_view, int>{method, route, status};
    auto counter = requests_.find(key);
    if (counter == requests_.end())
        counter = requests_.emplace(std::tuple{std::string(method), std::string(route), status}, 0).first;
    ++counter->second;
    auto found = latency_by_route_.find(route);
    if (found == latency_by_route_.end()) found = latency_by_route_.emplace(std::string(route), histogram{}).first;
    auto& h = found->second;
    for (std::size_t i = 0; i < bucket_bounds_s.size(); ++i) {
        if (seconds <= bucket_bounds_s[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum_s += seconds;
}

std::string metrics::render(const std::map<std::string, double>& gauges,
                            const std::map<std::string, double>& counters) const {
    std::string out;
    out += "# HELP schwarm_http_requests_total HTTP requests answered, by route and status.\n";
    out += "# TYPE schwarm_http_requests_total counter\n";
    std::lock_guard lock(mutex_);
    for (const auto& [key, count] : requests_) {
        const auto& [method, route, status] = key;
        out += "schwarm_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status=\"" +
               std::to_string(status) + "\"} " + std::to_string(count) + "\n";
    }
    out += "# HELP schwarm_http_request_duration_seconds Time from request read to response queued.\n";
    out += "# TYPE schwarm_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_by_route_) {
        std::string prefix = "schwarm_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"";
        for (std::size_t i = 0; i < bucket_bounds_s.size(); ++i) {
            out += prefix + number(bucket_bounds_s[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
        }
        out += prefix + "+Inf\"} " + std::to_string(h.count) + "\n";
        out += "schwarm_http_request_duration_seconds_sum{route=\"" + route + "\"} " + number(h.sum_s) + "\n";
        out += "schwarm_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
    }
    // A name may carry labels ("schwarm_replica_usable{replica=\"0\"}"): one
    // TYPE line per family, before its first sample (the maps keep a family's
    // samples together).
    std::string family;
    auto sample = [&](const std::string& name, double value, const char* type) {
        std::string base = name.substr(0, name.find('{'));
        if (base != family) out += "# TYPE " + base + " " + type + "\n";
        family = base;
        out += name + " " + number(value) + "\n";
    };
    for (const auto& [name, value] : gauges) sample(name, value, "gauge");
    for (const auto& [name, value] : counters) sample(name, value, "counter");
    return out;
}

} // namespace schwarm::api
