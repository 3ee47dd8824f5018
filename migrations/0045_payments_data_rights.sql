-- Customers' own money in and out (issue 15): deposits started as payment
-- intents that the provider's signed callback confirms, payouts requested to
-- the customer's bank account and approved by staff; and data rights:
-- erasure requests and the record that an account was erased.

-- A deposit the customer starts: the provider is told the reference, the
-- amount and the currency; money is booked only when its signed callback
-- confirms the intent, once (the entry's key is the intent's). An intent
-- not confirmed by expires_at (the platform clock) is expired.
CREATE TABLE payment_intents (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint      NOT NULL REFERENCES users (id),
    reference       text        NOT NULL UNIQUE CHECK (reference ~ '^pi_[0-9a-f]{32}$'),
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at      timestamptz NOT NULL DEFAULT schwarm_now(),
    expires_at      timestamptz NOT NULL,
    confirmed_at    timestamptz,
    event_id        text        CHECK (length(event_id) BETWEEN 1 AND 200),
    entry_id        bigint      UNIQUE REFERENCES ledger_entries (id),
    CHECK (expires_at > created_at),
    CHECK ((confirmed_at IS NULL) = (entry_id IS NULL) AND (entry_id IS NULL) = (event_id IS NULL))
);
CREATE INDEX payment_intents_user ON payment_intents (user_id, id DESC);

-- The customer's bank account on file, where payouts go by default.
CREATE TABLE bank_accounts (
    user_id     bigint      PRIMARY KEY REFERENCES users (id),
    iban        text        NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    updated_at  timestamptz NOT NULL DEFAULT schwarm_now()
);

-- A payout the customer asks for: the amount is held from the wallet when
-- asked (hold_entry_id), posted to the bank's cash when staff approve
-- (approvals_needed different staff members: two above the configured
-- amount), voided when they reject. The IBAN is kept with the request: it is
-- the payment order, a record of the booking (docs/data-rights.md).
CREATE TYPE payout_state AS ENUM ('requested', 'paid', 'rejected');
CREATE TABLE payout_requests (
    id                bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint       NOT NULL REFERENCES users (id),
    amount_minor      bigint       NOT NULL CHECK (amount_minor > 0),
    currency          text         NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    iban              text         NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    state             payout_state NOT NULL DEFAULT 'requested',
    approvals_needed  smallint     NOT NULL CHECK (approvals_needed IN (1, 2)),
    hold_entry_id     bigint       NOT NULL UNIQUE REFERENCES ledger_entries (id),
    resolve_entry_id  bigint       UNIQUE REFERENCES ledger_entries (id),
    reason            text         CHECK (length(reason) BETWEEN 1 AND 500),
    decided_by        bigint       REFERENCES users (id),
    created_at        timestamptz  NOT NULL DEFAULT schwarm_now(),
    decided_at        timestamptz,
    CHECK ((state = 'requested') = (resolve_entry_id IS NULL)),
    CHECK ((state = 'rejected') = (reason IS NOT NULL))
);
CREATE INDEX payout_requests_user ON payout_requests (user_id, id DESC);
CREATE INDEX payout_requests_open ON payout_requests (id) WHERE state = 'requested';

-- One approval per staff member and payout.
CREATE TABLE payout_approvals (
    payout_id    bigint      NOT NULL REFERENCES payout_requests (id),
    approver_id  bigint      NOT NULL REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT schwarm_now(),
    PRIMARY KEY (payout_id, approver_id)
);
CREATE TRIGGER payout_approvals_append_only
    BEFORE UPDATE OR DELETE ON payout_approvals
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- Erasure (GDPR art. 17): a customer asks, an admin executes (or an admin
-- erases directly, with a reason). The row names ids only; the account's
-- personal data are overwritten in users (docs/data-rights.md).
CREATE TABLE erasures (
    user_id       bigint      PRIMARY KEY REFERENCES users (id),
    requested_at  timestamptz,
    erased_at     timestamptz,
    erased_by     bigint      REFERENCES users (id),
    reason        text        CHECK (length(reason) BETWEEN 1 AND 500),
    CHECK (requested_at IS NOT NULL OR erased_at IS NOT NULL),
    CHECK ((erased_at IS NULL) = (erased_by IS NULL))
);

GRANT SELECT, INSERT ON payment_intents, payout_requests, payout_approvals, erasures, bank_accounts
    TO schwarm_serving;
GRANT UPDATE (confirmed_at, event_id, entry_id) ON payment_intents TO schwarm_serving;
GRANT UPDATE (state, resolve_entry_id, reason, decided_by, decided_at) ON payout_requests TO schwarm_serving;
GRANT UPDATE (erased_at, erased_by, reason, requested_at) ON erasures TO schwarm_serving;
GRANT UPDATE, DELETE ON bank_accounts TO schwarm_serving;
