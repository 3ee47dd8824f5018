// The ledger export as an hledger journal (docs/ledger-export.md).
#include "export_shared.hpp"

namespace schwarm::ledger::detail {

// ---------------------------------------------------------------------------
// hledger: posted money as cleared transactions; holds and voids as comments.

std::string_view hledger_top_account(std::string_view type) {
    if (type == "asset") return "assets";
    if (type == "liability") return "liabilities";
    if (type == "equity") return "equity";
    if (type == "income") return "income";
    if (type == "expense") return "expenses";
    throw problem(problems::internal, "The ledger holds an account type the export does not know",
                  "ledger export: unknown account type " + std::string(type));
}

// hledger's account type tag: Asset, Liability, Equity, Revenue, Expense.
std::string_view hledger_type_tag(std::string_view type) {
    if (type == "asset") return "A";
    if (type == "liability") return "L";
    if (type == "equity") return "E";
    if (type == "income") return "R";
    return "X";
}

// "liabilities:2000:alice". Account codes are already restricted to
// [A-Za-z0-9:._-] by the schema, which hledger takes as it is (colons make
// sub-accounts); anything else is replaced so that a later, looser code can
// never put two spaces, a semicolon or a line break into a posting.
void append_hledger_account(std::string& out, std::string_view type, std::string_view code) {
    out += hledger_top_account(type);
    out += ':';
    for (char c : code) {
        const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' ||
                          c == '.' || c == '_' || c == '-';
        out += safe ? c : '_';
    }
}

// Free text on a transaction line or in a comment: a line break would end
// it and a semicolon would start a comment, and the journal format has no
// escape for either. The exact text is in the other formats.
void append_hledger_text(std::string& out, std::string_view value) {
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += ' ';
        } else if (c == ';') {
            out += ',';
        } else {
            out += c;
        }
    }
}

void write_hledger_preamble(pqxx::transaction_base& tx, const export_range& range, chunked_output& out) {
    std::string& buf = out.buffer();
    buf += "; schwarm ledger export for hledger.\n; Entries created from ";
    buf += range.from.empty() ? std::string_view("the beginning") : std::string_view(range.from);
    buf += " (inclusive) to ";
    buf += range.to.empty() ? std::string_view("now") : std::string_view(range.to);
    buf += " (exclusive).\n"
           "; Posted money only: posted and post_pending entries are cleared (*) transactions, so that\n"
           "; `hledger balance` shows the trial balance. Holds (pending entries) and voids are kept as\n"
           "; comments. Debits are positive, credits negative. Dates are UTC; the code is the entry id.\n\n"
           "decimal-mark .\n\n";
    out.row_done();
    // One line per currency any account has: a handful, not per row.
    for (const auto& row : tx.exec_prepared(select_currencies.name)) {
        const std::string_view code = text(row[0]);
        auto cur = currency::parse(code);
        if (!cur) {
            throw problem(problems::internal, "The ledger holds a currency the export does not know",
                          "ledger export: unknown currency " + std::string(code));
        }
        // hledger wants a decimal mark in the directive even for no decimals ("1000.").
        buf += "commodity 1000.";
        buf.append(static_cast<std::size_t>(cur->minor_digits()), '0');
        buf += ' ';
        buf += code;
        buf += '\n';
        out.row_done();
    }
    buf += '\n';
    scan_accounts(tx, [&](const account_view& a) {
        buf += "account ";
        append_hledger_account(buf, a.type, a.code);
        buf += "  ; type: ";
        buf += hledger_type_tag(a.type);
        buf += "\n    ; ";
        append_hledger_text(buf, a.name);
        buf += '\n';
        out.row_done();
    });
}

class hledger_writer {
public:
    explicit hledger_writer(chunked_output& out) : out_(out) {}

    void row(const row_view& r) {
        if (r.entry_id != entry_id_) start_entry(r);
        if (r.has_posting) posting(r);
        out_.row_done();
    }

private:
    void start_entry(const row_view& r) {
        entry_id_.assign(r.entry_id);
        std::string& buf = out_.buffer();
        const std::string_view date = r.created_at.substr(0, 10);
        if (r.kind == "posted" || r.kind == "post_pending") {
            prefix_ = "    ";
            buf += '\n';
            buf += date;
            buf += " * (";
        } else if (r.kind == "pending") {
            // Written out in full, so that removing the "; " yields a pending (!) transaction.
            prefix_ = ";     ";
            buf += "\n; hold, not posted money:\n; ";
            buf += date;
            buf += " ! (";
        } else if (r.kind == "void_pending") {
            buf += "\n; void of hold ";
            buf += r.pending_id;
            buf += ": ";
            buf += date;
            buf += " (";
            buf += r.entry_id;
            buf += ") ";
            append_hledger_text(buf, r.description);
            buf += "\n;     ; created_at: ";
            buf += r.created_at;
            buf += ", kind: void_pending\n";
            return;
        } else {
            throw problem(problems::internal, "The ledger holds an entry kind the export does not know",
                          "ledger export: unknown entry kind " + std::string(r.kind));
        }
        buf += r.entry_id;
        buf += ") ";
        append_hledger_text(buf, r.description);
        buf += '\n';
        buf += prefix_;
        buf += "; created_at: ";
        buf += r.created_at;
        buf += ", kind: ";
        buf += r.kind;
        if (!r.pending_id.empty()) {
            buf += ", hold: ";
            buf += r.pending_id;
        }
        buf += '\n';
    }

    void posting(const row_view& r) {
        std::string& buf = out_.buffer();
        buf += prefix_;
        append_hledger_account(buf, r.account_type, r.account_code);
        buf += "  ";
        if (r.side == "credit") buf += '-';
        append_decimal(buf, r.amount_minor, digits_.of(r.currency), '.');
        buf += ' ';
        buf += r.currency;
        buf += '\n';
    }

    chunked_output& out_;
    minor_digits_cache digits_;
    std::string entry_id_;
    std::string_view prefix_;
};

void write_hledger(pqxx::transaction_base& tx, const export_range& range, const bounds& b, chunked_output& out) {
    write_hledger_preamble(tx, range, out);
    hledger_writer writer(out);
    scan_rows(tx, b, [&](const row_view& r) { writer.row(r); });
}

} // namespace schwarm::ledger::detail
