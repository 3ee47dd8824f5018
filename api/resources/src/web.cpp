// The web front: its page and assets, compiled into the binary from api/web/
// (core/base/embed_web.cmake). Not JSON API: the page talks to the API with
// the same bearer tokens as any client.
//
// No file is read to answer a request: a name is looked up in the compiled-in
// catalogue, so `..`, `%2e%2e`, `%2f` or `%00` in a path can only miss it
// (404), never reach the file system. Every answer carries a strict
// Content-Security-Policy (no inline script or style, nothing from elsewhere)
// and an ETag; `Cache-Control: no-cache` makes the browser revalidate, so a
// new binary's assets are seen at once and an unchanged one costs a 304.
#include "resources/resources.hpp"

#include "base/crypto.hpp"

#include <boost/beast/core/string.hpp>

#include <map>

namespace schwarm::api {

namespace {
response index_page(context&);
response asset(context&);
} // namespace

std::vector<route> web_routes() {
    return {
        {http::verb::get, "/", access::anyone, db_use::none, index_page},
        {http::verb::get, "/assets/{name}", access::anyone, db_use::none, asset},
    };
}

namespace {

constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct catalogued {
    std::string_view content;
    std::string_view content_type;
    std::string etag; // quoted, as the header carries it
};

std::string_view content_type_of(std::string_view name) {
    auto ends = [name](std::string_view suffix) { return name.ends_with(suffix); };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".json")) return "application/json";
    return "application/octet-stream"; // embed_web.cmake admits none other
}

const std::map<std::string_view, catalogued, std::less<>>& catalogue() {
    static const auto all = [] {
        std::map<std::string_view, catalogued, std::less<>> out;
        for (const web_asset& a : web_assets()) {
            out.emplace(a.name, catalogued{a.content, content_type_of(a.name),
                                           "\"" + crypto::sha256_hex(a.content).substr(0, 32) + "\""});
        }
        return out;
    }();
    return all;
}

// If-None-Match: a list of entity tags, or `*` (RFC 9110 13.1.2; weak
// comparison, so a W/ prefix matches too).
bool none_match(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view tag = header.substr(0, comma);
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

response serve(const context& ctx, std::string_view name) {
    auto found = catalogue().find(name);
    // Only assets/ names: index.html is served at / alone.
    if (found == catalogue().end()) throw problem(problems::not_found, "There is no such resource");
    const catalogued& file = found->second;
    response res{http::status::ok, std::string(file.content_type), std::string(file.content), {}};
    if (none_match(ctx.request[http::field::if_none_match], file.etag)) {
        res.status = http::status::not_modified;
        res.body.clear();
    }
    res.headers = {{"Content-Security-Policy", std::string(content_security_policy)},
                   {"Cache-Control", "no-cache"},
                   {"ETag", file.etag},
                   {"X-Frame-Options", "DENY"},
                   {"Referrer-Policy", "no-referrer"},
                   {"Cross-Origin-Opener-Policy", "same-origin"}};
    return res;
}

response index_page(context& ctx) { return serve(ctx, "index.html"); }

response asset(context& ctx) {
    const std::string& name = ctx.path_params.at("name");
    if (name == "index.html") throw problem(problems::not_found, "There is no such resource");
    return serve(ctx, name);
}

} // namespace
} // namespace schwarm::api
