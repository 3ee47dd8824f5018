#include "core/settlement.hpp"

#include "core/audit.hpp"
#include "core/ledger_port.hpp"
#include "core/pledges.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace schwarm::settlement {

namespace {

using ledger_port::account_role;


// A settlement booking the ledger refuses is a bug, not a request to refuse:
// it aborts the chunk (and a staff request gets 500).
std::vector<std::int64_t> book_or_fail(pqxx::work& tx, std::span<const ledger_port::booking> bookings,
                                       const projects::funding& f) {
    try {
        return ledger_port::book_all(tx, bookings);
    } catch (const problem& p) {
        throw std::runtime_error("settlement of project " + f.id.str() + " refused: " + std::string(p.type().slug) +
                                 ": " + p.detail());
    }
}

// One chunk of the locked project `f`.
progress chunk(pqxx::work& tx, const projects::funding& f, const settings& s, const projects::actor& by) {
    std::string outcome;
    std::int64_t fee = 0;
    if (f.settlement) {
        outcome = *f.settlement;
        fee = f.fee_minor;
    } else {
        bool met = f.campaign_mode == "all_or_nothing" ? f.pledged_minor >= f.goal_minor : f.pledged_minor > 0;
        outcome = met ? "funded" : "failed";
        fee = met ? static_cast<std::int64_t>(static_cast<__int128>(f.pledged_minor) * s.fee_bp / 10000) : 0;
        projects::decide_settlement(tx, f.id, outcome, fee);
        audit::write(tx, {std::nullopt, "project.settlement_decided", "project:" + f.id.str(), by.request_id,
                          boost::json::serialize(boost::json::object{{"outcome", outcome},
                                                                     {"pledged_minor", f.pledged_minor},
                                                                     {"goal_minor", f.goal_minor},
                                                                     {"fee_minor", fee}})});
    }
    bool post = outcome == "funded";
    auto held = pledges::lock_held(tx, f.id.value, s.chunk);
    std::vector<ledger_port::booking> bookings;
    bookings.reserve(held.size());
    for (const auto& h : held) {
        bookings.push_back({"settle:" + h.id.str(), post ? ledger_port::booking_kind::post_hold
                                                         : ledger_port::booking_kind::void_hold,
                            {}, f.currency_code, h.hold_entry_id,
                            (post ? "Pledge " : "Pledge voided: campaign failed, ") + h.id.str(), std::nullopt,
                            by.request_id});
    }
    std::vector<std::pair<pledges::pledge_id, std::int64_t>> resolved;
    if (!bookings.empty()) {
        auto entries = book_or_fail(tx, bookings, f);
        for (std::size_t i = 0; i < held.size(); ++i) resolved.emplace_back(held[i].id, entries[i]);
        pledges::mark_resolved(tx, resolved, post ? "posted" : "voided");
    }
    progress out{f.id, outcome, static_cast<int>(held.size()), false};
    if (static_cast<int>(held.size()) == s.chunk) return out;

    // Every hold is resolved: the fee, the owner's payout, the new state.
    if (post) {
        const auto& ledger = ledger_port::current();
        std::int64_t escrow = ledger.account(tx, {account_role::escrow, f.id.value, f.currency_code});
        std::vector<ledger_port::booking> final;
        if (fee > 0) {
            std::int64_t income = ledger.account(tx, {account_role::fee_income, 0, f.currency_code});
            final.push_back({"fee:" + f.id.str(), ledger_port::booking_kind::transfer, {{escrow, income, fee}},
                             f.currency_code, std::nullopt, "Platform fee, project " + f.id.str(), std::nullopt,
                             by.request_id});
        }
        if (f.kind != "loan") {
            auto b = ledger.balance_of(tx, escrow);
            std::int64_t rest = b.credits_posted - b.debits_posted - fee;
            if (rest > 0) {
                std::int64_t wallet = ledger.account(tx, {account_role::wallet, f.owner.value, f.currency_code});
                final.push_back({"payout:" + f.id.str(), ledger_port::booking_kind::transfer, {{escrow, wallet, rest}},
                                 f.currency_code, std::nullopt, "Campaign proceeds, project " + f.id.str(),
                                 std::nullopt, by.request_id});
            }
        }
        if (!final.empty()) book_or_fail(tx, final, f);
    } else {
        // Every pledge is voided; what is left in escrow came from the
        // community fund (a voting round's allocation) and goes back to it.
        const auto& ledger = ledger_port::current();
        if (auto escrow = ledger.find_accounts(tx, std::vector<ledger_port::account_key>{
                              {account_role::escrow, f.id.value, f.currency_code}})[0]) {
            auto b = ledger.balance_of(tx, *escrow);
            std::int64_t rest = b.credits_posted - b.debits_posted;
            if (rest > 0) {
                std::int64_t fund = ledger.account(tx, {account_role::community_fund, 0, f.currency_code});
                std::vector<ledger_port::booking> back{
                    {"fund-return:" + f.id.str(), ledger_port::booking_kind::transfer, {{*escrow, fund, rest}},
                     f.currency_code, std::nullopt, "Campaign failed: allocation back to the community fund, project " +
                                                        f.id.str(), std::nullopt, by.request_id}};
                book_or_fail(tx, back, f);
            }
        }
    }
    projects::transition(tx, f.id, post ? "settle_funded" : "settle_failed", "", by);
    out.finished = true;
    return out;
}

} // namespace

std::optional<progress> settle_next(pqxx::work& tx, const settings& s) {
    auto due = projects::claim_due(tx);
    if (!due) return std::nullopt;
    return chunk(tx, *due, s, projects::platform_actor("settlement"));
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
    if (f.before_deadline) throw problem(problems::not_due, "The campaign runs until its deadline");
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
