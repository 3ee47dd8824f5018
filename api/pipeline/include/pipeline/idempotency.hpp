#pragma once
// Replays for the routes that move money (needs::idempotency_key): the first
// answer that committed is kept under (caller, Idempotency-Key) with a hash
// of the request, in the same transaction as the request's own changes.
// Then the same request again answers exactly that (status, body, Location),
// marked Idempotent-Replayed; another request under the same key is 409; a
// key belongs to its caller, so nobody reads another's answer through it.
// Refusals (4xx) changed nothing and are not kept: a retry is judged afresh.
// Concurrent requests under one key wait for the first on the key's row.

#include "pipeline/http.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace schwarm::api::idempotency {

struct claim {
    user_id caller;
    std::string key;
    std::string request_hash; // request_hash() of the request
    std::string request_id;   // for a problem answer
};

// SHA-256 over method, target and body.
std::string request_hash(const http_request& request);

// Takes each key for its request, in order. nullopt: the key is this
// request's now, go on; a response: answer it instead (a replay, or 409).
std::vector<std::optional<response>> take(pqxx::work& tx, std::span<const claim> claims);

// After the requests ran, in the same transaction: keeps the 2xx answers of
// the keys take() gave, and lets the others' keys go.
void keep(pqxx::work& tx, std::span<const claim> claims, std::span<const response* const> answers);

// Forgets answers older than `retention_s` (at most `rows_max` of them); how
// many. A later retry is then judged by the domain's own keys, which never
// book twice either.
int prune(pqxx::work& tx, std::int64_t retention_s, int rows_max);

} // namespace schwarm::api::idempotency
