#pragma once
// What the export's formats share (ledger/src/export*.cpp, private): the
// range in the database's terms, output in chunks, the rows read page by
// page through one cursor and one snapshot.

#include "ledger/export.hpp"

#include "base/db.hpp"
#include "base/money.hpp"
#include "base/problem.hpp"

#include <array>
#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace schwarm::ledger::detail {

struct bounds {
    std::string from;
    std::string to;
};

// The cursors and lookups (export.cpp).
extern const db::query open_rows;
extern const db::query fetch_rows;
extern const db::query close_rows;
extern const db::query open_accounts;
extern const db::query fetch_accounts;
extern const db::query close_accounts;
extern const db::query select_currencies;

// ---------------------------------------------------------------------------
// Output in chunks.

// Collects output and hands it on in chunks of about export_chunk_bytes.
// Writers append one row at a time and call row_done() after each.
class chunked_output {
public:
    explicit chunked_output(std::function<void(std::string_view)> target) : target_(std::move(target)) {
        buffer_.reserve(export_chunk_bytes + export_row_bytes_max);
    }
    std::string& buffer() { return buffer_; }
    void row_done() {
        // The bound export.hpp promises the sink relies on every row staying small.
        assert(buffer_.size() - row_start_ <= export_row_bytes_max);
        if (buffer_.size() >= export_chunk_bytes) flush();
        row_start_ = buffer_.size();
    }
    void flush() {
        if (!buffer_.empty()) target_(buffer_);
        buffer_.clear();
        row_start_ = 0;
    }

private:
    std::function<void(std::string_view)> target_;
    std::string buffer_;
    std::size_t row_start_ = 0;
};

inline std::string_view text(const pqxx::field& f) { return {f.c_str(), f.size()}; }

// `digits`: a positive amount in minor units as PostgreSQL prints a bigint.
inline void append_decimal(std::string& out, std::string_view digits, int minor_digits, char mark) {
    const auto minor = static_cast<std::size_t>(minor_digits);
    if (minor == 0) {
        out += digits;
    } else if (digits.size() > minor) {
        out += digits.substr(0, digits.size() - minor);
        out += mark;
        out += digits.substr(digits.size() - minor);
    } else {
        out += '0';
        out += mark;
        out.append(minor - digits.size(), '0');
        out += digits;
    }
}

// Always quoted, quotes doubled.
inline void append_quoted(std::string& out, std::string_view value) {
    out += '"';
    for (std::size_t start = 0;;) {
        const std::size_t quote = value.find('"', start);
        if (quote == std::string_view::npos) {
            out += value.substr(start);
            break;
        }
        out += value.substr(start, quote + 1 - start);
        out += '"';
        start = quote + 1;
    }
    out += '"';
}

// RFC 4180: quoted only when it must be, quotes doubled.
inline void append_csv(std::string& out, std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += value;
        return;
    }
    append_quoted(out, value);
}

inline void append_json(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

// The ledger checks currencies against core/money's table when it books; an
// unknown one here means the table lost a currency the ledger holds.
class minor_digits_cache {
public:
    int of(std::string_view code) {
        if (digits_ >= 0 && code == std::string_view(code_.data(), code_.size())) return digits_;
        auto cur = currency::parse(code);
        if (!cur) {
            throw problem(problems::internal, "The ledger holds a currency the export does not know",
                          "ledger export: unknown currency " + std::string(code));
        }
        std::copy(code.begin(), code.end(), code_.begin());
        digits_ = cur->minor_digits();
        return digits_;
    }

private:
    std::array<char, 3> code_{};
    int digits_ = -1;
};

// ---------------------------------------------------------------------------
// Reading.

// One row of open_rows, viewed in place in the current page.
struct row_view {
    std::string_view entry_id, created_at, kind, pending_id, description;
    bool has_posting;
    std::string_view account_code, account_type, side, amount_minor, currency, seq, account_id;
};

template <typename on_row_fn>
void scan_rows(pqxx::transaction_base& tx, const bounds& b, on_row_fn&& on_row) {
    tx.exec_prepared(open_rows.name, b.from, b.to);
    for (;;) {
        const pqxx::result page = tx.exec_prepared(fetch_rows.name);
        for (const auto& r : page) {
            on_row(row_view{text(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]), !r[5].is_null(), text(r[5]),
                            text(r[6]), text(r[7]), text(r[8]), text(r[9]), text(r[10]), text(r[11])});
        }
        if (page.size() < export_page_rows) break;
    }
    tx.exec_prepared(close_rows.name);
}

struct account_view {
    std::string_view id, code, name, type, currency, created_at, closed_at;
};

template <typename on_account_fn>
void scan_accounts(pqxx::transaction_base& tx, on_account_fn&& on_account) {
    tx.exec_prepared(open_accounts.name);
    for (;;) {
        const pqxx::result page = tx.exec_prepared(fetch_accounts.name);
        for (const auto& r : page) {
            on_account(
                account_view{text(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5]), text(r[6])});
        }
        if (page.size() < export_page_rows) break;
    }
    tx.exec_prepared(close_accounts.name);
}

// The formats, each in a file of its own.
void write_csv(pqxx::transaction_base& tx, const bounds& b, chunked_output& out);
void write_jsonl(pqxx::transaction_base& tx, const bounds& b, chunked_output& out);
void write_hledger(pqxx::transaction_base& tx, const export_range& range, const bounds& b, chunked_output& out);
void write_gobd(pqxx::transaction_base& tx, const export_range& range, const bounds& b, chunked_output& out);

} // namespace schwarm::ledger::detail
