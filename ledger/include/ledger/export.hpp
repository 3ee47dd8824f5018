#pragma once
// Exports of the ledger for auditors: CSV, JSON Lines, an hledger journal and
// a GoBD "Z3" data-carrier set (index.xml + CSV files in a tar), for entries
// created in a half-open time range. Exports stream: postings are read from a
// server-side cursor a page at a time and the output is handed to a sink in
// bounded chunks, so memory does not grow with the range. The formats and
// their decisions are described in docs/ledger-export.md.

#include <pqxx/pqxx>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace schwarm::ledger {

enum class export_format { csv, jsonl, hledger, gobd };

// "csv", "jsonl", "hledger", "gobd"; nullopt for anything else.
std::optional<export_format> parse_export_format(std::string_view text);
std::string_view to_string(export_format format);

// Entries with from <= created_at < to. Each bound is an RFC 3339 time
// ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00.5+01:00") or empty for an
// open end.
struct export_range {
    std::string from;
    std::string to;
};

// Rows fetched from the cursor per round trip.
inline constexpr std::size_t export_page_rows = 10'000;
// The sink gets chunks of about this size: at most export_chunk_bytes plus
// one row (export_row_bytes_max), never more.
inline constexpr std::size_t export_chunk_bytes = 64 * 1024;
inline constexpr std::size_t export_row_bytes_max = 8 * 1024;
// Longest accepted range bound ("2024-01-01T00:00:00.123456789+01:00" is 35).
inline constexpr std::size_t export_time_length_max = 40;

// For the HTTP response.
std::string content_type(export_format format);
// "schwarm-ledger_2024-01-01T000000Z_to_2024-02-01T000000Z.csv"; no path
// separators, quotes or colons, so it is safe in Content-Disposition.
std::string suggested_file_name(export_format format, const export_range& range);

// Writes the export to `sink`, chunk by chunk. Throws problem(validation)
// for a malformed range or one whose `from` is after its `to`, before
// anything is written; database failures and whatever the sink throws pass
// through (the output is then incomplete).
//
// `tx` must be a transaction block (pqxx::work, pqxx::read_transaction, ...),
// not a pqxx::nontransaction (that is a std::logic_error): cursors live
// inside a transaction. Each cursor reads one snapshot; the hledger journal
// and the GoBD set also read the chart of accounts, so use
// pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> to make the whole
// export one snapshot. One export at a time per transaction; after an
// exception, abandon the transaction.
void export_ledger(pqxx::transaction_base& tx, export_format format, const export_range& range,
                   const std::function<void(std::string_view)>& sink);

} // namespace schwarm::ledger
