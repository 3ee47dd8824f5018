-- Money paths a bank can run with (issue 11).

-- Settlement waits for the reflection periods (EU 2020/1503 art. 22): a
-- campaign settles at the later of its deadline and the end of the last
-- reflection period a pledge to it began. Pledges stop at the deadline, so
-- that moment is fixed once the deadline has passed, and by then no pledge
-- can be revoked any more: what settlement counts cannot change under it.
ALTER TABLE projects
    ADD COLUMN reflection_ends_at timestamptz,
    ADD COLUMN settles_at timestamptz GENERATED ALWAYS AS (greatest(deadline, coalesce(reflection_ends_at, deadline))) STORED,
    -- A settlement that failed is set aside with its reason and retried
    -- later with backoff; other campaigns do not wait behind it.
    ADD COLUMN settlement_error    text,
    ADD COLUMN settlement_attempts integer NOT NULL DEFAULT 0 CHECK (settlement_attempts >= 0),
    ADD COLUMN settlement_retry_at timestamptz;

CREATE INDEX projects_settlement_due ON projects (settles_at, id) WHERE state = 'funding';

-- A retried request never has a different effect (api/idempotency.cpp, the
-- table's owner): every request of a route that moves money carries an
-- Idempotency-Key, and the first answer that committed is kept under the
-- caller and key, with a hash of what was asked. The same request again gets
-- that answer; another request under the key gets 409. A row with no status
-- is a request still running (its transaction holds the row): a second one
-- waits for it on the key, then answers as it did.
CREATE TABLE idempotent_responses (
    caller_id    bigint      NOT NULL REFERENCES users (id),
    key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash text        NOT NULL CHECK (length(request_hash) = 64),
    status       smallint    CHECK (status BETWEEN 200 AND 299),
    content_type text,
    body         text,
    headers      jsonb,
    created_at   timestamptz NOT NULL DEFAULT schwarm_now(),
    PRIMARY KEY (caller_id, key)
);
CREATE INDEX idempotent_responses_created ON idempotent_responses (created_at);

-- Campaigns can be stopped cleanly: staff cancel one with a reason (from
-- selected, funding, or a funded loan before its disbursement), an owner may
-- withdraw until the deadline. Every hold is voided, posted pledges are paid
-- back, and what the community fund allocated goes back to it.
ALTER TYPE project_state ADD VALUE 'cancelled';
ALTER TYPE pledge_state ADD VALUE 'refunded';

-- The community fund lends: a loan the members selected is financed by the
-- fund's allocation, and the fund is a lender of record beside the backers,
-- repaid pro rata like them (a revolving fund). Its rows have no user.
ALTER TABLE loan_lenders
    DROP CONSTRAINT loan_lenders_pkey,
    ALTER COLUMN lender_id DROP NOT NULL,
    ADD COLUMN community_fund boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT loan_lenders_who CHECK ((lender_id IS NULL) = community_fund);
CREATE UNIQUE INDEX loan_lenders_person ON loan_lenders (project_id, lender_id) WHERE lender_id IS NOT NULL;
CREATE UNIQUE INDEX loan_lenders_fund ON loan_lenders (project_id) WHERE community_fund;

ALTER TABLE loan_repayment_shares
    DROP CONSTRAINT loan_repayment_shares_pkey,
    ALTER COLUMN lender_id DROP NOT NULL,
    ADD COLUMN community_fund boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT loan_repayment_shares_who CHECK ((lender_id IS NULL) = community_fund);
CREATE UNIQUE INDEX loan_repayment_shares_person ON loan_repayment_shares (repayment_id, lender_id)
    WHERE lender_id IS NOT NULL;
CREATE UNIQUE INDEX loan_repayment_shares_fund ON loan_repayment_shares (repayment_id) WHERE community_fund;

-- Over-funding is the campaign's choice, made explicitly: without it a pledge
-- beyond the goal is refused, as it always is for a loan (whose goal is its
-- principal).
ALTER TABLE projects ADD COLUMN allow_overfunding boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT projects_loan_not_overfunded CHECK (NOT (allow_overfunding AND kind = 'loan'));
