// The ledger export as a GoBD data carrier: index.xml, the DTD and CSV files
// in a ustar archive (docs/ledger-export.md).
#include "export_shared.hpp"

#include <cassert>
#include <cstdio>
#include <span>

#include <unistd.h>

namespace schwarm::ledger::detail {

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
    {"kind", "Kind of the entry; only posted and post_pending postings are posted money", gobd_type::alphanumeric, 12},
}};
constexpr std::array<gobd_foreign_key, 2> postings_keys{
    {{"entry_id", "entries", "id"}, {"account_id", "accounts", "id"}}};

constexpr std::array<gobd_table, 3> gobd_tables{{
    {"accounts.csv", "accounts", "Chart of accounts (every account)", accounts_columns, {}},
    {"entries.csv", "entries", "Ledger entries in the exported range", entries_columns, entries_keys},
    {"postings.csv", "postings", "Postings (debit and credit lines) of those entries", postings_columns, postings_keys},
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
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
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
                xml +=
                    "          <AlphaNumeric/>\n          <MaxLength>" + std::to_string(column.size) + "</MaxLength>\n";
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
    constexpr std::string_view magic("ustar\0"
                                     "00",
                                     8);
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

} // namespace schwarm::ledger::detail
