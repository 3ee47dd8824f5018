#pragma once
// Sealing the ledger: committed entries are sealed, after the fact and in
// the background, into a SHA-256 hash chain of blocks, so that altering,
// removing or reordering a sealed entry (or a block) is detected by
// verify_chain. Booking never waits for sealing: the sealer only reads
// entries (no row locks, no foreign keys to them) and one sealer at a time
// holds an advisory lock that booking never takes. Entries commit out of id
// order; the sealer finds late ones (docs/ledger-sealing.md).

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>

namespace schwarm::ledger {

// Entries per block: bounds a sealing transaction and verify's memory.
inline constexpr int seal_block_entries_max = 4096;
// What the server's background job passes to seal_pending each tick.
inline constexpr int seal_entries_per_call_max = 32768;

// Seals at most `entries_max` committed, unsealed entries, in id order, into
// blocks of at most `block_entries_max` entries, one transaction per block.
// Returns how many it sealed: 0 if there were none or another process was
// sealing (it does not wait). Needs a connection from db::connect (prepared
// queries). Throws only for database failures.
int seal_pending(pqxx::connection& connection, int entries_max, int block_entries_max = seal_block_entries_max);

// One block in the caller's transaction (seal_pending's step): seals at most
// `entries_max` entries and returns how many; 0 if another transaction holds
// the sealer's lock. The lock is held until the caller commits or aborts.
int seal_block(pqxx::work& tx, int entries_max);

// How far sealing is behind: committed entries not sealed yet and the age of
// the oldest (from its created_at). Cheap: starts at the sealer's low-water
// mark, so it is meant for monitoring; verify_chain counts over everything.
struct seal_lag {
    std::int64_t unsealed_entries = 0;
    std::int64_t oldest_unsealed_age_ms = 0; // 0 when none
    std::int64_t low_water_id = 0;           // every entry up to this id is sealed
};
seal_lag unsealed_lag(pqxx::transaction_base& tx);

// A block an auditor wrote down earlier (from a report's head): the chain
// must still contain it with the same hash, so cutting off the newest blocks
// is detected too.
struct seal_anchor {
    std::int64_t block_no;
    std::string hash;
};

struct seal_report {
    bool ok = true;
    std::int64_t blocks_checked = 0;
    std::int64_t entries_checked = 0;
    std::int64_t unsealed_entries = 0;
    std::int64_t oldest_unsealed_age_ms = 0;
    std::int64_t head_block_no = 0; // 0: no block yet
    std::string head_hash;
    std::optional<std::int64_t> first_bad_block;
    std::string first_discrepancy; // empty when ok
};

// Recomputes the chain from the rows as they are now: block numbering, links,
// each block's hash, entry counts and positions, and each sealed entry's
// digest from its entry and postings. Reports the first discrepancy, in block
// order. For a consistent picture run it in a repeatable-read transaction
// (it reads the blocks in pages); under read committed, blocks sealed while it
// runs may or may not be checked.
seal_report verify_chain(pqxx::transaction_base& tx, const std::optional<seal_anchor>& anchor = std::nullopt);

} // namespace schwarm::ledger
