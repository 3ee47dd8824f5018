-- Ranked (ordinal) ballots (issue 13, part 3): a voter ranks up to max_ranks
-- projects, best first, and each scores by its position as in Kraków
-- (max_ranks - position: 3, 2, 1 for three ranks; docs/voting.md). The ballot
-- is stored with those points, so the tally and the published ballots need
-- nothing else. The new enum value is compared as text here: PostgreSQL does
-- not let the transaction that adds it use it.
ALTER TYPE round_ballot ADD VALUE 'ranked';
ALTER TABLE voting_rounds ADD COLUMN max_ranks integer CHECK (max_ranks BETWEEN 1 AND 1000);
ALTER TABLE voting_rounds ADD CONSTRAINT voting_rounds_ranked_check
    CHECK ((ballot::text = 'ranked') = (max_ranks IS NOT NULL));
