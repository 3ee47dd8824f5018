#include "ledger/export.hpp"

#include "base/db.hpp"
#include "base/money.hpp"
#include "base/problem.hpp"
#include "ledger/ledger.hpp"
#include "support/support.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace schwarm;
using namespace schwarm::ledger;

namespace {

const who staff{std::nullopt, "test"};

// What the header recommends: one snapshot for the whole export.
using snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

posting debit(account_id a, std::int64_t amount, std::string cur = "EUR") { return {a, side::debit, amount, cur}; }
posting credit(account_id a, std::int64_t amount, std::string cur = "EUR") { return {a, side::credit, amount, cur}; }

entry_request request(std::string key, entry_kind kind, std::vector<posting> postings, std::string description = {},
                      std::optional<entry_id> hold = std::nullopt) {
    entry_request r;
    r.idempotency_key = std::move(key);
    r.kind = kind;
    r.postings = std::move(postings);
    r.description = std::move(description);
    r.pending = hold;
    return r;
}

const std::string odd_description = "Deposit, \"quoted\"; semi | pipe\nsecond line\r\n\ttab  two  spaces \x01 Zürich €";

struct fixture {
    test::database db;
    std::unique_ptr<pqxx::connection> c = db::connect(db.url());
    account_id bank, alice, escrow, fees, costs, jpy_cash, jpy_wallet, kwd_cash, kwd_wallet;
    // Booked one per transaction, so each has its own created_at.
    entry deposit, hold, post, hold2, void2, yen, dinar;

    fixture() {
        pqxx::work tx(*c);
        auto eur = currency::parse("EUR").value();
        auto jpy = currency::parse("JPY").value();
        auto kwd = currency::parse("KWD").value();
        bank = create_account(tx, {"1000:bank", "Cash at bank", account_type::asset, eur}, staff).id;
        alice =
            create_account(
                tx, {"2000:alice", "Wallet; \"Alice\"\nline", account_type::liability, eur, {}, {}, true, false}, staff)
                .id;
        escrow = create_account(tx, {"2100:escrow", "Escrow", account_type::liability, eur}, staff).id;
        fees = create_account(tx, {"4000:fees", "Fees", account_type::income, eur}, staff).id;
        costs = create_account(tx, {"5000:costs", "Costs", account_type::expense, eur}, staff).id;
        jpy_cash = create_account(tx, {"1010:jpy", "Cash JPY", account_type::asset, jpy}, staff).id;
        jpy_wallet = create_account(tx, {"2010:jpy", "Wallets JPY", account_type::liability, jpy}, staff).id;
        kwd_cash = create_account(tx, {"1020:kwd", "Cash KWD", account_type::asset, kwd}, staff).id;
        kwd_wallet = create_account(tx, {"3000::kwd", "Equity KWD", account_type::equity, kwd}, staff).id;
        tx.commit();

        deposit = book_one(request("deposit", entry_kind::posted,
                                   {debit(bank, 10'000), credit(alice, 9'950), credit(fees, 50)}, odd_description));
        hold =
            book_one(request("pledge", entry_kind::pending, {debit(alice, 600), credit(escrow, 600)}, "Pledge; hold"));
        post = book_one(request("post", entry_kind::post_pending, {}, "Pledge posted", hold.id));
        hold2 = book_one(request("pledge-2", entry_kind::pending, {debit(alice, 100), credit(escrow, 100)}, "Second"));
        void2 = book_one(request("void-2", entry_kind::void_pending, {}, "Withdrawn", hold2.id));
        yen = book_one(
            request("yen", entry_kind::posted,
                    {debit(jpy_cash, 1'500, "JPY"), credit(jpy_wallet, 1'500, "JPY"), debit(costs, 7), credit(bank, 7)},
                    "Yen and a cost"));
        dinar = book_one(
            request("dinar", entry_kind::posted, {debit(kwd_cash, 5, "KWD"), credit(kwd_wallet, 5, "KWD")}, "Dinar"));
    }

    entry book_one(entry_request r) {
        pqxx::work tx(*c);
        std::vector<entry_request> requests{std::move(r)};
        auto results = book(tx, requests, false, staff);
        tx.commit();
        if (auto* p = std::get_if<problem>(&results.front())) FAIL("refused: " << p->detail());
        return std::get<entry>(results.front());
    }

    std::string exported(export_format format, export_range range = {}) {
        snapshot tx(*c);
        std::string out;
        export_ledger(tx, format, range, [&](std::string_view chunk) { out.append(chunk); });
        return out;
    }
};

// RFC 4180 records: quoted fields may hold the delimiter, quotes and line breaks.
std::vector<std::vector<std::string>> parse_csv(std::string_view text, char delimiter) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false, field_started = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (quoted) {
            if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (ch == '"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == '"') {
            quoted = true;
            field_started = true;
        } else if (ch == delimiter) {
            record.push_back(std::move(field));
            field.clear();
            field_started = true;
        } else if (ch == '\r' || ch == '\n') {
            if (ch == '\r') {
                REQUIRE(i + 1 < text.size());
                REQUIRE(text[i + 1] == '\n');
                ++i;
            }
            record.push_back(std::move(field));
            field.clear();
            records.push_back(std::move(record));
            record.clear();
            field_started = false;
        } else {
            field += ch;
            field_started = true;
        }
    }
    REQUIRE_FALSE(quoted);
    REQUIRE_FALSE(field_started); // the last record ends with a line break
    return records;
}

// Runs a shell command; its exit status and what it printed (stdout and stderr).
int run(const std::string& command, std::string& output) {
    output.clear();
    std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
    const int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A directory of its own under the test command's scratch directory.
std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::path(test::required_env("SCHWARM_TEST_SCRATCH")) /
               ("export-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

void write_file(const std::filesystem::path& path, std::string_view content) {
    std::ofstream file(path, std::ios::binary);
    file.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE(file.good());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    std::ostringstream out;
    out << file.rdbuf();
    return out.str();
}

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

std::string hledger_account(account_type type, const std::string& code) {
    switch (type) {
    case account_type::asset: return "assets:" + code;
    case account_type::liability: return "liabilities:" + code;
    case account_type::equity: return "equity:" + code;
    case account_type::income: return "income:" + code;
    case account_type::expense: return "expenses:" + code;
    }
    return code;
}

// account -> balance, from `hledger balance -O csv`; checks the journal strictly.
std::map<std::string, std::string> hledger_balances(const std::filesystem::path& journal) {
    std::string output;
    INFO(read_file(journal));
    const int status = run("hledger -f '" + journal.string() + "' --strict balance --flat --no-total -O csv", output);
    INFO(output);
    REQUIRE(status == 0);
    auto records = parse_csv(output, ',');
    REQUIRE(!records.empty());
    CHECK(records.front() == std::vector<std::string>{"account", "balance"});
    std::map<std::string, std::string> balances;
    for (std::size_t i = 1; i < records.size(); ++i) {
        REQUIRE(records[i].size() == 2);
        balances[records[i][0]] = records[i][1];
    }
    return balances;
}

// The same from the trial balance: net debits, for the accounts that have any.
std::map<std::string, std::string> trial_balances(pqxx::connection& c, const std::string& as_of) {
    snapshot tx(c);
    std::map<std::string, std::string> out;
    for (const auto& line : trial_balance(tx, as_of)) {
        const std::int64_t net = line.debits_minor - line.credits_minor;
        if (net == 0) continue;
        const int digits = currency::parse(line.currency_code).value().minor_digits();
        out[hledger_account(line.type, line.code)] = format_decimal(net, digits) + " " + line.currency_code;
    }
    return out;
}

} // namespace

TEST_CASE("export: formats, content types and file names", "[ledger][export]") {
    for (auto format : {export_format::csv, export_format::jsonl, export_format::hledger, export_format::gobd}) {
        CHECK(parse_export_format(to_string(format)) == format);
    }
    CHECK_FALSE(parse_export_format("CSV").has_value());
    CHECK_FALSE(parse_export_format("xml").has_value());
    CHECK_FALSE(parse_export_format("").has_value());
    CHECK(content_type(export_format::csv) == "text/csv; charset=utf-8; header=present");
    CHECK(content_type(export_format::gobd) == "application/x-tar");
    CHECK(suggested_file_name(export_format::csv, {}) == "schwarm-ledger.csv");
    CHECK(suggested_file_name(export_format::hledger, {"2024-01-01T00:00:00Z", ""}) ==
          "schwarm-ledger_2024-01-01T000000Z_to_now.journal");
    CHECK(suggested_file_name(export_format::gobd, {"", "2024-02-01T00:00:00+01:00"}) ==
          "schwarm-ledger_start_to_2024-02-01T000000+0100_gobd.tar");
    CHECK(suggested_file_name(export_format::jsonl, {"\"/../x\"", ""}) == "schwarm-ledger_..x_to_now.jsonl");
}

TEST_CASE("export: csv has one row per posting, holds included, voids not", "[pg][ledger][export]") {
    fixture f;
    auto records = parse_csv(f.exported(export_format::csv), ',');
    REQUIRE(records.size() == 1 + 3 + 2 + 2 + 2 + 4 + 2);
    CHECK(records[0] == std::vector<std::string>{"entry_id", "created_at", "kind", "account_code", "side", "amount",
                                                 "amount_minor", "currency", "description", "pending_id"});
    for (const auto& r : records) REQUIRE(r.size() == 10);

    // The deposit: three postings in order, exact text, decimals of EUR.
    CHECK(records[1] == std::vector<std::string>{std::to_string(f.deposit.id.value), f.deposit.created_at, "posted",
                                                 "1000:bank", "debit", "100.00", "10000", "EUR", odd_description, ""});
    CHECK(records[2][3] == "2000:alice");
    CHECK(records[2][4] == "credit");
    CHECK(records[2][5] == "99.50");
    CHECK(records[3][3] == "4000:fees");
    CHECK(records[3][5] == "0.50");
    // The hold and its posting, which names it.
    CHECK(records[4][2] == "pending");
    CHECK(records[4][0] == std::to_string(f.hold.id.value));
    CHECK(records[6][2] == "post_pending");
    CHECK(records[6][9] == std::to_string(f.hold.id.value));
    CHECK(records[6][5] == "6.00");
    // The voided hold is there as a hold; the void itself has no postings.
    CHECK(records[8][0] == std::to_string(f.hold2.id.value));
    CHECK(records[10][0] == std::to_string(f.yen.id.value));
    for (const auto& r : records) CHECK(r[0] != std::to_string(f.void2.id.value));
    // Zero and three decimals.
    CHECK(records[10][5] == "1500");
    CHECK(records[10][7] == "JPY");
    CHECK(records[12][5] == "0.07");
    CHECK(records[14][5] == "0.005");
    CHECK(records[14][7] == "KWD");
    CHECK(records[15][3] == "3000::kwd");
}

TEST_CASE("export: the range keeps from <= created_at < to", "[pg][ledger][export]") {
    fixture f;
    auto entry_ids = [&](export_range range) {
        std::vector<std::int64_t> ids;
        auto records = parse_csv(f.exported(export_format::csv, range), ',');
        for (std::size_t i = 1; i < records.size(); ++i) {
            const auto id = std::stoll(records[i][0]);
            if (ids.empty() || ids.back() != id) ids.push_back(id);
        }
        return ids;
    };
    using ids = std::vector<std::int64_t>;
    CHECK(entry_ids({f.hold.created_at, f.hold2.created_at}) == ids{f.hold.id.value, f.post.id.value});
    CHECK(entry_ids({"", f.hold.created_at}) == ids{f.deposit.id.value});
    CHECK(entry_ids({f.yen.created_at, ""}) == ids{f.yen.id.value, f.dinar.id.value});
    CHECK(entry_ids({f.yen.created_at, f.yen.created_at}).empty());
    // Another offset for the same instant.
    CHECK(entry_ids({"2000-01-01T01:00:00+01:00", "2000-01-01T00:00:00.000001Z"}).empty());
    CHECK(entry_ids({"2000-01-01t00:00:00z", ""}).size() == 6);

    snapshot tx(*f.c);
    int sink_calls = 0;
    auto sink = [&](std::string_view) { ++sink_calls; };
    for (const export_range& bad :
         {export_range{"2024-01-01", ""}, export_range{"", "yesterday"}, export_range{"2024-02-30T00:00:00Z", ""},
          export_range{"2024-01-01T24:00:00Z", ""}, export_range{"2024-01-01T00:00:00", ""},
          export_range{"2024-01-01T00:00:00Z'--", ""}, export_range{"2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"},
          export_range{"2024-01-01T00:00:00-01:00", "2024-01-01T00:30:00Z"},
          export_range{"2024-01-01T00:00:00+16:00", ""}, export_range{"2016-12-31T23:59:60.5Z", ""}}) {
        INFO(bad.from << " .. " << bad.to);
        try {
            export_ledger(tx, export_format::csv, bad, sink);
            FAIL("accepted");
        } catch (const problem& p) {
            CHECK(p.type().slug == "validation");
        }
    }
    CHECK(sink_calls == 0);
    // A leap day, a leap second and the farthest offset are real times.
    export_ledger(tx, export_format::csv, {"2024-02-29T23:59:60Z", "2024-03-01T00:00:00.000001-15:59"}, sink);
    CHECK(sink_calls == 1);
}

TEST_CASE("export: a cursor needs a transaction block", "[pg][ledger][export]") {
    fixture f;
    pqxx::nontransaction tx(*f.c);
    CHECK_THROWS_AS(export_ledger(tx, export_format::csv, {}, [](std::string_view) {}), std::logic_error);
}

TEST_CASE("export: jsonl has one object per posting with the same fields", "[pg][ledger][export]") {
    fixture f;
    const std::string text = f.exported(export_format::jsonl);
    std::vector<boost::json::object> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) rows.push_back(boost::json::parse(line).as_object());
    REQUIRE(rows.size() == 3 + 2 + 2 + 2 + 4 + 2);
    CHECK(text.back() == '\n');

    const auto& first = rows[0];
    CHECK(first.size() == 10);
    CHECK(first.at("entry_id").as_int64() == f.deposit.id.value);
    CHECK(first.at("created_at").as_string() == f.deposit.created_at);
    CHECK(first.at("kind").as_string() == "posted");
    CHECK(first.at("account_code").as_string() == "1000:bank");
    CHECK(first.at("side").as_string() == "debit");
    CHECK(first.at("amount").as_string() == "100.00");
    CHECK(first.at("amount_minor").as_int64() == 10'000);
    CHECK(first.at("currency").as_string() == "EUR");
    CHECK(first.at("description").as_string() == odd_description);
    CHECK(first.at("pending_id").is_null());

    CHECK(rows[5].at("kind").as_string() == "post_pending");
    CHECK(rows[5].at("pending_id").as_int64() == f.hold.id.value);
    CHECK(rows[9].at("amount").as_string() == "1500");
    CHECK(rows[13].at("amount").as_string() == "0.005");

    // Debits equal credits per currency over the posted money.
    std::map<std::string, std::int64_t> net;
    for (const auto& r : rows) {
        if (r.at("kind").as_string() == "pending") continue;
        const auto amount = r.at("amount_minor").as_int64();
        net[std::string(r.at("currency").as_string())] += r.at("side").as_string() == "debit" ? amount : -amount;
    }
    CHECK(net == std::map<std::string, std::int64_t>{{"EUR", 0}, {"JPY", 0}, {"KWD", 0}});
}

TEST_CASE("export: hledger balance equals the trial balance", "[pg][ledger][export]") {
    fixture f;
    auto dir = scratch("hledger");

    SECTION("everything") {
        write_file(dir / "all.journal", f.exported(export_format::hledger));
        const auto hledger = hledger_balances(dir / "all.journal");
        const auto expected = trial_balances(*f.c, "");
        CHECK(hledger == expected);
        // The hold that was posted counts once; the voided one not at all.
        CHECK(hledger.at("liabilities:2100:escrow") == "-6.00 EUR");
        CHECK(hledger.at("liabilities:2000:alice") == "-93.50 EUR");
        CHECK(hledger.at("assets:1010:jpy") == "1500 JPY");
        CHECK(hledger.at("equity:3000::kwd") == "-0.005 KWD");
    }
    SECTION("up to a time") {
        // Entries before the yen entry: the trial balance as of the void.
        write_file(dir / "part.journal", f.exported(export_format::hledger, {"", f.yen.created_at}));
        const auto hledger = hledger_balances(dir / "part.journal");
        CHECK(hledger == trial_balances(*f.c, f.void2.created_at));
        CHECK(hledger.count("assets:1010:jpy") == 0);
        CHECK(hledger.size() == 4);
    }
    SECTION("transactions are the posted entries, holds are comments") {
        write_file(dir / "print.journal", f.exported(export_format::hledger));
        std::string output;
        REQUIRE(run("hledger -f '" + (dir / "print.journal").string() + "' print -O csv", output) == 0);
        auto records = parse_csv(output, ',');
        std::set<std::string> codes;
        for (std::size_t i = 1; i < records.size(); ++i) codes.insert(records[i][4]);
        CHECK(codes == std::set<std::string>{std::to_string(f.deposit.id.value), std::to_string(f.post.id.value),
                                             std::to_string(f.yen.id.value), std::to_string(f.dinar.id.value)});
        const std::string journal = read_file(dir / "print.journal");
        CHECK(journal.find("; hold, not posted money:\n; " + f.hold.created_at.substr(0, 10) + " ! (" +
                           std::to_string(f.hold.id.value) + ") Pledge, hold\n") != std::string::npos);
        CHECK(journal.find("; void of hold " + std::to_string(f.hold2.id.value)) != std::string::npos);
    }
}

TEST_CASE("export: odd descriptions do not break the hledger journal", "[pg][ledger][export]") {
    fixture f;
    const std::vector<std::string> descriptions{
        "He said \"hi\"; then | left\nnew line",
        "(42) * ! leading code and status marks",
        "; starts with a comment",
        "  two  spaces  \t tab\r\n",
        "account assets:fake  1 EUR",
        "\n2024-01-01 * injected\n    assets:x  1 EUR\n    equity:y",
    };
    for (std::size_t i = 0; i < descriptions.size(); ++i) {
        f.book_one(request("odd-" + std::to_string(i), entry_kind::posted, {debit(f.bank, 1), credit(f.escrow, 1)},
                           descriptions[i]));
        f.book_one(request("odd-hold-" + std::to_string(i), entry_kind::pending,
                           {debit(f.bank, 1), credit(f.escrow, 1)}, descriptions[i]));
    }
    auto dir = scratch("odd");
    write_file(dir / "odd.journal", f.exported(export_format::hledger));
    CHECK(hledger_balances(dir / "odd.journal") == trial_balances(*f.c, ""));

    std::string output;
    REQUIRE(run("hledger -f '" + (dir / "odd.journal").string() + "' print -O csv desc:' '", output) == 0);
    std::set<std::string> printed;
    auto records = parse_csv(output, ',');
    for (std::size_t i = 1; i < records.size(); ++i) printed.insert(records[i][5]);
    // Line breaks and tabs became spaces, semicolons commas; the rest is kept.
    CHECK(printed.count("He said \"hi\", then | left new line") == 1);
    CHECK(printed.count("(42) * ! leading code and status marks") == 1);
    CHECK(printed.count(", starts with a comment") == 1);
    CHECK(printed.count("account assets:fake  1 EUR") == 1);
    CHECK(printed.count("2024-01-01 * injected     assets:x  1 EUR     equity:y") == 1);
}

TEST_CASE("export: gobd is a tar of index.xml valid under the GDPdU DTD and the CSV files it names",
          "[pg][ledger][export]") {
    fixture f;
    auto dir = scratch("gobd");
    const std::string tar = f.exported(export_format::gobd);
    CHECK(tar.size() % 512 == 0);
    write_file(dir / "ledger.tar", tar);
    std::string output;
    // GNU tar checks every header's checksum and refuses a bad one.
    REQUIRE(run("tar -tvf '" + (dir / "ledger.tar").string() + "'", output) == 0);
    INFO(output);
    REQUIRE(run("tar -xf '" + (dir / "ledger.tar").string() + "' -C '" + dir.string() + "'", output) == 0);
    const auto set = dir / "schwarm-ledger";
    const std::string dtd = test::required_env("SCHWARM_TEST_SHARED_DIR") + "/data/gobd/gdpdu-01-09-2004.dtd";

    CHECK(run("xmllint --noout --dtdvalid '" + dtd + "' '" + (set / "index.xml").string() + "'", output) == 0);
    // libxml2 notes once that the DTD's own Media model is ambiguous
    // (Command* Table* Command*); anything else would be about index.xml.
    const std::string dtd_note =
        "validity error : Content model of Media is not determinist: (Name , Command* , Table* , Command* , "
        "AcceptNoTables?)\n";
    if (auto at = output.find(dtd_note); at != std::string::npos) output.erase(at, dtd_note.size());
    CHECK(output == "");
    // The DTD travels with the set, as index.xml's DOCTYPE names it.
    CHECK(read_file(set / "gdpdu-01-09-2004.dtd") == read_file(dtd));
    CHECK(run("cd '" + set.string() + "' && xmllint --noout --valid index.xml", output) == 0);

    // index.xml names each file, and each file has as many columns as its table declares.
    const std::string index = read_file(set / "index.xml");
    std::map<std::string, std::size_t> columns;
    for (std::size_t at = index.find("<Table>"); at != std::string::npos; at = index.find("<Table>", at + 1)) {
        const std::size_t end = index.find("</Table>", at);
        const std::string_view table(index.data() + at, end - at);
        const std::size_t url = table.find("<URL>") + 5;
        const std::string file(table.substr(url, table.find("</URL>") - url));
        columns[file] = count_of(table, "<VariableColumn>") + count_of(table, "<VariablePrimaryKey>");
    }
    REQUIRE(columns ==
            std::map<std::string, std::size_t>{{"accounts.csv", 7}, {"entries.csv", 6}, {"postings.csv", 9}});
    std::map<std::string, std::vector<std::vector<std::string>>> files;
    for (const auto& [file, count] : columns) {
        const std::string content = read_file(set / file);
        files[file] = parse_csv(content, ';');
        for (const auto& record : files[file]) CHECK(record.size() == count);
    }

    const auto& accounts = files["accounts.csv"];
    REQUIRE(accounts.size() == 9);
    CHECK(accounts[0][1] == "1000:bank");
    const auto& entries = files["entries.csv"];
    REQUIRE(entries.size() == 7); // every entry, the void too
    CHECK(entries[0] == std::vector<std::string>{std::to_string(f.deposit.id.value), f.deposit.created_at.substr(0, 10),
                                                 f.deposit.created_at, "posted", "", odd_description});
    CHECK(entries[4][3] == "void_pending");
    CHECK(entries[4][4] == std::to_string(f.hold2.id.value));
    const auto& postings = files["postings.csv"];
    REQUIRE(postings.size() == 15);
    CHECK(postings[0] == std::vector<std::string>{std::to_string(f.deposit.id.value), "0", std::to_string(f.bank.value),
                                                  "1000:bank", "debit", "100,00", "10000", "EUR", "posted"});
    CHECK(postings[13][5] == "0,005");

    SECTION("a range") {
        auto part_dir = scratch("gobd-part");
        write_file(part_dir / "part.tar", f.exported(export_format::gobd, {f.yen.created_at, ""}));
        REQUIRE(run("tar -xf '" + (part_dir / "part.tar").string() + "' -C '" + part_dir.string() + "'", output) == 0);
        CHECK(parse_csv(read_file(part_dir / "schwarm-ledger" / "entries.csv"), ';').size() == 2);
        CHECK(parse_csv(read_file(part_dir / "schwarm-ledger" / "postings.csv"), ';').size() == 6);
        CHECK(parse_csv(read_file(part_dir / "schwarm-ledger" / "accounts.csv"), ';').size() == 9);
    }
}

namespace {
std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
} // namespace

TEST_CASE("export: 200,000 postings stream in bounded chunks", "[pg][ledger][export]") {
    test::database db;
    auto c = db::connect(db.url());
    account_id bank, escrow;
    {
        pqxx::work tx(*c);
        auto eur = currency::parse("EUR").value();
        bank = create_account(tx, {"1000:bank", "Cash at bank", account_type::asset, eur}, staff).id;
        escrow = create_account(tx, {"2100:escrow", "Escrow", account_type::liability, eur}, staff).id;
        tx.commit();
    }
    constexpr int entries_total = 100'000;
    constexpr int batch = 5'000;
    for (int start = 0; start < entries_total; start += batch) {
        std::vector<entry_request> requests;
        for (int i = start; i < start + batch; ++i) {
            requests.push_back(request("bulk-" + std::to_string(i), entry_kind::posted,
                                       {debit(bank, 100 + i % 1000), credit(escrow, 100 + i % 1000)},
                                       "Bulk transfer number " + std::to_string(i)));
        }
        pqxx::work tx(*c);
        auto results = book(tx, requests, false, staff);
        tx.commit();
        REQUIRE(std::holds_alternative<entry>(results.back()));
    }

    for (auto format : {export_format::csv, export_format::jsonl, export_format::hledger, export_format::gobd}) {
        INFO(to_string(format));
        snapshot tx(*c);
        std::size_t calls = 0, bytes = 0, largest = 0, lines = 0, rss_growth = 0;
        const std::size_t rss_before = rss_bytes();
        export_ledger(tx, format, {}, [&](std::string_view chunk) {
            ++calls;
            bytes += chunk.size();
            largest = std::max(largest, chunk.size());
            lines += count_of(chunk, "\n");
            if (calls % 16 == 0) rss_growth = std::max(rss_growth, rss_bytes() - std::min(rss_bytes(), rss_before));
        });
        CHECK(largest <= export_chunk_bytes + export_row_bytes_max);
        CHECK(calls >= bytes / (export_chunk_bytes + export_row_bytes_max));
        CHECK(calls > 100);
        // The output is far larger than what the process grew by while writing it.
        CHECK(bytes > 10'000'000);
        CHECK(rss_growth < 16u * 1024 * 1024);
        if (format == export_format::csv) CHECK(lines == 2 * entries_total + 1);
        if (format == export_format::jsonl) CHECK(lines == 2 * entries_total);
    }
}
