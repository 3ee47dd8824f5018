-- Ballot secrecy (issue 19, item 1; docs/SECURITY.md, "Ballot secrecy"): who
-- voted and what was voted live apart, as a postal vote's outer envelope (with
-- the voter's name) and the ballot envelope inside it do.
--
-- The roll: one row per voter and round, with the time of the last cast. While
-- the round is open the row also holds the voter's ballot sealed (AES-256-GCM
-- under a key kept outside the database, SCHWARM_BALLOT_KEY, bound to round
-- and voter and padded to a size class), so that a replacement finds it and a
-- reader of the database reads nothing of it. Rows written by one transaction
-- share its xmin, which no column can hide: so nothing readable about the
-- choices is ever written next to the voter.
--
-- The box: the choices with their receipt and the receipt's opening (secret),
-- and nothing else: no voter, no time, no sequence. It is filled at the close
-- in one statement, in receipt order (a hash over a random secret, so no order
-- of casting), while the envelopes are emptied; its rows never change.

CREATE TABLE ballot_roll (
    round_id  bigint      NOT NULL REFERENCES voting_rounds (id),
    voter_id  bigint      NOT NULL REFERENCES users (id),
    voted_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    envelope  bytea       CHECK (octet_length(envelope) > 28),
    PRIMARY KEY (round_id, voter_id)
);

CREATE TABLE ballot_box (
    round_id  bigint NOT NULL REFERENCES voting_rounds (id),
    receipt   text   NOT NULL CHECK (receipt ~ '^[0-9a-f]{64}$'),
    secret    text   CHECK (length(secret) BETWEEN 1 AND 64), -- NULL: cast before this migration
    choices   jsonb  NOT NULL,
    PRIMARY KEY (round_id, receipt)
);
CREATE TRIGGER ballot_box_append_only
    BEFORE UPDATE OR DELETE ON ballot_box
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ballot_box_no_truncate
    BEFORE TRUNCATE ON ballot_box
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- What was there before. Closed rounds: their ballots go into the box (their
-- secrets were never stored) and their voters onto the roll.
INSERT INTO ballot_box (round_id, receipt, choices)
SELECT b.round_id, b.receipt, b.choices
  FROM ballots b JOIN voting_rounds r ON r.id = b.round_id
 WHERE r.state NOT IN ('draft', 'open')
 ORDER BY b.round_id, b.receipt;

INSERT INTO ballot_roll (round_id, voter_id, voted_at)
SELECT round_id, voter_id, cast_at FROM ballots WHERE voter_id IS NOT NULL ORDER BY round_id, voter_id;

-- Rounds open now: their ballots were written in the clear beside their
-- voters, and no SQL can seal them (the key is not in the database). They stay
-- as readable as they were, here, until their round closes and they go into
-- the box with the sealed ones, or their voter casts again.
CREATE TABLE ballots_unsealed (
    round_id  bigint NOT NULL REFERENCES voting_rounds (id),
    voter_id  bigint NOT NULL REFERENCES users (id),
    receipt   text   NOT NULL,
    choices   jsonb  NOT NULL,
    PRIMARY KEY (round_id, voter_id)
);
INSERT INTO ballots_unsealed (round_id, voter_id, receipt, choices)
SELECT b.round_id, b.voter_id, b.receipt, b.choices
  FROM ballots b JOIN voting_rounds r ON r.id = b.round_id
 WHERE r.state = 'open' AND b.voter_id IS NOT NULL;

DROP TABLE ballots;

-- Serving: the roll is written and its envelopes emptied, never deleted; the
-- box is only added to; the old open ballots are only taken out.
GRANT SELECT, INSERT, UPDATE ON ballot_roll TO schwarm_serving;
GRANT SELECT, INSERT ON ballot_box TO schwarm_serving;
GRANT SELECT, DELETE ON ballots_unsealed TO schwarm_serving;
