-- Voting rounds: members decide which ventures the community fund finances.
-- A ballot is kept per voter and round (a new one replaces the old until the
-- round closes); its receipt is SHA-256 over the round, the ballot and a
-- secret that only the voter was given, so after the close the published,
-- anonymised ballots let each voter find their own and anyone recount.

-- Cooperative membership, recorded by an admin (rounds may be members-only).
ALTER TABLE users ADD COLUMN member boolean NOT NULL DEFAULT false;

CREATE TYPE round_state AS ENUM ('draft', 'open', 'closed', 'tallied', 'allocated');
CREATE TYPE round_ballot AS ENUM ('approval', 'cumulative');
CREATE TYPE round_eligibility AS ENUM ('customers', 'members');

CREATE TABLE voting_rounds (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    budget_minor         bigint      NOT NULL CHECK (budget_minor > 0),
    currency             text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    opens_at             timestamptz NOT NULL,
    closes_at            timestamptz NOT NULL,
    eligibility          round_eligibility NOT NULL DEFAULT 'customers',
    ballot               round_ballot NOT NULL,
    rule                 text        NOT NULL CHECK (rule IN ('greedy', 'mes', 'mes-add1', 'mes-add1-greedy')),
    utility              text        NOT NULL DEFAULT 'cost' CHECK (utility IN ('cost', 'approval')),
    min_projects         integer     NOT NULL DEFAULT 1 CHECK (min_projects >= 0),
    max_projects         integer     CHECK (max_projects >= 1),
    max_total_cost_minor bigint      CHECK (max_total_cost_minor > 0),
    points               integer     CHECK (points BETWEEN 1 AND 1000000),
    state                round_state NOT NULL DEFAULT 'draft',
    imported             boolean     NOT NULL DEFAULT false,
    result               jsonb,
    created_by           bigint      REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at),
    CHECK (max_projects IS NULL OR max_projects >= min_projects),
    CHECK ((ballot = 'cumulative') = (points IS NOT NULL)),
    CHECK ((state IN ('tallied', 'allocated')) = (result IS NOT NULL))
);

CREATE TABLE round_projects (
    round_id    bigint NOT NULL REFERENCES voting_rounds (id),
    project_key text   NOT NULL CHECK (project_key ~ '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$'),
    name        text   NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    cost_minor  bigint NOT NULL CHECK (cost_minor > 0),
    PRIMARY KEY (round_id, project_key)
);

CREATE TABLE ballots (
    round_id        bigint      NOT NULL REFERENCES voting_rounds (id),
    voter_id        bigint      REFERENCES users (id),
    imported_voter  text,       -- voters of a round imported from a pabulib file
    choices         jsonb       NOT NULL,
    receipt         text        NOT NULL CHECK (length(receipt) = 64),
    cast_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((voter_id IS NULL) <> (imported_voter IS NULL)),
    UNIQUE (round_id, voter_id),
    UNIQUE (round_id, imported_voter),
    UNIQUE (round_id, receipt)
);
