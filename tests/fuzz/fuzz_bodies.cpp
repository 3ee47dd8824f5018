// The request-body readers of the resources that take bodies, called as
// their handlers call them: on a context carrying the request, its path
// parameters, headers and an authenticated caller, with no database (the
// readers need none). Input: a byte picking the reader, a line with the
// path id, then the body. A problem is the answer to bad input; anything
// else escaping is a finding.
#include "bodies.hpp"
#include "pipeline/service.hpp"
#include "support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace schwarm;

namespace {

struct environment {
    config cfg;
    db::pool pool{"", 0, 1}; // no workers: nothing connects
    api::service app{cfg, pool};
    std::string request_id = "fuzz";
    std::string client = "127.0.0.1";
};

environment& env() {
    static environment e;
    return e;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const unsigned which = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto newline = rest.find('\n');
    std::string id(rest.substr(0, newline == std::string_view::npos ? 0 : newline));
    std::string_view body = newline == std::string_view::npos ? rest : rest.substr(newline + 1);

    api::http_request request{api::http::verb::post, "/v1/fuzz", 11};
    request.set(api::http::field::content_type, which & 0x80 ? "text/plain" : "application/json");
    request.body() = std::string(body);
    api::context ctx(request, env().request_id, env().client, env().app);
    ctx.path_params.emplace("id", id);
    ctx.path_params.emplace("user_id", id);
    ctx.idempotency_key = "fuzz-key";
    ctx.principal =
        users::principal{user_id{7},
                         users::role::staff,
                         {user_id{7}, "staff@bank.example", "Staff", users::role::staff, "2026-01-01T00:00:00Z"}};
    try {
        switch ((which & 0x7f) % 3) {
        case 0: fuzz::ledger_bodies(ctx, which >> 2); break;
        case 1: fuzz::projects_bodies(ctx, which >> 2); break;
        default: fuzz::wallets_bodies(ctx, which >> 2); break;
        }
    } catch (const problem& p) {
        fuzz::require(p.status() >= 400 && p.status() < 500, "bad input is a 4xx problem");
    }
    return 0;
}
