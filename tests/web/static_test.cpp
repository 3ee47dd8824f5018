// The web front's files through the real binary: the page and its assets
// with their content types, the strict Content-Security-Policy and the cache
// headers; and every way of asking for something else refused, with nothing
// of any file in the answer. The pages themselves are tested in a browser
// (tests/web).
#include "support/raw_tls.hpp"
#include "support/support.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace schwarm::test;

namespace {

void check_front_headers(const reply& r) {
    std::string csp = r.header("content-security-policy");
    INFO(csp);
    CHECK(csp.find("default-src 'self'") != std::string::npos);
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("object-src 'none'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos); // no 'unsafe-inline', no 'unsafe-eval'
    CHECK(r.header("cache-control") == "no-cache");
    CHECK(std::regex_match(r.header("etag"), std::regex("\"[0-9a-f]{32}\"")));
    CHECK(r.header("x-content-type-options") == "nosniff");
    CHECK(r.header("x-frame-options") == "DENY");
}

} // namespace

TEST_CASE("web front: the page and its assets, with a strict CSP and cache headers", "[e2e][web]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());

    auto page = client.request("GET", "/");
    REQUIRE(page.status == 200);
    CHECK(page.header("content-type") == "text/html; charset=utf-8");
    check_front_headers(page);
    CHECK(page.body.find(R"(<script type="module" src="/assets/app.js"></script>)") != std::string::npos);
    // Nothing inline that the CSP would have to allow: every script has a
    // src, no event-handler or style attributes, no <style>.
    CHECK_FALSE(std::regex_search(page.body, std::regex("<script(?![^>]*\\bsrc=)[^>]*>")));
    CHECK_FALSE(std::regex_search(page.body, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
    CHECK_FALSE(std::regex_search(page.body, std::regex("\\sstyle\\s*=|<style", std::regex::icase)));

    // Every module app.js imports (and they theirs) is served as JavaScript.
    std::set<std::string> seen, pending{"app.js"};
    static const std::regex import_of(R"(from '\./([a-z0-9-]+\.js)')");
    while (!pending.empty()) {
        std::string name = *pending.begin();
        pending.erase(pending.begin());
        if (!seen.insert(name).second) continue;
        auto module = client.request("GET", "/assets/" + name);
        INFO(name);
        REQUIRE(module.status == 200);
        CHECK(module.header("content-type") == "text/javascript; charset=utf-8");
        check_front_headers(module);
        for (std::sregex_iterator it(module.body.begin(), module.body.end(), import_of), end; it != end; ++it) {
            pending.insert((*it)[1]);
        }
    }
    CHECK(seen.size() >= 4);
    auto css = client.request("GET", "/assets/style.css");
    REQUIRE(css.status == 200);
    CHECK(css.header("content-type") == "text/css; charset=utf-8");
    auto icon = client.request("GET", "/assets/icon.svg");
    REQUIRE(icon.status == 200);
    CHECK(icon.header("content-type") == "image/svg+xml");

    // The ETag revalidates: the same one is 304 with no body, another is 200.
    auto again = client.request("GET", "/assets/app.js", {}, {{"If-None-Match", page.header("etag")}});
    CHECK(again.status == 200);
    std::string etag = client.request("GET", "/assets/app.js").header("etag");
    auto unchanged = client.request("GET", "/assets/app.js", {}, {{"If-None-Match", "\"other\", W/" + etag}});
    CHECK(unchanged.status == 304);
    CHECK(unchanged.body.empty());
    CHECK(unchanged.header("etag") == etag);
    CHECK(client.request("GET", "/", {}, {{"If-None-Match", "*"}}).status == 304);

    // The JSON API is as it was: no-store, JSON, no CSP of the pages.
    auto api = client.request("GET", "/v1/projects");
    CHECK(api.status == 200);
    CHECK(api.header("content-type") == "application/json");
    CHECK(api.header("cache-control") == "no-store");
    CHECK(api.header("content-security-policy").empty());
}

TEST_CASE("web front: no path reaches anything but the compiled-in files", "[e2e][web]") {
    database db;
    server srv(db.url());
    https_client client(srv.port());
    std::string index = client.request("GET", "/").body;
    REQUIRE(index.size() > 100);

    for (std::string target : {
             "/assets/..",
             "/assets/.",
             "/assets/%2e%2e",
             "/assets/%2E%2E",
             "/assets/..%2findex.html",
             "/assets/%2e%2e%2f%2e%2e%2fCMakeLists.txt",
             "/assets/..%5c..%5cCMakeLists.txt",
             "/assets/../index.html",
             "/assets/../../api/openapi.yaml",
             "/assets/%2fetc%2fpasswd",
             "/assets/app.js%00",
             "/assets/app.js%00.css",
             "/assets/%00",
             "/assets/app.js/",
             "/assets/app.js/..",
             "/assets/",
             "/assets",
             "/assets/index.html", // the page is at / only
             "/assets/APP.JS",
             "/assets/app.js.map",
             "/assets/%61pp.js", // an encoded name is not the name
             "/index.html",
             "/app.js",
             "/web/index.html",
             "/api/web/index.html",
         }) {
        auto r = client.request("GET", target);
        INFO(target << " → " << r.status << " " << r.body.substr(0, 200));
        CHECK((r.status == 404 || r.status == 400));
        CHECK(r.header("content-type") == "application/problem+json");
        CHECK(r.body.find("<!doctype html>") == std::string::npos);
        CHECK(r.body.find("import ") == std::string::npos);
        CHECK(r.body.find("cmake_minimum_required") == std::string::npos);
    }

    // A NUL byte in the request line itself is broken HTTP: 400, nothing served.
    raw_tls raw(srv.port());
    REQUIRE(raw.connected());
    const char with_nul[] = "GET /assets/app.js\0.css HTTP/1.1\r\nHost: localhost\r\n\r\n";
    raw.write(std::string(with_nul, sizeof with_nul - 1));
    std::string head = raw.read_head();
    INFO(head);
    CHECK(head.starts_with("HTTP/1.1 400"));

    // Only GET: a POST to the page is 405 naming GET.
    auto post = client.request("POST", "/", "{}", {{"Content-Type", "application/json"}});
    CHECK(post.status == 405);
    CHECK(post.header("allow") == "GET");
}
