#include "platform/pledges.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"
#include "platform/accounts.hpp"
#include "platform/events.hpp"
#include "platform/projects.hpp"
#include "platform/risk_port.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <limits>
#include <map>
#include <set>

namespace schwarm::pledges {

namespace {

#define PLEDGE_COLUMNS                                                                                                 \
    "id, project_id, backer_id, amount_minor, currency, state::text, risk_acknowledged, " SCHWARM_SQL_UTC_SECONDS(     \
        "revocable_until") ", " SCHWARM_SQL_UTC_SECONDS("created_at") ", hold_entry_id, "                              \
                                                                      "idempotency_key"

const db::query select_by_keys{
    "pledges.select_by_keys", "SELECT " PLEDGE_COLUMNS " FROM pledges "
                              "WHERE (backer_id, idempotency_key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))"};
const db::query select_pledge{"pledges.select", "SELECT " PLEDGE_COLUMNS " FROM pledges WHERE id = $1"};
const db::query select_by_hold{"pledges.select_by_hold",
                               "SELECT " PLEDGE_COLUMNS " FROM pledges WHERE hold_entry_id = ANY($1::bigint[])"};
const db::query select_mine{"pledges.select_mine",
                            "SELECT " PLEDGE_COLUMNS
                            " FROM pledges WHERE backer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
// Who and where, without a lock: a pledge never changes either. Its row is
// locked only after its project's (select_revocable), in the order
// settlement takes them, or the two would deadlock.
const db::query select_owner{"pledges.owner", "SELECT backer_id, project_id FROM pledges WHERE id = $1"};
const db::query select_revocable{
    "pledges.revocable",
    "SELECT state::text, revocable_until IS NOT NULL AND revocable_until > schwarm_clock(), " SCHWARM_SQL_UTC_SECONDS(
        "revocable_until") ", amount_minor, currency, hold_entry_id "
                           "FROM pledges WHERE id = $1 FOR UPDATE"};
// Backers who already hold or had posted a pledge to the project: they are
// counted once.
// (A probe per backer: LIMIT in the lateral keeps the generic plan from
// hashing every pledge of a hot project instead.)
const db::query select_active_backers{
    "pledges.active_backers",
    "SELECT b FROM unnest($2::bigint[]) AS b, LATERAL (SELECT 1 FROM pledges WHERE project_id = $1 "
    "AND backer_id = b AND state IN ('held', 'posted') LIMIT 1) AS found"};
const db::query count_other_active{"pledges.count_other_active",
                                   "SELECT count(*) FROM pledges WHERE project_id = $1 AND backer_id = $2 AND id <> $3 "
                                   "AND state IN ('held', 'posted')"};
const db::query insert_pledges{
    "pledges.insert",
    "INSERT INTO pledges (project_id, backer_id, amount_minor, currency, hold_entry_id, risk_acknowledged, "
    "revocable_until, idempotency_key) "
    "SELECT project_id, backer_id, amount, currency, hold, ack, "
    "CASE WHEN revocable THEN schwarm_local_add(schwarm_now(), make_interval(days => $9)) END, key "
    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::boolean[], $7::boolean[], "
    "$8::text[]) AS t(project_id, backer_id, amount, currency, hold, ack, revocable, key) RETURNING " PLEDGE_COLUMNS};
const db::query resolve_pledges{
    "pledges.resolve",
    "UPDATE pledges SET state = $3::pledge_state, resolve_entry_id = d.entry, resolved_at = schwarm_now() "
    "FROM unnest($1::bigint[], $2::bigint[]) AS d(id, entry) WHERE pledges.id = d.id AND state = 'held'"};
const db::query lock_held_rows{
    "pledges.lock_held",
    "SELECT id, backer_id, amount_minor, hold_entry_id FROM pledges WHERE project_id = $1 AND state = 'held' "
    "ORDER BY id LIMIT $2 FOR UPDATE"};
const db::query refund_posted{"pledges.refund",
                              "UPDATE pledges SET state = 'refunded' WHERE project_id = $1 AND state = 'posted'"};
const db::query select_posted_by_backer{
    "pledges.posted_by_backer",
    "SELECT backer_id, sum(amount_minor)::bigint FROM pledges WHERE project_id = $1 AND state = 'posted' "
    "GROUP BY backer_id ORDER BY backer_id"};
#undef PLEDGE_COLUMNS

const db::query select_has_backed{"pledges.has_backed",
                                  "SELECT EXISTS (SELECT 1 FROM pledges WHERE project_id = $2 AND backer_id = $1)"};
const db::query select_pledged_by{"pledges.pledged_by",
                                  "SELECT coalesce(sum(amount_minor), 0)::bigint FROM pledges "
                                  "WHERE project_id = $2 AND backer_id = $1 AND state IN ('held', 'posted')"};
const db::query select_raised_by_owner{
    "pledges.raised_by_owner",
    "SELECT coalesce(sum(g.amount_minor), 0)::bigint FROM projects p JOIN pledges g ON g.project_id = p.id "
    "WHERE p.owner_id = $1 AND g.state IN ('held', 'posted') AND g.created_at > schwarm_local_add(schwarm_now(), "
    "interval '-12 months')"};
const db::query select_has_pledged_to_loan{
    "pledges.has_pledged_to_loan", "SELECT EXISTS (SELECT 1 FROM pledges g JOIN projects p ON p.id = g.project_id "
                                   "WHERE g.backer_id = $1 AND p.kind = 'loan' AND g.state IN ('held', 'posted'))"};

struct stored {
    pledge p;
    std::string key;
};

stored read(const pqxx::row& r) {
    pledge p;
    p.id = pledge_id{r[0].as<std::int64_t>()};
    p.project_id = r[1].as<std::int64_t>();
    p.backer = user_id{r[2].as<std::int64_t>()};
    p.amount_minor = r[3].as<std::int64_t>();
    p.currency_code = r[4].as<std::string>();
    p.state = r[5].as<std::string>();
    p.risk_acknowledged = r[6].as<bool>();
    p.revocable_until = db::nullable<std::string>(r[7]);
    p.created_at = r[8].as<std::string>();
    p.hold = ledger::entry_id{r[9].as<std::int64_t>()};
    return {p, r[10].as<std::string>()};
}

// The ledger's key for a pledge's hold: unique per backer and client key,
// and short whatever the client sent.
std::string hold_key(user_id backer, const std::string& client_key) {
    return "pledge:" + backer.str() + ":" + crypto::sha256_hex(client_key);
}

bool same_request(const pledge& p, const request& r) {
    return p.project_id == r.project_id && p.amount_minor == r.amount_minor && p.currency_code == r.currency_code &&
           p.risk_acknowledged == r.risk_acknowledged;
}

// The ledger's refusal of a hold, as the customer should read it.
problem customer_problem(problem p, const request& r) {
    if (p.is(ledger::problems::balance_limit) || p.is(ledger::problems::account_unknown)) {
        return problem(problems::insufficient_funds, "Your wallet's available balance does not cover " +
                                                         std::to_string(r.amount_minor) + " minor units of " +
                                                         r.currency_code)
            .with("amount_minor", r.amount_minor);
    }
    return p;
}

pledge load(pqxx::transaction_base& tx, pledge_id id) {
    auto rows = tx.exec_prepared(select_pledge.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such pledge");
    return read(rows[0]).p;
}

} // namespace

namespace {

// A pledge batch as it goes through its phases: one slot per request, filled
// by the first phase that answers it.
struct batch {
    std::span<const request> requests;
    std::vector<std::optional<result>> out;
    std::vector<std::optional<ledger::account_id>> wallets; // the backers', where they exist
    std::map<user_id, bool> revocable;                      // who may revoke (risk)
    std::map<std::int64_t, projects::funding> projects;     // locked, by id
    std::vector<std::size_t> counted;                       // passed the project's rules: counted toward the goal
    std::vector<std::size_t> candidates;                    // passed every rule so far
    std::vector<ledger::entry_id> holds;                    // per candidate, once booked

    explicit batch(std::span<const request> r) : requests(r), out(r.size()) {}
    bool open(std::size_t i) const { return !out[i]; }
    std::vector<result> results() {
        std::vector<result> all;
        all.reserve(out.size());
        for (auto& r : out) all.push_back(std::move(*r));
        return all;
    }
};

// Retries: a pledge stored under the same backer and key answers as itself
// (replayed), or is a conflict when the content differs. No lock needed.
void answer_retries(pqxx::work& tx, batch& b) {
    std::vector<std::int64_t> backers;
    std::vector<std::string> keys;
    for (const auto& r : b.requests) {
        backers.push_back(r.backer.value);
        keys.push_back(r.idempotency_key);
    }
    std::map<std::pair<std::int64_t, std::string>, pledge> earlier;
    for (const auto& row : tx.exec_prepared(select_by_keys.name, db::array_literal(backers), db::array_literal(keys))) {
        auto s = read(row);
        earlier.emplace(std::pair{s.p.backer.value, s.key}, s.p);
    }
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        auto it = earlier.find({b.requests[i].backer.value, b.requests[i].idempotency_key});
        if (it == earlier.end()) continue;
        if (!same_request(it->second, b.requests[i])) {
            b.out[i] =
                problem(schwarm::problems::idempotency_conflict, "This Idempotency-Key was used for another pledge");
            continue;
        }
        pledge again = it->second;
        again.replayed = true;
        b.out[i] = again;
    }
}

// The backers' wallets and who of them may revoke; then the projects, locked
// in id order, so that pledges to one project, its revocations and its
// settlement take turns. Everything unlocked comes first, to hold the hot
// project's row as briefly as can be.
void load_batch(pqxx::work& tx, batch& b) {
    std::vector<accounts::key> wallet_keys;
    std::vector<user_id> backers;
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        const auto& r = b.requests[i];
        wallet_keys.push_back({accounts::role::wallet, r.backer.value, r.currency_code});
        if (!b.open(i)) continue;
        if (b.revocable.emplace(r.backer, true).second) backers.push_back(r.backer);
        ids.push_back(r.project_id);
    }
    b.wallets = accounts::find(tx, wallet_keys);
    if (!backers.empty()) {
        auto answers = risk_port::current().may_revoke(tx, backers);
        for (std::size_t k = 0; k < backers.size(); ++k) b.revocable[backers[k]] = k < answers.size() && answers[k];
    }
    for (auto& f : projects::lock_funding(tx, ids)) b.projects.emplace(f.id.value, std::move(f));
}

} // namespace

std::optional<problem> refusal(const request& r, const projects::funding* f, bool has_wallet,
                               std::int64_t pledged_so_far_minor) {
    if (!f || f->state == "draft") return problem(schwarm::problems::not_found, "There is no such project");
    if (f->state != "funding" || !f->before_deadline) {
        return problem(problems::not_funding,
                       "The project is " + (f->state == "funding" ? std::string("past its deadline") : f->state))
            .with("state", f->state);
    }
    if (f->owner == r.backer) return problem(problems::own_project, "You may not back your own project");
    if (r.currency_code != f->currency_code) {
        return problem(problems::wrong_currency, "The project raises " + f->currency_code)
            .with("currency", f->currency_code);
    }
    if (r.amount_minor < f->min_pledge_minor) {
        return problem(problems::below_minimum,
                       "The minimum pledge is " + std::to_string(f->min_pledge_minor) + " minor units")
            .with("min_pledge_minor", f->min_pledge_minor);
    }
    if (!has_wallet) {
        return problem(problems::insufficient_funds,
                       "Your wallet holds no " + r.currency_code + " yet: deposit money before you pledge")
            .with("available_minor", 0);
    }
    if (!f->allow_overfunding && r.amount_minor > f->goal_minor - pledged_so_far_minor) {
        std::int64_t rest = std::max<std::int64_t>(0, f->goal_minor - pledged_so_far_minor);
        return problem(problems::above_goal,
                       (f->kind == "loan" ? "The loan needs at most " : "The campaign needs at most ") +
                           std::to_string(rest) + " more minor units")
            .with("remaining_minor", rest);
    }
    return std::nullopt;
}

namespace {

// Every rule of the project, for each open request in order (the goal cap
// counts the earlier candidates of the batch), then investor protection for
// the candidates (risk/).
void check(pqxx::work& tx, batch& b) {
    std::map<std::int64_t, std::int64_t> running; // pledged so far, per project, with this batch
    std::vector<risk_port::pledge_request> questions;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (!b.open(i)) continue;
        const auto& r = b.requests[i];
        auto it = b.projects.find(r.project_id);
        const projects::funding* f = it == b.projects.end() ? nullptr : &it->second;
        auto [so_far, fresh] = running.try_emplace(r.project_id, f ? f->pledged_minor : 0);
        if (auto refused = refusal(r, f, b.wallets[i].has_value(), so_far->second)) {
            b.out[i] = std::move(*refused);
            continue;
        }
        so_far->second += r.amount_minor;
        b.counted.push_back(i);
        b.candidates.push_back(i);
        questions.push_back(
            {r.backer, r.project_id, f->owner, f->kind, r.amount_minor, r.currency_code, r.risk_acknowledged});
    }
    auto answers = risk_port::current().pledges_allowed(tx, questions);
    std::vector<std::size_t> allowed;
    for (std::size_t c = 0; c < b.candidates.size(); ++c) {
        if (c < answers.size() && answers[c]) b.out[b.candidates[c]] = std::move(*answers[c]);
        else allowed.push_back(b.candidates[c]);
    }
    b.candidates = std::move(allowed);
}

// The wallets' balance rule, in batch order, before anything is booked: a
// candidate its wallet cannot cover (after the candidates before it) is
// refused as the ledger would refuse its hold.
void refuse_beyond_wallets(pqxx::work& tx, batch& b) {
    std::map<std::int64_t, std::int64_t> room; // by wallet account: what it may still hold
    std::vector<std::size_t> covered;
    for (auto i : b.candidates) {
        const auto& r = b.requests[i];
        auto [left, fresh] = room.try_emplace(b.wallets[i]->value, 0);
        if (fresh) {
            auto w = accounts::balance(tx, *b.wallets[i]);
            left->second = w.credits_posted - w.debits_posted - w.debits_pending;
        }
        if (r.amount_minor > left->second) {
            b.out[i] = customer_problem(problem(ledger::problems::balance_limit, "beyond the wallet"), r);
            continue;
        }
        left->second -= r.amount_minor;
        covered.push_back(i);
    }
    b.candidates = std::move(covered);
}

// Decides every open request: the project's rules, investor protection,
// the wallet. A request refused by risk or by its wallet was counted toward
// the goal (and the investor limits) of the requests after it; if any of
// those was refused, the batch is decided again with that refusal standing
// and nothing counted for it: a bad request fails only itself. Each round
// settles at least one more refusal, so there are at most as many rounds as
// requests.
void decide(pqxx::work& tx, batch& b) {
    for (;;) {
        batch round = b;
        check(tx, round);
        refuse_beyond_wallets(tx, round);
        std::set<std::size_t> kept(round.candidates.begin(), round.candidates.end()), late;
        for (auto i : round.counted) {
            if (!kept.contains(i)) late.insert(i);
        }
        bool refused_after = false; // a request after a late refusal, refused in this round
        for (std::size_t j = late.empty() ? round.out.size() : *late.begin() + 1; j < round.out.size(); ++j) {
            refused_after = refused_after || (round.out[j] && !b.out[j] && !late.contains(j));
        }
        if (!refused_after) {
            b = std::move(round);
            return;
        }
        for (auto i : late) b.out[i] = std::move(round.out[i]);
    }
}

// A hold the ledger refused though its wallet covered it when the batch was
// decided (another transaction took money out in between) counted for the
// requests after it; if one of those was refused, the batch fails whole, and
// the server serves its requests again one per transaction.
void refuse_unfair_batch(const batch& b, const std::vector<std::size_t>& decided) {
    std::set<std::size_t> booked(b.candidates.begin(), b.candidates.end()), candidates(decided.begin(), decided.end());
    for (auto i : decided) {
        bool refused = !booked.contains(i) && b.out[i] && std::holds_alternative<problem>(*b.out[i]);
        if (!refused) continue;
        for (std::size_t j = i + 1; j < b.out.size(); ++j) {
            if (!candidates.contains(j) && b.out[j] && std::holds_alternative<problem>(*b.out[j])) {
                throw std::runtime_error("pledge batch: a wallet changed while the batch was decided");
            }
        }
    }
}

// The holds, each booked on its own; a refusal (the wallet's balance rule)
// answers its request. A hold a concurrent retry booked first (replayed)
// answers as that pledge.
void book_holds(pqxx::work& tx, batch& b) {
    std::map<std::int64_t, ledger::account_id> escrows;
    std::vector<ledger::entry_request> holds;
    for (auto i : b.candidates) {
        const auto& r = b.requests[i];
        audit::origin by{r.backer, r.request_id};
        auto [escrow, fresh] = escrows.try_emplace(r.project_id);
        if (fresh) escrow->second = accounts::open(tx, {accounts::role::escrow, r.project_id, r.currency_code}, by);
        holds.push_back(accounts::hold(hold_key(r.backer, r.idempotency_key),
                                       {*b.wallets[i], escrow->second, r.amount_minor}, r.currency_code,
                                       "Pledge to project " + std::to_string(r.project_id), by));
    }
    auto outcomes = accounts::book(tx, holds, false);
    std::vector<std::size_t> booked;
    std::vector<ledger::entry_id> replayed;
    std::vector<std::size_t> replayed_index;
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
        std::size_t i = b.candidates[k];
        if (auto* p = std::get_if<problem>(&outcomes[k])) {
            b.out[i] = customer_problem(std::move(*p), b.requests[i]);
            continue;
        }
        const auto& done = std::get<ledger::entry>(outcomes[k]);
        if (done.replayed) {
            replayed.push_back(done.id);
            replayed_index.push_back(i);
            continue;
        }
        booked.push_back(i);
        b.holds.push_back(done.id);
    }
    b.candidates = std::move(booked);
    if (replayed.empty()) return;
    std::vector<std::int64_t> ids;
    for (auto h : replayed) ids.push_back(h.value);
    std::map<std::int64_t, pledge> by_hold;
    for (const auto& row : tx.exec_prepared(select_by_hold.name, db::array_literal(ids))) {
        auto s = read(row);
        by_hold.emplace(s.p.hold.value, s.p);
    }
    for (std::size_t k = 0; k < replayed.size(); ++k) {
        auto it = by_hold.find(replayed[k].value);
        if (it == by_hold.end()) { // the same key twice in this batch: the first is being stored
            b.out[replayed_index[k]] =
                problem(schwarm::problems::idempotency_conflict, "This Idempotency-Key is in use by another request");
            continue;
        }
        pledge p = it->second;
        p.replayed = true;
        b.out[replayed_index[k]] = p;
    }
}

// The new pledges, their audit records, and the project counters they move
// (backers new to a project counted once; a revocable pledge starts a
// reflection period that settlement waits for).
void store(pqxx::work& tx, batch& b) {
    if (b.candidates.empty()) return;
    std::vector<std::int64_t> project, backer, amount, hold;
    std::vector<std::string> currency, key, ack, revocable; // booleans as 't'/'f' for the array literal
    std::map<std::int64_t, std::set<std::int64_t>> new_backers;
    std::map<std::int64_t, std::int64_t> added;
    std::set<std::int64_t> reflecting;
    for (std::size_t k = 0; k < b.candidates.size(); ++k) {
        const auto& r = b.requests[b.candidates[k]];
        project.push_back(r.project_id);
        backer.push_back(r.backer.value);
        amount.push_back(r.amount_minor);
        currency.push_back(r.currency_code);
        hold.push_back(b.holds[k].value);
        ack.push_back(r.risk_acknowledged ? "t" : "f");
        revocable.push_back(b.revocable[r.backer] ? "t" : "f");
        key.push_back(r.idempotency_key);
        new_backers[r.project_id].insert(r.backer.value);
        added[r.project_id] += r.amount_minor;
        if (b.revocable[r.backer]) reflecting.insert(r.project_id);
    }
    for (auto& [id, ids_here] : new_backers) { // before these rows exist
        std::vector<std::int64_t> list(ids_here.begin(), ids_here.end());
        for (const auto& row : tx.exec_prepared(select_active_backers.name, id, db::array_literal(list))) {
            ids_here.erase(row[0].as<std::int64_t>());
        }
    }
    auto rows =
        tx.exec_prepared(insert_pledges.name, db::array_literal(project), db::array_literal(backer),
                         db::array_literal(amount), db::array_literal(currency), db::array_literal(hold),
                         db::array_literal(ack), db::array_literal(revocable), db::array_literal(key), reflection_days);
    std::map<std::int64_t, pledge> by_hold;
    for (const auto& row : rows) {
        auto s = read(row);
        by_hold.emplace(s.p.hold.value, s.p);
    }
    std::vector<audit::record> records;
    for (std::size_t k = 0; k < b.candidates.size(); ++k) {
        const pledge& made = by_hold.at(hold[k]);
        b.out[b.candidates[k]] = made;
        records.push_back({made.backer, "pledge.create", "pledge:" + made.id.str(),
                           b.requests[b.candidates[k]].request_id,
                           boost::json::serialize(boost::json::object{{"project_id", made.project_id},
                                                                      {"amount_minor", made.amount_minor},
                                                                      {"currency", made.currency_code}})});
    }
    audit::write_many(tx, records);
    events::follow_projects(tx, backer, project, "backer"); // backers hear what becomes of it
    for (const auto& [id, sum] : added) {
        projects::add_funding(tx, projects::project_id{id}, sum, static_cast<int>(new_backers[id].size()),
                              reflecting.contains(id));
    }
}

} // namespace

std::vector<result> place(pqxx::work& tx, std::span<const request> requests) {
    batch b(requests);
    answer_retries(tx, b);
    load_batch(tx, b);
    decide(tx, b);
    if (!b.candidates.empty()) {
        auto decided = b.candidates;
        book_holds(tx, b);
        refuse_unfair_batch(b, decided);
        store(tx, b);
    }
    return b.results();
}

pledge revoke(pqxx::work& tx, pledge_id id, user_id backer, const std::string& request_id) {
    auto locked = tx.exec_prepared(select_owner.name, id.value);
    if (locked.empty() || user_id{locked[0][0].as<std::int64_t>()} != backer) {
        throw problem(schwarm::problems::not_found, "There is no such pledge of yours");
    }
    std::int64_t project = locked[0][1].as<std::int64_t>();
    // The project first, as pledges and settlement lock it: then the pledge's
    // state read below is the settled truth.
    auto funding = projects::lock_funding(tx, {project});
    auto row = tx.exec_prepared(select_revocable.name, id.value)[0];
    auto state = row[0].as<std::string>();
    if (state == "revoked") { // revoked before: this request changes nothing
        pledge again = load(tx, id);
        again.replayed = true;
        return again;
    }
    if (state != "held") {
        throw problem(problems::not_revocable, "The pledge is " + state + " and can no longer be revoked")
            .with("state", state);
    }
    // Settlement decides only once every reflection period has ended, so a
    // decided campaign has no revocable pledge; this says so where it matters.
    if (!funding.empty() && funding[0].settlement) {
        throw problem(problems::not_revocable, "The campaign has been settled").with("state", state);
    }
    if (!row[1].as<bool>()) {
        auto until = db::nullable<std::string>(row[2]);
        throw problem(problems::not_revocable,
                      until ? "The reflection period ended at " + *until : "This pledge has no reflection period")
            .with("revocable_until", until.value_or(""));
    }
    std::int64_t amount = row[3].as<std::int64_t>();
    std::string currency = row[4].as<std::string>();
    ledger::entry_id hold{row[5].as<std::int64_t>()};
    auto voiding =
        accounts::release("pledge-revoke:" + id.str(), hold, "Pledge " + id.str() + " revoked", {backer, request_id});
    auto entry = accounts::book_all(tx, std::span(&voiding, 1))[0];
    mark_resolved(tx, {{id, entry}}, "revoked");
    bool last =
        tx.exec_prepared(count_other_active.name, project, backer.value, id.value)[0][0].as<std::int64_t>() == 0;
    projects::add_funding(tx, projects::project_id{project}, -amount, last ? -1 : 0);
    audit::write(tx, {backer, "pledge.revoke", "pledge:" + id.str(), request_id,
                      boost::json::serialize(boost::json::object{{"project_id", project}, {"amount_minor", amount}})});
    return load(tx, id);
}

pledge find(pqxx::transaction_base& tx, pledge_id id, const users::principal& viewer) {
    auto p = load(tx, id);
    if (p.backer != viewer.id && viewer.role_ != users::role::staff) {
        throw problem(schwarm::problems::not_found, "There is no such pledge");
    }
    return p;
}

std::vector<pledge> list_mine(pqxx::transaction_base& tx, user_id backer, std::optional<std::int64_t> before_id,
                              int limit) {
    std::vector<pledge> out;
    for (const auto& row : tx.exec_prepared(select_mine.name, backer.value,
                                            before_id.value_or(std::numeric_limits<std::int64_t>::max()), limit)) {
        out.push_back(read(row).p);
    }
    return out;
}

std::vector<held> lock_held(pqxx::work& tx, std::int64_t project_id, int limit) {
    std::vector<held> out;
    for (const auto& row : tx.exec_prepared(lock_held_rows.name, project_id, limit)) {
        out.push_back({pledge_id{row[0].as<std::int64_t>()}, user_id{row[1].as<std::int64_t>()},
                       row[2].as<std::int64_t>(), ledger::entry_id{row[3].as<std::int64_t>()}});
    }
    return out;
}

void mark_resolved(pqxx::work& tx, const std::vector<std::pair<pledge_id, ledger::entry_id>>& entries,
                   const std::string& state) {
    std::vector<std::int64_t> ids, entry_ids;
    for (const auto& [id, entry] : entries) {
        ids.push_back(id.value);
        entry_ids.push_back(entry.value);
    }
    tx.exec_prepared(resolve_pledges.name, db::array_literal(ids), db::array_literal(entry_ids), state);
}

void mark_refunded(pqxx::work& tx, std::int64_t project_id) { tx.exec_prepared(refund_posted.name, project_id); }

std::vector<std::pair<user_id, std::int64_t>> posted_by_backer(pqxx::transaction_base& tx, std::int64_t project_id) {
    std::vector<std::pair<user_id, std::int64_t>> out;
    for (const auto& row : tx.exec_prepared(select_posted_by_backer.name, project_id)) {
        out.emplace_back(user_id{row[0].as<std::int64_t>()}, row[1].as<std::int64_t>());
    }
    return out;
}

bool has_backed(pqxx::transaction_base& tx, user_id user, std::int64_t project_id) {
    return tx.exec_prepared(select_has_backed.name, user.value, project_id)[0][0].as<bool>();
}

std::int64_t pledged_by(pqxx::transaction_base& tx, user_id backer, std::int64_t project_id) {
    return tx.exec_prepared(select_pledged_by.name, backer.value, project_id)[0][0].as<std::int64_t>();
}

std::int64_t raised_by_owner_last_12_months(pqxx::transaction_base& tx, user_id owner) {
    return tx.exec_prepared(select_raised_by_owner.name, owner.value)[0][0].as<std::int64_t>();
}

bool has_pledged_to_loan(pqxx::transaction_base& tx, user_id backer) {
    return tx.exec_prepared(select_has_pledged_to_loan.name, backer.value)[0][0].as<bool>();
}

} // namespace schwarm::pledges
