#include "export_shared.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

namespace schwarm::ledger {

namespace detail {

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
    "SELECT e.id, " SCHWARM_SQL_UTC_MICROS(
        "e.created_at") ", e.kind::text, e.pending_id, e.description, "
                        "a.code, a.type::text, p.side::text, p.amount_minor, p.currency, p.seq, p.account_id "
                        "FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id "
                        "LEFT JOIN ledger_accounts a ON a.id = p.account_id "
                        "WHERE e.created_at >= $1::timestamptz AND e.created_at < $2::timestamptz ORDER BY e.id, "
                        "p.seq"};
const db::query fetch_rows{"ledger.export_fetch_rows",
                           "FETCH FORWARD " SCHWARM_EXPORT_PAGE " FROM schwarm_export_rows"};
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

} // namespace detail

namespace {

using namespace detail;

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
        if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day))
            return std::nullopt;
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
            const bool keep = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
                              c == '+' || c == '.';
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

} // namespace schwarm::ledger
