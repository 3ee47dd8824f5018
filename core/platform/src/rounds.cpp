#include "platform/rounds.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/money.hpp"
#include "platform/accounts.hpp"
#include "platform/events.hpp"
#include "platform/pledges.hpp"
#include "platform/projects.hpp"
#include "round_rules.hpp"
#include "voting/pabulib.hpp"
#include "voting/tally.hpp"
#include "voting/tally_cli.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <bit>
#include <functional>
#include <map>
#include <mutex>
#include <set>

namespace schwarm::voting {

namespace {

const db::query insert_round{
    "rounds.insert",
    "INSERT INTO voting_rounds (title, budget_minor, currency, opens_at, closes_at, eligibility, ballot, rule, "
    "utility, "
    "min_projects, max_projects, max_total_cost_minor, points, created_by, state, imported, rule_options, max_ranks) "
    "VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::round_eligibility, $7::round_ballot, $8, $9, $10, $11, "
    "$12, $13, $14, $15::round_state, $16, $17::jsonb, $18) RETURNING id"};
const db::query update_rule{"rounds.update_rule",
                            "UPDATE voting_rounds SET rule = $2, utility = $3, rule_options = $4::jsonb WHERE id = $1"};

// The round with its counts (for readers), or without them (for casting,
// where counting every ballot would cost O(ballots) per ballot).
#define ROUND_COLUMNS                                                                                                  \
    "r.id, r.title, r.budget_minor, r.currency, " SCHWARM_SQL_UTC_SECONDS("r.opens_at") ", " SCHWARM_SQL_UTC_SECONDS(  \
        "r.closes_at") ", r.eligibility::text, r.ballot::text, r.rule, r.utility, r.min_projects, r.max_projects, "    \
                       "r.max_total_cost_minor, r.points, r.state::text, r.imported, "                                 \
                       "schwarm_now() >= r.opens_at AND schwarm_now() < r.closes_at, r.rule_options::text, "           \
                       "r.max_ranks"
// Ballots: voters on the roll while the round takes them, then the box.
const db::query select_round{"rounds.select", "SELECT " ROUND_COLUMNS
                                              ", (SELECT count(*) FROM round_projects p WHERE p.round_id = r.id), "
                                              "CASE WHEN r.state IN ('draft', 'open') "
                                              "THEN (SELECT count(*) FROM ballot_roll b WHERE b.round_id = r.id) "
                                              "ELSE (SELECT count(*) FROM ballot_box b WHERE b.round_id = r.id) END "
                                              "FROM voting_rounds r WHERE r.id = $1"};
const db::query select_round_only{"rounds.select_only",
                                  "SELECT " ROUND_COLUMNS ", 0, 0 FROM voting_rounds r WHERE r.id = $1"};
#undef ROUND_COLUMNS

const db::query lock_round{"rounds.lock", "SELECT state::text FROM voting_rounds WHERE id = $1 FOR UPDATE"};
const db::query set_state{"rounds.set_state", "UPDATE voting_rounds SET state = $2::round_state WHERE id = $1"};
const db::query insert_project{
    "rounds.insert_project",
    "INSERT INTO round_projects (round_id, project_key, name, cost_minor) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT DO NOTHING"};
const db::query insert_platform_project{
    "rounds.insert_platform_project",
    "INSERT INTO round_projects (round_id, project_key, name, cost_minor, project_id) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT DO NOTHING"};
const db::query select_platform_projects{
    "rounds.platform_projects",
    "SELECT project_key, project_id, cost_minor FROM round_projects WHERE round_id = $1 AND project_id IS NOT NULL "
    "ORDER BY project_key"};
const db::query select_projects{
    "rounds.projects",
    "SELECT project_key, name, cost_minor FROM round_projects WHERE round_id = $1 ORDER BY project_key"};
const db::query select_member{"rounds.member", "SELECT member FROM users WHERE id = $1"};
// Casting takes this lock shared and every state change takes it exclusive,
// so a close waits for the ballots being cast and none lands after it. An
// advisory lock, not a row lock: many voters sharing a row lock would make
// PostgreSQL write a multixact to the round's row for each of them. The
// state is read in the statement after the lock, with a fresh snapshot.
const db::query share_round_lock{"rounds.share_lock",
                                 "SELECT pg_advisory_xact_lock_shared(23114, ($1 % 2147483647)::int)"};
const db::query exclusive_round_lock{"rounds.exclusive_lock",
                                     "SELECT pg_advisory_xact_lock(23114, ($1 % 2147483647)::int)"};
// The roll (migrations/0040_ballot_box.sql): who voted, and until the close
// their ballot, sealed.
const db::query upsert_roll{
    "rounds.upsert_roll",
    "INSERT INTO ballot_roll (round_id, voter_id, envelope) VALUES ($1, $2, decode($3, 'hex')) "
    "ON CONFLICT (round_id, voter_id) DO UPDATE SET envelope = EXCLUDED.envelope, voted_at = schwarm_now() "
    "WHERE ballot_roll.channel = 'online' RETURNING (xmax <> 0)"};
// Paper ballots (migrations/0044_paper_ballots.sql).
const db::query select_voter{"rounds.voter", "SELECT role::text, member FROM users WHERE id = $1"};
const db::query voters_on_roll{
    "rounds.voters_on_roll",
    "SELECT voter_id, channel FROM ballot_roll WHERE round_id = $1 AND voter_id = ANY($2::bigint[]) ORDER BY voter_id"};
const db::query insert_batch{
    "rounds.insert_batch",
    "INSERT INTO paper_batches (round_id, ballots, entered_by) VALUES ($1, $2, $3) RETURNING id"};
const db::query insert_paper{
    "rounds.insert_paper",
    "INSERT INTO paper_ballots (batch_id, round_id, voter_id, envelope) "
    "SELECT $1, $2, v, decode(e, 'hex') FROM unnest($3::bigint[], $4::text[]) AS t(v, e) ORDER BY v"};
#define BATCH_COLUMNS                                                                                                  \
    "id, round_id, state::text, ballots, entered_by, " SCHWARM_SQL_UTC_SECONDS(                                        \
        "entered_at") ", decided_by, " SCHWARM_SQL_UTC_SECONDS("decided_at") ", reason"
const db::query lock_batch{"rounds.lock_batch",
                           "SELECT " BATCH_COLUMNS " FROM paper_batches WHERE id = $1 AND round_id = $2 FOR UPDATE"};
const db::query select_batches{"rounds.batches",
                               "SELECT " BATCH_COLUMNS " FROM paper_batches WHERE round_id = $1 ORDER BY id"};
const db::query select_batch{"rounds.batch", "SELECT " BATCH_COLUMNS " FROM paper_batches WHERE id = $1"};
#undef BATCH_COLUMNS
const db::query paper_conflicts{
    "rounds.paper_conflicts",
    "SELECT p.voter_id FROM paper_ballots p JOIN ballot_roll r ON r.round_id = p.round_id AND r.voter_id = p.voter_id "
    "WHERE p.batch_id = $1 ORDER BY p.voter_id"};
// Only where the voter has no ballot: an online one, or one of another batch,
// keeps its place, and the confirmation then fails whole.
const db::query roll_paper{
    "rounds.roll_paper",
    "INSERT INTO ballot_roll (round_id, voter_id, envelope, channel) "
    "SELECT round_id, voter_id, envelope, 'paper' FROM paper_ballots WHERE batch_id = $1 ORDER BY voter_id "
    "ON CONFLICT (round_id, voter_id) DO NOTHING"};
const db::query decide_batch{
    "rounds.decide_batch",
    "UPDATE paper_batches SET state = $2::paper_batch_state, decided_by = $3, decided_at = schwarm_now(), "
    "reason = $4 WHERE id = $1"};
const db::query empty_round_paper{
    "rounds.empty_round_paper",
    "UPDATE paper_ballots SET envelope = NULL WHERE round_id = $1 AND envelope IS NOT NULL"};
const db::query empty_paper{"rounds.empty_paper", "UPDATE paper_ballots SET envelope = NULL WHERE batch_id = $1"};
// A ballot cast in the clear before 0040 gives way to its voter's new one.
const db::query drop_unsealed{"rounds.drop_unsealed",
                              "DELETE FROM ballots_unsealed WHERE round_id = $1 AND voter_id = $2"};
const db::query select_envelopes{
    "rounds.envelopes",
    "SELECT voter_id, encode(envelope, 'hex') FROM ballot_roll WHERE round_id = $1 AND envelope IS NOT NULL"};
const db::query select_unsealed{"rounds.unsealed",
                                "SELECT receipt, choices::text FROM ballots_unsealed WHERE round_id = $1"};
// One statement, in receipt order: the box keeps no order of casting.
const db::query insert_box{
    "rounds.insert_box",
    "INSERT INTO ballot_box (round_id, receipt, secret, choices) "
    "SELECT $1, r, NULLIF(s, ''), c::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(r, s, c) ORDER BY r"};
const db::query empty_envelopes{"rounds.empty_envelopes",
                                "UPDATE ballot_roll SET envelope = NULL WHERE round_id = $1 AND envelope IS NOT NULL"};
const db::query delete_unsealed{"rounds.delete_unsealed", "DELETE FROM ballots_unsealed WHERE round_id = $1"};
const db::query select_ballots{"rounds.ballots",
                               "SELECT choices::text FROM ballot_box WHERE round_id = $1 ORDER BY receipt"};
const db::query select_published{"rounds.published",
                                 "SELECT receipt, secret, choices::text FROM ballot_box WHERE round_id = $1 "
                                 "AND receipt > $2 ORDER BY receipt LIMIT $3"};
const db::query store_result{"rounds.store_result",
                             "UPDATE voting_rounds SET result = $2::jsonb, state = 'tallied' WHERE id = $1"};
const db::query select_result{"rounds.result", "SELECT state::text, result::text FROM voting_rounds WHERE id = $1"};

// META keys of an exported round that an import reads back.
constexpr const char* meta_utility = "schwarm_utility";
constexpr const char* meta_options = "schwarm_options";

problem limit_problem(const std::string& limit, const std::string& detail) {
    return problem(problems::ballot_limit, detail).with("limit", limit);
}

std::string choices_json(const std::vector<choice>& choices) {
    boost::json::array out;
    for (const auto& c : choices) out.push_back({{"project", c.project}, {"points", c.points}});
    return boost::json::serialize(out);
}

std::vector<choice> choices_from(const std::string& text) {
    std::vector<choice> out;
    const boost::json::value parsed = boost::json::parse(text);
    for (const auto& v : parsed.as_array()) {
        out.push_back({std::string(v.at("project").as_string()), v.at("points").as_int64()});
    }
    return out;
}

// The receipt commits to the round, the ballot and the voter's secret.
std::string receipt_of(round_id id, const std::string& ballot_json, const std::string& secret) {
    return crypto::sha256_hex("schwarm-ballot|" + id.str() + "|" + ballot_json + "|" + secret);
}

// --- envelopes: a ballot sealed on the roll while its round is open ---------------
//
// The plaintext is the secret, a newline and the ballot's canonical JSON,
// padded with spaces to a size class (at least 1 KiB, else the next power of
// two), so the envelope's length says no more than the class. It is bound to
// its round and voter: an envelope moved to another row does not open.
constexpr std::size_t envelope_plaintext_min = 1024;

std::string envelope_aad(round_id id, user_id voter) {
    return "schwarm-ballot-envelope-v1|" + id.str() + "|" + voter.str();
}

std::string seal_envelope(const ballot_key& key, round_id id, user_id voter, const std::string& ballot_json,
                          const std::string& secret) {
    std::string plain = secret + "\n" + ballot_json;
    plain.resize(std::max(envelope_plaintext_min, std::bit_ceil(plain.size())), ' ');
    return crypto::to_hex(crypto::seal(key.envelope_key(), envelope_aad(id, voter), plain));
}

struct opened_envelope {
    std::string secret;
    std::string ballot_json;
};

opened_envelope open_envelope(const ballot_key& key, round_id id, user_id voter, const std::string& hex) {
    auto sealed = crypto::from_hex(hex);
    auto plain = sealed ? crypto::open_sealed(key.envelope_key(), envelope_aad(id, voter), *sealed) : std::nullopt;
    // Not a refusal: every envelope was sealed by a server; one that does not
    // open means the key changed while the round was open (or the row was
    // tampered with). The close fails whole and the round stays open.
    SCHWARM_INVARIANT(plain, "round " + id.str() +
                                 ": an envelope on the roll does not open under SCHWARM_BALLOT_KEY "
                                 "(was the key changed while the round was open?)");
    auto newline = plain->find('\n');
    SCHWARM_INVARIANT(newline != std::string::npos, "round " + id.str() + ": an envelope without its secret");
    auto end = plain->find_last_not_of(' ');
    return {plain->substr(0, newline), plain->substr(newline + 1, end - newline)};
}

// At the close: every envelope opened into the box, with the ballots cast in
// the clear before 0040, in one statement sorted by receipt; the envelopes
// are emptied. The ballots pass through memory in the roll's order, and
// nowhere else.
std::size_t open_envelopes(pqxx::work& tx, round_id id, const ballot_key& key) {
    std::vector<std::string> receipts, secrets, ballots;
    for (const auto& row : tx.exec_prepared(select_envelopes.name, id.value)) {
        auto opened = open_envelope(key, id, user_id{row[0].as<std::int64_t>()}, row[1].as<std::string>());
        receipts.push_back(receipt_of(id, opened.ballot_json, opened.secret));
        secrets.push_back(std::move(opened.secret));
        ballots.push_back(std::move(opened.ballot_json));
    }
    for (const auto& row : tx.exec_prepared(select_unsealed.name, id.value)) {
        receipts.push_back(row[0].as<std::string>());
        secrets.emplace_back(); // its secret was never kept
        ballots.push_back(row[1].as<std::string>());
    }
    if (!receipts.empty()) {
        tx.exec_prepared(insert_box.name, id.value, db::array_literal(receipts), db::array_literal(secrets),
                         db::array_literal(ballots));
    }
    tx.exec_prepared(empty_envelopes.name, id.value);
    tx.exec_prepared(delete_unsealed.name, id.value);
    return receipts.size();
}

round_rule rule_of(const round_spec& s) { return {s.rule, s.utility, s.options}; }

project_index index_of(const std::vector<round_project>& projects) {
    project_index index;
    for (const auto& p : projects) index.emplace(p.key, static_cast<std::uint32_t>(index.size()));
    return index;
}

// The box's ballots as the tally takes them, in receipt order.
election_input election_of(pqxx::transaction_base& tx, const round_info& r,
                           const std::vector<round_project>& projects) {
    election_input input;
    input.budget_minor_ = r.spec.budget_minor;
    const project_index index = index_of(projects);
    for (const auto& p : projects) input.projects_.push_back({p.key, p.cost_minor});
    for (const auto& row : tx.exec_prepared(select_ballots.name, r.id.value)) {
        ballot b;
        for (const auto& c : choices_from(row[0].as<std::string>()))
            b.entries_.push_back({index.find(c.project)->second, c.points});
        input.ballots_.push_back(std::move(b));
    }
    return input;
}

void check_spec(const round_spec& s) {
    if (s.title.empty()) throw field_problem("title", "title is required");
    if (s.budget_minor <= 0) throw field_problem("budget_minor", "budget_minor must be positive");
    if (!currency::parse(s.currency_code)) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    if (s.eligibility != "customers" && s.eligibility != "members") {
        throw field_problem("eligibility", "eligibility must be customers or members");
    }
    if (s.ballot != "approval" && s.ballot != "cumulative" && s.ballot != "ranked")
        throw field_problem("ballot", "ballot must be approval, cumulative or ranked");
    check_rule(rule_of(s));
    check_rule_takes(rule_of(s), s.ballot);
    if ((s.ballot == "ranked") != s.max_ranks.has_value()) {
        throw field_problem("max_ranks", "max_ranks is required for ranked ballots and only for them");
    }
    if (s.max_ranks && (*s.max_ranks < 1 || *s.max_ranks > static_cast<int>(ranks_per_ballot_max))) {
        throw field_problem("max_ranks", "max_ranks must be 1 to " + std::to_string(ranks_per_ballot_max));
    }
    if (s.max_ranks && s.max_projects) {
        throw field_problem("max_projects", "A ranked ballot is limited by max_ranks, not max_projects");
    }
    if (s.max_ranks && s.min_projects > *s.max_ranks) {
        throw field_problem("min_projects", "min_projects must not exceed max_ranks");
    }
    if ((s.ballot == "cumulative") != s.points.has_value()) {
        throw field_problem("points", "points is required for cumulative ballots and only for them");
    }
    if (s.points && (*s.points < 1 || *s.points > 1'000'000))
        throw field_problem("points", "points must be 1 to 1000000");
    if (s.min_projects < 0) throw field_problem("min_projects", "min_projects must not be negative");
    if (s.max_projects && *s.max_projects < std::max(1, s.min_projects)) {
        throw field_problem("max_projects", "max_projects must be at least min_projects and 1");
    }
    if (s.max_total_cost_minor && *s.max_total_cost_minor <= 0) {
        throw field_problem("max_total_cost_minor", "max_total_cost_minor must be positive");
    }
}

round_id insert(pqxx::work& tx, const round_spec& s, const actor& by, const std::string& state, bool imported) {
    check_spec(s);
    std::optional<std::int64_t> creator;
    if (by.actor) creator = by.actor->value;
    pqxx::result rows;
    try {
        pqxx::subtransaction guard(tx, "insert_round");
        rows = guard.exec_prepared(insert_round.name, s.title, s.budget_minor, s.currency_code, s.opens_at, s.closes_at,
                                   s.eligibility, s.ballot, s.rule, s.utility, s.min_projects, s.max_projects,
                                   s.max_total_cost_minor, s.points, creator, state, imported,
                                   boost::json::serialize(s.options), s.max_ranks);
        guard.commit();
    } catch (const pqxx::data_exception&) {
        throw field_problem("opens_at", "opens_at and closes_at must be RFC 3339 times, e.g. 2027-01-01T00:00:00Z");
    } catch (const pqxx::check_violation&) {
        throw field_problem("closes_at", "closes_at must be after opens_at");
    }
    round_id id{rows[0][0].as<std::int64_t>()};
    audit::write(tx, {by.actor, "round.create", "round:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"rule", s.rule}, {"imported", imported}})});
    return id;
}

std::string locked_state(pqxx::work& tx, round_id id) {
    auto rows = tx.exec_prepared(lock_round.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no round " + id.str());
    return rows[0][0].as<std::string>();
}

void require_state(const std::string& state, const std::string& wanted, const std::string& action) {
    if (state != wanted) {
        throw problem(problems::round_state, "Cannot " + action + ": the round is " + state + ", not " + wanted)
            .with("state", state);
    }
}

// `then` runs after the state changed, under the exclusive lock.
round_info transition(pqxx::work& tx, round_id id, const std::string& from, const std::string& to,
                      const std::string& action, const actor& by, const std::function<void()>& then = {}) {
    require_state(locked_state(tx, id), from, action);
    tx.exec_prepared(exclusive_round_lock.name, id.value);
    tx.exec_prepared(set_state.name, id.value, to);
    if (then) then();
    audit::write(tx, {by.actor, "round." + action, "round:" + id.str(), by.request_id});
    return find_round(tx, id);
}

void check_ballot(const round_info& r, const std::map<std::string, std::int64_t>& costs, std::vector<choice>& choices) {
    if (choices.size() > choices_per_ballot_max) throw limit_problem("choices", "Too many choices");
    std::set<std::string> seen;
    std::int64_t total_cost = 0, total_points = 0;
    for (auto& c : choices) {
        auto it = costs.find(c.project);
        if (it == costs.end()) {
            throw problem(problems::ballot_project, "Project " + c.project.substr(0, 64) + " is not in this round")
                .with("project", c.project.substr(0, 64));
        }
        if (!seen.insert(c.project).second) {
            throw limit_problem("duplicate", "Project " + c.project + " is chosen twice");
        }
        if (r.spec.ballot == "approval") {
            if (c.points != 1) throw limit_problem("points", "Approval ballots take no points");
        } else if (r.spec.ballot == "ranked") {
            if (c.points != 1) throw limit_problem("points", "Ranked ballots take no points: the order is the ranking");
        } else if (c.points < 1) {
            throw limit_problem("points",
                                "Points must be positive, got " + std::to_string(c.points) + " for " + c.project);
        }
        auto cost = checked_add(total_cost, it->second);
        if (!cost) throw limit_problem("max_total_cost_minor", "The ballot's total cost is out of range");
        total_cost = *cost;
        total_points += c.points; // at most 1000 choices of at most 1e6 points each
    }
    auto count = static_cast<int>(choices.size());
    if (count < r.spec.min_projects) {
        throw limit_problem("min_projects", "Choose at least " + std::to_string(r.spec.min_projects) +
                                                " projects, got " + std::to_string(count));
    }
    if (r.spec.max_projects && count > *r.spec.max_projects) {
        throw limit_problem("max_projects", "Choose at most " + std::to_string(*r.spec.max_projects) +
                                                " projects, got " + std::to_string(count));
    }
    if (r.spec.max_total_cost_minor && total_cost > *r.spec.max_total_cost_minor) {
        throw limit_problem("max_total_cost_minor", "The chosen projects cost " + std::to_string(total_cost) +
                                                        ", more than the limit of " +
                                                        std::to_string(*r.spec.max_total_cost_minor));
    }
    if (r.spec.points && total_points > *r.spec.points) {
        throw limit_problem("points", "The ballot gives " + std::to_string(total_points) + " points, more than the " +
                                          std::to_string(*r.spec.points) + " a voter has");
    }
    if (r.spec.max_ranks) {
        if (count > *r.spec.max_ranks) {
            throw limit_problem("max_ranks", "Rank at most " + std::to_string(*r.spec.max_ranks) + " projects, got " +
                                                 std::to_string(count));
        }
        // Points by position, best first (Kraków): max_ranks, max_ranks - 1, ...
        for (std::size_t i = 0; i < choices.size(); ++i) choices[i].points = *r.spec.max_ranks - static_cast<int>(i);
    }
    // One canonical order, so equal ballots have equal text (and receipts
    // depend only on content and secret).
    std::sort(choices.begin(), choices.end(), [](const choice& a, const choice& b) { return a.project < b.project; });
}

boost::json::value rational_json(const rational& r) { return boost::json::value(r.str()); }

boost::json::object result_json(const round_info& r, const round_rule& rule, const std::vector<round_project>& projects,
                                const tally_result& t) {
    // Why each project won or lost: the tally's reports, parallel to the projects.
    std::map<std::string, const project_report*> reports;
    for (std::size_t i = 0; i < projects.size(); ++i) reports.emplace(projects[i].key, &t.projects_.at(i));
    boost::json::array selected;
    std::set<std::string> chosen;
    for (const auto& s : t.selected_) {
        chosen.insert(s.id_);
        boost::json::array payments;
        for (const auto& p : s.payments_) {
            payments.push_back({{"payment_minor", rational_json(p.payment_minor_)},
                                {"points", p.points_},
                                {"voters", p.voter_count_},
                                {"capped", p.capped_}});
        }
        boost::json::object item{{"project", s.id_},
                                 {"cost_minor", s.cost_minor_},
                                 {"votes", s.votes_},
                                 {"points", s.points_},
                                 {"step", s.step_ == selection_step::mes ? "mes" : "greedy"},
                                 {"reason", reports.at(s.id_)->reason_}};
        if (s.step_ == selection_step::mes) {
            item["rho"] = rational_json(s.rho_);
            item["supporters_full"] = s.supporters_full_;
            item["supporters_capped"] = s.supporters_capped_;
            item["payments"] = std::move(payments);
        }
        selected.push_back(std::move(item));
    }
    boost::json::array not_selected;
    for (const auto& p : projects) {
        if (chosen.contains(p.key)) continue;
        const project_report& report = *reports.at(p.key);
        not_selected.push_back({{"project", p.key},
                                {"cost_minor", p.cost_minor},
                                {"outcome", to_string(report.outcome_)},
                                {"reason", report.reason_}});
    }
    boost::json::array trace;
    for (const auto& line : t.trace_) trace.push_back(boost::json::value(line));
    return {{"round_id", r.id.str()},
            {"rule", rule.name},
            {"utility", rule.utility},
            {"options", rule.options},
            {"budget_minor", t.budget_minor_},
            {"total_cost_minor", t.total_cost_minor_},
            {"voter_budget_minor", rational_json(t.voter_budget_minor_)},
            {"add1_steps", t.add1_steps_},
            {"ballots", r.ballots},
            {"selected", std::move(selected)},
            {"not_selected", std::move(not_selected)},
            {"trace", std::move(trace)}};
}

round_info load_round(pqxx::transaction_base& tx, round_id id, bool with_counts);

// The projects of a round that is open: they can no longer change (projects
// are added only to drafts), so each process reads them once per round
// instead of once per ballot. A few recent rounds are kept; bounded.
std::vector<round_project> open_round_projects(pqxx::transaction_base& tx, round_id id) {
    constexpr std::size_t rounds_cached_max = 16;
    static std::mutex mutex;
    static std::map<std::int64_t, std::vector<round_project>> cache;
    {
        std::lock_guard lock(mutex);
        if (auto it = cache.find(id.value); it != cache.end()) return it->second;
    }
    auto projects = projects_of(tx, id);
    std::lock_guard lock(mutex);
    if (cache.size() >= rounds_cached_max) cache.erase(cache.begin()); // the oldest round id
    cache.emplace(id.value, projects);
    return projects;
}

} // namespace

ballot_key::ballot_key(std::string_view secret) {
    if (secret.size() < ballot_key_length_min) {
        throw std::invalid_argument("the ballot key must be at least " + std::to_string(ballot_key_length_min) +
                                    " characters");
    }
    envelope_key_ = crypto::hmac_sha256(secret, "schwarm ballot envelope key v1");
}

round_info create_round(pqxx::work& tx, const round_spec& spec, const actor& by) {
    return find_round(tx, insert(tx, spec, by, "draft", false));
}

round_info find_round(pqxx::transaction_base& tx, round_id id) { return load_round(tx, id, true); }

namespace {
round_info load_round(pqxx::transaction_base& tx, round_id id, bool with_counts) {
    auto rows = tx.exec_prepared(with_counts ? select_round.name : select_round_only.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no round " + id.str());
    const auto& r = rows[0];
    round_info info;
    info.id = round_id{r[0].as<std::int64_t>()};
    info.spec = {r[1].as<std::string>(),  r[2].as<std::int64_t>(),  r[3].as<std::string>(),
                 r[4].as<std::string>(),  r[5].as<std::string>(),   r[6].as<std::string>(),
                 r[7].as<std::string>(),  r[8].as<std::string>(),   r[9].as<std::string>(),
                 r[10].as<int>(),         db::nullable<int>(r[11]), db::nullable<std::int64_t>(r[12]),
                 db::nullable<int>(r[13])};
    info.state = r[14].as<std::string>();
    info.imported = r[15].as<bool>();
    info.in_window = r[16].as<bool>();
    info.spec.options = boost::json::parse(r[17].as<std::string>()).as_object();
    info.spec.max_ranks = db::nullable<int>(r[18]);
    info.projects = r[19].as<std::int64_t>();
    info.ballots = r[20].as<std::int64_t>();
    return info;
}
} // namespace

void add_project(pqxx::work& tx, round_id id, const round_project& project, const actor& by) {
    require_state(locked_state(tx, id), "draft", "add a project");
    if (project.cost_minor <= 0) throw field_problem("cost_minor", "cost_minor must be positive");
    if (find_round(tx, id).projects >= static_cast<std::int64_t>(projects_per_round_max)) {
        throw limit_problem("projects", "A round has at most " + std::to_string(projects_per_round_max) + " projects");
    }
    try {
        pqxx::subtransaction guard(tx, "add_project");
        auto done = guard.exec_prepared(insert_project.name, id.value, project.key, project.name, project.cost_minor);
        guard.commit();
        if (done.affected_rows() == 0) {
            throw problem(problems::project_key_taken, "The round already has a project " + project.key);
        }
    } catch (const pqxx::check_violation&) {
        throw field_problem("key", "key must be 1 to 64 letters, digits or ._/:- and name 1 to 300 characters");
    }
    audit::write(tx, {by.actor, "round.add_project", "round:" + id.str(), by.request_id,
                      boost::json::serialize(
                          boost::json::object{{"project", project.key}, {"cost_minor", project.cost_minor}})});
}

round_project add_platform_project(pqxx::work& tx, round_id id, std::int64_t project_id,
                                   std::optional<std::int64_t> cost_minor, const users::principal& staff,
                                   const std::string& request_id) {
    require_state(locked_state(tx, id), "draft", "add a project");
    if (find_round(tx, id).projects >= static_cast<std::int64_t>(projects_per_round_max)) {
        throw limit_problem("projects", "A round has at most " + std::to_string(projects_per_round_max) + " projects");
    }
    auto project = projects::find(tx, projects::project_id{project_id}, staff);
    // The fund gives (donation) or lends (loan, as a lender of record); it
    // takes no rewards. A loan is approved only through its credit review
    // (risk/), and only an approved project enters a vote.
    if (project.f.kind != "donation" && project.f.kind != "loan") {
        throw problem(problems::project_kind,
                      "The community fund finances donations and loans, not " + project.f.kind + " campaigns")
            .with("kind", project.f.kind);
    }
    auto round = find_round(tx, id);
    if (project.f.currency_code != round.spec.currency_code) {
        throw field_problem("project_id", "The project raises " + project.f.currency_code + ", the round allocates " +
                                              round.spec.currency_code);
    }
    std::int64_t cost = cost_minor.value_or(project.f.goal_minor);
    if (cost <= 0 || cost > project.f.goal_minor) {
        throw field_problem("cost_minor", "cost_minor must be positive and at most the project's goal");
    }
    // The lifecycle checks role and state (approved) under the project's lock.
    projects::transition(tx, project.id, "enter_vote", "", {staff, request_id});
    round_project out{"project-" + project.id.str(), project.f.title.substr(0, 300), cost};
    if (tx.exec_prepared(insert_platform_project.name, id.value, out.key, out.name, out.cost_minor, project_id)
            .affected_rows() == 0) {
        throw problem(problems::project_key_taken, "The round already has project " + project.id.str());
    }
    audit::write(tx, {staff.id, "round.add_project", "round:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"project", out.key}, {"cost_minor", cost}})});
    return out;
}

allocation allocate(pqxx::work& tx, round_id id, const std::vector<std::int64_t>& reject, const std::string& reason,
                    const users::principal& staff, const std::string& request_id) {
    require_state(locked_state(tx, id), "tallied", "allocate");
    auto round = find_round(tx, id);
    auto result = result_of(tx, id);
    std::set<std::string> selected;
    for (const auto& s : result.at("selected").as_array()) selected.insert(std::string(s.at("project").as_string()));
    std::set<std::int64_t> to_reject(reject.begin(), reject.end());
    if (!to_reject.empty() && reason.empty()) throw field_problem("reason", "A rejection needs a reason");

    const std::string& cur = round.spec.currency_code;
    audit::origin origin{staff.id, request_id};
    auto fund = accounts::open(tx, {accounts::role::community_fund, 0, cur}, origin);
    allocation out;
    std::vector<ledger::entry_request> bookings;
    std::int64_t needed = 0;
    std::set<std::int64_t> in_round;
    projects::actor by{staff, request_id};
    for (const auto& row : tx.exec_prepared(select_platform_projects.name, id.value)) {
        std::string key = row[0].as<std::string>();
        std::int64_t project = row[1].as<std::int64_t>();
        std::int64_t cost = row[2].as<std::int64_t>();
        in_round.insert(project);
        if (selected.contains(key)) {
            if (to_reject.contains(project)) {
                throw field_problem("reject", "Project " + std::to_string(project) + " was selected by the vote");
            }
            projects::transition(tx, projects::project_id{project}, "select", "", by);
            accounts::movement m{fund, accounts::open(tx, {accounts::role::escrow, project, cur}, origin), cost};
            bookings.push_back(accounts::transfer("round:" + id.str() + ":allocate:" + std::to_string(project),
                                                  std::span(&m, 1), cur, "Community fund allocation, round " + id.str(),
                                                  origin));
            projects::add_funding(tx, projects::project_id{project}, cost, 0);
            out.funded.emplace_back(project, cost);
            needed += cost;
        } else if (to_reject.contains(project)) {
            projects::transition(tx, projects::project_id{project}, "reject", reason, by);
            out.rejected.push_back(project);
        } else {
            projects::transition(tx, projects::project_id{project}, "return_from_vote", "", by);
            out.returned.push_back(project);
        }
    }
    for (auto project : to_reject) {
        if (!in_round.contains(project)) {
            throw field_problem("reject", "Project " + std::to_string(project) + " is not in this round");
        }
    }
    if (!bookings.empty()) {
        try {
            accounts::book_all(tx, bookings);
        } catch (const problem& p) {
            if (!p.is(ledger::problems::balance_limit)) throw;
            auto b = accounts::balance(tx, fund);
            throw problem(pledges::problems::insufficient_funds,
                          "The community fund holds " +
                              std::to_string(b.credits_posted - b.debits_posted - b.debits_pending) +
                              " minor units; the selected projects need " + std::to_string(needed))
                .with("needed_minor", needed);
        }
    }
    tx.exec_prepared(set_state.name, id.value, std::string("allocated"));
    audit::write(tx,
                 {staff.id, "round.allocate", "round:" + id.str(), request_id,
                  boost::json::serialize(boost::json::object{
                      {"funded", out.funded.size()}, {"allocated_minor", needed}, {"rejected", out.rejected.size()}})});
    return out;
}

std::vector<round_project> projects_of(pqxx::transaction_base& tx, round_id id) {
    std::vector<round_project> out;
    for (const auto& row : tx.exec_prepared(select_projects.name, id.value)) {
        out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>()});
    }
    return out;
}

round_info open_round(pqxx::work& tx, round_id id, const actor& by) {
    const round_info draft = find_round(tx, id);
    if (draft.projects == 0) {
        throw problem(problems::round_state, "Add projects before opening the round").with("state", "draft");
    }
    // The rule is frozen from here: every project its options name must be in the round.
    spec_of(rule_of(draft.spec), index_of(projects_of(tx, id)));
    auto opened = transition(tx, id, "draft", "open", "open", by);
    events::publish_round(tx, events::kinds::round_opened, id.value,
                          {{"round_id", id.str()}, {"closes_at", opened.spec.closes_at}}, std::nullopt, by);
    return opened;
}

round_info configure_round(pqxx::work& tx, round_id id, const round_rule& rule, const actor& by) {
    require_state(locked_state(tx, id), "draft", "change the rule");
    check_rule(rule);
    check_rule_takes(rule, find_round(tx, id).spec.ballot);
    tx.exec_prepared(update_rule.name, id.value, rule.name, rule.utility, boost::json::serialize(rule.options));
    audit::write(tx, {by.actor, "round.configure", "round:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{
                          {"rule", rule.name}, {"utility", rule.utility}, {"options", rule.options}})});
    return find_round(tx, id);
}

boost::json::object what_if(pqxx::transaction_base& tx, round_id id, const round_rule& rule) {
    round_info r = find_round(tx, id);
    if (r.state == "draft" || r.state == "open") {
        throw problem(problems::round_state, "A what-if tally counts the ballots of a round that has closed")
            .with("state", r.state);
    }
    check_rule_takes(rule, r.spec.ballot);
    auto projects = projects_of(tx, id);
    auto result =
        result_json(r, rule, projects, tally(election_of(tx, r, projects), spec_of(rule, index_of(projects))));
    result["what_if"] = true;
    return result;
}

round_info close_round(pqxx::work& tx, round_id id, const ballot_key& key, const actor& by) {
    return transition(tx, id, "open", "closed", "close", by, [&] {
        open_envelopes(tx, id, key);
        // A batch still pending is not counted; its envelopes go unopened.
        tx.exec_prepared(empty_round_paper.name, id.value);
    });
}

receipt cast_ballot(pqxx::work& tx, round_id id, const users::principal& voter, std::vector<choice> choices,
                    const ballot_key& key, const std::string& request_id) {
    tx.exec_prepared(share_round_lock.name, id.value);
    round_info r = load_round(tx, id, false);
    if (voter.role_ != users::role::customer) throw problem(problems::not_eligible, "Only customers vote");
    if (r.spec.eligibility == "members" && !tx.exec_prepared(select_member.name, voter.id.value)[0][0].as<bool>()) {
        throw problem(problems::not_eligible, "This round is for members of the cooperative");
    }
    if (r.state != "open" || !r.in_window) {
        throw problem(problems::voting_closed,
                      "The round takes ballots while open, from " + r.spec.opens_at + " to " + r.spec.closes_at)
            .with("state", r.state);
    }
    std::map<std::string, std::int64_t> costs;
    for (const auto& p : open_round_projects(tx, id)) costs.emplace(p.key, p.cost_minor);
    check_ballot(r, costs, choices);
    std::string ballot = choices_json(choices);
    receipt out{"", crypto::random_token(24), false};
    out.hash = receipt_of(id, ballot, out.secret);
    // Neither the ballot nor its receipt is written in the clear: the roll
    // row, its envelope and the audit record share this transaction's id.
    tx.exec_prepared(drop_unsealed.name, id.value, voter.id.value);
    auto cast = tx.exec_prepared(upsert_roll.name, id.value, voter.id.value,
                                 seal_envelope(key, id, voter.id, ballot, out.secret));
    // No row: the voter's ballot is on paper, and stays (the transaction rolls back).
    if (cast.empty()) {
        throw problem(problems::voted_on_paper, "Your ballot in this round was entered on paper; it cannot be "
                                                "replaced online");
    }
    out.replaced = cast[0][0].as<bool>();
    // The audit record says that a ballot was cast, never what it says.
    audit::write(tx, {voter.id, out.replaced ? "ballot.replace" : "ballot.cast", "round:" + id.str(), request_id});
    return out;
}

namespace {

paper_batch batch_from(const pqxx::row& r) {
    paper_batch b;
    b.id = r[0].as<std::int64_t>();
    b.round = round_id{r[1].as<std::int64_t>()};
    b.state = r[2].as<std::string>();
    b.ballots = r[3].as<std::int64_t>();
    b.entered_by = user_id{r[4].as<std::int64_t>()};
    b.entered_at = r[5].as<std::string>();
    if (!r[6].is_null()) b.decided_by = user_id{r[6].as<std::int64_t>()};
    b.decided_at = db::nullable<std::string>(r[7]);
    b.reason = db::nullable<std::string>(r[8]);
    return b;
}

// Paper is handled while the round is open, under the casting lock, so a
// close waits for it as for online ballots.
round_info paper_round(pqxx::work& tx, round_id id, const users::principal& staff, const std::string& action) {
    if (staff.role_ != users::role::staff) throw problem(schwarm::problems::forbidden, "Staff handle paper ballots");
    tx.exec_prepared(share_round_lock.name, id.value);
    round_info r = load_round(tx, id, false);
    if (r.state != "open") {
        throw problem(problems::round_state, "Cannot " + action + ": the round is " + r.state + ", not open")
            .with("state", r.state);
    }
    return r;
}

std::string id_list(const std::vector<std::int64_t>& ids) {
    std::string out;
    for (auto v : ids) out += (out.empty() ? "" : ",") + std::to_string(v);
    return out;
}

// The batch, locked, pending, and not decided by whoever entered it.
paper_batch pending_batch(pqxx::work& tx, round_id id, std::int64_t batch, const users::principal& staff) {
    auto rows = tx.exec_prepared(lock_batch.name, batch, id.value);
    if (rows.empty())
        throw problem(schwarm::problems::not_found,
                      "Round " + id.str() + " has no paper batch " + std::to_string(batch));
    paper_batch b = batch_from(rows[0]);
    if (b.state != "pending") {
        throw problem(problems::paper_batch_state, "Batch " + std::to_string(batch) + " is " + b.state)
            .with("state", b.state);
    }
    if (b.entered_by == staff.id) {
        throw problem(problems::paper_four_eyes,
                      "You entered batch " + std::to_string(batch) + "; another staff member confirms or rejects it");
    }
    return b;
}

paper_batch reread_batch(pqxx::work& tx, std::int64_t batch) {
    return batch_from(tx.exec_prepared(select_batch.name, batch)[0]);
}

} // namespace

paper_batch enter_paper_batch(pqxx::work& tx, round_id id, std::vector<paper_ballot> ballots, const ballot_key& key,
                              const users::principal& staff, const std::string& request_id) {
    round_info r = paper_round(tx, id, staff, "enter paper ballots");
    if (ballots.empty() || ballots.size() > paper_ballots_per_batch_max) {
        throw field_problem("ballots",
                            "A batch holds 1 to " + std::to_string(paper_ballots_per_batch_max) + " ballots");
    }
    std::map<std::string, std::int64_t> costs;
    for (const auto& p : open_round_projects(tx, id)) costs.emplace(p.key, p.cost_minor);
    std::set<std::int64_t> seen;
    std::vector<std::int64_t> voters;
    std::vector<std::string> envelopes;
    for (std::size_t i = 0; i < ballots.size(); ++i) {
        auto& b = ballots[i];
        const std::string field = "ballots[" + std::to_string(i) + "].voter_id";
        if (!seen.insert(b.voter.value).second) throw field_problem(field, "The voter appears twice in the batch");
        auto voter = tx.exec_prepared(select_voter.name, b.voter.value);
        if (voter.empty() || voter[0][0].as<std::string>() != "customer") {
            throw field_problem(field, "There is no customer " + b.voter.str());
        }
        if (r.spec.eligibility == "members" && !voter[0][1].as<bool>()) {
            throw problem(problems::not_eligible, "Customer " + b.voter.str() + " is not a member of the cooperative")
                .with("ballot", static_cast<std::int64_t>(i));
        }
        try {
            check_ballot(r, costs, b.choices);
        } catch (problem& p) {
            throw p.with("ballot", static_cast<std::int64_t>(i));
        }
        const std::string ballot = choices_json(b.choices);
        voters.push_back(b.voter.value);
        // The same envelope as an online cast: the roll takes it as it is.
        envelopes.push_back(seal_envelope(key, id, b.voter, ballot, crypto::random_token(24)));
    }
    // Refused early, and again at the confirmation, which decides.
    if (auto on_roll = tx.exec_prepared(voters_on_roll.name, id.value, db::array_literal(voters)); !on_roll.empty()) {
        std::vector<std::int64_t> taken;
        for (const auto& row : on_roll) taken.push_back(row[0].as<std::int64_t>());
        throw problem(problems::already_voted, "These voters have a ballot in this round: " + id_list(taken))
            .with("voters", id_list(taken));
    }
    const std::int64_t batch =
        tx.exec_prepared(insert_batch.name, id.value, static_cast<std::int64_t>(ballots.size()), staff.id.value)[0][0]
            .as<std::int64_t>();
    tx.exec_prepared(insert_paper.name, batch, id.value, db::array_literal(voters), db::array_literal(envelopes));
    // Who entered how many, never what the ballots say.
    audit::write(tx, {staff.id, "paper.enter", "round:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{
                          {"batch", batch}, {"ballots", static_cast<std::int64_t>(ballots.size())}})});
    return reread_batch(tx, batch);
}

paper_batch confirm_paper_batch(pqxx::work& tx, round_id id, std::int64_t batch, const users::principal& staff,
                                const std::string& request_id) {
    paper_round(tx, id, staff, "confirm a paper batch");
    paper_batch b = pending_batch(tx, id, batch, staff);
    auto refuse = [&](pqxx::result rows) {
        std::vector<std::int64_t> taken;
        for (const auto& row : rows) taken.push_back(row[0].as<std::int64_t>());
        return problem(problems::already_voted, "These voters have a ballot in this round already: " + id_list(taken) +
                                                    "; reject the batch and enter it again without them")
            .with("voters", id_list(taken));
    };
    if (auto taken = tx.exec_prepared(paper_conflicts.name, batch); !taken.empty()) throw refuse(taken);
    // The roll's key decides a race with an online cast of the same voter:
    // a row that landed since the check above keeps its place, and this
    // confirmation fails whole.
    auto rolled = tx.exec_prepared(roll_paper.name, batch);
    if (static_cast<std::int64_t>(rolled.affected_rows()) != b.ballots) {
        throw problem(problems::already_voted, "A voter in the batch voted online meanwhile; nothing was confirmed");
    }
    tx.exec_prepared(empty_paper.name, batch);
    tx.exec_prepared(decide_batch.name, batch, std::string("confirmed"), staff.id.value, std::optional<std::string>{});
    audit::write(tx, {staff.id, "paper.confirm", "round:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"batch", batch}, {"ballots", b.ballots}})});
    return reread_batch(tx, batch);
}

paper_batch reject_paper_batch(pqxx::work& tx, round_id id, std::int64_t batch, const std::string& reason,
                               const users::principal& staff, const std::string& request_id) {
    if (reason.empty()) throw field_problem("reason", "A rejection needs a reason");
    paper_round(tx, id, staff, "reject a paper batch");
    pending_batch(tx, id, batch, staff);
    tx.exec_prepared(empty_paper.name, batch);
    tx.exec_prepared(decide_batch.name, batch, std::string("rejected"), staff.id.value, reason);
    audit::write(tx, {staff.id, "paper.reject", "round:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"batch", batch}})});
    return reread_batch(tx, batch);
}

std::vector<paper_batch> paper_batches_of(pqxx::transaction_base& tx, round_id id) {
    find_round(tx, id);
    std::vector<paper_batch> out;
    for (const auto& row : tx.exec_prepared(select_batches.name, id.value)) out.push_back(batch_from(row));
    return out;
}

boost::json::object tally_round(pqxx::work& tx, round_id id, const actor& by) {
    require_state(locked_state(tx, id), "closed", "tally");
    round_info r = find_round(tx, id);
    auto projects = projects_of(tx, id);
    const round_rule rule = rule_of(r.spec);
    auto result =
        result_json(r, rule, projects, tally(election_of(tx, r, projects), spec_of(rule, index_of(projects))));
    tx.exec_prepared(store_result.name, id.value, boost::json::serialize(result));
    std::vector<std::string> selected;
    for (const auto& s : result.at("selected").as_array()) selected.emplace_back(s.at("project").as_string());
    events::publish_round(tx, events::kinds::round_tallied, id.value, {{"round_id", id.str()}}, selected, by);
    audit::write(tx,
                 {by.actor, "round.tally", "round:" + id.str(), by.request_id,
                  boost::json::serialize(boost::json::object{{"selected", result.at("selected").as_array().size()}})});
    return result;
}

boost::json::object result_of(pqxx::transaction_base& tx, round_id id) {
    auto rows = tx.exec_prepared(select_result.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no round " + id.str());
    if (rows[0][1].is_null()) {
        throw problem(problems::round_state,
                      "The round is " + rows[0][0].as<std::string>() + "; results come after the tally")
            .with("state", rows[0][0].as<std::string>());
    }
    return boost::json::parse(rows[0][1].as<std::string>()).as_object();
}

std::vector<published_ballot> published_ballots(pqxx::transaction_base& tx, round_id id, const std::string& cursor,
                                                int limit) {
    round_info r = find_round(tx, id);
    if (r.state == "draft" || r.state == "open") {
        throw problem(problems::round_state, "Ballots are published when the round has closed").with("state", r.state);
    }
    std::vector<published_ballot> out;
    for (const auto& row : tx.exec_prepared(select_published.name, id.value, cursor, limit)) {
        out.push_back(
            {row[0].as<std::string>(), db::nullable<std::string>(row[1]), choices_from(row[2].as<std::string>())});
    }
    return out;
}

std::string export_pabulib(pqxx::transaction_base& tx, round_id id) {
    round_info r = find_round(tx, id);
    if (r.state == "draft" || r.state == "open") {
        throw problem(problems::round_state, "A round is exported when it has closed").with("state", r.state);
    }
    const bool ranked = r.spec.ballot == "ranked";
    election e;
    e.meta_ = {{"description", r.spec.title}, {"country", "-"},      {"unit", "schwarm"},
               {"instance", r.id.str()},      {"rule", r.spec.rule}, {"currency", r.spec.currency_code}};
    // The round's rule written back: what `schwarm tally` reads from META
    // (the threshold, the ranks), and all of it for an import to keep.
    if (const auto* min_score = r.spec.options.if_contains("min_score"); min_score && min_score->is_int64()) {
        e.meta_.emplace_back("min_project_score_threshold", std::to_string(min_score->as_int64()));
    }
    if (ranked) e.meta_.emplace_back("max_length", std::to_string(*r.spec.max_ranks));
    e.meta_.emplace_back(meta_utility, r.spec.utility);
    e.meta_.emplace_back(meta_options, boost::json::serialize(r.spec.options));
    e.budget_minor_ = r.spec.budget_minor;
    e.vote_type_ = r.spec.ballot == "approval" ? vote_type::approval
                   : ranked                    ? vote_type::ordinal
                                               : vote_type::cumulative;
    e.project_columns_ = {"project_id", "cost", "name"};
    std::map<std::string, std::uint32_t> index;
    for (const auto& p : projects_of(tx, id)) {
        index.emplace(p.key, static_cast<std::uint32_t>(e.projects_.size()));
        e.projects_.push_back({p.key, p.cost_minor, p.name, {}});
    }
    e.vote_columns_ = r.spec.ballot == "cumulative" ? std::vector<std::string>{"voter_id", "vote", "points"}
                                                    : std::vector<std::string>{"voter_id", "vote"};
    // Voters are numbered in receipt order: anonymous, and stable.
    std::size_t n = 0;
    for (const auto& row : tx.exec_prepared(select_ballots.name, id.value)) {
        pb_vote v;
        v.voter_id_ = std::to_string(++n);
        auto choices = choices_from(row[0].as<std::string>());
        // A ranked ballot is written best first; its points are its positions.
        if (ranked) {
            std::sort(choices.begin(), choices.end(),
                      [](const choice& x, const choice& y) { return x.points > y.points; });
        }
        for (const auto& c : choices) {
            v.projects_.push_back(index.at(c.project));
            if (r.spec.ballot == "cumulative") v.points_.push_back(c.points);
        }
        e.votes_.push_back(std::move(v));
    }
    return write_pabulib(e);
}

namespace {

// The rule an imported round keeps: a file a round exported names it with its
// options; any other file's META is read as `schwarm tally` reads it, and what
// it said becomes the round's options (the file's order settles what it leaves
// tied, as the count of the file does).
round_rule rule_from_file(const election& e) {
    const auto utility_text = meta_value(e, meta_utility);
    const auto options_text = meta_value(e, meta_options);
    if (meta_value(e, "unit") == "schwarm" && utility_text && options_text) {
        boost::json::error_code ec;
        auto parsed = boost::json::parse(*options_text, ec);
        if (ec || !parsed.is_object()) throw field_problem(meta_options, "META schwarm_options is not a JSON object");
        return {meta_value(e, "rule").value_or(""), *utility_text, parsed.as_object()};
    }
    counted_rule counted;
    try {
        counted = rule_of_file(e);
    } catch (const std::invalid_argument& bad) {
        throw field_problem("rule", std::string(bad.what()) + "; give rule in the query to count it otherwise");
    }
    auto ids = [&](const std::vector<std::uint32_t>& indices) {
        boost::json::array out;
        for (auto c : indices) out.push_back(boost::json::value(e.projects_[c].id_));
        return out;
    };
    const auto& eligibility = counted.spec_.eligibility_;
    boost::json::object o;
    if (eligibility.min_points_ > 0) o["min_score"] = eligibility.min_points_;
    if (!eligibility.withdrawn_.empty()) o["exclude"] = ids(eligibility.withdrawn_);
    if (!eligibility.exclusive_groups_.empty()) {
        boost::json::array groups;
        for (const auto& g : eligibility.exclusive_groups_) groups.push_back(ids(g));
        o["exclusive"] = std::move(groups);
    }
    std::vector<std::uint32_t> file_order(e.projects_.size());
    for (std::uint32_t c = 0; c < file_order.size(); ++c) file_order[c] = c;
    o["tie_order"] = ids(file_order);
    // pabulib's greedy breaks ties by the file's order alone; the round's
    // greedy would look at votes and cost first.
    if (counted.name_ == "greedy") o["tie_break"] = boost::json::array{"order"};
    const std::string file_utility =
        counted.spec_.method_ == method::mes && counted.spec_.utility_ == utility::approval ? "approval" : "cost";
    return {counted.name_, file_utility, std::move(o)};
}

} // namespace

round_info import_pabulib(pqxx::work& tx, std::string_view text, const std::optional<std::string>& rule,
                          const std::optional<std::string>& utility, const std::string& currency_code,
                          const actor& by) {
    election e = parse_pabulib(text);
    if (e.vote_type_ != vote_type::approval && e.vote_type_ != vote_type::cumulative &&
        e.vote_type_ != vote_type::ordinal) {
        throw field_problem("vote_type",
                            std::string("Rounds hold approval, cumulative or ordinal ballots; the file has ") +
                                to_string(e.vote_type_));
    }
    std::string title = "Imported election";
    for (const auto& [key, value] : e.meta_) {
        if (key == "description" && !value.empty()) title = value.substr(0, 200);
    }
    // A rule in the query replaces the file's rule and what its META says.
    round_rule kept = rule ? round_rule{*rule, utility.value_or("cost"), {}} : rule_from_file(e);
    if (rule || utility) kept.utility = utility.value_or(kept.utility);
    round_spec spec{title,
                    e.budget_minor_,
                    currency_code,
                    "1970-01-01T00:00:00Z",
                    "1970-01-02T00:00:00Z",
                    "customers",
                    e.vote_type_ == vote_type::approval  ? "approval"
                    : e.vote_type_ == vote_type::ordinal ? "ranked"
                                                         : "cumulative",
                    kept.name,
                    kept.utility,
                    0};
    spec.options = kept.options;
    const election_input input = to_election_input(e);
    if (spec.ballot == "cumulative") {
        std::int64_t most = 1;
        for (const auto& v : e.votes_) {
            std::int64_t sum = 0;
            for (auto p : v.points_) sum += p;
            most = std::max(most, sum);
        }
        spec.points = static_cast<int>(std::min<std::int64_t>(most, 1'000'000));
    }
    if (spec.ballot == "ranked") {
        // The length by which the file's ballots score (META max_length, or the longest ballot).
        std::int64_t ranks = 1;
        for (const auto& b : input.ballots_) {
            for (const auto& entry : b.entries_) ranks = std::max(ranks, entry.points_);
        }
        for (const auto& v : e.votes_) ranks = std::max(ranks, static_cast<std::int64_t>(v.projects_.size()));
        if (ranks > static_cast<std::int64_t>(ranks_per_ballot_max)) {
            throw field_problem("max_length", "A ranked round ranks at most " + std::to_string(ranks_per_ballot_max));
        }
        spec.max_ranks = static_cast<int>(std::max<std::int64_t>(ranks, 1));
    }
    round_id id = insert(tx, spec, by, "closed", true);
    for (const auto& p : e.projects_) {
        tx.exec_prepared(insert_project.name, id.value, p.id_, p.name_.empty() ? p.id_ : p.name_.substr(0, 300),
                         p.cost_minor_);
    }
    // Every project the options name is in the round (as at an open).
    spec_of(kept, index_of(projects_of(tx, id)));
    std::vector<std::string> receipts, secrets, ballots;
    for (const auto& b : input.ballots_) {
        std::vector<choice> choices;
        for (const auto& entry : b.entries_) choices.push_back({e.projects_[entry.project_].id_, entry.points_});
        std::sort(choices.begin(), choices.end(),
                  [](const choice& x, const choice& y) { return x.project < y.project; });
        ballots.push_back(choices_json(choices));
        // No voter holds the secret of an imported ballot: it is published
        // with it, as every opening is after a close.
        secrets.push_back(crypto::random_token(24));
        receipts.push_back(receipt_of(id, ballots.back(), secrets.back()));
    }
    if (!receipts.empty()) {
        tx.exec_prepared(insert_box.name, id.value, db::array_literal(receipts), db::array_literal(secrets),
                         db::array_literal(ballots));
    }
    return find_round(tx, id);
}

} // namespace schwarm::voting
