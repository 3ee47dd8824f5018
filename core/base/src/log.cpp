#include "base/log.hpp"

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

namespace {
void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
            out += escaped;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

void emit(const std::string& text) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
}
} // namespace

void request(std::string_view request_id, std::string_view method, std::string_view route, int status,
             long long duration_us) {
    std::string line;
    line.reserve(200);
    line += "{\"ts\":\"";
    line += now_utc();
    line += "\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":";
    append_json_string(line, request_id);
    line += ",\"method\":";
    append_json_string(line, method);
    line += ",\"route\":";
    append_json_string(line, route);
    line += ",\"status\":" + std::to_string(status) + ",\"duration_us\":" + std::to_string(duration_us) + "}\n";
    emit(line);
}

void write(level lvl, std::string_view message, boost::json::object fields) {
    boost::json::object line;
    line["ts"] = now_utc();
    line["level"] = name_of(lvl);
    line["msg"] = message;
    for (auto& field : fields) line[field.key()] = std::move(field.value());
    std::string text = boost::json::serialize(line);
    text.push_back('\n');
    emit(text);
}

} // namespace schwarm::log
