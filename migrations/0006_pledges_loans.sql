-- Pledges, campaign settlement and loans (DESIGN.md 4.3). The money itself is
-- in the ledger; these tables say what each booking was for.

ALTER TABLE projects
    ADD COLUMN min_pledge_minor bigint  NOT NULL DEFAULT 100 CHECK (min_pledge_minor > 0),
    -- Kept with each pledge batch, for listings: held and posted pledges.
    ADD COLUMN pledged_minor    bigint  NOT NULL DEFAULT 0 CHECK (pledged_minor >= 0),
    ADD COLUMN backers          integer NOT NULL DEFAULT 0 CHECK (backers >= 0),
    -- Settlement: decided once (funded or failed), then carried out in chunks.
    ADD COLUMN settlement       text    CHECK (settlement IN ('funded', 'failed')),
    ADD COLUMN fee_minor        bigint  CHECK (fee_minor >= 0);

CREATE INDEX projects_by_deadline ON projects (deadline, id) WHERE state <> 'draft';
CREATE INDEX projects_by_share ON projects ((pledged_minor::numeric / goal_minor) DESC, id DESC) WHERE state <> 'draft';
CREATE INDEX projects_by_backers ON projects (backers DESC, id DESC) WHERE state <> 'draft';
CREATE INDEX projects_funding_by_deadline ON projects (deadline, id) WHERE state = 'funding';

CREATE TYPE pledge_state AS ENUM ('held', 'revoked', 'posted', 'voided');

CREATE TABLE pledges (
    id                bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id        bigint       NOT NULL REFERENCES projects (id),
    backer_id         bigint       NOT NULL REFERENCES users (id),
    amount_minor      bigint       NOT NULL CHECK (amount_minor > 0),
    currency          text         NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    hold_entry_id     bigint       NOT NULL UNIQUE REFERENCES ledger_entries (id),
    state             pledge_state NOT NULL DEFAULT 'held',
    resolve_entry_id  bigint       UNIQUE REFERENCES ledger_entries (id),
    risk_acknowledged boolean      NOT NULL DEFAULT false,
    revocable_until   timestamptz,
    idempotency_key   text         NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    resolved_at       timestamptz,
    UNIQUE (backer_id, idempotency_key),
    CHECK ((state = 'held') = (resolve_entry_id IS NULL))
);
CREATE INDEX pledges_project ON pledges (project_id, id) WHERE state = 'held';
CREATE INDEX pledges_project_backer ON pledges (project_id, backer_id);
CREATE INDEX pledges_backer ON pledges (backer_id, id DESC);

-- A disbursed loan: its principal, its lenders' shares and its schedule.
CREATE TYPE loan_state AS ENUM ('repaying', 'repaid', 'defaulted');

CREATE TABLE loans (
    project_id        bigint      PRIMARY KEY REFERENCES projects (id),
    borrower_id       bigint      NOT NULL REFERENCES users (id),
    principal_minor   bigint      NOT NULL CHECK (principal_minor > 0),
    currency          text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    rate_bp           integer     NOT NULL,
    term_months       integer     NOT NULL,
    schedule          loan_schedule NOT NULL,
    state             loan_state  NOT NULL DEFAULT 'repaying',
    disbursed_at      timestamptz NOT NULL DEFAULT now(),
    disburse_entry_id bigint      NOT NULL REFERENCES ledger_entries (id),
    writeoff_entry_id bigint      REFERENCES ledger_entries (id),
    principal_repaid_minor bigint NOT NULL DEFAULT 0 CHECK (principal_repaid_minor >= 0),
    interest_repaid_minor  bigint NOT NULL DEFAULT 0 CHECK (interest_repaid_minor >= 0),
    CHECK (principal_repaid_minor <= principal_minor)
);

-- Each lender's share: the sum of their posted pledges; its order (by
-- lender id) breaks ties when remainders are allocated.
CREATE TABLE loan_lenders (
    project_id       bigint NOT NULL REFERENCES loans (project_id),
    lender_id        bigint NOT NULL REFERENCES users (id),
    share_minor      bigint NOT NULL CHECK (share_minor > 0),
    principal_received_minor bigint NOT NULL DEFAULT 0,
    interest_received_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, lender_id)
);
CREATE INDEX loan_lenders_lender ON loan_lenders (lender_id);

CREATE TABLE loan_instalments (
    project_id       bigint  NOT NULL REFERENCES loans (project_id),
    no               integer NOT NULL CHECK (no >= 1),
    due_on           date    NOT NULL,
    principal_minor  bigint  NOT NULL CHECK (principal_minor >= 0),
    interest_minor   bigint  NOT NULL CHECK (interest_minor >= 0),
    principal_paid_minor bigint NOT NULL DEFAULT 0,
    interest_paid_minor  bigint NOT NULL DEFAULT 0,
    paid_at          timestamptz,
    PRIMARY KEY (project_id, no),
    CHECK (principal_paid_minor BETWEEN 0 AND principal_minor),
    CHECK (interest_paid_minor BETWEEN 0 AND interest_minor)
);

CREATE TABLE loan_repayments (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id       bigint      NOT NULL REFERENCES loans (project_id),
    amount_minor     bigint      NOT NULL CHECK (amount_minor > 0),
    principal_minor  bigint      NOT NULL CHECK (principal_minor >= 0),
    interest_minor   bigint      NOT NULL CHECK (interest_minor >= 0),
    entry_id         bigint      NOT NULL UNIQUE REFERENCES ledger_entries (id),
    idempotency_key  text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_by       bigint      REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, idempotency_key),
    CHECK (principal_minor + interest_minor = amount_minor)
);
CREATE INDEX loan_repayments_project ON loan_repayments (project_id, id);

CREATE TABLE loan_repayment_shares (
    repayment_id     bigint NOT NULL REFERENCES loan_repayments (id),
    lender_id        bigint NOT NULL REFERENCES users (id),
    principal_minor  bigint NOT NULL CHECK (principal_minor >= 0),
    interest_minor   bigint NOT NULL CHECK (interest_minor >= 0),
    PRIMARY KEY (repayment_id, lender_id)
);
CREATE INDEX loan_repayment_shares_lender ON loan_repayment_shares (lender_id, repayment_id DESC);
