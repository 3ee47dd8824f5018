#include "ledger/seal.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/problem.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace schwarm::ledger {

namespace {

// What an entry's digest covers, in this column order (entry_digest reads it).
#define SCHWARM_ENTRY_COLUMNS                                                                                          \
    "e.id, e.idempotency_key, e.request_hash, e.kind::text, e.pending_id, " SCHWARM_SQL_UTC_MICROS(                    \
        "e.expires_at") ", e.description, e.created_by, e.request_id, " SCHWARM_SQL_UTC_MICROS("e.created_at")
constexpr int entry_columns = 10;

// Only one sealer at a time, in any process. The two-key form is a key space
// of its own: no clash with the ledger's one-key idempotency locks.
const db::query try_lock{"seal.try_lock", "SELECT pg_try_advisory_xact_lock(5502, 1)"};

const db::query read_state{"seal.read_state",
                           "SELECT low_water_id, fence_id, fence_vxids::text, current_setting('transaction_isolation') "
                           "FROM ledger_seal_state FOR UPDATE"};

// A transaction's virtual xid is locked by it from its start to its end (the
// technique CREATE INDEX CONCURRENTLY waits with).
const db::query fence_drained{"seal.fence_drained",
                              "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'virtualxid' AND granted "
                              "AND virtualxid = ANY($1::text[]))"};

const db::query fence_max_id{"seal.fence_max_id", "SELECT COALESCE(max(id), 0) FROM ledger_entries"};

const db::query fence_running{
    "seal.fence_running",
    "SELECT COALESCE(array_agg(virtualxid), '{}')::text FROM pg_locks WHERE locktype = 'virtualxid' "
    "AND granted AND pid IS DISTINCT FROM pg_backend_pid()"};

const db::query write_state{"seal.write_state",
                            "UPDATE ledger_seal_state SET low_water_id = $1, fence_id = $2, fence_vxids = $3::text[]"};

// The anti-join walks the entries' primary key up from the low-water mark and
// probes ledger_seal_entries' primary key: work in proportion to what lies
// above the mark, not to the history.
const db::query select_unsealed{
    "seal.select_unsealed",
    "SELECT " SCHWARM_ENTRY_COLUMNS " FROM ledger_entries e WHERE e.id > $1 "
    "AND NOT EXISTS (SELECT 1 FROM ledger_seal_entries s WHERE s.entry_id = e.id) ORDER BY e.id LIMIT $2"};

const db::query select_postings_of{
    "seal.select_postings_of",
    "SELECT entry_id, seq, account_id, side::text, amount_minor, currency FROM ledger_postings "
    "WHERE entry_id = ANY($1::bigint[]) ORDER BY entry_id, seq"};

const db::query select_head{"seal.select_head",
                            "SELECT block_no, hash FROM ledger_seal_blocks ORDER BY block_no DESC LIMIT 1"};

const db::query select_now{"seal.select_now", "SELECT " SCHWARM_SQL_UTC_MICROS("schwarm_now()")};

const db::query insert_block{
    "seal.insert_block",
    "INSERT INTO ledger_seal_blocks (block_no, prev_hash, hash, entry_count, first_entry_id, last_entry_id, sealed_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)"};

const db::query insert_sealed{
    "seal.insert_sealed",
    "INSERT INTO ledger_seal_entries (entry_id, block_no, position, digest) "
    "SELECT id, $2, ord - 1, digest FROM unnest($1::bigint[], $3::text[]) WITH ORDINALITY AS t(id, digest, ord)"};

const db::query select_low_water{"seal.select_low_water", "SELECT low_water_id FROM ledger_seal_state"};

// The mark as a parameter, not a subquery: planned with its value, the scan
// starts at the mark in the primary key instead of reading every entry.
const db::query select_lag{
    "seal.select_lag",
    "SELECT count(*), COALESCE((extract(epoch FROM schwarm_now() - min(e.created_at)) * 1000)::bigint, 0) "
    "FROM ledger_entries e WHERE e.id > $1 "
    "AND NOT EXISTS (SELECT 1 FROM ledger_seal_entries s WHERE s.entry_id = e.id)"};

const db::query select_unsealed_all{
    "seal.select_unsealed_all",
    "SELECT count(*), COALESCE((extract(epoch FROM schwarm_now() - min(e.created_at)) * 1000)::bigint, 0) "
    "FROM ledger_entries e WHERE NOT EXISTS (SELECT 1 FROM ledger_seal_entries s WHERE s.entry_id = e.id)"};

const db::query select_blocks_page{
    "seal.select_blocks_page",
    "SELECT block_no, prev_hash, hash, entry_count, first_entry_id, last_entry_id, " SCHWARM_SQL_UTC_MICROS(
        "sealed_at") " FROM ledger_seal_blocks WHERE block_no > $1 ORDER BY block_no LIMIT $2"};

// Sealed entries of blocks (after, upto], with the entries as they are now
// (NULLs where an entry is gone).
const db::query select_sealed_page{
    "seal.select_sealed_page",
    "SELECT s.block_no, s.position, s.entry_id, s.digest, e.id IS NOT NULL, " SCHWARM_ENTRY_COLUMNS
    " FROM ledger_seal_entries s LEFT JOIN ledger_entries e ON e.id = s.entry_id "
    "WHERE s.block_no > $1 AND s.block_no <= $2 ORDER BY s.block_no, s.position"};

const db::query select_sealed_postings_page{
    "seal.select_sealed_postings_page",
    "SELECT p.entry_id, p.seq, p.account_id, p.side::text, p.amount_minor, p.currency "
    "FROM ledger_seal_entries s JOIN ledger_postings p ON p.entry_id = s.entry_id "
    "WHERE s.block_no > $1 AND s.block_no <= $2 ORDER BY p.entry_id, p.seq"};

const db::query select_stray{"seal.select_stray", "SELECT min(block_no) FROM ledger_seal_entries WHERE block_no > $1"};

const db::query select_block_hash{"seal.select_block_hash", "SELECT hash FROM ledger_seal_blocks WHERE block_no = $1"};

#undef SCHWARM_ENTRY_COLUMNS

const std::string genesis_hash(64, '0');
// Blocks verify_chain holds in memory at once (each of at most
// seal_block_entries_max entries, unless the rows were tampered with).
constexpr int verify_blocks_per_page = 16;

// The canonical serialisation: every field as a netstring ("5:hello,"), NULL
// as "-," (a netstring starts with a digit), so no two different sequences of
// fields serialise alike.
void put(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ',';
}

void put(std::string& out, const pqxx::field& f) {
    if (f.is_null()) out += "-,";
    else put(out, std::string_view(f.c_str(), f.size()));
}

// Postings of many entries, serialised per entry: posting count and text.
using postings_text = std::map<std::int64_t, std::pair<std::int64_t, std::string>>;

postings_text serialise_postings(const pqxx::result& rows) {
    postings_text out;
    for (const auto& row : rows) {
        auto& [count, text] = out[row[0].as<std::int64_t>()];
        ++count;
        for (int column = 1; column < 6; ++column) put(text, row[column]);
    }
    return out;
}

// SHA-256 of the entry as stored: every column of the entry (the idempotency
// key as its own hash, so a digest can be recomputed from an export without
// the key) and every posting's seq, account, side, amount and currency.
std::string entry_digest(const pqxx::row& row, int first_column, const postings_text& postings) {
    std::string canonical = "schwarm.ledger.entry.v1\n";
    for (int i = 0; i < entry_columns; ++i) {
        const pqxx::field f = row[first_column + i];
        if (i == 1 && !f.is_null()) put(canonical, crypto::sha256_hex(std::string_view(f.c_str(), f.size())));
        else put(canonical, f);
    }
    auto it = postings.find(row[first_column].as<std::int64_t>());
    put(canonical, std::to_string(it == postings.end() ? 0 : it->second.first));
    if (it != postings.end()) canonical += it->second.second;
    return crypto::sha256_hex(canonical);
}

struct block_header {
    std::int64_t block_no;
    std::string prev_hash;
    std::int64_t entry_count;
    std::int64_t first_entry_id;
    std::int64_t last_entry_id;
    std::string sealed_at; // UTC, microseconds
};

struct sealed_entry {
    std::int64_t entry_id;
    std::string digest;
};

std::string block_hash(const block_header& b, const std::vector<sealed_entry>& entries) {
    std::string canonical = "schwarm.ledger.block.v1\n";
    put(canonical, std::to_string(b.block_no));
    put(canonical, b.prev_hash);
    put(canonical, std::to_string(b.entry_count));
    put(canonical, std::to_string(b.first_entry_id));
    put(canonical, std::to_string(b.last_entry_id));
    put(canonical, b.sealed_at);
    for (const auto& e : entries) {
        put(canonical, std::to_string(e.entry_id));
        put(canonical, e.digest);
    }
    return crypto::sha256_hex(canonical);
}

// Writes one block of `rows` (entries in id order, columns as
// SCHWARM_ENTRY_COLUMNS) after the current head.
void write_block(pqxx::work& tx, const pqxx::result& rows) {
    std::vector<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& row : rows) ids.push_back(row[0].as<std::int64_t>());
    SCHWARM_INVARIANT(std::is_sorted(ids.begin(), ids.end()), "entries are sealed in id order");
    const std::string id_array = db::array_literal(ids);
    const postings_text postings = serialise_postings(tx.exec_prepared(select_postings_of.name, id_array));

    std::vector<sealed_entry> sealed;
    std::vector<std::string> digests;
    for (const auto& row : rows) {
        sealed.push_back({row[0].as<std::int64_t>(), entry_digest(row, 0, postings)});
        digests.push_back(sealed.back().digest);
    }
    block_header b{1,           genesis_hash, static_cast<std::int64_t>(ids.size()),
                   ids.front(), ids.back(),   tx.exec_prepared1(select_now.name)[0].as<std::string>()};
    if (auto head = tx.exec_prepared(select_head.name); !head.empty()) {
        b.block_no = head[0][0].as<std::int64_t>() + 1;
        b.prev_hash = head[0][1].as<std::string>();
    }
    const std::string hash = block_hash(b, sealed);
    tx.exec_prepared(insert_block.name, b.block_no, b.prev_hash, hash, b.entry_count, b.first_entry_id, b.last_entry_id,
                     b.sealed_at);
    tx.exec_prepared(insert_sealed.name, id_array, b.block_no, db::array_literal(digests));
}

struct seal_state {
    std::int64_t low_water_id;
    std::optional<std::int64_t> fence_id;
    std::optional<std::string> fence_vxids;
};

// A new fence: first the highest committed id, then every transaction
// running now. Ids are allocated in order (the sequence caches 1), so an id
// below the highest committed one was allocated before it; a transaction
// holding it uncommitted is running now, or has ended by now.
void set_fence(pqxx::work& tx, seal_state& state) {
    state.fence_id = tx.exec_prepared1(fence_max_id.name)[0].as<std::int64_t>();
    state.fence_vxids = tx.exec_prepared1(fence_running.name)[0].as<std::string>();
}

} // namespace

int seal_block(pqxx::work& tx, int entries_max) {
    if (entries_max < 1) return 0;
    entries_max = std::min(entries_max, seal_block_entries_max);
    if (!tx.exec_prepared1(try_lock.name)[0].as<bool>()) return 0;

    const auto row = tx.exec_prepared1(read_state.name);
    seal_state state{row[0].as<std::int64_t>(), db::nullable<std::int64_t>(row[1]), db::nullable<std::string>(row[2])};
    // Each statement of a read-committed transaction sees what committed
    // before it started; the low-water mark relies on that (a snapshot taken
    // before the fence drained would miss late entries), so it moves only
    // under read committed.
    const bool read_committed = row[3].as<std::string>() == "read committed";
    const bool drained =
        read_committed && state.fence_id && tx.exec_prepared1(fence_drained.name, *state.fence_vxids)[0].as<bool>();

    // From here on, if drained, every entry up to fence_id is committed and
    // visible to the next statement, or will never exist.
    const auto rows = tx.exec_prepared(select_unsealed.name, state.low_water_id, entries_max);
    const int sealed = static_cast<int>(rows.size());
    if (sealed > 0) write_block(tx, rows);

    if (drained) {
        // Sealed now: every unsealed entry above the mark up to the last one
        // taken (all of them if the block was not full).
        std::int64_t covered = *state.fence_id;
        if (sealed == entries_max) covered = std::min(covered, rows.back()[0].as<std::int64_t>());
        state.low_water_id = std::max(state.low_water_id, covered);
    }
    if (read_committed && (drained || !state.fence_id)) {
        set_fence(tx, state);
        tx.exec_prepared(write_state.name, state.low_water_id, state.fence_id, state.fence_vxids);
    }
    return sealed;
}

int seal_pending(pqxx::connection& connection, int entries_max, int block_entries_max) {
    block_entries_max = std::clamp(block_entries_max, 1, seal_block_entries_max);
    int total = 0;
    while (total < entries_max) {
        const int wanted = std::min(block_entries_max, entries_max - total);
        pqxx::work tx(connection, "seal");
        const int sealed = seal_block(tx, wanted);
        tx.commit();
        total += sealed;
        if (sealed < wanted) break;
    }
    return total;
}

seal_lag unsealed_lag(pqxx::transaction_base& tx) {
    const auto low_water_id = tx.exec_prepared1(select_low_water.name)[0].as<std::int64_t>();
    const auto row = tx.exec_prepared1(select_lag.name, low_water_id);
    return {row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), low_water_id};
}

namespace {

// The first discrepancy found, or nothing.
struct finding {
    std::int64_t block_no;
    std::string what;
};

// Checks one block against its sealed entries (rows of select_sealed_page,
// in position order) and the hash of the block before it.
std::optional<finding> check_block(const block_header& b, const std::string& stored_hash,
                                   const std::vector<pqxx::row>& sealed_rows, const postings_text& postings) {
    const auto at = [&](std::string what) { return finding{b.block_no, std::move(what)}; };
    if (static_cast<std::int64_t>(sealed_rows.size()) != b.entry_count) {
        return at("block says " + std::to_string(b.entry_count) + " entries, " + std::to_string(sealed_rows.size()) +
                  " are sealed in it");
    }
    std::vector<sealed_entry> sealed;
    for (std::size_t i = 0; i < sealed_rows.size(); ++i) {
        const pqxx::row& row = sealed_rows[i];
        const auto entry_id = row[2].as<std::int64_t>();
        const std::string where = "entry " + std::to_string(entry_id) + " at position " + std::to_string(i);
        if (row[1].as<std::int64_t>() != static_cast<std::int64_t>(i)) {
            return at("positions are not 0.." + std::to_string(sealed_rows.size() - 1) + ": " + where +
                      " has position " + row[1].as<std::string>());
        }
        if (i > 0 && entry_id <= sealed.back().entry_id) {
            return at("entries out of order: " + where + " follows entry " + std::to_string(sealed.back().entry_id));
        }
        if (!row[4].as<bool>()) return at(where + " is missing");
        if (entry_digest(row, 5, postings) != row[3].as<std::string>()) {
            return at(where + " (entry or postings) differs from what was sealed");
        }
        sealed.push_back({entry_id, row[3].as<std::string>()});
    }
    if (sealed.front().entry_id != b.first_entry_id || sealed.back().entry_id != b.last_entry_id) {
        return at("block says entries " + std::to_string(b.first_entry_id) + ".." + std::to_string(b.last_entry_id) +
                  ", sealed are " + std::to_string(sealed.front().entry_id) + ".." +
                  std::to_string(sealed.back().entry_id));
    }
    if (block_hash(b, sealed) != stored_hash) return at("hash does not match the block's contents");
    return std::nullopt;
}

// Walks the chain from block 1, a page of blocks at a time.
std::optional<finding> check_chain(pqxx::transaction_base& tx, seal_report& report) {
    std::int64_t expected_no = 1;
    std::string prev_hash = genesis_hash;
    std::int64_t after = 0;
    for (;;) {
        const auto blocks = tx.exec_prepared(select_blocks_page.name, after, verify_blocks_per_page);
        if (blocks.empty()) break;
        const auto upto = blocks.back()[0].as<std::int64_t>();
        const auto sealed_rows = tx.exec_prepared(select_sealed_page.name, after, upto);
        const postings_text postings =
            serialise_postings(tx.exec_prepared(select_sealed_postings_page.name, after, upto));
        std::map<std::int64_t, std::vector<pqxx::row>> by_block;
        for (const auto& row : sealed_rows) by_block[row[0].as<std::int64_t>()].push_back(row);

        for (const auto& row : blocks) {
            block_header b{row[0].as<std::int64_t>(), row[1].as<std::string>(),  row[3].as<std::int64_t>(),
                           row[4].as<std::int64_t>(), row[5].as<std::int64_t>(), row[6].as<std::string>()};
            if (b.block_no != expected_no) {
                return finding{expected_no, "block " + std::to_string(expected_no) + " is missing (the next is block " +
                                                std::to_string(b.block_no) + ")"};
            }
            if (b.prev_hash != prev_hash) {
                return finding{b.block_no,
                               "prev_hash does not match the hash of block " + std::to_string(b.block_no - 1)};
            }
            if (auto bad = check_block(b, row[2].as<std::string>(), by_block[b.block_no], postings)) return bad;
            prev_hash = row[2].as<std::string>();
            ++expected_no;
            ++report.blocks_checked;
            report.entries_checked += b.entry_count;
        }
        after = upto;
    }
    if (auto stray = tx.exec_prepared1(select_stray.name, after); !stray[0].is_null()) {
        const auto block_no = stray[0].as<std::int64_t>();
        return finding{block_no, "entries are sealed in block " + std::to_string(block_no) + ", which does not exist"};
    }
    return std::nullopt;
}

} // namespace

seal_report verify_chain(pqxx::transaction_base& tx, const std::optional<seal_anchor>& anchor) {
    seal_report report;
    auto bad = check_chain(tx, report);
    if (!bad && anchor) {
        const auto found = tx.exec_prepared(select_block_hash.name, anchor->block_no);
        if (found.empty()) {
            bad = finding{anchor->block_no, "the anchored block " + std::to_string(anchor->block_no) + " is gone"};
        } else if (found[0][0].as<std::string>() != anchor->hash) {
            bad = finding{anchor->block_no,
                          "the hash of block " + std::to_string(anchor->block_no) + " is not the anchored one"};
        }
    }
    if (bad) {
        report.ok = false;
        report.first_bad_block = bad->block_no;
        report.first_discrepancy = "block " + std::to_string(bad->block_no) + ": " + bad->what;
    }
    if (auto head = tx.exec_prepared(select_head.name); !head.empty()) {
        report.head_block_no = head[0][0].as<std::int64_t>();
        report.head_hash = head[0][1].as<std::string>();
    }
    const auto unsealed = tx.exec_prepared1(select_unsealed_all.name);
    report.unsealed_entries = unsealed[0].as<std::int64_t>();
    report.oldest_unsealed_age_ms = unsealed[1].as<std::int64_t>();
    return report;
}

} // namespace schwarm::ledger
