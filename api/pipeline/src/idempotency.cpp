#include "pipeline/idempotency.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

namespace schwarm::api::idempotency {

namespace {

const db::query insert_claims{
    "idempotency.claim",
    "INSERT INTO idempotent_responses (caller_id, key, request_hash) "
    "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING RETURNING caller_id, key"};
const db::query select_earlier{
    "idempotency.earlier",
    "SELECT caller_id, key, request_hash, status, content_type, body, headers::text FROM idempotent_responses "
    "WHERE (caller_id, key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))"};
const db::query update_answers{
    "idempotency.keep",
    "UPDATE idempotent_responses i SET status = d.status, content_type = d.content_type, body = d.body, "
    "headers = d.headers::jsonb FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], "
    "$6::text[]) AS d(caller_id, key, status, content_type, body, headers) "
    "WHERE i.caller_id = d.caller_id AND i.key = d.key AND i.status IS NULL"};
const db::query delete_claims{
    "idempotency.release",
    "DELETE FROM idempotent_responses WHERE (caller_id, key) IN (SELECT * FROM unnest($1::bigint[], $2::text[])) "
    "AND status IS NULL"};
const db::query delete_old{
    "idempotency.prune",
    "DELETE FROM idempotent_responses WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotent_responses "
    "WHERE created_at < schwarm_now() - make_interval(secs => $1) LIMIT $2))"};

using key_of = std::pair<std::int64_t, std::string>;

struct earlier {
    std::string request_hash;
    std::optional<response> answer; // none: a request under the key is still running
};

response replay_of(const pqxx::row& r) {
    response res;
    res.status = static_cast<http::status>(r[3].as<int>());
    res.content_type = r[4].as<std::string>();
    res.body = r[5].as<std::string>();
    auto headers = boost::json::parse(r[6].as<std::string>());
    for (const auto& h : headers.as_array()) {
        const auto& pair = h.as_array();
        res.headers.emplace_back(std::string(pair.at(0).as_string()), std::string(pair.at(1).as_string()));
    }
    res.headers.emplace_back("Idempotent-Replayed", "true");
    return res;
}

std::map<key_of, earlier> earlier_answers(pqxx::work& tx, const std::vector<std::int64_t>& callers,
                                          const std::vector<std::string>& keys) {
    std::map<key_of, earlier> out;
    for (const auto& r : tx.exec_prepared(select_earlier.name, db::array_literal(callers), db::array_literal(keys))) {
        earlier e{r[2].as<std::string>(), std::nullopt};
        if (!r[3].is_null()) e.answer = replay_of(r);
        out.emplace(key_of{r[0].as<std::int64_t>(), r[1].as<std::string>()}, std::move(e));
    }
    return out;
}

response conflict(const std::string& detail, const std::string& request_id) {
    return problem_response(problem(schwarm::problems::idempotency_conflict, detail), request_id);
}

} // namespace

std::string request_hash(const http_request& request) {
    std::string text(request.method_string());
    text += ' ';
    text += request.target();
    text += '\n';
    text += request.body();
    return crypto::sha256_hex(text);
}

std::vector<std::optional<response>> take(pqxx::work& tx, std::span<const claim> claims) {
    std::vector<std::int64_t> callers;
    std::vector<std::string> keys, hashes;
    for (const auto& c : claims) {
        callers.push_back(c.caller.value);
        keys.push_back(c.key);
        hashes.push_back(c.request_hash);
    }
    std::map<key_of, int> taken; // how many of this batch's requests under the key may go on: the first
    for (const auto& r : tx.exec_prepared(insert_claims.name, db::array_literal(callers), db::array_literal(keys),
                                          db::array_literal(hashes))) {
        taken.emplace(key_of{r[0].as<std::int64_t>(), r[1].as<std::string>()}, 1);
    }
    std::vector<std::optional<response>> out(claims.size());
    if (taken.size() == claims.size()) return out;
    auto before = earlier_answers(tx, callers, keys);
    for (std::size_t i = 0; i < claims.size(); ++i) {
        key_of k{claims[i].caller.value, claims[i].key};
        if (auto t = taken.find(k); t != taken.end() && t->second-- > 0) continue;
        auto e = before.find(k);
        if (e == before.end() || !e->second.answer) { // the same key twice in this batch
            out[i] = conflict("A request with this Idempotency-Key is still being served", claims[i].request_id);
        } else if (e->second.request_hash != claims[i].request_hash) {
            out[i] = conflict("This Idempotency-Key was used for a different request", claims[i].request_id);
        } else {
            out[i] = *e->second.answer;
        }
    }
    return out;
}

void keep(pqxx::work& tx, std::span<const claim> claims, std::span<const response* const> answers) {
    std::vector<std::int64_t> kept_callers, released_callers;
    std::vector<std::string> kept_keys, released_keys, statuses, types, bodies, headers;
    for (std::size_t i = 0; i < claims.size(); ++i) {
        const response* a = answers[i];
        bool success = a && a->status >= http::status::ok && a->status < http::status::multiple_choices && !a->streamed;
        if (!success) {
            released_callers.push_back(claims[i].caller.value);
            released_keys.push_back(claims[i].key);
            continue;
        }
        boost::json::array kept;
        for (const auto& [name, value] : a->headers) {
            if (name != "Idempotent-Replayed") kept.push_back(boost::json::array{name, value});
        }
        kept_callers.push_back(claims[i].caller.value);
        kept_keys.push_back(claims[i].key);
        statuses.push_back(std::to_string(static_cast<int>(a->status)));
        types.push_back(a->content_type);
        bodies.push_back(a->body);
        headers.push_back(boost::json::serialize(kept));
    }
    if (!kept_keys.empty()) {
        tx.exec_prepared(update_answers.name, db::array_literal(kept_callers), db::array_literal(kept_keys),
                         db::array_literal(statuses), db::array_literal(types), db::array_literal(bodies),
                         db::array_literal(headers));
    }
    if (!released_keys.empty()) {
        tx.exec_prepared(delete_claims.name, db::array_literal(released_callers), db::array_literal(released_keys));
    }
}

int prune(pqxx::work& tx, std::int64_t retention_s, int rows_max) {
    return static_cast<int>(tx.exec_prepared(delete_old.name, retention_s, rows_max).affected_rows());
}

} // namespace schwarm::api::idempotency
