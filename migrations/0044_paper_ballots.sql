-- Paper ballots (issue 13, part 3): staff enter them in batches and a second
-- staff member confirms each batch (four eyes); only a confirmed batch counts.
--
-- Secrecy as for online ballots (0040): a pending batch holds each ballot
-- sealed under SCHWARM_BALLOT_KEY, bound to round and voter, beside its voter;
-- the confirmation moves the envelopes onto the roll, where the close opens
-- them into the box with the online ones; a rejection empties them. Nothing
-- readable about the choices is written next to a voter.
--
-- One ballot per voter, whatever the channel: the roll's key (round, voter)
-- is the one place both channels write, and its channel says which one did.
-- An online cast replaces only an online ballot; a confirmation inserts only
-- where the voter has none; so of a voter online and on paper at once exactly
-- one is kept, decided by the key, not by the server.
ALTER TABLE ballot_roll ADD COLUMN channel text NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'paper'));

CREATE TYPE paper_batch_state AS ENUM ('pending', 'confirmed', 'rejected');

CREATE TABLE paper_batches (
    id          bigint            GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id    bigint            NOT NULL REFERENCES voting_rounds (id),
    state       paper_batch_state NOT NULL DEFAULT 'pending',
    ballots     integer           NOT NULL CHECK (ballots BETWEEN 1 AND 1000),
    entered_by  bigint            NOT NULL REFERENCES users (id),
    entered_at  timestamptz       NOT NULL DEFAULT schwarm_now(),
    decided_by  bigint            REFERENCES users (id),
    decided_at  timestamptz,
    reason      text              CHECK (length(reason) BETWEEN 1 AND 1000),
    -- Four eyes: whoever entered a batch does not decide it.
    CHECK (decided_by IS NULL OR decided_by <> entered_by),
    CHECK ((state = 'pending') = (decided_by IS NULL)),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state = 'rejected') = (reason IS NOT NULL))
);
CREATE INDEX paper_batches_round ON paper_batches (round_id, id);

CREATE TABLE paper_ballots (
    batch_id  bigint NOT NULL REFERENCES paper_batches (id),
    round_id  bigint NOT NULL REFERENCES voting_rounds (id),
    voter_id  bigint NOT NULL REFERENCES users (id),
    envelope  bytea  CHECK (octet_length(envelope) > 28), -- NULL once decided
    PRIMARY KEY (batch_id, voter_id)
);

GRANT SELECT, INSERT, UPDATE ON paper_batches TO schwarm_serving;
GRANT SELECT, INSERT, UPDATE ON paper_ballots TO schwarm_serving;
