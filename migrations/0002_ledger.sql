-- The double-entry ledger. Entries and postings are append-only: a hold is
-- resolved by a later entry that names it (post_pending / void_pending), never
-- by changing it. Only the balance columns of accounts change, and verify
-- recomputes them from the postings.

CREATE TYPE account_type AS ENUM ('asset', 'liability', 'equity', 'income', 'expense');
CREATE TYPE entry_kind AS ENUM ('posted', 'pending', 'post_pending', 'void_pending');
CREATE TYPE posting_side AS ENUM ('debit', 'credit');

CREATE TABLE ledger_accounts (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text        NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$'),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type            account_type NOT NULL,
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    owner_user_id   bigint      REFERENCES users (id),
    owner_project_id bigint,
    debits_must_not_exceed_credits boolean NOT NULL DEFAULT false,
    credits_must_not_exceed_debits boolean NOT NULL DEFAULT false,
    closed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    debits_posted   bigint      NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  bigint      NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  bigint      NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending bigint      NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
    -- The flags hold in the database too, whatever the application checked.
    CONSTRAINT debits_within_credits CHECK (
        NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted),
    CONSTRAINT credits_within_debits CHECK (
        NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted)
);
CREATE INDEX ledger_accounts_owner_user ON ledger_accounts (owner_user_id) WHERE owner_user_id IS NOT NULL;

CREATE SEQUENCE ledger_entries_id_seq AS bigint;

CREATE TABLE ledger_entries (
    id              bigint      PRIMARY KEY DEFAULT nextval('ledger_entries_id_seq'),
    idempotency_key text        NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash    text        NOT NULL CHECK (length(request_hash) = 64),
    kind            entry_kind  NOT NULL,
    pending_id      bigint      UNIQUE REFERENCES ledger_entries (id),
    expires_at      timestamptz,
    description     text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_by      bigint      REFERENCES users (id),
    request_id      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
    CHECK (expires_at IS NULL OR kind = 'pending')
);
ALTER SEQUENCE ledger_entries_id_seq OWNED BY ledger_entries.id;
CREATE INDEX ledger_entries_created_at ON ledger_entries (created_at);
CREATE INDEX ledger_entries_open_holds ON ledger_entries (expires_at) WHERE kind = 'pending' AND expires_at IS NOT NULL;

CREATE TABLE ledger_postings (
    entry_id     bigint       NOT NULL REFERENCES ledger_entries (id),
    seq          smallint     NOT NULL CHECK (seq >= 0),
    account_id   bigint       NOT NULL REFERENCES ledger_accounts (id),
    side         posting_side NOT NULL,
    amount_minor bigint       NOT NULL CHECK (amount_minor > 0),
    currency     text         NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    PRIMARY KEY (entry_id, seq)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, entry_id);

CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_postings_append_only
    BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ledger_postings_no_truncate
    BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
