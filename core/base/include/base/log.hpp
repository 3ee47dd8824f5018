#pragma once
// Structured logs: one JSON object per line on standard error. Callers pass
// fields, never free text built from request data, so no secret or personal
// datum reaches the log by accident of formatting.

#include <boost/json/object.hpp>
#include <string_view>

namespace schwarm::log {

enum class level { debug, info, warn, error };

void write(level lvl, std::string_view message, boost::json::object fields = {});

// The per-request line, written without building a JSON object: it runs
// once per request.
void request(std::string_view request_id, std::string_view method, std::string_view route, int status,
             long long duration_us);

inline void info(std::string_view message, boost::json::object fields = {}) {
    write(level::info, message, std::move(fields));
}
inline void warn(std::string_view message, boost::json::object fields = {}) {
    write(level::warn, message, std::move(fields));
}
inline void error(std::string_view message, boost::json::object fields = {}) {
    write(level::error, message, std::move(fields));
}

} // namespace schwarm::log
