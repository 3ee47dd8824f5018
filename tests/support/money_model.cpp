#include "support/money_model.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace schwarm::test::model {

namespace mp = boost::multiprecision;

namespace {

using namespace std::chrono;

// A refusal: the status and slug README and api/openapi.yaml give the rule.
answer refused(int status, const char* slug) { return {status, slug}; }

const answer not_found = refused(404, "not-found");
const answer forbidden = refused(403, "forbidden");
const answer project_state = refused(409, "project-state");

// The EU's summer time: from 01:00 UTC on the last Sunday of March to 01:00
// UTC on the last Sunday of October.
instant last_sunday_1am_utc(int y, unsigned m) {
    sys_days day{year{y} / month{m} / Sunday[last]};
    return duration_cast<seconds>(day.time_since_epoch()).count() + 3600;
}

bool counted(pledge_state s) { return s == pledge_state::held || s == pledge_state::posted; }

} // namespace

instant parse_time(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) {
        throw std::invalid_argument("not an RFC 3339 time: " + text);
    }
    std::size_t zone = text.find_first_of("Z+-", 19);
    if (zone == std::string::npos) throw std::invalid_argument("an RFC 3339 time without a zone: " + text);
    int offset = 0;
    if (text[zone] != 'Z') {
        int oh = 0, om = 0;
        std::sscanf(text.c_str() + zone + 1, "%d:%d", &oh, &om);
        offset = (text[zone] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    sys_days day{year{y} / month{static_cast<unsigned>(mo)} / static_cast<unsigned>(d)};
    return duration_cast<seconds>(day.time_since_epoch()).count() + h * 3600 + mi * 60 + s - offset;
}

std::string format_time(instant t) {
    sys_seconds at{seconds{t}};
    auto day = floor<days>(at);
    year_month_day ymd{day};
    hh_mm_ss clock{at - day};
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                  static_cast<long long>(clock.seconds().count()));
    return out;
}

int berlin_offset_s(instant t) {
    int y = static_cast<int>(year_month_day{floor<days>(sys_seconds{seconds{t}})}.year());
    bool summer = t >= last_sunday_1am_utc(y, 3) && t < last_sunday_1am_utc(y, 10);
    return summer ? 7200 : 3600;
}

instant local_add_days(instant t, int days) {
    instant wall = t + berlin_offset_s(t) + static_cast<instant>(days) * 86'400;
    // The instant whose wall-clock time that is; in the skipped hour, the
    // later reading (as PostgreSQL takes it).
    for (int offset : {7200, 3600}) {
        if (berlin_offset_s(wall - offset) == offset) return wall - offset;
    }
    return wall - 3600;
}

bool ambiguous_local_add(instant t, int days) {
    instant wall = t + berlin_offset_s(t) + static_cast<instant>(days) * 86'400;
    int matches = 0;
    for (int offset : {7200, 3600}) matches += berlin_offset_s(wall - offset) == offset;
    return matches != 1;
}

std::string to_string(const answer& a) { return std::to_string(a.status) + (a.slug.empty() ? "" : " " + a.slug); }

const char* to_string(pledge_state s) {
    switch (s) {
    case pledge_state::held: return "held";
    case pledge_state::posted: return "posted";
    case pledge_state::voided: return "voided";
    case pledge_state::revoked: return "revoked";
    case pledge_state::refunded: return "refunded";
    }
    return "?";
}

wallet& platform::wallet_of(const std::string& who, const std::string& currency) { return wallets[{who, currency}]; }

const wallet* platform::find_wallet(const std::string& who, const std::string& currency) const {
    auto it = wallets.find({who, currency});
    return it == wallets.end() || !it->second.exists ? nullptr : &it->second;
}

answer platform::deposit(const std::string& who, std::int64_t amount, const std::string& currency) {
    if (!customers.contains(who)) return refused(422, "wallet-not-a-customer");
    auto& w = wallet_of(who, currency);
    w.exists = true;
    w.balance += amount;
    return success(201);
}

answer platform::payout(const std::string& who, std::int64_t amount, const std::string& currency) {
    if (!customers.contains(who)) return refused(422, "wallet-not-a-customer");
    const wallet* found = find_wallet(who, currency);
    if (!found || found->available() < amount) return refused(422, "insufficient-funds");
    wallet_of(who, currency).balance -= amount;
    return success(201);
}

std::int64_t platform::pledged_by(const std::string& backer, const std::string& project_name) const {
    std::int64_t sum = 0;
    for (const auto& [name, g] : pledges) {
        if (g.backer == backer && g.project == project_name && counted(g.state)) sum += g.amount;
    }
    return sum;
}

bool platform::has_active(const std::string& backer, const std::string& project_name, const std::string& except) const {
    for (const auto& [name, g] : pledges) {
        if (name != except && g.backer == backer && g.project == project_name && counted(g.state)) return true;
    }
    return false;
}

std::int64_t platform::raised_by_owner(const std::string& owner) const {
    std::int64_t sum = 0;
    for (const auto& [name, g] : pledges) {
        auto p = projects.find(g.project);
        if (p != projects.end() && p->second.owner == owner && counted(g.state)) sum += g.amount;
    }
    return sum;
}

answer platform::place(const pledge_request& r, instant created) {
    auto found = projects.find(r.project);
    if (found == projects.end()) return not_found;
    project& p = found->second;
    // The campaign's own rules, in the order the README lists them.
    if (p.state != "funding" || now >= p.deadline) return refused(409, "project-not-funding");
    if (p.owner == r.backer) return refused(403, "pledge-own-project");
    if (r.currency != p.currency) return refused(422, "pledge-currency-mismatch");
    if (r.amount < p.min_pledge) return refused(422, "pledge-below-minimum");
    const wallet* w = find_wallet(r.backer, r.currency);
    if (!w) return refused(422, "insufficient-funds");
    if (!p.overfunding && r.amount > p.goal - p.pledged) return refused(422, "pledge-above-goal");
    // Investor protection (EU 2020/1503): loans only.
    const customer& c = customers.at(r.backer);
    if (p.kind == "loan") {
        std::int64_t here = pledged_by(r.backer, r.project) + r.amount;
        if (!c.sophisticated) {
            if (!c.investor_ready) return refused(403, "risk-knowledge-test-required");
            if (here > settings_.warning_threshold_minor && !r.acknowledged) {
                return refused(422, "risk-acknowledgement-required");
            }
        }
        if (here > settings_.project_limit_minor) return refused(422, "risk-investor-project-limit");
        if (raised_by_owner(p.owner) + r.amount > settings_.owner_limit_minor) return refused(422, "risk-owner-limit");
    }
    if (w->available() < r.amount) return refused(422, "insufficient-funds");

    pledge g{r.backer, r.project, r.amount, r.currency, r.acknowledged, pledge_state::held, std::nullopt, created};
    if (!c.sophisticated) {
        g.revocable_until = local_add_days(created, reflection_days);
        p.reflection_end = std::max(p.reflection_end, *g.revocable_until);
    }
    if (!has_active(r.backer, r.project, "")) ++p.backers;
    p.pledged += r.amount;
    p.escrow_held += r.amount;
    wallet_of(r.backer, r.currency).held += r.amount;
    pledges[r.name] = g;
    return success(201);
}

answer platform::revoke(const std::string& who, const std::string& pledge_name) {
    auto found = pledges.find(pledge_name);
    if (found == pledges.end() || found->second.backer != who) return not_found;
    pledge& g = found->second;
    if (g.state == pledge_state::revoked) return success(200); // revoked before: changes nothing
    if (g.state != pledge_state::held) return refused(409, "pledge-not-revocable");
    project& p = projects.at(g.project);
    if (p.outcome) return refused(409, "pledge-not-revocable");
    if (!g.revocable_until || now >= *g.revocable_until) return refused(409, "pledge-not-revocable");
    g.state = pledge_state::revoked;
    wallet_of(g.backer, g.currency).held -= g.amount;
    p.escrow_held -= g.amount;
    p.pledged -= g.amount;
    if (!has_active(g.backer, g.project, pledge_name)) --p.backers;
    return success(200);
}

void platform::settle_project(project& p, const std::string& name) {
    std::int64_t raised = p.escrow_held + p.escrow_posted;
    bool met = p.mode == "all_or_nothing" ? raised >= p.goal : raised > 0;
    p.outcome = met ? "funded" : "failed";
    for (auto& [pledge_name, g] : pledges) {
        if (g.project != name || g.state != pledge_state::held) continue;
        auto& w = wallet_of(g.backer, g.currency);
        w.held -= g.amount;
        p.escrow_held -= g.amount;
        if (met) {
            w.balance -= g.amount;
            p.escrow_posted += g.amount;
        }
        g.state = met ? pledge_state::posted : pledge_state::voided;
    }
    if (!met) {
        p.pledged = 0;
        p.backers = 0;
        p.state = "failed";
        return;
    }
    p.fee = std::min<std::int64_t>(static_cast<std::int64_t>(static_cast<__int128>(raised) * settings_.fee_bp / 10000),
                                   raised);
    fees[p.currency] += p.fee;
    p.escrow_posted -= p.fee;
    if (p.kind != "loan" && p.escrow_posted > 0) { // a loan's money waits for its disbursement
        auto& owner = wallet_of(p.owner, p.currency);
        owner.exists = true;
        owner.balance += p.escrow_posted;
        p.escrow_posted = 0;
    }
    p.state = "funded";
}

answer platform::settle(const std::string& project_name) {
    auto found = projects.find(project_name);
    if (found == projects.end()) return not_found;
    project& p = found->second;
    if (p.state != "funding") return project_state;
    if (now < p.settles_at()) return refused(409, "settlement-not-due");
    settle_project(p, project_name);
    return success(200);
}

std::vector<std::string> platform::due() const {
    std::vector<std::string> out;
    for (const auto& [name, p] : projects) {
        if (p.state == "funding" && now >= p.settles_at()) out.push_back(name);
    }
    return out;
}

std::vector<std::string> platform::settle_due() {
    auto names = due();
    for (const auto& name : names) settle_project(projects.at(name), name);
    return names;
}

void platform::unwind(project& p, const std::string& name) {
    std::map<std::string, std::int64_t> refunds; // backer → posted pledges
    for (auto& [pledge_name, g] : pledges) {
        if (g.project != name) continue;
        if (g.state == pledge_state::held) {
            wallet_of(g.backer, g.currency).held -= g.amount;
            p.escrow_held -= g.amount;
            g.state = pledge_state::voided;
        } else if (g.state == pledge_state::posted) {
            refunds[g.backer] += g.amount;
            g.state = pledge_state::refunded;
        }
    }
    if (p.outcome == "funded") { // a funded loan before its disbursement: the fee back, every cent to its backer
        fees[p.currency] -= p.fee;
        p.escrow_posted += p.fee;
    }
    for (const auto& [backer, amount] : refunds) {
        wallet_of(backer, p.currency).balance += amount;
        p.escrow_posted -= amount;
    }
    p.pledged = 0;
    p.backers = 0;
}

answer platform::cancel(const std::string& project_name) {
    auto found = projects.find(project_name);
    if (found == projects.end()) return not_found;
    project& p = found->second;
    if (p.state != "selected" && p.state != "funding" && p.state != "funded") return project_state;
    if (p.state == "funded" && p.kind != "loan") return project_state; // paid out to its owner at settlement
    unwind(p, project_name);
    p.state = "cancelled";
    return success(200);
}

answer platform::withdraw(const std::string& who, const std::string& project_name) {
    auto found = projects.find(project_name);
    if (found == projects.end()) return not_found;
    project& p = found->second;
    if (p.owner != who) return forbidden;
    static const std::vector<std::string> open{"draft", "submitted", "in_review", "approved", "selected", "funding"};
    if (std::find(open.begin(), open.end(), p.state) == open.end()) return project_state;
    if (p.state == "funding" && now >= p.deadline) return refused(409, "project-deadline-passed");
    unwind(p, project_name);
    p.state = "withdrawn";
    return success(200);
}

std::int64_t loan::owed() const {
    std::int64_t sum = 0;
    for (const auto& i : schedule) sum += i.principal - i.principal_paid + i.interest - i.interest_paid;
    return sum;
}

namespace {
// a / b rounded half up, for a, b ≥ 0.
mp::cpp_int half_up(const mp::cpp_int& a, const mp::cpp_int& b) { return (2 * a + b) / (2 * b); }
} // namespace

std::vector<instalment> loan_schedule(std::int64_t principal, int rate_bp, int months, const std::string& kind) {
    std::vector<instalment> plan;
    if (months < 1) return plan;
    const mp::cpp_int year = 120'000; // rate_bp / 120000 is the monthly rate
    bool level = kind == "annuity" && rate_bp > 0;
    mp::cpp_int payment = 0;
    if (level) {
        // P·r / (1 − (1 + r)^−n) = P · rate_bp · (year + rate_bp)^n / (year · ((year + rate_bp)^n − year^n))
        mp::cpp_int grown = mp::pow(year + rate_bp, months), base = mp::pow(year, months);
        payment = half_up(mp::cpp_int(principal) * rate_bp * grown, year * (grown - base));
    }
    std::int64_t balance = principal;
    for (int k = 1; k <= months; ++k) {
        instalment i;
        i.no = k;
        i.interest = static_cast<std::int64_t>(half_up(mp::cpp_int(balance) * rate_bp, year));
        if (k == months) i.principal = balance;
        else if (level)
            i.principal = std::clamp(static_cast<std::int64_t>(payment) - i.interest, std::int64_t{0}, balance);
        else i.principal = std::min(balance, principal / months + (k <= principal % months ? 1 : 0));
        balance -= i.principal;
        plan.push_back(i);
    }
    return plan;
}

std::vector<std::int64_t> split_largest_remainder(std::int64_t amount, const std::vector<std::int64_t>& weights) {
    __int128 total = 0;
    for (auto w : weights) total += w;
    std::vector<std::int64_t> out;
    std::vector<__int128> remainder;
    std::int64_t given = 0;
    for (auto w : weights) {
        out.push_back(static_cast<std::int64_t>(static_cast<__int128>(amount) * w / total));
        remainder.push_back(static_cast<__int128>(amount) * w % total);
        given += out.back();
    }
    std::vector<std::size_t> order(weights.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return remainder[a] > remainder[b]; });
    for (std::size_t k = 0; given < amount; ++k, ++given) ++out[order[k]];
    return out;
}

answer platform::disburse(const std::string& project_name) {
    auto found = projects.find(project_name);
    if (found == projects.end()) return not_found;
    project& p = found->second;
    if (p.kind == "loan" && loans.contains(project_name)) return success(201); // its loan, answered again
    if (p.kind != "loan" || p.state != "funded") return project_state;
    loan l;
    l.borrower = p.owner;
    l.principal = p.pledged;
    l.schedule = loan_schedule(p.pledged, p.rate_bp, p.term_months, p.schedule);
    std::map<std::int64_t, lender> by_id;
    for (const auto& [name, g] : pledges) {
        if (g.project != project_name || g.state != pledge_state::posted) continue;
        auto& entry = by_id[customers.at(g.backer).id];
        entry.who = g.backer;
        entry.share += g.amount;
    }
    for (auto& [id, entry] : by_id) l.lenders.push_back(entry);
    auto& borrower = wallet_of(p.owner, p.currency);
    borrower.exists = true;
    borrower.balance += p.escrow_posted; // what was raised, less the fee
    p.escrow_posted = 0;
    p.state = "disbursed";
    loans[project_name] = l;
    return success(201);
}

void platform::pay_lenders(loan& l, const std::string& currency, std::int64_t principal, std::int64_t interest) {
    // Principal by what each lender is still owed, interest by share.
    std::vector<std::int64_t> outstanding, shares;
    std::vector<std::size_t> owed_to;
    for (std::size_t k = 0; k < l.lenders.size(); ++k) {
        shares.push_back(l.lenders[k].share);
        std::int64_t rest = l.lenders[k].share - l.lenders[k].principal_received;
        if (rest > 0) {
            outstanding.push_back(rest);
            owed_to.push_back(k);
        }
    }
    if (principal > 0) {
        auto parts = split_largest_remainder(principal, outstanding);
        for (std::size_t k = 0; k < parts.size(); ++k) {
            l.lenders[owed_to[k]].principal_received += parts[k];
            wallet_of(l.lenders[owed_to[k]].who, currency).balance += parts[k];
        }
    }
    if (interest > 0) {
        auto parts = split_largest_remainder(interest, shares);
        for (std::size_t k = 0; k < parts.size(); ++k) {
            l.lenders[k].interest_received += parts[k];
            wallet_of(l.lenders[k].who, currency).balance += parts[k];
        }
    }
}

answer platform::repay(const std::string& caller, const std::string& project_name, std::int64_t amount) {
    auto found = loans.find(project_name);
    if (found == loans.end()) return not_found;
    loan& l = found->second;
    if (caller != "staff" && caller != "staff2" && caller != l.borrower) return not_found;
    if (l.state != "repaying") return refused(409, "loan-state");
    if (amount > l.owed()) return refused(422, "repayment-exceeds-owed");
    project& p = projects.at(project_name);
    const wallet* w = find_wallet(l.borrower, p.currency);
    if (!w || w->available() < amount) return refused(422, "insufficient-funds");
    // Instalments in order, interest before principal.
    std::int64_t left = amount, interest = 0, principal = 0;
    for (auto& i : l.schedule) {
        std::int64_t in = std::min(left, i.interest - i.interest_paid);
        left -= in;
        std::int64_t out = std::min(left, i.principal - i.principal_paid);
        left -= out;
        i.interest_paid += in;
        i.principal_paid += out;
        interest += in;
        principal += out;
    }
    pay_lenders(l, p.currency, principal, interest);
    wallet_of(l.borrower, p.currency).balance -= amount;
    p.state = "repaying";
    if (l.owed() == 0) {
        l.state = "repaid";
        p.state = "repaid";
    }
    return success(201);
}

answer platform::mark_defaulted(const std::string& project_name) {
    auto found = loans.find(project_name);
    if (found == loans.end()) return not_found;
    if (found->second.state != "repaying") return refused(409, "loan-state");
    found->second.state = "defaulted";
    projects.at(project_name).state = "defaulted";
    return success(200);
}

std::vector<instant> platform::boundaries() const {
    std::vector<instant> out;
    for (const auto& [name, p] : projects) {
        if (p.state != "funding") continue;
        out.push_back(p.deadline);
        out.push_back(p.settles_at());
    }
    for (const auto& [name, g] : pledges) {
        if (g.state == pledge_state::held && g.revocable_until) out.push_back(*g.revocable_until);
    }
    return out;
}

} // namespace schwarm::test::model
