#include "platform/webhooks.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "platform/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace schwarm::webhooks {

namespace {

#define WEBHOOK_COLUMNS                                                                                                \
    "w.id, w.user_id, w.url, " SCHWARM_SQL_UTC_SECONDS("w.created_at") ", " SCHWARM_SQL_UTC_SECONDS(                   \
        "w.removed_at") ", "                                                                                           \
                        "(SELECT count(*) FILTER (WHERE state = 'pending')::int FROM webhook_deliveries "              \
                        " WHERE webhook_id = w.id), "                                                                  \
                        "(SELECT count(*) FILTER (WHERE state = 'delivered')::int FROM webhook_deliveries "            \
                        " WHERE webhook_id = w.id), "                                                                  \
                        "(SELECT count(*) FILTER (WHERE state = 'given_up')::int FROM webhook_deliveries "             \
                        " WHERE webhook_id = w.id)"

const db::query count_active{"webhooks.count_active",
                             "SELECT count(*) FROM webhooks WHERE user_id = $1 AND removed_at IS NULL"};
const db::query insert_webhook{"webhooks.insert",
                               "INSERT INTO webhooks AS w (user_id, url, secret) VALUES ($1, $2, $3) "
                               "RETURNING " WEBHOOK_COLUMNS};
const db::query select_webhooks{"webhooks.list", "SELECT " WEBHOOK_COLUMNS
                                                 " FROM webhooks w WHERE w.user_id = $1 ORDER BY w.id DESC LIMIT 100"};
const db::query lock_webhook{"webhooks.lock", "SELECT user_id, removed_at IS NOT NULL FROM webhooks "
                                              "WHERE id = $1 FOR UPDATE"};
const db::query mark_removed{"webhooks.remove", "UPDATE webhooks AS w SET removed_at = schwarm_now() WHERE w.id = $1 "
                                                "RETURNING " WEBHOOK_COLUMNS};
const db::query give_up_pending{"webhooks.give_up_pending",
                                "UPDATE webhook_deliveries SET state = 'given_up', last_error = 'webhook removed' "
                                "WHERE webhook_id = $1 AND state = 'pending'"};
#undef WEBHOOK_COLUMNS

#define UTC(column) SCHWARM_SQL_UTC_SECONDS(column)
const db::query select_deliveries{
    "webhooks.deliveries",
    "SELECT d.id, d.event_id, e.kind, d.state::text, d.attempts, "
    "CASE WHEN d.state = 'pending' THEN " UTC("d.next_attempt_at") " END, " UTC(
        "d.last_attempt_at") ", "
                             "d.last_status, d.last_error, " UTC("d.delivered_at") ", " UTC(
                                 "d.created_at") " "
                                                 "FROM webhook_deliveries d JOIN events e ON e.id = d.event_id "
                                                 "WHERE d.webhook_id = $1 AND d.id < $2 AND ($3::text IS NULL OR "
                                                 "d.state::text = $3) "
                                                 "ORDER BY d.id DESC LIMIT $4"};

// Due deliveries of webhooks still there, oldest due first; the rows locked
// by another sender are skipped, and the lease keeps them from the others
// once this transaction commits.
const db::query claim_due{
    "webhooks.claim",
    "WITH c AS (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= schwarm_clock() "
    "           ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = schwarm_clock(), "
    "       next_attempt_at = schwarm_clock() + make_interval(secs => $2::double precision / 1000) "
    "FROM c, webhooks w, events e WHERE d.id = c.id AND w.id = d.webhook_id AND e.id = d.event_id "
    "RETURNING d.id, d.attempts, w.url, w.secret, e.id, e.kind, e.idea_id, e.project_id, e.round_id, "
    "e.data::text, " UTC("e.at")};
#undef UTC
const db::query mark_delivered{"webhooks.delivered",
                               "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = schwarm_now(), "
                               "last_status = $2, last_error = NULL WHERE id = $1 AND state = 'pending'"};
const db::query mark_failed{"webhooks.failed",
                            "UPDATE webhook_deliveries SET last_status = $2, last_error = $3, "
                            "state = CASE WHEN $4 THEN 'given_up'::webhook_delivery_state ELSE 'pending' END, "
                            "next_attempt_at = schwarm_now() + make_interval(secs => $5::double precision / 1000) "
                            "WHERE id = $1 AND state = 'pending' AND attempts = $6 RETURNING webhook_id"};

webhook read(const pqxx::row& r) {
    return {webhook_id{r[0].as<std::int64_t>()},
            user_id{r[1].as<std::int64_t>()},
            r[2].as<std::string>(),
            r[3].as<std::string>(),
            db::nullable<std::string>(r[4]),
            std::nullopt,
            r[5].as<int>(),
            r[6].as<int>(),
            r[7].as<int>()};
}

// https://host[:port][/path][?query]: a host of letters, digits, '.', '-'
// (or a bracketed IPv6 address), a port from 1 to 65535, and visible ASCII
// after it; no user info, no fragment. What the sender cannot reach is its
// delivery's failure, not the registration's.
void check_url(const std::string& url) {
    auto bad = [] {
        return field_problem("url", "url must be https://host[:port][/path] without user info or fragment, at most " +
                                        std::to_string(url_length_max) + " characters");
    };
    constexpr std::string_view scheme = "https://";
    if (url.size() > url_length_max || !url.starts_with(scheme)) throw bad();
    std::string_view rest = std::string_view(url).substr(scheme.size());
    auto end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    std::string_view host = authority, port;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) throw bad();
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') throw bad();
            port = authority.substr(close + 2);
        }
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
            })) {
            throw bad();
        }
    } else {
        if (auto colon = authority.find(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            if (port.empty()) throw bad();
        }
        if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
            })) {
            throw bad();
        }
    }
    if (!port.empty()) {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw bad();
        int n = std::stoi(std::string(port));
        if (n < 1 || n > 65535) throw bad();
    }
    std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (!std::all_of(tail.begin(), tail.end(), [](char c) { return c > ' ' && c < 127 && c != '#'; })) throw bad();
}

} // namespace

webhook create(pqxx::work& tx, user_id owner, const std::string& url, const std::string& request_id) {
    check_url(url);
    if (tx.exec_prepared(count_active.name, owner.value)[0][0].as<int>() >= per_user_max) {
        throw problem(problems::limit,
                      "A user may have at most " + std::to_string(per_user_max) + " webhooks; remove one first")
            .with("limit", per_user_max);
    }
    // The signing key: 32 random bytes, hex. Shown once, kept to sign.
    std::string secret = crypto::random_hex(32);
    auto w = read(tx.exec_prepared(insert_webhook.name, owner.value, url, secret)[0]);
    w.secret = secret;
    audit::write(tx, {owner, "webhook.create", "webhook:" + w.id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"url", url}})});
    return w;
}

std::vector<webhook> list(pqxx::transaction_base& tx, user_id owner) {
    std::vector<webhook> out;
    for (const auto& r : tx.exec_prepared(select_webhooks.name, owner.value)) out.push_back(read(r));
    return out;
}

webhook remove(pqxx::work& tx, user_id owner, webhook_id id, const std::string& request_id) {
    auto locked = tx.exec_prepared(lock_webhook.name, id.value);
    if (locked.empty() || user_id{locked[0][0].as<std::int64_t>()} != owner || locked[0][1].as<bool>()) {
        throw problem(schwarm::problems::not_found, "There is no such webhook of yours");
    }
    tx.exec_prepared(give_up_pending.name, id.value);
    auto w = read(tx.exec_prepared(mark_removed.name, id.value)[0]);
    audit::write(tx, {owner, "webhook.remove", "webhook:" + id.str(), request_id});
    return w;
}

std::vector<delivery> deliveries(pqxx::transaction_base& tx, user_id owner, webhook_id id,
                                 const std::optional<std::string>& state, std::optional<std::int64_t> before_id,
                                 int limit) {
    bool mine = false;
    for (const auto& w : list(tx, owner)) mine = mine || w.id == id;
    if (!mine) throw problem(schwarm::problems::not_found, "There is no such webhook of yours");
    std::vector<delivery> out;
    for (const auto& r : tx.exec_prepared(select_deliveries.name, id.value,
                                          before_id.value_or(std::numeric_limits<std::int64_t>::max()), state, limit)) {
        out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::string>(), r[3].as<std::string>(),
                       r[4].as<int>(), db::nullable<std::string>(r[5]), db::nullable<std::string>(r[6]),
                       db::nullable<int>(r[7]), db::nullable<std::string>(r[8]), db::nullable<std::string>(r[9]),
                       r[10].as<std::string>()});
    }
    return out;
}

std::vector<due> claim(pqxx::work& tx, int limit, std::int64_t lease_ms) {
    std::vector<due> out;
    for (const auto& r : tx.exec_prepared(claim_due.name, limit, lease_ms)) {
        events::event e{r[4].as<std::int64_t>(),          r[5].as<std::string>(),
                        db::nullable<std::int64_t>(r[6]), db::nullable<std::int64_t>(r[7]),
                        db::nullable<std::int64_t>(r[8]), r[9].as<std::string>(),
                        r[10].as<std::string>(),          false};
        out.push_back({r[0].as<std::int64_t>(), e.id, r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
                       boost::json::serialize(events::to_json(e)), e.kind});
    }
    std::sort(out.begin(), out.end(), [](const due& a, const due& b) { return a.event_id < b.event_id; });
    return out;
}

std::int64_t backoff_after(const retry_policy& p, int attempt) {
    std::int64_t wait = p.backoff_ms;
    for (int i = 1; i < attempt && wait < p.backoff_max_ms; ++i) wait *= 2;
    return std::min(wait, p.backoff_max_ms);
}

void delivered(pqxx::work& tx, std::int64_t delivery_id, int status) {
    tx.exec_prepared(mark_delivered.name, delivery_id, status);
}

bool failed(pqxx::work& tx, std::int64_t delivery_id, int attempt, int status, const std::string& error,
            const retry_policy& p, bool gone, const std::string& request_id) {
    bool give_up = gone || attempt >= p.attempts_max;
    std::optional<int> code;
    if (status > 0) code = status;
    auto rows = tx.exec_prepared(mark_failed.name, delivery_id, code, error.substr(0, 500), give_up,
                                 backoff_after(p, attempt), attempt);
    if (rows.empty()) return false; // reported already (a lease that ran out), or the webhook was removed
    if (give_up) {
        audit::write(tx,
                     {std::nullopt, "webhook.delivery_given_up", "webhook:" + rows[0][0].as<std::string>(), request_id,
                      boost::json::serialize(boost::json::object{
                          {"delivery_id", delivery_id}, {"attempts", attempt}, {"error", error.substr(0, 500)}})});
    }
    return give_up;
}

} // namespace schwarm::webhooks
