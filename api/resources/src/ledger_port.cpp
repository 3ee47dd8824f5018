// Binds core's ledger port (core/ledger_port.hpp) to the ledger: the
// platform's chart of accounts by role, and bookings as ledger entries.
#include "resources/ledger_port.hpp"

#include "ledger/ledger.hpp"

namespace schwarm::api {

namespace {

using ledger_port::account_role;

struct role_spec {
    const char* code_prefix;
    const char* name;
    ledger::account_type type;
    bool debits_must_not_exceed_credits;
};

role_spec spec_of(account_role role) {
    switch (role) {
    case account_role::bank_cash: return {"bank:cash", "Bank: money at payment providers", ledger::account_type::asset, false};
    case account_role::wallet: return {"wallet", "Customer wallet", ledger::account_type::liability, true};
    case account_role::escrow: return {"escrow", "Project escrow", ledger::account_type::liability, true};
    case account_role::fee_income: return {"income:fees", "Platform fee income", ledger::account_type::income, false};
    case account_role::community_fund: return {"fund:community", "Community fund", ledger::account_type::liability, true};
    case account_role::loan_receivable: return {"loan:receivable", "Loan principal owed by the borrower (memorandum)", ledger::account_type::asset, false};
    case account_role::lender_claims: return {"loan:lender-claims", "Loan principal owed on to lenders (memorandum)", ledger::account_type::liability, false};
    }
    throw std::logic_error("unknown account role");
}

// wallet:42:EUR, escrow:7:EUR, income:fees:EUR, …
std::string code_of(const ledger_port::account_key& key) {
    std::string code = spec_of(key.role).code_prefix;
    if (key.owner != 0) code += ":" + std::to_string(key.owner);
    return code + ":" + key.currency_code;
}

class ledger_binding final : public ledger_port::port {
public:
    std::int64_t account(pqxx::work& tx, const ledger_port::account_key& key, const audit::origin& by) const override {
        auto cur = currency::parse(key.currency_code);
        if (!cur) throw field_problem("currency", "currency must be an ISO 4217 code we book");
        auto role = spec_of(key.role);
        ledger::account_spec spec{code_of(key), role.name, role.type, *cur};
        if (key.role == account_role::wallet) spec.owner_user = user_id{key.owner};
        else if (key.owner != 0) spec.owner_project = key.owner;
        spec.debits_must_not_exceed_credits = role.debits_must_not_exceed_credits;
        return ledger::ensure_account(tx, spec, {by.actor, by.request_id}).value;
    }

    std::optional<std::int64_t> find_account(pqxx::transaction_base& tx,
                                             const ledger_port::account_key& key) const override {
        auto found = ledger::find_account_by_code(tx, code_of(key));
        if (!found) return std::nullopt;
        return found->value;
    }

    std::vector<std::optional<std::int64_t>> find_accounts(
        pqxx::transaction_base& tx, std::span<const ledger_port::account_key> keys) const override {
        std::vector<std::string> codes;
        codes.reserve(keys.size());
        for (const auto& k : keys) codes.push_back(code_of(k));
        auto found = ledger::find_accounts_by_code(tx, codes);
        std::vector<std::optional<std::int64_t>> out;
        out.reserve(keys.size());
        for (const auto& c : codes) {
            auto it = found.find(c);
            out.push_back(it == found.end() ? std::nullopt : std::optional<std::int64_t>(it->second.value));
        }
        return out;
    }

    std::vector<ledger_port::statement_line> statement(pqxx::transaction_base& tx, std::int64_t account,
                                                       const std::optional<std::string>& before, int limit) const override {
        std::optional<ledger::statement_cursor> from;
        if (before) {
            from = ledger::parse_statement_cursor(*before);
            if (!from) throw field_problem("cursor", "cursor must be a value from an earlier page");
        }
        std::vector<ledger_port::statement_line> out;
        for (const auto& l : ledger::statement(tx, ledger::account_id{account}, from, limit)) {
            out.push_back({l.entry.value, l.seq, l.at, std::string(ledger::to_string(l.kind)),
                           l.side_ == ledger::side::credit, l.amount_minor, l.description});
        }
        return out;
    }

    ledger_port::balance balance_of(pqxx::transaction_base& tx, std::int64_t account) const override {
        auto found = ledger::find_account(tx, ledger::account_id{account});
        if (!found) return {};
        const auto& b = found->bal;
        return {b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending};
    }

    std::vector<ledger_port::outcome> book(pqxx::work& tx, std::span<const ledger_port::booking> bookings,
                                           bool linked) const override {
        SCHWARM_INVARIANT(ledger_port::booking_scope::allowed(),
                          "a booking in a request whose route is not marked as moving money");
        std::vector<ledger::entry_request> requests;
        requests.reserve(bookings.size());
        for (const auto& b : bookings) {
            // Clients' keys live under "api:" (api/ledger.cpp); the
            // platform's never do, so neither can take the other's.
            SCHWARM_INVARIANT(!b.idempotency_key.starts_with("api:"), "an internal booking key in the clients' namespace");
            ledger::entry_request r;
            r.idempotency_key = b.idempotency_key;
            switch (b.kind) {
            case ledger_port::booking_kind::transfer: r.kind = ledger::entry_kind::posted; break;
            case ledger_port::booking_kind::hold: r.kind = ledger::entry_kind::pending; break;
            case ledger_port::booking_kind::post_hold: r.kind = ledger::entry_kind::post_pending; break;
            case ledger_port::booking_kind::void_hold: r.kind = ledger::entry_kind::void_pending; break;
            }
            for (const auto& m : b.movements) {
                r.postings.push_back({ledger::account_id{m.debit_account}, ledger::side::debit, m.amount_minor, b.currency_code});
                r.postings.push_back({ledger::account_id{m.credit_account}, ledger::side::credit, m.amount_minor, b.currency_code});
            }
            if (b.hold) r.pending = ledger::entry_id{*b.hold};
            r.description = b.description;
            r.by = ledger::who{b.actor, b.request_id};
            requests.push_back(std::move(r));
        }
        auto results = ledger::book(tx, requests, linked, {std::nullopt, "platform"});
        std::vector<ledger_port::outcome> out;
        out.reserve(results.size());
        for (auto& r : results) {
            if (auto* e = std::get_if<ledger::entry>(&r)) out.emplace_back(ledger_port::booked{e->id.value, e->replayed});
            else out.emplace_back(std::get<problem>(std::move(r)));
        }
        return out;
    }
};

} // namespace

const ledger_port::port& ledger_binding_instance() {
    static const ledger_binding instance;
    return instance;
}

} // namespace schwarm::api
