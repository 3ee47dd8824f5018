#include "platform/settlement.hpp"

#include "base/audit.hpp"
#include "base/log.hpp"
#include "platform/accounts.hpp"
#include "platform/events.hpp"
#include "platform/pledges.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::settlement {

namespace {

using accounts::role;

struct decision {
    std::string outcome;
    std::int64_t fee_minor = 0;
};

std::optional<user_id> actor_of(const projects::actor& by) { return projects::origin_of(by).actor; }

// A settlement booking the ledger refuses is a bug, not a request to refuse:
// it aborts the chunk (a staff request gets 500, the job sets it aside).
std::vector<ledger::entry_id> book_or_fail(pqxx::work& tx, std::span<const ledger::entry_request> entries,
                                           const projects::funding& f) {
    try {
        return accounts::book_all(tx, entries);
    } catch (const problem& p) {
        throw std::runtime_error("settlement of project " + f.id.str() +
                                 " refused by the ledger: " + std::string(p.type().slug) + ": " + p.detail());
    }
}

accounts::key escrow_of(const projects::funding& f) { return {role::escrow, f.id.value, f.currency_code}; }

// What the escrow holds for the campaign: held pledges and posted money (an
// allocation from the community fund), before anything went out of it.
std::int64_t raised_in_escrow(pqxx::work& tx, const projects::funding& f) {
    auto escrow = accounts::find(tx, escrow_of(f));
    if (!escrow) return 0;
    auto b = accounts::balance(tx, *escrow);
    return b.credits_posted - b.debits_posted + b.credits_pending - b.debits_pending;
}

// Once per campaign, in its first chunk: funded or failed, from the money
// itself, which must agree with the counters pledges and allocations kept.
decision decide(pqxx::work& tx, const projects::funding& f, const settings& s, const projects::actor& by) {
    if (f.settlement) return {*f.settlement, f.fee_minor};
    std::int64_t raised = raised_in_escrow(tx, f);
    SCHWARM_INVARIANT(raised == f.pledged_minor, "project " + f.id.str() + ": escrow holds " + std::to_string(raised) +
                                                     " but its pledges and allocations count " +
                                                     std::to_string(f.pledged_minor));
    bool met = f.campaign_mode == "all_or_nothing" ? raised >= f.goal_minor : raised > 0;
    decision d{met ? "funded" : "failed", met ? fee_of(raised, s.fee_bp) : 0};
    projects::decide_settlement(tx, f.id, d.outcome, d.fee_minor);
    audit::write(tx, {actor_of(by), "project.settlement_decided", "project:" + f.id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"outcome", d.outcome},
                                                                 {"raised_minor", raised},
                                                                 {"goal_minor", f.goal_minor},
                                                                 {"fee_minor", d.fee_minor}})});
    return d;
}

// Posts (funded) or voids (failed, stopped) up to `chunk` held pledges; how many.
int resolve_holds(pqxx::work& tx, const projects::funding& f, bool post, int chunk, const projects::actor& by,
                  const std::string& voided_because = "campaign failed") {
    auto held = pledges::lock_held(tx, f.id.value, chunk);
    if (held.empty()) return 0;
    std::vector<ledger::entry_request> entries;
    entries.reserve(held.size());
    for (const auto& h : held) {
        std::string key = "settle:" + h.id.str();
        entries.push_back(post ? accounts::post(key, h.hold, "Pledge " + h.id.str(), projects::origin_of(by))
                               : accounts::release(key, h.hold, "Pledge voided: " + voided_because + ", " + h.id.str(),
                                                   projects::origin_of(by)));
    }
    auto ids = book_or_fail(tx, entries, f);
    std::vector<std::pair<pledges::pledge_id, ledger::entry_id>> resolved;
    for (std::size_t i = 0; i < held.size(); ++i) resolved.emplace_back(held[i].id, ids[i]);
    pledges::mark_resolved(tx, resolved, post ? "posted" : "voided");
    return static_cast<int>(held.size());
}

// Funded: the fee to fee income, and for donations and rewards the rest to
// the owner's wallet (a loan's rest waits for its disbursement).
void pay_out(pqxx::work& tx, const projects::funding& f, std::int64_t fee, const projects::actor& by) {
    auto by_whom = projects::origin_of(by);
    auto escrow = accounts::open(tx, escrow_of(f), by_whom);
    auto b = accounts::balance(tx, escrow);
    std::int64_t in_escrow = b.credits_posted - b.debits_posted;
    SCHWARM_INVARIANT(fee <= in_escrow, "project " + f.id.str() + ": fee " + std::to_string(fee) +
                                            " above the escrow's " + std::to_string(in_escrow));
    std::vector<ledger::entry_request> entries;
    if (fee > 0) {
        accounts::movement m{escrow, accounts::open(tx, {role::fee_income, 0, f.currency_code}, by_whom), fee};
        entries.push_back(accounts::transfer("fee:" + f.id.str(), std::span(&m, 1), f.currency_code,
                                             "Platform fee, project " + f.id.str(), by_whom));
    }
    if (f.kind != "loan" && in_escrow - fee > 0) {
        accounts::movement m{escrow, accounts::open(tx, {role::wallet, f.owner.value, f.currency_code}, by_whom),
                             in_escrow - fee};
        entries.push_back(accounts::transfer("payout:" + f.id.str(), std::span(&m, 1), f.currency_code,
                                             "Campaign proceeds, project " + f.id.str(), by_whom));
    }
    if (!entries.empty()) book_or_fail(tx, entries, f);
}

// Failed or stopped: every pledge is voided; what is left in escrow came
// from the community fund (a voting round's allocation) and goes back to it.
void return_allocation(pqxx::work& tx, const projects::funding& f, const projects::actor& by) {
    auto escrow = accounts::find(tx, escrow_of(f));
    if (!escrow) return;
    auto b = accounts::balance(tx, *escrow);
    std::int64_t rest = b.credits_posted - b.debits_posted;
    if (rest <= 0) return;
    auto by_whom = projects::origin_of(by);
    accounts::movement m{*escrow, accounts::open(tx, {role::community_fund, 0, f.currency_code}, by_whom), rest};
    auto back =
        accounts::transfer("fund-return:" + f.id.str(), std::span(&m, 1), f.currency_code,
                           "Campaign failed: allocation back to the community fund, project " + f.id.str(), by_whom);
    book_or_fail(tx, std::span(&back, 1), f);
}

// One chunk of the locked, due project `f`.
progress chunk(pqxx::work& tx, const projects::funding& f, const settings& s, const projects::actor& by) {
    SCHWARM_INVARIANT(!f.before_settlement, "project " + f.id.str() + " settled before " + f.settles_at);
    auto d = decide(tx, f, s, by);
    bool post = d.outcome == "funded";
    progress out{f.id, d.outcome, resolve_holds(tx, f, post, s.chunk, by), false};
    if (out.resolved == s.chunk) return out; // more holds wait for the next chunk
    if (post) {
        pay_out(tx, f, d.fee_minor, by);
    } else {
        // Failed: every hold voided and the allocation given back, so nothing
        // is held or posted any more; the public counters say so (as a
        // stopped campaign's do), not what once was pledged.
        return_allocation(tx, f, by);
        projects::clear_funding(tx, f.id);
    }
    projects::clear_settlement_error(tx, f.id);
    projects::transition(tx, f.id, post ? "settle_funded" : "settle_failed", "", by);
    events::publish(tx, events::kinds::campaign_settled, events::subject::of_project(f.id.value),
                    {{"outcome", d.outcome},
                     {"raised_minor", f.pledged_minor},
                     {"goal_minor", f.goal_minor},
                     {"currency", f.currency_code},
                     {"fee_minor", d.fee_minor}},
                    projects::origin_of(by));
    out.finished = true;
    return out;
}

// A stopped funded loan: the fee back from fee income, then each backer's
// posted pledges from escrow to their wallet, backers in groups the ledger
// takes in one entry.
void refund_backers(pqxx::work& tx, const projects::funding& f, const projects::actor& by) {
    constexpr std::size_t backers_per_entry = 32;
    auto by_whom = projects::origin_of(by);
    auto escrow = accounts::open(tx, escrow_of(f), by_whom);
    std::vector<ledger::entry_request> entries;
    if (f.state == "funded" && f.fee_minor > 0) {
        accounts::movement m{accounts::open(tx, {role::fee_income, 0, f.currency_code}, by_whom), escrow, f.fee_minor};
        entries.push_back(accounts::transfer("fee-refund:" + f.id.str(), std::span(&m, 1), f.currency_code,
                                             "Platform fee refunded: campaign stopped, project " + f.id.str(),
                                             by_whom));
    }
    std::vector<accounts::movement> group;
    auto flush = [&] {
        if (group.empty()) return;
        entries.push_back(accounts::transfer("refund:" + f.id.str() + ":" + std::to_string(entries.size()), group,
                                             f.currency_code,
                                             "Pledges refunded: campaign stopped, project " + f.id.str(), by_whom));
        group.clear();
    };
    for (const auto& [backer, amount] : pledges::posted_by_backer(tx, f.id.value)) {
        group.push_back({escrow, accounts::open(tx, {role::wallet, backer.value, f.currency_code}, by_whom), amount});
        if (group.size() == backers_per_entry) flush();
    }
    flush();
    if (!entries.empty()) book_or_fail(tx, entries, f);
    pledges::mark_refunded(tx, f.id.value);
}

} // namespace

projects::project stop_campaign(pqxx::work& tx, projects::project_id id, const std::string& action,
                                const std::string& reason, const settings& s, const projects::actor& by) {
    auto before = projects::lock_funding(tx, {id.value});
    auto stopped = projects::transition(tx, id, action, reason, by); // role, state and deadline rules
    const auto& f = before.at(0);
    if (f.state != "selected" && f.state != "funding" && f.state != "funded") return stopped;
    int voided = 0;
    for (;;) {
        int n = resolve_holds(tx, f, false, s.chunk, by, "campaign stopped");
        voided += n;
        if (n < s.chunk) break;
    }
    if (f.settlement) refund_backers(tx, f, by); // settled pledges were posted
    return_allocation(tx, f, by);
    projects::clear_funding(tx, id);
    audit::write(tx, {actor_of(by), "project.unwound", "project:" + id.str(), by.request_id,
                      boost::json::serialize(
                          boost::json::object{{"holds_voided", voided}, {"pledged_minor", f.pledged_minor}})});
    return projects::find(tx, id, by.who);
}

std::int64_t fee_of(std::int64_t raised_minor, int fee_bp) {
    if (raised_minor <= 0 || fee_bp <= 0) return 0;
    auto fee = static_cast<std::int64_t>(static_cast<__int128>(raised_minor) * fee_bp / 10000);
    return std::min(fee, raised_minor);
}

std::optional<progress> settle_next(pqxx::connection& connection, const settings& s, const std::string& request_id) {
    std::optional<projects::funding> claimed;
    try {
        pqxx::work tx(connection);
        claimed = projects::claim_due(tx);
        if (!claimed) return std::nullopt;
        auto step = chunk(tx, *claimed, s, projects::platform_actor(request_id));
        tx.commit();
        return step;
    } catch (const pqxx::broken_connection&) {
        throw; // the database, not the campaign: nothing to set aside
    } catch (const std::exception& e) {
        if (!claimed) throw;
        log::error("settlement set aside", {{"project_id", claimed->id.value}, {"error", e.what()}});
        pqxx::work tx(connection);
        projects::set_settlement_aside(tx, claimed->id, e.what());
        audit::write(tx, {std::nullopt, "project.settlement_set_aside", "project:" + claimed->id.str(), request_id,
                          boost::json::serialize(boost::json::object{{"error", e.what()}})});
        tx.commit();
        return progress{claimed->id, "", 0, false, true};
    }
}

progress settle_now(pqxx::work& tx, projects::project_id id, const settings& s, const projects::actor& by) {
    auto locked = projects::lock_funding(tx, {id.value});
    if (locked.empty() || locked[0].state == "draft") {
        throw problem(schwarm::problems::not_found, "There is no such project");
    }
    const auto& f = locked[0];
    if (f.state != "funding") {
        throw problem(projects::problems::illegal_transition, "Cannot settle a project that is " + f.state)
            .with("state", f.state);
    }
    if (f.before_deadline) {
        throw problem(problems::not_due, "The campaign runs until its deadline").with("settles_at", f.settles_at);
    }
    if (f.before_settlement) {
        throw problem(problems::not_due, "Pledges to the campaign may be revoked until " + f.settles_at +
                                             " (the reflection period); it settles then")
            .with("settles_at", f.settles_at);
    }
    progress total{id, "", 0, false};
    while (!total.finished) {
        auto fresh = projects::lock_funding(tx, {id.value});
        auto step = chunk(tx, fresh[0], s, by);
        total.outcome = step.outcome;
        total.resolved += step.resolved;
        total.finished = step.finished;
    }
    return total;
}

} // namespace schwarm::settlement
