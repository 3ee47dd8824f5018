#include "platform/loans.hpp"

#include "base/audit.hpp"
#include "base/db.hpp"
#include "platform/ledger_port.hpp"
#include "platform/loan_math.hpp"
#include "platform/pledges.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>

namespace schwarm::loans {

namespace {

using ledger_port::account_role;

// Movements per ledger entry: two postings each, within the ledger's 64.
constexpr std::size_t lenders_per_entry = 32;

const db::query insert_loan{
    "loans.insert",
    "INSERT INTO loans (project_id, borrower_id, principal_minor, currency, rate_bp, term_months, schedule, "
    "disburse_entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7::loan_schedule, $8)"};
// Lender 0 is the community fund (no user).
const db::query insert_lenders{
    "loans.insert_lenders",
    "INSERT INTO loan_lenders (project_id, lender_id, share_minor, community_fund) "
    "SELECT $1, nullif(l, 0), s, l = 0 FROM unnest($2::bigint[], $3::bigint[]) AS t(l, s)"};
const db::query insert_instalments{
    "loans.insert_instalments",
    "INSERT INTO loan_instalments (project_id, no, due_on, principal_minor, interest_minor) "
    "SELECT $1, n, (schwarm_today() + make_interval(months => n))::date, p, i "
    "FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS t(n, p, i)"};
const db::query select_loan{
    "loans.select",
    "SELECT l.borrower_id, l.principal_minor, l.currency, l.rate_bp, l.term_months, l.schedule::text, l.state::text, "
    SCHWARM_SQL_UTC_SECONDS("l.disbursed_at") ", l.principal_repaid_minor, l.interest_repaid_minor, p.title "
    "FROM loans l JOIN projects p ON p.id = l.project_id WHERE l.project_id = $1"};
const db::query lock_loan{
    "loans.lock", "SELECT state::text, borrower_id, currency FROM loans WHERE project_id = $1 FOR UPDATE"};
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
const db::query select_repayment_by_key{
    "loans.repayment_by_key",
    "SELECT id, amount_minor, principal_minor, interest_minor FROM loan_repayments "
    "WHERE project_id = $1 AND idempotency_key = $2"};
const db::query count_repayments{"loans.count_repayments", "SELECT count(*) FROM loan_repayments WHERE project_id = $1"};
const db::query pay_instalments{
    "loans.pay_instalments",
    "UPDATE loan_instalments i SET principal_paid_minor = principal_paid_minor + d.p, "
    "interest_paid_minor = interest_paid_minor + d.i, "
    "paid_at = CASE WHEN principal_paid_minor + d.p = principal_minor AND interest_paid_minor + d.i = interest_minor "
    "THEN schwarm_now() END FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS d(n, p, i) "
    "WHERE i.project_id = $1 AND i.no = d.n"};
const db::query pay_lenders{
    "loans.pay_lenders",
    "UPDATE loan_lenders l SET principal_received_minor = principal_received_minor + d.p, "
    "interest_received_minor = interest_received_minor + d.i "
    "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS d(id, p, i) "
    "WHERE l.project_id = $1 AND coalesce(l.lender_id, 0) = d.id"};
// After the instalments are updated: repaid when none is left unpaid.
const db::query update_loan_totals{
    "loans.update_totals",
    "UPDATE loans SET principal_repaid_minor = principal_repaid_minor + $2, interest_repaid_minor = interest_repaid_minor + $3, "
    "state = CASE WHEN NOT EXISTS (SELECT 1 FROM loan_instalments WHERE project_id = $1 "
    "AND (principal_paid_minor < principal_minor OR interest_paid_minor < interest_minor)) "
    "THEN 'repaid'::loan_state ELSE state END WHERE project_id = $1 RETURNING state::text"};
const db::query insert_repayment{
    "loans.insert_repayment",
    "INSERT INTO loan_repayments (project_id, amount_minor, principal_minor, interest_minor, entry_id, idempotency_key, "
    "created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"};
const db::query insert_shares{
    "loans.insert_shares",
    "INSERT INTO loan_repayment_shares (repayment_id, lender_id, principal_minor, interest_minor, community_fund) "
    "SELECT $1, nullif(l, 0), p, i, l = 0 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS t(l, p, i)"};
const db::query set_defaulted{
    "loans.set_defaulted", "UPDATE loans SET state = 'defaulted', writeoff_entry_id = $2 WHERE project_id = $1"};
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
    "FROM loans l JOIN projects p ON p.id = l.project_id WHERE l.borrower_id = $1 ORDER BY l.project_id DESC LIMIT 200"};

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
                       r[7].as<std::int64_t>(), r[8].as<std::int64_t>()});
    }
    return out;
}

std::vector<lender_view> lenders_of(pqxx::transaction_base& tx, std::int64_t project) {
    std::vector<lender_view> out;
    for (const auto& r : tx.exec_prepared(select_lenders.name, project)) {
        user_id lender{r[0].as<std::int64_t>()};
        out.push_back({lender, lender.value == 0, r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()});
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
std::map<std::int64_t, std::int64_t> wallets_of(pqxx::work& tx, const std::vector<std::int64_t>& users,
                                                const std::string& currency, const audit::origin& by) {
    const auto& ledger = ledger_port::current();
    std::vector<ledger_port::account_key> keys;
    for (auto u : users) {
        keys.push_back(u == 0 ? ledger_port::account_key{account_role::community_fund, 0, currency}
                              : ledger_port::account_key{account_role::wallet, u, currency});
    }
    auto found = ledger.find_accounts(tx, keys);
    std::map<std::int64_t, std::int64_t> out;
    for (std::size_t i = 0; i < users.size(); ++i) {
        out[users[i]] = found[i] ? *found[i] : ledger.account(tx, keys[i], by);
    }
    return out;
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
    const auto& ledger = ledger_port::current();
    const std::string& cur = project.f.currency_code;
    std::int64_t escrow = ledger.account(tx, {account_role::escrow, id.value, cur}, projects::origin_of(by));
    auto b = ledger.balance_of(tx, escrow);
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
    std::int64_t wallet = ledger.account(tx, {account_role::wallet, project.owner.value, cur}, projects::origin_of(by));
    std::int64_t receivable = ledger.account(tx, {account_role::loan_receivable, id.value, cur}, projects::origin_of(by));
    std::int64_t claims = ledger.account(tx, {account_role::lender_claims, id.value, cur}, projects::origin_of(by));
    std::vector<ledger_port::booking> bookings{
        {"loan-disburse:" + id.str(), ledger_port::booking_kind::transfer, {{escrow, wallet, paid_out}}, cur,
         std::nullopt, "Loan " + id.str() + " disbursed", by.who.id, by.request_id},
        {"loan-open:" + id.str(), ledger_port::booking_kind::transfer, {{receivable, claims, principal}}, cur,
         std::nullopt, "Loan " + id.str() + ": principal owed to lenders (memorandum)", by.who.id, by.request_id}};
    auto entries = ledger_port::book_all(tx, bookings);

    tx.exec_prepared(insert_loan.name, id.value, project.owner.value, principal, cur, *project.f.loan_rate_bp,
                     *project.f.loan_term_months, *project.f.loan_schedule, entries[0]);
    std::vector<std::int64_t> ids, shares;
    for (const auto& [lender, share] : lenders) {
        ids.push_back(lender.value);
        shares.push_back(share);
    }
    tx.exec_prepared(insert_lenders.name, id.value, db::array_literal(ids), db::array_literal(shares));
    auto plan = schedule(principal, *project.f.loan_rate_bp, *project.f.loan_term_months,
                         *project.f.loan_schedule == "annuity" ? schedule_kind::annuity : schedule_kind::equal_principal);
    std::vector<std::int64_t> nos, principals, interests;
    for (const auto& i : plan) {
        nos.push_back(i.no);
        principals.push_back(i.principal_minor);
        interests.push_back(i.interest_minor);
    }
    tx.exec_prepared(insert_instalments.name, id.value, db::array_literal(nos), db::array_literal(principals),
                     db::array_literal(interests));
    audit::write(tx, {by.who.id, "loan.disburse", "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"principal_minor", principal},
                                                                 {"paid_out_minor", paid_out},
                                                                 {"lenders", lenders.size()}})});
    return load(tx, id.value);
}

loan_view find(pqxx::transaction_base& tx, projects::project_id id, const users::principal& viewer) {
    auto v = load(tx, id.value);
    bool staff = viewer.role_ == users::role::staff || viewer.role_ == users::role::auditor;
    if (staff) return v;
    auto own = std::find_if(v.lenders.begin(), v.lenders.end(), [&](const lender_view& l) { return l.lender == viewer.id; });
    if (v.borrower != viewer.id && own == v.lenders.end()) throw problem(schwarm::problems::not_found, "There is no such loan");
    std::vector<lender_view> mine;
    if (own != v.lenders.end()) mine.push_back(*own);
    v.lenders = std::move(mine);
    return v;
}

repayment repay(pqxx::work& tx, projects::project_id id, std::int64_t amount_minor, const std::string& idempotency_key,
                const projects::actor& by) {
    if (amount_minor <= 0) throw field_problem("amount_minor", "amount_minor must be positive");
    auto locked = tx.exec_prepared(lock_loan.name, id.value);
    bool staff = by.who.role_ == users::role::staff;
    if (locked.empty() || (!staff && user_id{locked[0][1].as<std::int64_t>()} != by.who.id)) {
        throw problem(schwarm::problems::not_found, "There is no such loan of yours");
    }
    std::string state = locked[0][0].as<std::string>();
    user_id borrower{locked[0][1].as<std::int64_t>()};
    std::string cur = locked[0][2].as<std::string>();

    // A retry: the repayment booked under this key.
    auto earlier = tx.exec_prepared(select_repayment_by_key.name, id.value, idempotency_key);
    if (!earlier.empty()) {
        const auto& r = earlier[0];
        if (r[1].as<std::int64_t>() != amount_minor) {
            throw problem(schwarm::problems::idempotency_conflict, "This Idempotency-Key was used for a repayment of another amount");
        }
        return {r[0].as<std::int64_t>(), amount_minor, r[2].as<std::int64_t>(), r[3].as<std::int64_t>(), true,
                load(tx, id.value)};
    }
    if (state != "repaying") {
        throw problem(problems::not_repaying, "The loan is " + state).with("state", state);
    }

    // Instalments in order, interest before principal.
    auto instalments = instalments_of(tx, id.value);
    std::int64_t owed = 0;
    for (const auto& i : instalments) owed += i.view.principal_minor + i.view.interest_minor - i.view.paid_minor;
    if (amount_minor > owed) {
        throw problem(problems::exceeds_owed, "The loan's borrower owes " + std::to_string(owed) + " minor units in all")
            .with("owed_minor", std::to_string(owed));
    }
    std::vector<std::int64_t> nos, principal_add, interest_add;
    std::int64_t left = amount_minor, principal = 0, interest = 0;
    for (const auto& i : instalments) {
        if (left == 0) break;
        std::int64_t i_due = i.view.interest_minor - i.interest_paid;
        std::int64_t p_due = i.view.principal_minor - i.principal_paid;
        std::int64_t i_pay = std::min(left, i_due);
        left -= i_pay;
        std::int64_t p_pay = std::min(left, p_due);
        left -= p_pay;
        if (i_pay == 0 && p_pay == 0) continue;
        nos.push_back(i.view.no);
        interest_add.push_back(i_pay);
        principal_add.push_back(p_pay);
        interest += i_pay;
        principal += p_pay;
    }

    // Split: principal by what each lender is still owed, interest by share.
    auto lenders = lenders_of(tx, id.value);
    std::vector<std::int64_t> outstanding, shares, lender_ids;
    for (const auto& l : lenders) {
        lender_ids.push_back(l.lender.value);
        shares.push_back(l.share_minor);
        outstanding.push_back(l.share_minor - l.principal_received_minor);
    }
    std::vector<std::int64_t> principal_parts(lenders.size(), 0);
    if (principal > 0) {
        std::vector<std::int64_t> weights, index;
        for (std::size_t k = 0; k < lenders.size(); ++k) {
            if (outstanding[k] > 0) {
                weights.push_back(outstanding[k]);
                index.push_back(static_cast<std::int64_t>(k));
            }
        }
        auto parts = split_pro_rata(principal, weights);
        for (std::size_t k = 0; k < parts.size(); ++k) principal_parts[index[k]] = parts[k];
    }
    auto interest_parts = interest > 0 ? split_pro_rata(interest, shares) : std::vector<std::int64_t>(lenders.size(), 0);

    // The entries: per kind, lenders in groups the ledger takes in one entry.
    const auto& ledger = ledger_port::current();
    std::int64_t n = tx.exec_prepared(count_repayments.name, id.value)[0][0].as<std::int64_t>() + 1;
    std::string prefix = "loan-repay:" + id.str() + ":" + std::to_string(n) + ":";
    std::vector<std::int64_t> everyone = lender_ids;
    everyone.push_back(borrower.value);
    auto wallets = wallets_of(tx, everyone, cur, projects::origin_of(by));
    std::int64_t from = wallets[borrower.value];
    std::vector<ledger_port::booking> bookings;
    for (const auto& [kind_name, parts] : {std::pair{std::string("interest"), &interest_parts},
                                           std::pair{std::string("principal"), &principal_parts}}) {
        // Not the binding itself in the lambda below: clang before 16 cannot
        // capture structured bindings (the fuzz build uses clang 14).
        const std::string& kind = kind_name;
        ledger_port::booking b;
        int group = 0;
        auto flush = [&] {
            if (b.movements.empty()) return;
            b.idempotency_key = prefix + kind + ":" + std::to_string(group++);
            b.kind = ledger_port::booking_kind::transfer;
            b.currency_code = cur;
            b.description = "Loan " + id.str() + " repayment " + std::to_string(n) + ": " + kind;
            b.actor = by.who.id;
            b.request_id = by.request_id;
            bookings.push_back(std::move(b));
            b = {};
        };
        for (std::size_t k = 0; k < lenders.size(); ++k) {
            if ((*parts)[k] == 0) continue;
            b.movements.push_back({from, wallets[lender_ids[k]], (*parts)[k]});
            if (b.movements.size() == lenders_per_entry) flush();
        }
        flush();
    }
    if (principal > 0) {
        std::int64_t receivable = ledger.account(tx, {account_role::loan_receivable, id.value, cur}, projects::origin_of(by));
        std::int64_t claims = ledger.account(tx, {account_role::lender_claims, id.value, cur}, projects::origin_of(by));
        bookings.push_back({prefix + "memo", ledger_port::booking_kind::transfer, {{claims, receivable, principal}}, cur,
                            std::nullopt, "Loan " + id.str() + " repayment " + std::to_string(n) + ": principal (memorandum)",
                            by.who.id, by.request_id});
    }
    std::vector<std::int64_t> entries;
    try {
        entries = ledger_port::book_all(tx, bookings);
    } catch (const problem& p) {
        if (p.slug_is("balance-limit-exceeded")) {
            throw problem(pledges::problems::insufficient_funds,
                          "The borrower's wallet does not cover " + std::to_string(amount_minor) + " minor units");
        }
        throw;
    }

    tx.exec_prepared(pay_instalments.name, id.value, db::array_literal(nos), db::array_literal(principal_add),
                     db::array_literal(interest_add));
    tx.exec_prepared(pay_lenders.name, id.value, db::array_literal(lender_ids), db::array_literal(principal_parts),
                     db::array_literal(interest_parts));
    std::string after =
        tx.exec_prepared(update_loan_totals.name, id.value, principal, interest)[0][0].as<std::string>();
    std::optional<std::int64_t> actor;
    if (by.who.id.value != 0) actor = by.who.id.value;
    std::int64_t repayment_id = tx.exec_prepared(insert_repayment.name, id.value, amount_minor, principal, interest,
                                                 entries.front(), idempotency_key, actor)[0][0]
                                    .as<std::int64_t>();
    tx.exec_prepared(insert_shares.name, repayment_id, db::array_literal(lender_ids), db::array_literal(principal_parts),
                     db::array_literal(interest_parts));
    auto project = projects::lock_funding(tx, {id.value});
    if (!project.empty() && project[0].state == "disbursed") {
        projects::transition(tx, id, "start_repaying", "", projects::platform_actor(by.request_id));
    }
    if (after == "repaid") projects::transition(tx, id, "repaid", "", projects::platform_actor(by.request_id));
    audit::write(tx, {by.who.id, "loan.repay", "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"amount_minor", amount_minor},
                                                                 {"principal_minor", principal},
                                                                 {"interest_minor", interest}})});
    return {repayment_id, amount_minor, principal, interest, false, load(tx, id.value)};
}

loan_view mark_defaulted(pqxx::work& tx, projects::project_id id, const std::string& reason, const projects::actor& by) {
    if (reason.empty()) throw field_problem("reason", "Marking a loan defaulted needs a reason");
    auto locked = tx.exec_prepared(lock_loan.name, id.value);
    if (locked.empty()) throw problem(schwarm::problems::not_found, "There is no such loan");
    std::string state = locked[0][0].as<std::string>();
    if (state != "repaying") throw problem(problems::not_repaying, "The loan is " + state).with("state", state);
    std::string cur = locked[0][2].as<std::string>();
    projects::transition(tx, id, "default", reason, by); // staff, not the owner
    auto v = load(tx, id.value);
    std::int64_t outstanding = v.principal_minor - v.principal_repaid_minor;
    std::optional<std::int64_t> entry;
    if (outstanding > 0) {
        const auto& ledger = ledger_port::current();
        std::int64_t receivable = ledger.account(tx, {account_role::loan_receivable, id.value, cur}, projects::origin_of(by));
        std::int64_t claims = ledger.account(tx, {account_role::lender_claims, id.value, cur}, projects::origin_of(by));
        std::vector<ledger_port::booking> writeoff{
            {"loan-writeoff:" + id.str(), ledger_port::booking_kind::transfer, {{claims, receivable, outstanding}}, cur,
             std::nullopt, "Loan " + id.str() + " defaulted: outstanding principal written off", by.who.id, by.request_id}};
        entry = ledger_port::book_all(tx, writeoff)[0];
    }
    tx.exec_prepared(set_defaulted.name, id.value, entry);
    audit::write(tx, {by.who.id, "loan.default", "project:" + id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{{"written_off_minor", outstanding}, {"reason", reason}})});
    return load(tx, id.value);
}

std::vector<lent_position> lent_by(pqxx::transaction_base& tx, user_id lender) {
    std::vector<lent_position> out;
    for (const auto& r : tx.exec_prepared(select_lent.name, lender.value)) {
        lent_position p{r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
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
