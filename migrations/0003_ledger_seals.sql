-- Sealing: committed ledger entries are sealed, after the fact, into a
-- SHA-256 hash chain of blocks (docs/ledger-sealing.md). Booking never waits
-- for sealing: nothing here references ledger_entries with a foreign key,
-- because the key check would take FOR KEY SHARE row locks on entries, and
-- resolving a hold locks its entry FOR UPDATE.

-- One row per block. A block's hash covers its predecessor's hash, its own
-- fields and the digests of its entries in order (ledger/seal.cpp).
CREATE TABLE ledger_seal_blocks (
    block_no       bigint      PRIMARY KEY CHECK (block_no >= 1),
    prev_hash      text        NOT NULL UNIQUE CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash           text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    entry_count    integer     NOT NULL CHECK (entry_count >= 1),
    first_entry_id bigint      NOT NULL,
    last_entry_id  bigint      NOT NULL CHECK (last_entry_id >= first_entry_id),
    sealed_at      timestamptz NOT NULL
);

-- Which block sealed each entry, at which position, with the entry's digest
-- as sealed (so verification can name the entry that changed). The primary
-- key is what the sealer's anti-join probes, and what refuses sealing an
-- entry twice. Thousands of rows go in per block, so the checks here are
-- cheap ones: a regular expression per row cost more than the rest of the
-- insert, and a foreign key to the block one query per row; the statement
-- trigger below checks the block once per insert, and more strictly.
CREATE TABLE ledger_seal_entries (
    entry_id bigint  PRIMARY KEY,
    block_no bigint  NOT NULL,
    position integer NOT NULL CHECK (position >= 0),
    digest   text    NOT NULL CHECK (octet_length(digest) = 64),
    UNIQUE (block_no, position)
);

-- The chain cannot fork: block n+1 follows block n and names its hash; the
-- first block names 64 zeros. (The sealer also holds an advisory lock, so this
-- never fires in normal operation.)
CREATE FUNCTION ledger_seal_blocks_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text;
BEGIN
    IF NEW.block_no = 1 THEN
        previous := repeat('0', 64);
    ELSE
        SELECT hash INTO previous FROM ledger_seal_blocks WHERE block_no = NEW.block_no - 1;
    END IF;
    IF previous IS NULL OR previous <> NEW.prev_hash THEN
        RAISE EXCEPTION 'block % does not follow block %', NEW.block_no, NEW.block_no - 1
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- A block's entries are written whole, in the statement after the block:
-- the block exists, and the statement brings exactly entry_count entries at
-- positions 0..entry_count-1 (with the unique key, none can be added later)
-- spanning first_entry_id..last_entry_id.
CREATE FUNCTION ledger_seal_entries_whole() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT n.block_no INTO bad
    FROM (SELECT block_no, count(*) AS entries, min(position) AS low, max(position) AS high,
                 min(entry_id) AS first_id, max(entry_id) AS last_id
          FROM new_rows GROUP BY block_no) AS n
    LEFT JOIN ledger_seal_blocks b ON b.block_no = n.block_no
    WHERE b.block_no IS NULL OR b.entry_count <> n.entries OR n.low <> 0 OR n.high <> n.entries - 1
       OR b.first_entry_id <> n.first_id OR b.last_entry_id <> n.last_id
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the entries of block % are not its whole content', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_seal_entries_whole
    AFTER INSERT ON ledger_seal_entries
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_seal_entries_whole();
CREATE TRIGGER ledger_seal_blocks_link
    BEFORE INSERT ON ledger_seal_blocks
    FOR EACH ROW EXECUTE FUNCTION ledger_seal_blocks_link();
CREATE TRIGGER ledger_seal_blocks_append_only
    BEFORE UPDATE OR DELETE ON ledger_seal_blocks
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_seal_blocks_no_truncate
    BEFORE TRUNCATE ON ledger_seal_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_seal_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_seal_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_seal_entries_no_truncate
    BEFORE TRUNCATE ON ledger_seal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- The sealer's progress, a hint for finding unsealed entries without scanning
-- the whole history; not part of what is proven (verification ignores it and
-- counts unsealed entries over all entries).
--   low_water_id: every entry with id <= low_water_id that will ever commit
--     is sealed.
--   fence_id, fence_vxids: every entry id <= fence_id was allocated by a
--     transaction that had ended, or was one of fence_vxids, when the fence
--     was set. Once none of fence_vxids is running, every entry <= fence_id
--     is committed (and visible) or will never exist.
CREATE TABLE ledger_seal_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    low_water_id bigint  NOT NULL DEFAULT 0 CHECK (low_water_id >= 0),
    fence_id     bigint,
    fence_vxids  text[],
    CHECK ((fence_id IS NULL) = (fence_vxids IS NULL))
);
INSERT INTO ledger_seal_state DEFAULT VALUES;

CREATE TRIGGER ledger_seal_state_keep
    BEFORE DELETE ON ledger_seal_state
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_seal_state_no_truncate
    BEFORE TRUNCATE ON ledger_seal_state
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
