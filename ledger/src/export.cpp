#include "ledger/export.hpp"

#include "base/db.hpp"
#include "base/money.hpp"
#include "base/problem.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <span>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace schwarm::ledger {

namespace {

// FETCH takes its count as a literal, so the page size is spelled out here
// and checked against export_page_rows below.
#define SCHWARM_EXPORT_PAGE "10000"

constexpr std::size_t literal_value(std::string_view digits) {
    std::size_t value = 0;
    for (char c : digits) value = value * 10 + static_cast<std::size_t>(c - '0');
    return value;
}
static_assert(literal_value(SCHWARM_EXPORT_PAGE) == export_page_rows);

// Every posting of every entry in the range, and one row with NULL posting
// columns for an entry without postings (a void). One cursor, one snapshot,
// read a page at a time.
const db::query open_rows{
    "ledger.export_open_rows",
    "DECLARE schwarm_export_rows NO SCROLL CURSOR FOR "
    "SELECT e.id, " SCHWARM_SQL_UTC_MICROS("e.created_at") ", e.kind::text, e.pending_id, e.description, "
    "a.code, a.type::text, p.side::text, p.amount_minor, p.currency, p.seq, p.account_id "
    "FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id "
    "LEFT JOIN ledger_accounts a ON a.id = p.account_id "
    "WHERE e.created_at >= $1::timestamptz AND e.created_at < $2::timestamptz ORDER BY e.id, p.seq"};
const db::query fetch_rows{"ledger.export_fetch_rows", "FETCH FORWARD " SCHWARM_EXPORT_PAGE " FROM schwarm_export_rows"};
const db::query close_rows{"ledger.export_close_rows", "CLOSE schwarm_export_rows"};

// The chart of accounts: one row per account, however many there are.
const db::query open_accounts{
    "ledger.export_open_accounts",
    "DECLARE schwarm_export_accounts NO SCROLL CURSOR FOR "
    "SELECT id, code, name, type::text, currency, " SCHWARM_SQL_UTC_MICROS("created_at") ", " SCHWARM_SQL_UTC_MICROS(
        "closed_at") " FROM ledger_accounts ORDER BY code COLLATE \"C\""};
const db::query fetch_accounts{"ledger.export_fetch_accounts",
                               "FETCH FORWARD " SCHWARM_EXPORT_PAGE " FROM schwarm_export_accounts"};
const db::query close_accounts{"ledger.export_close_accounts", "CLOSE schwarm_export_accounts"};

const db::query select_currencies{"ledger.export_currencies",
                                  "SELECT DISTINCT currency FROM ledger_accounts ORDER BY currency"};


// ---------------------------------------------------------------------------
// The range.

struct instant {
    std::int64_t seconds;
    std::int32_t nanos;
    auto operator<=>(const instant&) const = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
    constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

class time_parser {
public:
    explicit time_parser(std::string_view text) : text_(text) {}

    // RFC 3339 section 5.6 date-time; nullopt if malformed or not a real date.
    std::optional<instant> parse() {
        if (text_.size() > export_time_length_max) return std::nullopt;
        int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
        if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day)) return std::nullopt;
        if (!expect_any("Tt ")) return std::nullopt;
        if (!digits(2, hour) || !expect(':') || !digits(2, minute) || !expect(':') || !digits(2, second)) {
            return std::nullopt;
        }
        std::int32_t nanos = 0;
        if (expect('.')) {
            const std::size_t start = pos_;
            while (pos_ < text_.size() && is_digit(text_[pos_])) {
                if (pos_ - start < 9) nanos = nanos * 10 + (text_[pos_] - '0');
                ++pos_;
            }
            if (pos_ == start) return std::nullopt;
            for (std::size_t n = pos_ - start; n < 9; ++n) nanos *= 10;
        }
        std::int64_t offset_s = 0;
        if (!expect_any("Zz")) {
            if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) return std::nullopt;
            const int sign = text_[pos_++] == '-' ? -1 : 1;
            int offset_hour = 0, offset_minute = 0;
            if (!digits(2, offset_hour) || !expect(':') || !digits(2, offset_minute)) return std::nullopt;
            // RFC 3339 allows up to 23:59; PostgreSQL takes up to 15:59, beyond any real zone (+14:00).
            if (offset_hour > 15 || offset_minute > 59) return std::nullopt;
            offset_s = sign * (offset_hour * 3600 + offset_minute * 60);
        }
        if (pos_ != text_.size()) return std::nullopt;
        if (year < 1 || month < 1 || month > 12 || day < 1) return std::nullopt;
        if (static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) return std::nullopt;
        // 60 is a leap second, which RFC 3339 allows; PostgreSQL reads it as
        // the next minute, but only without a fraction.
        if (hour > 23 || minute > 59 || second > 60 || (second == 60 && nanos > 0)) return std::nullopt;
        const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
        return instant{days * 86'400 + hour * 3600 + minute * 60 + second - offset_s, nanos};
    }

private:
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    bool digits(std::size_t n, int& out) {
        if (text_.size() - pos_ < n) return false;
        out = 0;
        for (std::size_t i = 0; i < n; ++i, ++pos_) {
            if (!is_digit(text_[pos_])) return false;
            out = out * 10 + (text_[pos_] - '0');
        }
        return true;
    }
    bool expect(char c) {
        if (pos_ >= text_.size() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    bool expect_any(std::string_view set) {
        if (pos_ >= text_.size() || set.find(text_[pos_]) == std::string_view::npos) return false;
        ++pos_;
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// The bounds as PostgreSQL reads them: an open end is -infinity / infinity.
struct bounds {
    std::string from;
    std::string to;
};

std::optional<instant> checked_time(const std::string& value, const char* field) {
    if (value.empty()) return std::nullopt;
    auto parsed = time_parser(value).parse();
    if (!parsed) {
        throw problem(problems::validation,
                      std::string(field) + " must be an RFC 3339 time such as 2024-01-01T00:00:00Z")
            .with("field", field);
    }
    return parsed;
}

bounds checked_bounds(const export_range& range) {
    const auto from = checked_time(range.from, "from");
    const auto to = checked_time(range.to, "to");
    if (from && to && *from > *to) {
        throw problem(problems::validation, "from must not be after to").with("field", "from");
    }
    return {range.from.empty() ? "-infinity" : range.from, range.to.empty() ? "infinity" : range.to};
}

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

std::string_view text(const pqxx::field& f) { return {f.c_str(), f.size()}; }

// `digits`: a positive amount in minor units as PostgreSQL prints a bigint.
void append_decimal(std::string& out, std::string_view digits, int minor_digits, char mark) {
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
void append_quoted(std::string& out, std::string_view value) {
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
void append_csv(std::string& out, std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += value;
        return;
    }
    append_quoted(out, value);
}

void append_json(std::string& out, std::string_view value) {
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
            on_account(account_view{text(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5]), text(r[6])});
        }
        if (page.size() < export_page_rows) break;
    }
    tx.exec_prepared(close_accounts.name);
}

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

// ---------------------------------------------------------------------------
// GoBD: index.xml and CSV files in a ustar archive.

// The GDPdU DTD, as published (version 1.5 of 2004-09-01), shipped beside
// index.xml on the data carrier because index.xml names it. At the end of
// this file.
std::string_view gdpdu_dtd();
constexpr std::string_view gdpdu_dtd_name = "gdpdu-01-09-2004.dtd";
constexpr std::string_view gobd_directory = "schwarm-ledger/";
// Digits after the decimal symbol in the amount column: the most any
// currency in core/money's table has (KWD). A currency with more is refused.
constexpr int gobd_amount_accuracy = 3;

enum class gobd_type { numeric, alphanumeric, date };
struct gobd_column {
    std::string_view name;
    std::string_view description;
    gobd_type type;
    int size; // numeric: accuracy; alphanumeric: maximum length
    bool primary_key = false;
};
struct gobd_foreign_key {
    std::string_view column;
    std::string_view references;
    std::string_view referenced_column;
};
struct gobd_table {
    std::string_view file;
    std::string_view name;
    std::string_view description;
    std::span<const gobd_column> columns;
    std::span<const gobd_foreign_key> foreign_keys;
};

// Column order is file order; GDPdU wants the primary key columns first.
constexpr std::array<gobd_column, 7> accounts_columns{{
    {"id", "Account id", gobd_type::numeric, 0, true},
    {"code", "Account code (chart of accounts)", gobd_type::alphanumeric, 100},
    {"name", "Account name", gobd_type::alphanumeric, 200},
    {"type", "asset, liability, equity, income or expense", gobd_type::alphanumeric, 9},
    {"currency", "ISO 4217 currency code", gobd_type::alphanumeric, 3},
    {"created_at", "Opened at (RFC 3339, UTC)", gobd_type::alphanumeric, 27},
    {"closed_at", "Closed at (RFC 3339, UTC); empty while open", gobd_type::alphanumeric, 27},
}};
constexpr std::array<gobd_column, 6> entries_columns{{
    {"id", "Entry id", gobd_type::numeric, 0, true},
    {"created_on", "Booking date (UTC)", gobd_type::date, 0},
    {"created_at", "Booked at (RFC 3339, UTC)", gobd_type::alphanumeric, 27},
    {"kind", "posted, pending (a hold), post_pending (posts a hold) or void_pending (voids a hold)",
     gobd_type::alphanumeric, 12},
    {"pending_id", "The hold a post_pending or void_pending entry resolves", gobd_type::numeric, 0},
    {"description", "Booking text", gobd_type::alphanumeric, 500},
}};
constexpr std::array<gobd_foreign_key, 1> entries_keys{{{"pending_id", "entries", "id"}}};
constexpr std::array<gobd_column, 9> postings_columns{{
    {"entry_id", "Entry id", gobd_type::numeric, 0, true},
    {"seq", "Position within the entry", gobd_type::numeric, 0, true},
    {"account_id", "Account id", gobd_type::numeric, 0},
    {"account_code", "Account code", gobd_type::alphanumeric, 100},
    {"side", "debit or credit", gobd_type::alphanumeric, 6},
    {"amount", "Amount in the currency (always positive; side gives the direction)", gobd_type::numeric,
     gobd_amount_accuracy},
    {"amount_minor", "Amount in minor units of the currency", gobd_type::numeric, 0},
    {"currency", "ISO 4217 currency code", gobd_type::alphanumeric, 3},
    {"kind", "Kind of the entry; only posted and post_pending postings are posted money", gobd_type::alphanumeric,
     12},
}};
constexpr std::array<gobd_foreign_key, 2> postings_keys{{{"entry_id", "entries", "id"}, {"account_id", "accounts", "id"}}};

constexpr std::array<gobd_table, 3> gobd_tables{{
    {"accounts.csv", "accounts", "Chart of accounts (every account)", accounts_columns, {}},
    {"entries.csv", "entries", "Ledger entries in the exported range", entries_columns, entries_keys},
    {"postings.csv", "postings", "Postings (debit and credit lines) of those entries", postings_columns,
     postings_keys},
}};

void append_xml(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
}

void append_element(std::string& out, std::string_view indent, std::string_view name, std::string_view value) {
    out += indent;
    out += '<';
    out += name;
    out += '>';
    append_xml(out, value);
    out += "</";
    out += name;
    out += ">\n";
}

std::string gobd_index(const export_range& range) {
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE DataSet SYSTEM \"gdpdu-01-09-2004.dtd\">\n"
        "<DataSet>\n"
        "  <Version>1.0</Version>\n"
        "  <DataSupplier>\n"
        "    <Name>schwarm</Name>\n"
        "    <Location>schwarm ledger</Location>\n";
    std::string comment = "Ledger export: entries created from ";
    comment += range.from.empty() ? "the beginning" : range.from;
    comment += " (inclusive) to ";
    comment += range.to.empty() ? "the time of export" : range.to;
    comment += " (exclusive). Amounts are positive; side says debit or credit. Only postings of posted and "
               "post_pending entries are posted money; pending entries are holds.";
    append_element(xml, "    ", "Comment", comment);
    xml += "  </DataSupplier>\n  <Media>\n    <Name>schwarm ledger export</Name>\n";
    for (const gobd_table& table : gobd_tables) {
        xml += "    <Table>\n";
        append_element(xml, "      ", "URL", table.file);
        append_element(xml, "      ", "Name", table.name);
        append_element(xml, "      ", "Description", table.description);
        xml += "      <UTF8/>\n"
               "      <DecimalSymbol>,</DecimalSymbol>\n"
               "      <DigitGroupingSymbol>.</DigitGroupingSymbol>\n"
               "      <VariableLength>\n"
               "        <ColumnDelimiter>;</ColumnDelimiter>\n"
               "        <RecordDelimiter>&#13;&#10;</RecordDelimiter>\n"
               "        <TextEncapsulator>&quot;</TextEncapsulator>\n";
        for (const gobd_column& column : table.columns) {
            const std::string_view element = column.primary_key ? "VariablePrimaryKey" : "VariableColumn";
            xml += "        <";
            xml += element;
            xml += ">\n";
            append_element(xml, "          ", "Name", column.name);
            append_element(xml, "          ", "Description", column.description);
            switch (column.type) {
            case gobd_type::numeric:
                if (column.size > 0) {
                    xml += "          <Numeric><Accuracy>" + std::to_string(column.size) + "</Accuracy></Numeric>\n";
                } else {
                    xml += "          <Numeric/>\n";
                }
                break;
            case gobd_type::alphanumeric:
                xml += "          <AlphaNumeric/>\n          <MaxLength>" + std::to_string(column.size) +
                       "</MaxLength>\n";
                break;
            case gobd_type::date: xml += "          <Date><Format>YYYY-MM-DD</Format></Date>\n"; break;
            }
            xml += "        </";
            xml += element;
            xml += ">\n";
        }
        for (const gobd_foreign_key& key : table.foreign_keys) {
            xml += "        <ForeignKey>\n";
            append_element(xml, "          ", "Name", key.column);
            append_element(xml, "          ", "References", key.references);
            xml += "          <Alias>\n";
            append_element(xml, "            ", "From", key.column);
            append_element(xml, "            ", "To", key.referenced_column);
            xml += "          </Alias>\n        </ForeignKey>\n";
        }
        xml += "      </VariableLength>\n    </Table>\n";
    }
    xml += "  </Media>\n</DataSet>\n";
    return xml;
}

// A ustar header block. Sizes of 8 GiB and more do not fit the 11 octal
// digits and use the base-256 form that GNU tar, bsdtar and star read.
constexpr std::size_t tar_block = 512;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
    // width - 1 digits, then NUL.
    for (std::size_t i = width - 1; i-- > 0;) {
        field[i] = static_cast<char>('0' + (value & 7));
        value >>= 3;
    }
    field[width - 1] = '\0';
}

void append_tar_header(std::string& out, std::string_view name, std::uint64_t size, char type, std::int64_t mtime) {
    assert(name.size() <= 100);
    std::array<char, tar_block> h{};
    std::copy(name.begin(), name.end(), h.data());
    put_octal(h.data() + 100, 8, type == '5' ? 0755 : 0644);
    put_octal(h.data() + 108, 8, 0);
    put_octal(h.data() + 116, 8, 0);
    if (size < (std::uint64_t{1} << 33)) {
        put_octal(h.data() + 124, 12, size);
    } else {
        h[124] = static_cast<char>(0x80);
        for (std::size_t i = 135; i > 124; --i, size >>= 8) h[i] = static_cast<char>(size & 0xff);
    }
    put_octal(h.data() + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
    h[156] = type;
    constexpr std::string_view magic("ustar\0" "00", 8);
    std::copy(magic.begin(), magic.end(), h.data() + 257);
    constexpr std::string_view owner = "schwarm";
    std::copy(owner.begin(), owner.end(), h.data() + 265);
    std::copy(owner.begin(), owner.end(), h.data() + 297);
    // The checksum is the sum of the header's bytes with the checksum field
    // counted as spaces; written as six octal digits, NUL, space.
    std::fill(h.data() + 148, h.data() + 156, ' ');
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    put_octal(h.data() + 148, 7, sum);
    h[155] = ' ';
    out.append(h.data(), h.size());
}

void append_tar_padding(std::string& out, std::uint64_t size) {
    out.append(static_cast<std::size_t>((tar_block - size % tar_block) % tar_block), '\0');
}

// An unlinked temporary file that holds one CSV member while it is written,
// because a tar header needs the member's size before its content. Under
// $TMPDIR (else /tmp): that is where a deployment puts scratch disk.
class spool {
public:
    spool() {
        const char* dir = std::getenv("TMPDIR");
        std::string path = std::string(dir && *dir ? dir : "/tmp") + "/schwarm-export-XXXXXX";
        const int fd = ::mkstemp(path.data());
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "ledger export: temporary file");
        ::unlink(path.c_str());
        file_ = ::fdopen(fd, "w+b");
        if (!file_) {
            const int error = errno;
            ::close(fd);
            throw std::system_error(error, std::generic_category(), "ledger export: temporary file");
        }
    }
    ~spool() { std::fclose(file_); }
    spool(const spool&) = delete;
    spool& operator=(const spool&) = delete;

    chunked_output& out() { return out_; }

    // Flushes, then writes the tar header, the content and the padding.
    void copy_as_member(std::string_view name, std::int64_t mtime, chunked_output& to) {
        out_.flush();
        const std::uint64_t size = size_;
        append_tar_header(to.buffer(), name, size, '0', mtime);
        to.flush();
        std::rewind(file_);
        std::string& buf = to.buffer();
        for (std::uint64_t left = size; left > 0;) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, export_chunk_bytes));
            buf.resize(n);
            if (std::fread(buf.data(), 1, n, file_) != n) {
                throw std::system_error(errno, std::generic_category(), "ledger export: reading temporary file");
            }
            to.flush();
            left -= n;
        }
        append_tar_padding(buf, size);
        to.row_done();
    }

private:
    void write(std::string_view chunk) {
        if (std::fwrite(chunk.data(), 1, chunk.size(), file_) != chunk.size()) {
            throw std::system_error(errno, std::generic_category(), "ledger export: writing temporary file");
        }
        size_ += chunk.size();
    }

    std::FILE* file_ = nullptr;
    std::uint64_t size_ = 0;
    chunked_output out_{[this](std::string_view chunk) { write(chunk); }};
};

void append_small_member(chunked_output& out, std::string_view name, std::string_view content, std::int64_t mtime) {
    std::string path(gobd_directory);
    path += name;
    append_tar_header(out.buffer(), path, content.size(), '0', mtime);
    out.row_done();
    for (std::size_t at = 0; at < content.size(); at += export_row_bytes_max) {
        out.buffer() += content.substr(at, export_row_bytes_max);
        out.row_done();
    }
    append_tar_padding(out.buffer(), content.size());
    out.row_done();
}

void gobd_account_row(std::string& buf, const account_view& a) {
    buf += a.id;
    buf += ';';
    append_quoted(buf, a.code);
    buf += ';';
    append_quoted(buf, a.name);
    buf += ';';
    append_quoted(buf, a.type);
    buf += ';';
    append_quoted(buf, a.currency);
    buf += ';';
    append_quoted(buf, a.created_at);
    buf += ';';
    if (!a.closed_at.empty()) append_quoted(buf, a.closed_at);
    buf += "\r\n";
}

void gobd_entry_row(std::string& buf, const row_view& r) {
    buf += r.entry_id;
    buf += ';';
    buf += r.created_at.substr(0, 10);
    buf += ';';
    append_quoted(buf, r.created_at);
    buf += ';';
    append_quoted(buf, r.kind);
    buf += ';';
    buf += r.pending_id;
    buf += ';';
    append_quoted(buf, r.description);
    buf += "\r\n";
}

void gobd_posting_row(std::string& buf, const row_view& r, int minor_digits) {
    if (minor_digits > gobd_amount_accuracy) {
        throw problem(problems::internal, "A currency has more decimals than the GoBD export declares",
                      "ledger export: " + std::string(r.currency) + " has more than 3 minor digits");
    }
    buf += r.entry_id;
    buf += ';';
    buf += r.seq;
    buf += ';';
    buf += r.account_id;
    buf += ';';
    append_quoted(buf, r.account_code);
    buf += ';';
    append_quoted(buf, r.side);
    buf += ';';
    append_decimal(buf, r.amount_minor, minor_digits, ',');
    buf += ';';
    buf += r.amount_minor;
    buf += ';';
    append_quoted(buf, r.currency);
    buf += ';';
    append_quoted(buf, r.kind);
    buf += "\r\n";
}

std::string gobd_path(std::string_view file) {
    std::string path(gobd_directory);
    path += file;
    return path;
}

void write_gobd(pqxx::transaction_base& tx, const export_range& range, const bounds& b, chunked_output& out) {
    const std::int64_t mtime = std::time(nullptr);
    append_tar_header(out.buffer(), gobd_directory, 0, '5', mtime);
    out.row_done();
    append_small_member(out, "index.xml", gobd_index(range), mtime);
    append_small_member(out, gdpdu_dtd_name, gdpdu_dtd(), mtime);

    {
        spool accounts;
        scan_accounts(tx, [&](const account_view& a) {
            gobd_account_row(accounts.out().buffer(), a);
            accounts.out().row_done();
        });
        accounts.copy_as_member(gobd_path("accounts.csv"), mtime, out);
    }

    spool entries, postings;
    minor_digits_cache digits;
    std::string entry_id;
    scan_rows(tx, b, [&](const row_view& r) {
        if (r.entry_id != entry_id) {
            entry_id.assign(r.entry_id);
            gobd_entry_row(entries.out().buffer(), r);
            entries.out().row_done();
        }
        if (r.has_posting) {
            gobd_posting_row(postings.out().buffer(), r, digits.of(r.currency));
            postings.out().row_done();
        }
    });
    entries.copy_as_member(gobd_path("entries.csv"), mtime, out);
    postings.copy_as_member(gobd_path("postings.csv"), mtime, out);
    // The end of the archive: two zero blocks.
    out.buffer().append(2 * tar_block, '\0');
    out.row_done();
}

} // namespace

std::optional<export_format> parse_export_format(std::string_view text) {
    if (text == "csv") return export_format::csv;
    if (text == "jsonl") return export_format::jsonl;
    if (text == "hledger") return export_format::hledger;
    if (text == "gobd") return export_format::gobd;
    return std::nullopt;
}

std::string_view to_string(export_format format) {
    switch (format) {
    case export_format::csv: return "csv";
    case export_format::jsonl: return "jsonl";
    case export_format::hledger: return "hledger";
    case export_format::gobd: return "gobd";
    }
    return "csv";
}

std::string content_type(export_format format) {
    switch (format) {
    case export_format::csv: return "text/csv; charset=utf-8; header=present";
    case export_format::jsonl: return "application/jsonl";
    case export_format::hledger: return "text/plain; charset=utf-8";
    case export_format::gobd: return "application/x-tar";
    }
    return "application/octet-stream";
}

std::string suggested_file_name(export_format format, const export_range& range) {
    auto append_time = [](std::string& out, std::string_view time) {
        for (char c : time) {
            const bool keep = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              c == '-' || c == '+' || c == '.';
            if (keep) out += c;
            else if (c == ' ') out += 'T';
        }
    };
    std::string name = "schwarm-ledger";
    if (!range.from.empty() || !range.to.empty()) {
        name += '_';
        if (range.from.empty()) name += "start";
        else append_time(name, range.from);
        name += "_to_";
        if (range.to.empty()) name += "now";
        else append_time(name, range.to);
    }
    switch (format) {
    case export_format::csv: return name + ".csv";
    case export_format::jsonl: return name + ".jsonl";
    case export_format::hledger: return name + ".journal";
    case export_format::gobd: return name + "_gobd.tar";
    }
    return name;
}

void export_ledger(pqxx::transaction_base& tx, export_format format, const export_range& range,
                   const std::function<void(std::string_view)>& sink) {
    if (dynamic_cast<pqxx::nontransaction*>(&tx)) {
        throw std::logic_error("ledger export: cursors need a transaction block, not a pqxx::nontransaction");
    }
    const bounds b = checked_bounds(range);
    chunked_output out(sink);
    switch (format) {
    case export_format::csv: write_csv(tx, b, out); break;
    case export_format::jsonl: write_jsonl(tx, b, out); break;
    case export_format::hledger: write_hledger(tx, range, b, out); break;
    case export_format::gobd: write_gobd(tx, range, b, out); break;
    }
    out.flush();
}

namespace {
std::string_view gdpdu_dtd() {
    return R"gdpdu(<?xml version="1.0" encoding="UTF-8"?>
  <!--Versions available:
  1.1 (August-01-2002)

  1.2 (June-01-2003)
    New Element Alias

  1.3 (November-01-2003)
    New Element Extension

  1.4 (May-01-2004)
    New Element AcceptNoTables
    <Table> is now optional

  1.5 (September-01-2004)
    Updated the ForeignKey and Alias elements so they allow
    multiple Alias elements per ForeignKey. This allows one to use alias
    elements for a Composite key.

    Example:

    <ForeignKey>
      <Name>Order</Name>
      <Name>Customer</Name>
      <References>Orders</References>
      <Alias>
        <From>Order</From>
        <To>OrderId</To>
      </Alias>
      <Alias>
        <From>Customer</From>
        <To>CustomerId</To>
      </Alias>
  -->

  <!-- Start Simple Types -->

  <!-- Supplementary Vocabulary -->
  <!ELEMENT Version (#PCDATA)>
  <!ELEMENT Location (#PCDATA)>
  <!ELEMENT Comment (#PCDATA)>
  <!ELEMENT Length (#PCDATA)>
  <!ELEMENT References (#PCDATA)>
  <!ELEMENT From (#PCDATA)>
  <!ELEMENT To (#PCDATA)>

  <!-- Sometimes, it is desirable to have a <Media> with
       no tables.

       Example:
         An extension might provide metadata
         that describes all tax-relevant data.

       This option is turned off by default. -->
  <!ELEMENT AcceptNoTables (#PCDATA)>

  <!-- Use Alias to reference columns with different names in
       a ForeignKey element. These Alias elements are optional.

       The following rules apply to the Alias element:
         - One Alias can be used per ForeignKey.
         - Alias elements can appear in any order.

       Example:
         Table Orders has a primary key OrderId
         Table Accounts has a foreign key Order.

         You can use the Alias element to specify Order references OrderId.

         <ForeignKey>
            <Name>Order</Name>
            <Name>Customer</Name>
            <References>Orders</References>
            <Alias>
              <From>Order</From>
              <To>OrderId</To>
            </Alias>
          </ForeignKey> -->
  <!ELEMENT Alias (From, To)>

  <!-- Specifying a maximum length for a VariableLength column can
       reduce a VariableLength tables' import time. If MaxLength
     is not specified then we parse URL to determine the MaxLength
     for each column.

     * Only applies to VariableLength tables. -->
  <!ELEMENT MaxLength (#PCDATA)>

  <!-- Specifies which character (if any) encapsulates a
       VariableLength AlphaNumeric column.

     Doublequote is the default TextEncapsulator "

     * Only applies to VariableLength tables. (Optional) -->
  <!ELEMENT TextEncapsulator (#PCDATA)>

  <!-- Specifies how many	digits appear to the right of the decimal symbol.

     CAUTION: Results are undefined when importing numeric data with
              greater Accuracy than the Accuracy defined in index.xml

          For example trying to import the value 1000,25 with an
          accuracy of 0 might result in 1000 or an error. This
          behavior is specific to the implementation.

     Zero is the default Accuracy '0' (Optional)
  -->
  <!ELEMENT Accuracy (#PCDATA)>

  <!-- The decimal place is not always stored with numbers. If each number
       is supposed to have decimal places use ImpliedAccuracy -->
  <!ELEMENT ImpliedAccuracy (#PCDATA)>

  <!-- Enables you to change how GDPdU displays dates.
     DD.MM.YYYY is the default Format -->
  <!ELEMENT Format (#PCDATA)>

  <!-- Specifies the symbol that indicates decimal values.
       Comma is the default DecimalSymbol. ','
     Specified once per Table. -->
  <!ELEMENT DecimalSymbol (#PCDATA)>

  <!-- Specifies the symbol that groups the digits in large numbers.
       Dot is the default DigitGroupingSymbol or ThousandsSeperator. '.'
     Specified once per Table -->
  <!ELEMENT DigitGroupingSymbol (#PCDATA)>

  <!-- Command(s) are executed in the following manner
        * before the import process
      * after the import process
      * before a Media is imported
      * after a Media is imported
  -->
  <!ELEMENT Command (#PCDATA)>

  <!-- Only the file protocol is supported at this time.

       * The standard uses relative URLs.

     Absolute URLs are not allowed. The following are all invalid:
     * http://www.somewhere.com/data/Accounts.dat
     * ftp://ftp.somewhere.com/data/Accounts.dat
     * file://localhost/Accounts.dat
       * file:///Accounts.dat

     The following are valid examples
      * Accounts.dat
        * data/Accounts.dat
        * data/january/Accounts.dat
        * ../Accounts.dat
  -->
  <!ELEMENT URL (#PCDATA)>

  <!-- Textual description of specified element (Optional) -->
  <!ELEMENT Description (#PCDATA)>

  <!-- The logical name of specified element.
       Sometimes referred to business name.

     If missing, URL will be used in place of Name. -->
  <!ELEMENT Name (#PCDATA)>

  <!-- Y2K Window Any year before Epoch is 2000+
       Default value 30.  -->
  <!ELEMENT Epoch (#PCDATA)>

  <!-- Element(s) that separate columns or records.
       Semicolon is the default ColumnDelimiter. ';'
     CRLF or &#13;&#10; is the default RecordDelimiter. -->
  <!ELEMENT ColumnDelimiter (#PCDATA)>
  <!ELEMENT RecordDelimiter (#PCDATA)>

  <!-- The number of bytes skipped before reading of URL commences.
       Zero is the default when not specified. '0'
  -->
  <!ELEMENT SkipNumBytes (#PCDATA)>

  <!-- End Simple Types -->
  <!-- Start Complex Types -->

  <!-- Use Extension when you want to add application
       specific functionality to the existing standard.

       Name - the extension name or identifier.
       URL  - the supplementary .xml file that corresponds to the
              extension.

       An application that extends the standard should scan the
       Dataset element for the presence of zero or more Extension
       elements. The application can use the Name element to identify
       the extension.

       When choosing a name for your extension, do not choose a common
       name. This will reduce undefined results for name conflicts.

       It is possible that future extensions will be ratified as
       mandatory to meet GDPdU guidelines. -->
  <!ELEMENT Extension (Name, URL)>

  <!-- Self-explanatory -->
  <!ELEMENT Range (From, (To | Length)?)>
  <!ELEMENT FixedRange (From, (To | Length))>

  <!-- The document element -->
  <!ELEMENT DataSet (Extension*, Version, DataSupplier?, Command*, Media+, Command*)>

  <!-- Supported datatypes (mandatory) -->
  <!ELEMENT AlphaNumeric EMPTY>
  <!ELEMENT Date (Format?)>
  <!ELEMENT Numeric ((ImpliedAccuracy | Accuracy)?)>

  <!-- Supported codepages:
       Be careful to explicitly define RecordDelimiter when using
     a non-default codepage.

       ANSI is the default codepage when not specified -->
  <!ELEMENT ANSI EMPTY>
  <!ELEMENT Macintosh EMPTY>
  <!ELEMENT OEM EMPTY>
  <!ELEMENT UTF16 EMPTY>
  <!ELEMENT UTF7 EMPTY>
  <!ELEMENT UTF8 EMPTY>

  <!-- Supported file formats:
       FixedLength
     VariableLength -->
  <!ELEMENT FixedLength ((Length | RecordDelimiter)?, ((FixedPrimaryKey+, FixedColumn*) | (FixedColumn+)), ForeignKey*)>
  <!ELEMENT FixedColumn (Name, Description?, (Numeric | AlphaNumeric | Date), Map*, FixedRange)>
  <!ELEMENT FixedPrimaryKey (Name, Description?, (Numeric | AlphaNumeric | Date), Map*, FixedRange)>
  <!ELEMENT VariableLength (ColumnDelimiter?, RecordDelimiter?, TextEncapsulator?, ((VariablePrimaryKey+, VariableColumn*) | (VariableColumn+)), ForeignKey*)>
  <!ELEMENT VariableColumn (Name, Description?, (Numeric | (AlphaNumeric, MaxLength?) | Date), Map*)>
  <!ELEMENT VariablePrimaryKey (Name, Description?, (Numeric | (AlphaNumeric, MaxLength?) | Date), Map*)>

  <!-- Description of the entity supplying the data. (Optional) -->
  <!ELEMENT DataSupplier (Name, Location, Comment)>

  <!-- The first Media will contain index.xml. Importing will process each media listed -->
  <!ELEMENT Media (Name, Command*, Table*, Command*, AcceptNoTables?)>

  <!-- Elements common to FixedLength & VariableLength are propagated to Table. -->
  <!ELEMENT Table (URL, Name?, Description?, Validity?, (ANSI | Macintosh | OEM | UTF16 | UTF7 | UTF8)?, (DecimalSymbol, DigitGroupingSymbol)?, SkipNumBytes?, Range?, Epoch?, (VariableLength | FixedLength))>

  <!-- ForeignKeys denote joins or relationships between tables.
       To successfully join two tables make sure both the PrimaryKey
     and the referenced column (ForeignKey) are of the same datatype.
     Results are undefined when joining two tables with different
     key datatypes. Most likely an error will occur.

       see line 35 for information about Alias -->
  <!ELEMENT ForeignKey (Name+, References, Alias*)>

  <!-- Maps AlphaNumeric columns from 'From' to 'To'
       ie. From         To
         ============ =============
       True         1
       True         -1
       False        0

     Basically, a map is an associative container.

     The standard implementation only supports
     AlphaNumeric datatypes. The following
     conversions are NOT supported.

     Numeric      -> AlphaNumeric
     Date         -> AlphaNumeric
     AplhaNumeric -> Date
     AlphaNumeric -> Numeric
  -->
  <!ELEMENT Map (Description?, From, To)>

  <!-- Documentation for table validity. -->
  <!ELEMENT Validity (Range, Format?)>

  <!-- End Complex Types -->
)gdpdu";
}
} // namespace

} // namespace schwarm::ledger
