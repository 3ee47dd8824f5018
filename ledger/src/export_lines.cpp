// The ledger export as CSV and JSON Lines (docs/ledger-export.md).
#include "export_shared.hpp"

namespace schwarm::ledger::detail {

// ---------------------------------------------------------------------------
// CSV and JSON Lines: one line per posting; voids have none and do not appear.

constexpr std::string_view csv_header =
    "entry_id,created_at,kind,account_code,side,amount,amount_minor,currency,description,pending_id\r\n";

void write_csv(pqxx::transaction_base& tx, const bounds& b, chunked_output& out) {
    std::string& buf = out.buffer();
    buf += csv_header;
    out.row_done();
    minor_digits_cache digits;
    scan_rows(tx, b, [&](const row_view& r) {
        if (!r.has_posting) return;
        buf += r.entry_id;
        buf += ',';
        buf += r.created_at;
        buf += ',';
        buf += r.kind;
        buf += ',';
        append_csv(buf, r.account_code);
        buf += ',';
        buf += r.side;
        buf += ',';
        append_decimal(buf, r.amount_minor, digits.of(r.currency), '.');
        buf += ',';
        buf += r.amount_minor;
        buf += ',';
        buf += r.currency;
        buf += ',';
        append_csv(buf, r.description);
        buf += ',';
        buf += r.pending_id;
        buf += "\r\n";
        out.row_done();
    });
}

void write_jsonl(pqxx::transaction_base& tx, const bounds& b, chunked_output& out) {
    std::string& buf = out.buffer();
    minor_digits_cache digits;
    scan_rows(tx, b, [&](const row_view& r) {
        if (!r.has_posting) return;
        buf += "{\"entry_id\":";
        buf += r.entry_id;
        buf += ",\"created_at\":\"";
        buf += r.created_at;
        buf += "\",\"kind\":\"";
        buf += r.kind;
        buf += "\",\"account_code\":";
        append_json(buf, r.account_code);
        buf += ",\"side\":\"";
        buf += r.side;
        buf += "\",\"amount\":\"";
        append_decimal(buf, r.amount_minor, digits.of(r.currency), '.');
        buf += "\",\"amount_minor\":";
        buf += r.amount_minor;
        buf += ",\"currency\":";
        append_json(buf, r.currency);
        buf += ",\"description\":";
        append_json(buf, r.description);
        buf += ",\"pending_id\":";
        buf += r.pending_id.empty() ? std::string_view("null") : r.pending_id;
        buf += "}\n";
        out.row_done();
    });
}

} // namespace schwarm::ledger::detail
