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
