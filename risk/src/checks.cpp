// Running credit checks: the worker that claims queued checks, calls the
// providers outside any transaction and records the answers; the bureau's
// callbacks; settings.
#include "internal.hpp"

#include "risk/scorecard.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/json.hpp"
#include "base/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

namespace schwarm::risk {

std::string_view to_string(failure f) {
    switch (f) {
    case failure::none: return "none";
    case failure::timeout: return "timeout";
    case failure::connect: return "connect";
    case failure::tls: return "tls";
    case failure::protocol: return "protocol";
    case failure::too_large: return "too_large";
    }
    return "unknown";
}

settings from_config(const config& c) {
    settings s;
    for (std::size_t at = 0; at <= c.risk_providers.size();) {
        auto comma = c.risk_providers.find(',', at);
        if (comma == std::string::npos) comma = c.risk_providers.size();
        auto name = c.risk_providers.substr(at, comma - at);
        if (std::find(s.providers.begin(), s.providers.end(), name) == s.providers.end()) s.providers.push_back(name);
        at = comma + 1;
    }
    s.bureau_key = c.risk_bureau_key;
    s.bureau_timeout = std::chrono::milliseconds(c.risk_bureau_timeout_ms);
    s.retries_max = c.risk_retries_max;
    s.backoff = std::chrono::milliseconds(c.risk_backoff_ms);
    s.breaker_failures = c.risk_breaker_failures;
    s.breaker_cooldown = std::chrono::milliseconds(c.risk_breaker_cooldown_ms);
    s.calls_max = c.risk_calls_max;
    s.replay_window_s = c.risk_replay_window_s;
    s.callback_wait_s = c.risk_callback_wait_s;
    s.poll = std::chrono::milliseconds(c.risk_poll_ms);
    s.four_eyes_above_minor = c.risk_four_eyes_above_minor;
    s.pledge_limit_per_project_minor = c.risk_pledge_limit_per_project_minor;
    s.owner_limit_minor = c.risk_owner_limit_minor;
    return s;
}

std::string sign(const std::string& key, const std::string& timestamp, const std::string& body) {
    return crypto::sign_timestamped(key, timestamp, body);
}

namespace {

// A check claimed by a worker but not recorded within this time is claimed
// again (its process died): well beyond the longest call with retries.
std::chrono::milliseconds lease(const settings& s) {
    auto backoff_total = s.backoff * ((1 << (s.retries_max + 1)) - 1);
    return s.bureau_timeout * (s.retries_max + 1) + backoff_total + std::chrono::seconds(30);
}

constexpr int claim_max = 200;                         // checks claimed per transaction
constexpr int polls_per_expiry = 20;                   // pending checks without callback are failed this often
constexpr std::chrono::milliseconds record_gather{10}; // answers of a burst recorded in one transaction

const db::query claim_checks{
    "risk.checks.claim",
    "UPDATE risk_checks SET state = 'running', started_at = schwarm_now() WHERE id IN ("
    " SELECT id FROM risk_checks WHERE state = 'queued' OR (state = 'running' AND started_at < schwarm_now() - $2 * "
    " interval '1 millisecond') ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, project_id, provider, request::text"};
const db::query record_check{
    "risk.checks.record",
    "UPDATE risk_checks SET state = $2, response = $3::jsonb, score = $4, pd_band = $5, decision = $6, "
    "reasons = coalesce($7::jsonb, '[]'), scorecard_version = $8, error = $9, attempts = attempts + $10, "
    "pending_since = CASE WHEN $2 = 'pending' THEN schwarm_now() END, "
    "finished_at = CASE WHEN $2 IN ('completed', 'failed') THEN schwarm_now() END, "
    "duration_ms = CASE WHEN $2 IN ('completed', 'failed') THEN "
    " (extract(epoch FROM schwarm_now() - started_at) * 1000)::integer END "
    "WHERE id = $1 AND state = 'running' RETURNING project_id"};
const db::query expire_pending{
    "risk.checks.expire_pending",
    "UPDATE risk_checks SET state = 'failed', error = 'no callback within ' || $1 || ' s', finished_at = schwarm_now() "
    "WHERE state = 'pending' AND pending_since < schwarm_now() - $1 * interval '1 second' RETURNING id, project_id"};
const db::query lock_check{"risk.checks.lock",
                           "SELECT state, provider, project_id FROM risk_checks WHERE id = $1 FOR UPDATE"};
const db::query complete_from_callback{
    "risk.checks.complete_callback",
    "UPDATE risk_checks SET state = 'completed', response = $2::jsonb, score = $3, pd_band = $4, decision = $5, "
    "reasons = $6::jsonb, error = NULL, finished_at = schwarm_now(), "
    "duration_ms = (extract(epoch FROM schwarm_now() - coalesce(started_at, created_at)) * 1000)::integer WHERE id = "
    "$1"};
const db::query insert_receipt{
    "risk.callbacks.receipt",
    "INSERT INTO risk_callback_receipts (signature_hash, provider) VALUES ($1, $2) ON CONFLICT DO NOTHING"};
const db::query forget_receipts{
    "risk.callbacks.forget",
    "DELETE FROM risk_callback_receipts WHERE received_at < schwarm_now() - 2 * $1 * interval '1 second'"};

// An answer the providers give, checked: decision, score, band, reasons.
struct answer {
    std::string decision;
    std::optional<std::int64_t> score;
    std::optional<std::string> pd_band;
    boost::json::array reasons;
};

constexpr std::size_t reasons_max = 20;
constexpr std::size_t reason_length_max = 500;

// Nullopt unless `body` is an object with a valid decision.
std::optional<answer> read_answer(const boost::json::object& body) {
    answer a;
    auto decision = body.if_contains("decision");
    if (!decision || !decision->is_string()) return std::nullopt;
    a.decision = std::string(decision->as_string());
    if (a.decision != "approve" && a.decision != "refer" && a.decision != "decline") return std::nullopt;
    if (auto score = body.if_contains("score")) {
        if (!score->is_int64()) return std::nullopt;
        a.score = score->as_int64();
    }
    if (auto band = body.if_contains("pd_band")) {
        if (!band->is_string() || band->as_string().size() > 10) return std::nullopt;
        a.pd_band = std::string(band->as_string());
    }
    if (auto reasons = body.if_contains("reasons")) {
        if (!reasons->is_array() || reasons->as_array().size() > reasons_max) return std::nullopt;
        for (const auto& r : reasons->as_array()) {
            if (!r.is_string() || r.as_string().size() > reason_length_max) return std::nullopt;
            a.reasons.push_back(r);
        }
    }
    return a;
}

// The kernel's reader: an object with a key twice is no object here either
// (a signed answer must not mean two things).
std::optional<boost::json::object> parse_object(const std::string& text) {
    try {
        return json::parse_object(text);
    } catch (const problem&) {
        return std::nullopt;
    }
}

} // namespace

// --- the worker ----------------------------------------------------------------

struct check_worker::job {
    std::int64_t check_id;
    std::int64_t project_id;
    std::string request; // JSON as stored
};

struct check_worker::outcome {
    std::int64_t check_id;
    std::string state; // completed | pending | failed
    std::optional<std::string> response;
    std::optional<std::int64_t> score;
    std::optional<std::string> pd_band;
    std::optional<std::string> decision;
    std::optional<std::string> reasons;
    std::optional<int> scorecard_version;
    std::optional<std::string> error;
    int attempts = 0;
};

check_worker::check_worker(settings s, std::string database_url, std::shared_ptr<transport> bureau)
    : settings_(std::move(s)), database_url_(std::move(database_url)), bureau_(std::move(bureau)),
      circuit_("webhook", settings_.breaker_failures, settings_.breaker_cooldown,
               settings_.bureau_timeout * (settings_.retries_max + 2)),
      circuit_db_(database_url_) {}

check_worker::~check_worker() { stop(); }

namespace {

// Background work yields the CPU to request handling: checks may take a
// little longer under load, requests should not (Linux: per-thread nice).
void lower_priority() {
    constexpr int background_nice = 5;
    setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), background_nice);
}

} // namespace

void check_worker::start() {
    assert(!dispatcher_.joinable());
    for (int i = 0; i < settings_.calls_max; ++i) {
        callers_.emplace_back([this] {
            lower_priority();
            run_caller();
        });
    }
    dispatcher_ = std::thread([this] {
        lower_priority();
        run_dispatcher();
    });
}

void check_worker::stop() {
    if (!dispatcher_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    jobs_ready_.notify_all();
    outcomes_ready_.notify_all();
    stopped_.notify_all();
    dispatcher_.join();
    for (auto& t : callers_) t.join();
    callers_.clear();
}

namespace {

void record(pqxx::work& tx, std::int64_t check_id, const std::string& state, const std::optional<std::string>& response,
            std::optional<std::int64_t> score, const std::optional<std::string>& band,
            const std::optional<std::string>& decision, const std::optional<std::string>& reasons,
            std::optional<int> version, const std::optional<std::string>& error, int attempts) {
    auto rows = tx.exec_prepared(record_check.name, check_id, state, response, score, band, decision, reasons, version,
                                 error, attempts);
    if (rows.empty()) return; // a callback answered first, or another worker reclaimed it
    audit::write(
        tx, {std::nullopt, "risk.check." + state, "project:" + rows[0][0].as<std::string>(), "risk-worker",
             boost::json::serialize(boost::json::object{{"check_id", std::to_string(check_id)},
                                                        {"error", error ? boost::json::value(*error) : nullptr}})});
}

// The scorecard needs nothing but the database: it runs in the claiming
// transaction.
void run_scorecard(pqxx::work& tx, std::int64_t check_id, const std::string& request,
                   std::optional<scorecard::card>& card) {
    auto body = parse_object(request);
    scorecard::inputs in;
    try {
        if (!body) throw std::invalid_argument("request is not an object");
        const auto& o = *body;
        in.applicant_type = std::string(o.at("applicant_type").as_string());
        in.monthly_income_minor = o.at("monthly_income_minor").as_int64();
        in.monthly_expenses_minor = o.at("monthly_expenses_minor").as_int64();
        in.existing_debt_minor = o.at("existing_debt_minor").as_int64();
        in.purpose = std::string(o.at("purpose").as_string());
        if (o.at("years_in_business").is_int64())
            in.years_in_business = static_cast<int>(o.at("years_in_business").as_int64());
        in.principal_minor = o.at("principal_minor").as_int64();
        in.term_months = static_cast<int>(o.at("term_months").as_int64());
        in.rate_bp = static_cast<int>(o.at("rate_bp").as_int64());
        if (in.term_months < 1) throw std::invalid_argument("term_months below 1");
    } catch (const std::exception& e) {
        record(tx, check_id, "failed", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
               std::nullopt, std::string("scorecard input unreadable: ") + e.what(), 1);
        return;
    }
    if (!card) card = scorecard::load(tx);
    auto result = scorecard::score(*card, in);
    boost::json::array reasons;
    for (const auto& r : result.reasons) {
        reasons.push_back({{"factor", r.factor}, {"value", r.value}, {"points", r.points}, {"text", r.text}});
    }
    boost::json::object response{{"score", result.score},
                                 {"pd_band", result.pd_band},
                                 {"decision", result.decision},
                                 {"scorecard_version", result.version}};
    record(tx, check_id, "completed", boost::json::serialize(response), result.score, result.pd_band, result.decision,
           boost::json::serialize(reasons), result.version, std::nullopt, 1);
}

} // namespace

void check_worker::run_dispatcher() {
    db::worker_context worker(database_url_);
    const auto lease_ms = static_cast<std::int64_t>(lease(settings_).count());
    for (int n = 0;; ++n) {
        std::deque<outcome> done;
        int free_slots = 0;
        bool stopping = false;
        {
            std::lock_guard lock(mutex_);
            done.swap(outcomes_);
            stopping = stopping_;
            free_slots = settings_.calls_max - in_flight_;
            if (stopping && in_flight_ == 0 && done.empty()) break;
        }
        bool claimed_any = false;
        try {
            if (!done.empty()) {
                pqxx::work tx(worker.connection());
                for (const auto& o : done) {
                    record(tx, o.check_id, o.state, o.response, o.score, o.pd_band, o.decision, o.reasons,
                           o.scorecard_version, o.error, o.attempts);
                }
                tx.commit();
                done.clear();
            }
            if (!stopping && n % polls_per_expiry == 0) {
                pqxx::work tx(worker.connection());
                for (const auto& row : tx.exec_prepared(expire_pending.name, settings_.callback_wait_s)) {
                    audit::write(tx, {std::nullopt, "risk.check.failed", "project:" + row[1].as<std::string>(),
                                      "risk-worker",
                                      boost::json::serialize(boost::json::object{{"check_id", row[0].as<std::string>()},
                                                                                 {"error", "no callback"}})});
                }
                tx.exec_prepared(forget_receipts.name, settings_.replay_window_s);
                tx.commit();
            }
            if (!stopping && free_slots > 0) {
                std::vector<job> calls;
                pqxx::work tx(worker.connection());
                std::optional<scorecard::card> card;
                for (const auto& row : tx.exec_prepared(claim_checks.name, std::min(free_slots, claim_max), lease_ms)) {
                    claimed_any = true;
                    auto id = row[0].as<std::int64_t>();
                    auto provider = row[2].as<std::string>();
                    if (provider == "scorecard") {
                        run_scorecard(tx, id, row[3].as<std::string>(), card);
                    } else {
                        calls.push_back({id, row[1].as<std::int64_t>(), row[3].as<std::string>()});
                    }
                }
                // Commit before any outbound call: no transaction is held open
                // while the bureau thinks.
                tx.commit();
                if (!calls.empty()) {
                    std::lock_guard lock(mutex_);
                    in_flight_ += static_cast<int>(calls.size());
                    for (auto& j : calls) jobs_.push_back(std::move(j));
                }
                for (std::size_t i = 0; i < calls.size(); ++i) jobs_ready_.notify_one();
            }
        } catch (const std::exception& e) {
            log::warn("risk check worker failed", {{"error", e.what()}});
            // Outcomes not recorded are put back for the next round.
            std::lock_guard lock(mutex_);
            for (auto& o : done) outcomes_.push_back(std::move(o));
        }
        worker.check();
        if (claimed_any) continue;
        std::unique_lock lock(mutex_);
        outcomes_ready_.wait_for(lock, settings_.poll, [&] { return !outcomes_.empty() || (stopping_ && !stopping); });
        // Answers arriving together are recorded together: wait a moment
        // for the rest of a burst rather than commit once per answer.
        if (!outcomes_.empty() && static_cast<int>(outcomes_.size()) < in_flight_ && !stopping_) {
            outcomes_ready_.wait_for(lock, record_gather);
        }
    }
}

void check_worker::run_caller() {
    for (;;) {
        job j;
        {
            std::unique_lock lock(mutex_);
            jobs_ready_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
            if (jobs_.empty()) return; // stopping, nothing left
            j = std::move(jobs_.front());
            jobs_.pop_front();
        }
        outcome o = call_bureau(j);
        {
            std::lock_guard lock(mutex_);
            outcomes_.push_back(std::move(o));
            --in_flight_;
        }
        outcomes_ready_.notify_one();
    }
}

std::optional<std::string> check_worker::circuit_refuses() {
    std::lock_guard lock(circuit_mutex_);
    try {
        if (circuit_.allow(circuit_db_.connection())) return std::nullopt;
        return "circuit open: the bureau failed " + std::to_string(settings_.breaker_failures) +
               " times in a row; not called";
    } catch (const std::exception& e) {
        // Not knowing whether the bureau is down, do not add to its load:
        // the check fails and says why; staff run it again.
        circuit_db_.check();
        return std::string("circuit state unreadable, not called: ") + e.what();
    }
}

void check_worker::circuit_reports(bool ok) {
    std::lock_guard lock(circuit_mutex_);
    try {
        if (ok) {
            circuit_.succeeded(circuit_db_.connection());
        } else {
            circuit_.failed(circuit_db_.connection());
        }
    } catch (const std::exception& e) {
        log::warn("risk circuit not updated", {{"error", e.what()}});
        circuit_db_.check();
    }
}

check_worker::outcome check_worker::call_bureau(const job& j) {
    outcome o;
    o.check_id = j.check_id;
    o.state = "failed";
    if (!bureau_) {
        o.error = "the webhook provider is not configured in this process";
        return o;
    }
    auto body = parse_object(j.request);
    if (!body) {
        o.error = "stored request unreadable";
        return o;
    }
    (*body)["reference"] = std::to_string(j.check_id);
    std::string text = boost::json::serialize(*body);
    thread_local std::mt19937_64 random{std::random_device{}()};
    for (int attempt = 0; attempt <= settings_.retries_max; ++attempt) {
        if (auto refusal = circuit_refuses()) {
            o.error = std::move(refusal);
            return o;
        }
        ++o.attempts;
        auto timestamp = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        outbound_request request{
            text,
            {{timestamp_header, timestamp}, {signature_header, sign(settings_.bureau_key, timestamp, text)}},
            std::chrono::steady_clock::now() + settings_.bureau_timeout};
        auto reply = bureau_->send(request);
        bool retry = false;
        if (reply.failed != failure::none) {
            circuit_reports(false);
            o.error = "bureau " + std::string(to_string(reply.failed)) + ": " + reply.error;
            retry = reply.failed == failure::timeout || reply.failed == failure::connect ||
                    reply.failed == failure::protocol;
        } else if (reply.status >= 500) {
            circuit_reports(false);
            o.error = "bureau answered " + std::to_string(reply.status);
            retry = true;
        } else if (reply.status >= 400) {
            // The bureau is up and refuses this request: asking again would
            // get the same answer.
            circuit_reports(true);
            o.error = "bureau refused the request with " + std::to_string(reply.status);
            return o;
        } else {
            auto ts = reply.headers.find("x-schwarm-timestamp");
            auto sig = reply.headers.find("x-schwarm-signature");
            bool signed_ok =
                ts != reply.headers.end() && sig != reply.headers.end() &&
                crypto::equal_constant_time(sign(settings_.bureau_key, ts->second, reply.body), sig->second);
            auto answer_body = parse_object(reply.body);
            if (!signed_ok) {
                circuit_reports(false);
                o.error = "bureau answer has an invalid signature";
                return o;
            }
            if (!answer_body) {
                circuit_reports(false);
                o.error = "bureau answer is not a JSON object";
                return o;
            }
            if (reply.status == 202) {
                circuit_reports(true);
                o.state = "pending";
                o.error.reset();
                o.response = reply.body;
                return o;
            }
            auto a = read_answer(*answer_body);
            if (reply.status != 200 || !a) {
                circuit_reports(false);
                o.error = "bureau answer has no valid decision (status " + std::to_string(reply.status) + ")";
                return o;
            }
            circuit_reports(true);
            o.state = "completed";
            o.error.reset();
            o.response = reply.body;
            o.score = a->score;
            o.pd_band = a->pd_band;
            o.decision = a->decision;
            o.reasons = boost::json::serialize(a->reasons);
            return o;
        }
        if (!retry || attempt == settings_.retries_max) break;
        // Exponential backoff with full jitter: somewhere in [0, base * 2^attempt].
        auto ceiling = settings_.backoff.count() << attempt;
        std::uniform_int_distribution<long long> pick(0, ceiling);
        std::unique_lock lock(mutex_);
        if (stopped_.wait_for(lock, std::chrono::milliseconds(pick(random)), [&] { return stopping_.load(); })) break;
    }
    return o;
}

// --- callbacks -------------------------------------------------------------------

boost::json::object accept_callback(pqxx::work& tx, const settings& s, const callback& c) {
    if (std::find(s.providers.begin(), s.providers.end(), c.provider) == s.providers.end() || c.provider != "webhook") {
        throw problem(schwarm::problems::not_found, "There is no such provider");
    }
    switch (crypto::check_timestamped(s.bureau_key, c.timestamp, c.body, c.signature, s.replay_window_s)) {
    case crypto::timestamped::ok: break;
    case crypto::timestamped::bad_timestamp:
        throw problem(problems::callback_stale,
                      std::string("The ") + timestamp_header + " header must be Unix seconds");
    case crypto::timestamped::bad_signature:
        throw problem(problems::callback_signature, "The signature does not match the body and timestamp");
    case crypto::timestamped::stale:
        throw problem(problems::callback_stale,
                      "The timestamp is more than " + std::to_string(s.replay_window_s) + " s away from now")
            .with("replay_window_s", s.replay_window_s);
    }
    if (tx.exec_prepared(insert_receipt.name, crypto::sha256_hex(c.signature), c.provider).affected_rows() == 0) {
        throw problem(problems::callback_replayed, "This callback was already received");
    }
    auto body = parse_object(c.body);
    if (!body) throw problem(schwarm::problems::malformed_json, "The body is not a JSON object");
    auto reference = body->if_contains("reference");
    std::optional<std::int64_t> check_id;
    if (reference && reference->is_string()) {
        std::int64_t v = 0;
        auto text = reference->as_string();
        auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (e == std::errc{} && p == text.data() + text.size() && v > 0) check_id = v;
    }
    if (!check_id) throw field_problem("reference", "reference must name a check, as sent");
    auto a = read_answer(*body);
    if (!a)
        throw field_problem("decision",
                            "decision must be approve, refer or decline (with optional score, pd_band, reasons)");
    auto rows = tx.exec_prepared(lock_check.name, *check_id);
    if (rows.empty() || rows[0][1].as<std::string>() != c.provider) {
        throw problem(schwarm::problems::not_found, "There is no such check");
    }
    auto state = rows[0][0].as<std::string>();
    if (state != "pending" && state != "running") {
        throw problem(problems::callback_replayed, "The check is already " + state).with("check_state", state);
    }
    tx.exec_prepared(complete_from_callback.name, *check_id, c.body, a->score, a->pd_band, a->decision,
                     boost::json::serialize(a->reasons));
    audit::write(tx, {std::nullopt, "risk.check.completed", "project:" + rows[0][2].as<std::string>(), c.request_id,
                      boost::json::serialize(boost::json::object{{"check_id", std::to_string(*check_id)}})});
    return {{"check_id", std::to_string(*check_id)}, {"state", "completed"}, {"decision", a->decision}};
}

} // namespace schwarm::risk
