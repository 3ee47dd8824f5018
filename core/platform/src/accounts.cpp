#include "platform/accounts.hpp"

#include "base/money.hpp"
#include "base/problem.hpp"

#include <stdexcept>

namespace schwarm::accounts {

namespace {

struct role_spec {
    const char* code_prefix;
    const char* name;
    ledger::account_type type;
    bool debits_must_not_exceed_credits;
};

role_spec spec_of(role r) {
    using t = ledger::account_type;
    switch (r) {
    case role::bank_cash: return {"bank:cash", "Bank: money at payment providers", t::asset, false};
    case role::wallet: return {"wallet", "Customer wallet", t::liability, true};
    case role::escrow: return {"escrow", "Project escrow", t::liability, true};
    case role::fee_income: return {"income:fees", "Platform fee income", t::income, false};
    case role::community_fund: return {"fund:community", "Community fund", t::liability, true};
    case role::loan_receivable:
        return {"loan:receivable", "Loan principal owed by the borrower (memorandum)", t::asset, false};
    case role::lender_claims:
        return {"loan:lender-claims", "Loan principal owed on to lenders (memorandum)", t::liability, false};
    }
    throw std::logic_error("unknown account role");
}

ledger::who who_of(const audit::origin& by) { return {by.actor, by.request_id}; }

ledger::entry_request entry(std::string idempotency_key, ledger::entry_kind kind, std::string description,
                            const audit::origin& by) {
    // Clients' keys live under "api:" (api/resources/src/ledger.cpp); the
    // platform's never do, so neither can take the other's.
    SCHWARM_INVARIANT(!idempotency_key.starts_with("api:"), "an internal booking key in the clients' namespace");
    ledger::entry_request r;
    r.idempotency_key = std::move(idempotency_key);
    r.kind = kind;
    r.description = std::move(description);
    r.by = who_of(by);
    return r;
}

void add(ledger::entry_request& r, const movement& m, const std::string& currency_code) {
    r.postings.push_back({m.debit, ledger::side::debit, m.amount_minor, currency_code});
    r.postings.push_back({m.credit, ledger::side::credit, m.amount_minor, currency_code});
}

} // namespace

std::string code_of(const key& k) {
    std::string code = spec_of(k.of).code_prefix;
    if (k.owner != 0) code += ":" + std::to_string(k.owner);
    return code + ":" + k.currency_code;
}

ledger::account_id open(pqxx::work& tx, const key& k, const audit::origin& by) {
    auto cur = currency::parse(k.currency_code);
    if (!cur) throw field_problem("currency", "currency must be an ISO 4217 code we book");
    auto r = spec_of(k.of);
    ledger::account_spec spec{code_of(k), r.name, r.type, *cur};
    if (k.of == role::wallet) spec.owner_user = user_id{k.owner};
    else if (k.owner != 0) spec.owner_project = k.owner;
    spec.debits_must_not_exceed_credits = r.debits_must_not_exceed_credits;
    return ledger::ensure_account(tx, spec, who_of(by));
}

std::optional<ledger::account_id> find(pqxx::transaction_base& tx, const key& k) {
    return ledger::find_account_by_code(tx, code_of(k));
}

std::vector<std::optional<ledger::account_id>> find(pqxx::transaction_base& tx, std::span<const key> keys) {
    std::vector<std::string> codes;
    codes.reserve(keys.size());
    for (const auto& k : keys) codes.push_back(code_of(k));
    auto found = ledger::find_accounts_by_code(tx, codes);
    std::vector<std::optional<ledger::account_id>> out;
    out.reserve(keys.size());
    for (const auto& c : codes) {
        auto it = found.find(c);
        out.push_back(it == found.end() ? std::nullopt : std::optional(it->second));
    }
    return out;
}

ledger::balances balance(pqxx::transaction_base& tx, ledger::account_id id) {
    auto found = ledger::find_account(tx, id);
    return found ? found->bal : ledger::balances{};
}

ledger::entry_request transfer(std::string idempotency_key, std::span<const movement> moves,
                               const std::string& currency_code, std::string description, const audit::origin& by) {
    auto r = entry(std::move(idempotency_key), ledger::entry_kind::posted, std::move(description), by);
    for (const auto& m : moves) add(r, m, currency_code);
    return r;
}

ledger::entry_request hold(std::string idempotency_key, const movement& move, const std::string& currency_code,
                           std::string description, const audit::origin& by) {
    auto r = entry(std::move(idempotency_key), ledger::entry_kind::pending, std::move(description), by);
    add(r, move, currency_code);
    return r;
}

ledger::entry_request post(std::string idempotency_key, ledger::entry_id hold, std::string description,
                           const audit::origin& by) {
    auto r = entry(std::move(idempotency_key), ledger::entry_kind::post_pending, std::move(description), by);
    r.pending = hold;
    return r;
}

ledger::entry_request release(std::string idempotency_key, ledger::entry_id hold, std::string description,
                              const audit::origin& by) {
    auto r = entry(std::move(idempotency_key), ledger::entry_kind::void_pending, std::move(description), by);
    r.pending = hold;
    return r;
}

std::vector<ledger::entry_result> book(pqxx::work& tx, std::span<const ledger::entry_request> entries, bool linked) {
    return ledger::book(tx, entries, linked, {std::nullopt, "platform"});
}

std::vector<ledger::entry_id> book_all(pqxx::work& tx, std::span<const ledger::entry_request> entries) {
    auto results = book(tx, entries, true);
    const problem* first = nullptr;
    for (const auto& r : results) {
        auto* p = std::get_if<problem>(&r);
        if (p && (!first || first->is(ledger::problems::linked_failed))) first = p;
    }
    if (first) throw *first;
    std::vector<ledger::entry_id> ids;
    ids.reserve(results.size());
    for (const auto& r : results) ids.push_back(std::get<ledger::entry>(r).id);
    return ids;
}

} // namespace schwarm::accounts
