#include "core/log.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace schwarm::log {

namespace {
std::string_view name_of(level lvl) {
    switch (lvl) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    }
    return "info";
}

std::string now_utc() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t seconds = system_clock::to_time_t(now);
    auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%03lldZ", static_cast<long long>(millis));
    return text;
}
} // namespace

void write(level lvl, std::string_view message, boost::json::object fields) {
    boost::json::object line;
    line["ts"] = now_utc();
    line["level"] = name_of(lvl);
    line["msg"] = message;
    for (auto& field : fields) line[field.key()] = std::move(field.value());
    std::string text = boost::json::serialize(line);
    text.push_back('\n');
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
}

} // namespace schwarm::log
