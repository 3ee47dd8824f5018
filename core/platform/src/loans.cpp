#include "platform/loans.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/accounts.hpp"
#include "platform/events.hpp"
#include "platform/loan_math.hpp"
#include "platform/pledges.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>

namespace schwarm::loans {

namespace {

using accounts::role;

// Movements per ledger entry: two postings each, within the ledger's 64.
constexpr std::size_t lenders_per_entry = 32;

const db::query insert_loan{
    "loans.insert",
    "INSERT INTO loans (project_id, borrower_id, principal_minor, currency, rate_bp, term_months, schedule, "
    "disburse_entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7::loan_schedule, $8)"};
// Lender 0 is the community fund (no user).
const db::query insert_lenders{"loans.insert_lenders",
                               "INSERT INTO loan_lenders (project_id, lender_id, share_minor, community_fund) "
                               "SELECT $1, nullif(l, 0), s, l = 0 FROM unnest($2::bigint[], $3::bigint[]) AS t(l, s)"};
const db::query insert_instalments{
    "loans.insert_instalments",
    "INSERT INTO loan_instalments (project_id, no, due_on, principal_minor, interest_minor) "
    "SELECT $1, n, (schwarm_today() + make_interval(months => n))::date, p, i "
    "FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS t(n, p, i)"};
const db::query select_loan{
    "loans.select",
    "SELECT l.borrower_id, l.principal_minor, l.currency, l.rate_bp, l.term_months, l.schedule::text, "
    "l.state::text, " SCHWARM_SQL_UTC_SECONDS(
        "l.disbursed_at") ", l.principal_repaid_minor, l.interest_repaid_minor, p.title "
                          "FROM loans l JOIN projects p ON p.id = l.project_id WHERE l.project_id = $1"};
const db::query lock_loan{"loans.lock",
                          "SELECT state::text, borrower_id, currency FROM loans WHERE project_id = $1 FOR UPDATE"};
const db::query select_instalments{
    "loans.instalments",
    "SELECT no, to_char(due_on, 'YYYY-MM-DD'), principal_minor, interest_minor, "
    "principal_paid_minor + interest_paid_minor, "
    "CASE WHEN principal_paid_minor = principal_minor AND interest_paid_minor = interest_minor THEN 'paid' "
    "WHEN due_on >= schwarm_today() THEN 'upcoming' WHEN schwarm_today() - due_on <= 30 THEN 'late' ELSE 'missed' END, "
    "CASE WHEN principal_paid_minor = principal_minor AND interest_paid_minor = interest_minor THEN 0 "
    "ELSE greatest(0, schwarm_today() - due_on) END, principal_paid_minor, interest_paid_minor "
    "FROM loan_instalments WHERE project_id = $1 ORDER BY no"};
const db::query select_lenders{
    "loans.lenders",
    "SELECT coalesce(lender_id, 0), share_minor, principal_received_minor, interest_received_minor FROM loan_lenders "
    "WHERE project_id = $1 ORDER BY community_fund DESC, lender_id"};
const db::query select_repayment_by_key{"loans.repayment_by_key",
                                        "SELECT id, amount_minor, principal_minor, interest_minor FROM loan_repayments "
                                        "WHERE project_id = $1 AND idempotency_key = $2"};
const db::query count_repayments{"loans.count_repayments",
                                 "SELECT count(*) FROM loan_repayments WHERE project_id = $1"};
const db::query pay_instalments{
    "loans.pay_instalments",
    "UPDATE loan_instalments i SET principal_paid_minor = principal_paid_minor + d.p, "
    "interest_paid_minor = interest_paid_minor + d.i, "
    "paid_at = CASE WHEN principal_paid_minor + d.p = principal_minor AND interest_paid_minor + d.i = interest_minor "
    "THEN schwarm_now() END FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS d(n, p, i) "
    "WHERE i.project_id = $1 AND i.no = d.n"};
const db::query pay_lenders{"loans.pay_lenders",
                            "UPDATE loan_lenders l SET principal_received_minor = principal_received_minor + d.p, "
                            "interest_received_minor = interest_received_minor + d.i "
                            "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS d(id, p, i) "
                            "WHERE l.project_id = $1 AND coalesce(l.lender_id, 0) = d.id"};
// After the instalments are updated: repaid when none is left unpaid.
const db::query update_loan_totals{
    "loans.update_totals", "UPDATE loans SET principal_repaid_minor = principal_repaid_minor + $2, "
                           "interest_repaid_minor = interest_repaid_minor + $3, "
                           "state = CASE WHEN NOT EXISTS (SELECT 1 FROM loan_instalments WHERE project_id = $1 "
                           "AND (principal_paid_minor < principal_minor OR interest_paid_minor < interest_minor)) "
                           "THEN 'repaid'::loan_state ELSE state END WHERE project_id = $1 RETURNING state::text"};
const db::query insert_repayment{"loans.insert_repayment",
                                 "INSERT INTO loan_repayments (project_id, amount_minor, principal_minor, "
                                 "interest_minor, entry_id, idempotency_key, "
                                 "created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"};
const db::query insert_shares{
    "loans.insert_shares",
    "INSERT INTO loan_repayment_shares (repayment_id, lender_id, principal_minor, interest_minor, community_fund) "
    "SELECT $1, nullif(l, 0), p, i, l = 0 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS t(l, p, i)"};
const db::query set_defaulted{"loans.set_defaulted",
                              "UPDATE loans SET state = 'defaulted', writeoff_entry_id = $2 WHERE project_id = $1"};
const db::query select_lent{
    "loans.lent_by",
    "SELECT l.project_id, p.title, l.state::text, l.currency, x.share_minor, x.principal_received_minor, "
    "x.interest_received_minor FROM loan_lenders x JOIN loans l ON l.project_id = x.project_id "
    "JOIN projects p ON p.id = l.project_id WHERE x.lender_id = $1 ORDER BY l.project_id DESC LIMIT 200"};
const db::query select_borrowed{
    "loans.borrowed_by",
    "SELECT l.project_id, p.title, l.state::text, l.currency, "
    "(SELECT coalesce(sum(principal_minor + interest_minor - principal_paid_minor - interest_paid_minor), 0)::bigint "
    " FROM loan_instalments WHERE project_id = l.project_id), "
    "(SELECT coalesce(sum(principal_minor + interest_minor - principal_paid_minor - interest_paid_minor), 0)::bigint "
    " FROM loan_instalments WHERE project_id = l.project_id AND due_on < schwarm_today()), "
    "(SELECT to_char(min(due_on), 'YYYY-MM-DD') FROM loan_instalments WHERE project_id = l.project_id "
    " AND principal_paid_minor + interest_paid_minor < principal_minor + interest_minor) "
    "FROM loans l JOIN projects p ON p.id = l.project_id WHERE l.borrower_id = $1 ORDER BY l.project_id DESC LIMIT "
    "200"};

struct instalment_row {
    instalment_view view;
    std::int64_t principal_paid = 0;
    std::int64_t interest_paid = 0;
};

std::vector<instalment_row> instalments_of(pqxx::transaction_base& tx, std::int64_t project) {
    std::vector<instalment_row> out;
    for (const auto& r : tx.exec_prepared(select_instalments.name, project)) {
        out.push_back({{r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                        r[4].as<std::int64_t>(), r[5].as<std::string>(), r[6].as<int>()},
                       r[7].as<std::int64_t>(),
                       r[8].as<std::int64_t>()});
    }
    return out;
}

std::vector<lender_view> lenders_of(pqxx::transaction_base& tx, std::int64_t project) {
    std::vector<lender_view> out;
    for (const auto& r : tx.exec_prepared(select_lenders.name, project)) {
        user_id lender{r[0].as<std::int64_t>()};
        out.push_back(
            {lender, lender.value == 0, r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()});
    }
    return out;
}

loan_view load(pqxx::transaction_base& tx, std::int64_t project) {
    auto rows = tx.exec_prepared(select_loan.name, project);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such loan");
    const auto& r = rows[0];
    loan_view v;
    v.project_id = project;
    v.borrower = user_id{r[0].as<std::int64_t>()};
    v.principal_minor = r[1].as<std::int64_t>();
    v.currency_code = r[2].as<std::string>();
    v.rate_bp = r[3].as<int>();
    v.term_months = r[4].as<int>();
    v.schedule = r[5].as<std::string>();
    v.state = r[6].as<std::string>();
    v.disbursed_at = r[7].as<std::string>();
    v.principal_repaid_minor = r[8].as<std::int64_t>();
    v.interest_repaid_minor = r[9].as<std::int64_t>();
    v.title = r[10].as<std::string>();
    for (auto& i : instalments_of(tx, project)) {
        std::int64_t unpaid = i.view.principal_minor + i.view.interest_minor - i.view.paid_minor;
        v.owed_minor += unpaid;
        if (i.view.status == "late" || i.view.status == "missed") v.arrears_minor += unpaid;
        v.instalments.push_back(std::move(i.view));
    }
    v.lenders = lenders_of(tx, project);
    return v;
}

// Where each lender's (and the borrower's) money is: a wallet, or for user
// id 0 the community fund.
std::map<std::int64_t, ledger::account_id> wallets_of(pqxx::work& tx, const std::vector<std::int64_t>& users,
                                                      const std::string& currency, const audit::origin& by) {
    std::vector<accounts::key> keys;
    for (auto u : users) {
        keys.push_back(u == 0 ? accounts::key{role::community_fund, 0, currency}
                              : accounts::key{role::wallet, u, currency});
    }
    auto found = accounts::find(tx, keys);
    std::map<std::int64_t, ledger::account_id> out;
    for (std::size_t i = 0; i < users.size(); ++i)
        out[users[i]] = found[i] ? *found[i] : accounts::open(tx, keys[i], by);
    return out;
}

// The two entries of a disbursement: the escrow (the principal less the
// fee) to the borrower's wallet, and the memorandum of what is owed.
std::vector<ledger::entry_id> book_disbursement(pqxx::work& tx, projects::project_id id, const projects::project& p,
                                                std::int64_t principal, std::int64_t paid_out,
                                                const audit::origin& by) {
    const std::string& cur = p.f.currency_code;
    accounts::movement out{accounts::open(tx, {role::escrow, id.value, cur}, by),
                           accounts::open(tx, {role::wallet, p.owner.value, cur}, by), paid_out};
    accounts::movement memo{accounts::open(tx, {role::loan_receivable, id.value, cur}, by),
                            accounts::open(tx, {role::lender_claims, id.value, cur}, by), principal};
    std::vector<ledger::entry_request> entries{
        accounts::transfer("loan-disburse:" + id.str(), std::span(&out, 1), cur, "Loan " + id.str() + " disbursed", by),
        accounts::transfer("loan-open:" + id.str(), std::span(&memo, 1), cur,
                           "Loan " + id.str() + ": principal owed to lenders (memorandum)", by)};
    return accounts::book_all(tx, entries);
}

// The schedule and who lent what, as the disbursement fixes them.
void record_loan(pqxx::work& tx, projects::project_id id, const projects::project& p, std::int64_t principal,
                 ledger::entry_id disbursed, const std::vector<std::pair<user_id, std::int64_t>>& lenders) {
    tx.exec_prepared(insert_loan.name, id.value, p.owner.value, principal, p.f.currency_code, *p.f.loan_rate_bp,
                     *p.f.loan_term_months, *p.f.loan_schedule, disbursed.value);
    std::vector<std::int64_t> ids, shares;
    for (const auto& [lender, share] : lenders) {
        ids.push_back(lender.value);
        shares.push_back(share);
    }
    tx.exec_prepared(insert_lenders.name, id.value, db::array_literal(ids), db::array_literal(shares));
    auto plan = schedule(principal, *p.f.loan_rate_bp, *p.f.loan_term_months,
                         *p.f.loan_schedule == "annuity" ? schedule_kind::annuity : schedule_kind::equal_principal);
    std::vector<std::int64_t> nos, principals, interests;
    for (const auto& i : plan) {
        nos.push_back(i.no);
        principals.push_back(i.principal_minor);
        interests.push_back(i.interest_minor);
    }
    tx.exec_prepared(insert_instalments.name, id.value, db::array_literal(nos), db::array_literal(principals),
                     db::array_literal(interests));
}

} // namespace

loan_view disburse(pqxx::work& tx, projects::project_id id, const projects::actor& by) {
    auto project = projects::find(tx, id, by.who);
    if (project.f.kind != "loan") {
        throw problem(projects::problems::illegal_transition, "Only loans are disbursed").with("state", project.state);
    }
    // The move checks role and state under the project's row lock.
    projects::transition(tx, id, "disburse", "", by);
    // Everything that came into escrow is the principal: the backers' posted
    // pledges, and the rest is what the community fund allocated.
    auto origin = projects::origin_of(by);
    auto b = accounts::balance(tx, accounts::open(tx, {role::escrow, id.value, project.f.currency_code}, origin));
    std::int64_t principal = b.credits_posted;
    std::int64_t paid_out = b.credits_posted - b.debits_posted; // the principal less the platform fee
    auto lenders = pledges::posted_by_backer(tx, id.value);
    std::int64_t pledged = 0;
    for (const auto& [lender, share] : lenders) pledged += share;
    SCHWARM_INVARIANT(principal == project.pledged_minor && pledged <= principal && b.credits_pending == 0,
                      "loan " + id.str() + ": escrow took " + std::to_string(principal) + ", pledges " +
                          std::to_string(pledged) + ", counted " + std::to_string(project.pledged_minor));
    if (principal > pledged) lenders.insert(lenders.begin(), {user_id{0}, principal - pledged}); // the fund
    SCHWARM_INVARIANT(principal > 0, "loan " + id.str() + " funded with nothing");
    auto entries = book_disbursement(tx, id, project, principal, paid_out, origin);
    record_loan(tx, id, project, principal, entries[0], lenders);
    audit::write(tx, {by.who.id, "loan.disburse", "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{
                          {"principal_minor", principal}, {"paid_out_minor", paid_out}, {"lenders", lenders.size()}})});
    return load(tx, id.value);
}

loan_view find(pqxx::transaction_base& tx, projects::project_id id, const users::principal& viewer) {
    auto v = load(tx, id.value);
    bool staff = viewer.role_ == users::role::staff || viewer.role_ == users::role::auditor;
    if (staff) return v;
    auto own =
        std::find_if(v.lenders.begin(), v.lenders.end(), [&](const lender_view& l) { return l.lender == viewer.id; });
    if (v.borrower != viewer.id && own == v.lenders.end())
        throw problem(schwarm::problems::not_found, "There is no such loan");
    std::vector<lender_view> mine;
    if (own != v.lenders.end()) mine.push_back(*own);
    v.lenders = std::move(mine);
    return v;
}

payment_allocation allocate_payment(std::span<const instalment_due> dues, std::int64_t amount_minor) {
    payment_allocation out;
    std::int64_t left = amount_minor;
    for (const auto& d : dues) {
        if (left == 0) break;
        std::int64_t interest = std::min(left, d.interest_due_minor);
        left -= interest;
        std::int64_t principal = std::min(left, d.principal_due_minor);
        left -= principal;
        if (interest == 0 && principal == 0) continue;
        out.nos.push_back(d.no);
        out.interest.push_back(interest);
        out.principal.push_back(principal);
        out.interest_minor += interest;
        out.principal_minor += principal;
    }
    return out;
}

lender_split split_to_lenders(std::span<const lender_view> lenders, std::int64_t principal_minor,
                              std::int64_t interest_minor) {
    lender_split out{std::vector<std::int64_t>(lenders.size(), 0), std::vector<std::int64_t>(lenders.size(), 0)};
    if (principal_minor > 0) {
        std::vector<std::int64_t> weights;
        std::vector<std::size_t> index;
        for (std::size_t k = 0; k < lenders.size(); ++k) {
            std::int64_t outstanding = lenders[k].share_minor - lenders[k].principal_received_minor;
            if (outstanding <= 0) continue;
            weights.push_back(outstanding);
            index.push_back(k);
        }
        auto parts = split_pro_rata(principal_minor, weights);
        for (std::size_t k = 0; k < parts.size(); ++k) out.principal[index[k]] = parts[k];
    }
    if (interest_minor > 0) {
        std::vector<std::int64_t> shares;
        for (const auto& l : lenders) shares.push_back(l.share_minor);
        out.interest = split_pro_rata(interest_minor, shares);
    }
    return out;
}

namespace {

struct locked_loan {
    std::string state;
    user_id borrower;
    std::string currency_code;
};

locked_loan lock(pqxx::work& tx, projects::project_id id, const projects::actor& by, bool borrower_or_staff) {
    auto rows = tx.exec_prepared(lock_loan.name, id.value);
    if (rows.empty()) throw problem(schwarm::problems::not_found, "There is no such loan");
    locked_loan l{rows[0][0].as<std::string>(), user_id{rows[0][1].as<std::int64_t>()}, rows[0][2].as<std::string>()};
    if (borrower_or_staff && by.who.role_ != users::role::staff && l.borrower != by.who.id) {
        throw problem(schwarm::problems::not_found, "There is no such loan of yours");
    }
    return l;
}

// A repayment's entries: borrower → lenders, interest and principal apart,
// lenders in groups the ledger takes in one entry, and the memorandum of the
// principal repaid.
std::vector<ledger::entry_request> repayment_entries(pqxx::work& tx, projects::project_id id, const locked_loan& loan,
                                                     std::span<const lender_view> lenders, const lender_split& split,
                                                     std::int64_t principal, const projects::actor& by) {
    auto origin = projects::origin_of(by);
    std::int64_t n = tx.exec_prepared(count_repayments.name, id.value)[0][0].as<std::int64_t>() + 1;
    std::string prefix = "loan-repay:" + id.str() + ":" + std::to_string(n) + ":";
    std::vector<std::int64_t> everyone{loan.borrower.value};
    for (const auto& l : lenders) everyone.push_back(l.lender.value);
    auto wallets = wallets_of(tx, everyone, loan.currency_code, origin);
    std::vector<ledger::entry_request> entries;
    auto add_kind = [&](const char* kind, const std::vector<std::int64_t>& parts) {
        std::vector<accounts::movement> group;
        int groups = 0;
        auto flush = [&] {
            if (group.empty()) return;
            entries.push_back(
                accounts::transfer(prefix + kind + ":" + std::to_string(groups++), group, loan.currency_code,
                                   "Loan " + id.str() + " repayment " + std::to_string(n) + ": " + kind, origin));
            group.clear();
        };
        for (std::size_t k = 0; k < lenders.size(); ++k) {
            if (parts[k] == 0) continue;
            group.push_back({wallets.at(loan.borrower.value), wallets.at(lenders[k].lender.value), parts[k]});
            if (group.size() == lenders_per_entry) flush();
        }
        flush();
    };
    add_kind("interest", split.interest);
    add_kind("principal", split.principal);
    if (principal > 0) {
        accounts::movement memo{accounts::open(tx, {role::lender_claims, id.value, loan.currency_code}, origin),
                                accounts::open(tx, {role::loan_receivable, id.value, loan.currency_code}, origin),
                                principal};
        entries.push_back(accounts::transfer(
            prefix + "memo", std::span(&memo, 1), loan.currency_code,
            "Loan " + id.str() + " repayment " + std::to_string(n) + ": principal (memorandum)", origin));
    }
    return entries;
}

// Instalments, lenders and totals after a booked repayment; the repayment's
// own record; and the project's state (repaying, repaid).
std::int64_t record_repayment(pqxx::work& tx, projects::project_id id, std::int64_t amount_minor,
                              const payment_allocation& paid, std::span<const lender_view> lenders,
                              const lender_split& split, ledger::entry_id first_entry,
                              const std::string& idempotency_key, const projects::actor& by) {
    std::vector<std::int64_t> lender_ids;
    for (const auto& l : lenders) lender_ids.push_back(l.lender.value);
    std::vector<std::int64_t> nos(paid.nos.begin(), paid.nos.end());
    tx.exec_prepared(pay_instalments.name, id.value, db::array_literal(nos), db::array_literal(paid.principal),
                     db::array_literal(paid.interest));
    tx.exec_prepared(pay_lenders.name, id.value, db::array_literal(lender_ids), db::array_literal(split.principal),
                     db::array_literal(split.interest));
    std::string after =
        tx.exec_prepared(update_loan_totals.name, id.value, paid.principal_minor, paid.interest_minor)[0][0]
            .as<std::string>();
    auto actor = projects::origin_of(by).actor;
    std::optional<std::int64_t> actor_id;
    if (actor) actor_id = actor->value;
    std::int64_t repayment_id =
        tx.exec_prepared(insert_repayment.name, id.value, amount_minor, paid.principal_minor, paid.interest_minor,
                         first_entry.value, idempotency_key, actor_id)[0][0]
            .as<std::int64_t>();
    tx.exec_prepared(insert_shares.name, repayment_id, db::array_literal(lender_ids),
                     db::array_literal(split.principal), db::array_literal(split.interest));
    auto project = projects::lock_funding(tx, {id.value});
    if (!project.empty() && project[0].state == "disbursed") {
        projects::transition(tx, id, "start_repaying", "", projects::platform_actor(by.request_id));
    }
    if (after == "repaid") projects::transition(tx, id, "repaid", "", projects::platform_actor(by.request_id));
    return repayment_id;
}

} // namespace

repayment repay(pqxx::work& tx, projects::project_id id, std::int64_t amount_minor, const std::string& idempotency_key,
                const projects::actor& by) {
    if (amount_minor <= 0) throw field_problem("amount_minor", "amount_minor must be positive");
    auto loan = lock(tx, id, by, true);
    // A retry: the repayment booked under this key.
    auto earlier = tx.exec_prepared(select_repayment_by_key.name, id.value, idempotency_key);
    if (!earlier.empty()) {
        const auto& r = earlier[0];
        if (r[1].as<std::int64_t>() != amount_minor) {
            throw problem(schwarm::problems::idempotency_conflict,
                          "This Idempotency-Key was used for a repayment of another amount");
        }
        return {r[0].as<std::int64_t>(), amount_minor, r[2].as<std::int64_t>(),
                r[3].as<std::int64_t>(), true,         load(tx, id.value)};
    }
    if (loan.state != "repaying")
        throw problem(problems::not_repaying, "The loan is " + loan.state).with("state", loan.state);

    std::vector<instalment_due> dues;
    std::int64_t owed = 0;
    for (const auto& i : instalments_of(tx, id.value)) {
        dues.push_back({i.view.no, i.view.principal_minor - i.principal_paid, i.view.interest_minor - i.interest_paid});
        owed += dues.back().principal_due_minor + dues.back().interest_due_minor;
    }
    if (amount_minor > owed) {
        throw problem(problems::exceeds_owed,
                      "The loan's borrower owes " + std::to_string(owed) + " minor units in all")
            .with("owed_minor", owed);
    }
    auto paid = allocate_payment(dues, amount_minor);
    auto lenders = lenders_of(tx, id.value);
    auto split = split_to_lenders(lenders, paid.principal_minor, paid.interest_minor);
    auto entries = repayment_entries(tx, id, loan, lenders, split, paid.principal_minor, by);
    std::vector<ledger::entry_id> booked;
    try {
        booked = accounts::book_all(tx, entries);
    } catch (const problem& p) {
        if (!p.is(ledger::problems::balance_limit)) throw;
        throw problem(pledges::problems::insufficient_funds,
                      "The borrower's wallet does not cover " + std::to_string(amount_minor) + " minor units");
    }
    auto repayment_id =
        record_repayment(tx, id, amount_minor, paid, lenders, split, booked.front(), idempotency_key, by);
    audit::write(tx, {by.who.id, "loan.repay", "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"amount_minor", amount_minor},
                                                                 {"principal_minor", paid.principal_minor},
                                                                 {"interest_minor", paid.interest_minor}})});
    auto after = load(tx, id.value);
    // Followers (the lenders among them) hear how the loan stands, not the
    // borrower's amounts: those are for the loan's own page.
    auto paid_instalments = std::count_if(after.instalments.begin(), after.instalments.end(),
                                          [](const instalment_view& i) { return i.status == "paid"; });
    events::publish(tx, events::kinds::loan_repayment, events::subject::of_project(id.value),
                    {{"repayment_id", std::to_string(repayment_id)},
                     {"loan_state", after.state},
                     {"instalments_paid", static_cast<std::int64_t>(paid_instalments)},
                     {"instalments", static_cast<std::int64_t>(after.instalments.size())}},
                    projects::origin_of(by));
    return {repayment_id, amount_minor, paid.principal_minor, paid.interest_minor, false, std::move(after)};
}

loan_view mark_defaulted(pqxx::work& tx, projects::project_id id, const std::string& reason,
                         const projects::actor& by) {
    if (reason.empty()) throw field_problem("reason", "Marking a loan defaulted needs a reason");
    auto loan = lock(tx, id, by, false);
    if (loan.state != "repaying")
        throw problem(problems::not_repaying, "The loan is " + loan.state).with("state", loan.state);
    const std::string& cur = loan.currency_code;
    projects::transition(tx, id, "default", reason, by); // staff, not the owner
    auto v = load(tx, id.value);
    std::int64_t outstanding = v.principal_minor - v.principal_repaid_minor;
    std::optional<std::int64_t> entry;
    if (outstanding > 0) {
        auto origin = projects::origin_of(by);
        accounts::movement off{accounts::open(tx, {role::lender_claims, id.value, cur}, origin),
                               accounts::open(tx, {role::loan_receivable, id.value, cur}, origin), outstanding};
        auto writeoff =
            accounts::transfer("loan-writeoff:" + id.str(), std::span(&off, 1), cur,
                               "Loan " + id.str() + " defaulted: outstanding principal written off", origin);
        entry = accounts::book_all(tx, std::span(&writeoff, 1))[0].value;
    }
    tx.exec_prepared(set_defaulted.name, id.value, entry);
    audit::write(tx,
                 {by.who.id, "loan.default", "project:" + id.str(), by.request_id,
                  boost::json::serialize(boost::json::object{{"written_off_minor", outstanding}, {"reason", reason}})});
    return load(tx, id.value);
}

std::vector<lent_position> lent_by(pqxx::transaction_base& tx, user_id lender) {
    std::vector<lent_position> out;
    for (const auto& r : tx.exec_prepared(select_lent.name, lender.value)) {
        lent_position p{
            r[0].as<std::int64_t>(), r[1].as<std::string>(),  r[2].as<std::string>(),  r[3].as<std::string>(),
            r[4].as<std::int64_t>(), r[5].as<std::int64_t>(), r[6].as<std::int64_t>(), 0};
        p.outstanding_minor = p.state == "defaulted" ? 0 : p.share_minor - p.principal_received_minor;
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<borrowed_position> borrowed_by(pqxx::transaction_base& tx, user_id borrower) {
    std::vector<borrowed_position> out;
    for (const auto& r : tx.exec_prepared(select_borrowed.name, borrower.value)) {
        out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                       r[4].as<std::int64_t>(), r[5].as<std::int64_t>(), db::nullable<std::string>(r[6])});
    }
    return out;
}

} // namespace schwarm::loans
