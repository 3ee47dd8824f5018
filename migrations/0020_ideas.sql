-- Co-creation, first step (DESIGN.md 4.1): a customer's idea before any
-- project. The five phases are one explicit field, moved only by the one
-- transition table (core/platform/src/cocreation.cpp): understand (posted),
-- empathise (others support it), idea (enough support: staff triage it),
-- prototype (accepted: its owner and co-authors draft the project), test (the
-- draft's feedback window), then submitted (the project's own states take
-- over); or it ends declined (with a reason) or merged (into a duplicate).
-- Projects made from an idea carry a phase too (0021).

CREATE TYPE cocreation_phase AS ENUM (
    'understand', 'empathise', 'idea', 'prototype', 'test', 'submitted', 'declined', 'merged');

CREATE TABLE ideas (
    id               bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id         bigint           NOT NULL REFERENCES users (id),
    title            text             NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    -- Understand: the problem it solves, and for whom.
    problem          text             NOT NULL CHECK (char_length(problem) BETWEEN 1 AND 2000),
    audience         text             NOT NULL CHECK (char_length(audience) BETWEEN 1 AND 500),
    description      text             NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    category         text             NOT NULL CHECK (category ~ '^[a-z][a-z0-9-]{0,39}$'),
    phase            cocreation_phase NOT NULL DEFAULT 'understand',
    -- Counters kept by each support and withdrawal in the same transaction;
    -- momentum counts the supports of the last 7 days and is decayed by a
    -- background step as they age out (idea_supports.momentum_until).
    supports         integer          NOT NULL DEFAULT 0 CHECK (supports >= 0),
    momentum         integer          NOT NULL DEFAULT 0 CHECK (momentum >= 0),
    merged_into      bigint           REFERENCES ideas (id),
    decline_reason   text             CHECK (char_length(decline_reason) BETWEEN 1 AND 1000),
    created_at       timestamptz      NOT NULL DEFAULT schwarm_now(),
    updated_at       timestamptz      NOT NULL DEFAULT schwarm_now(),
    phase_changed_at timestamptz      NOT NULL DEFAULT schwarm_now(),
    -- Full text, German and English: title (A), problem (B), audience (C).
    search           tsvector         GENERATED ALWAYS AS (
        setweight(to_tsvector('german', title), 'A') || setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('german', problem), 'B') || setweight(to_tsvector('english', problem), 'B') ||
        setweight(to_tsvector('german', audience), 'C') || setweight(to_tsvector('english', audience), 'C'))
        STORED,
    CHECK ((phase = 'merged') = (merged_into IS NOT NULL)),
    CHECK ((phase = 'declined') = (decline_reason IS NOT NULL)),
    CHECK (merged_into IS DISTINCT FROM id)
);

-- Listings: every order is a keyset on (key, id). The open listing (neither
-- declined nor merged) is what people browse; its partial indexes serve it
-- when the query repeats the predicate literally (core/platform/src/ideas.cpp).
CREATE INDEX ideas_open_newest ON ideas (id DESC) WHERE phase NOT IN ('declined', 'merged');
CREATE INDEX ideas_open_support ON ideas (supports DESC, id DESC) WHERE phase NOT IN ('declined', 'merged');
CREATE INDEX ideas_open_momentum ON ideas (momentum DESC, id DESC) WHERE phase NOT IN ('declined', 'merged');
CREATE INDEX ideas_phase_newest ON ideas (phase, id DESC);
CREATE INDEX ideas_phase_support ON ideas (phase, supports DESC, id DESC);
CREATE INDEX ideas_phase_momentum ON ideas (phase, momentum DESC, id DESC);
CREATE INDEX ideas_category_momentum ON ideas (category, momentum DESC, id DESC);
CREATE INDEX ideas_owner ON ideas (owner_id, id DESC);
CREATE INDEX ideas_search ON ideas USING gin (search);

-- Empathise: "this matters to me too", with an optional line on why. One
-- supporter, one support (the primary key); withdrawing deletes the row (the
-- audit log keeps that it was there). `momentum_until` is when the support
-- leaves the idea's momentum (7 calendar days on); NULL once it has.
CREATE TABLE idea_supports (
    id              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    idea_id         bigint      NOT NULL REFERENCES ideas (id),
    supporter_id    bigint      NOT NULL REFERENCES users (id),
    reason          text        CHECK (char_length(reason) BETWEEN 1 AND 280),
    created_at      timestamptz NOT NULL DEFAULT schwarm_now(),
    momentum_until  timestamptz,
    PRIMARY KEY (idea_id, supporter_id)
);
CREATE INDEX idea_supports_page ON idea_supports (idea_id, id DESC);
CREATE INDEX idea_supports_supporter ON idea_supports (supporter_id, id DESC);
CREATE INDEX idea_supports_momentum ON idea_supports (momentum_until) WHERE momentum_until IS NOT NULL;

-- Discussion of an idea: as project comments (0007), never edited or
-- deleted, hidden once with a reason by the idea's owner or staff.
CREATE TABLE idea_comments (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idea_id        bigint      NOT NULL REFERENCES ideas (id),
    author_id      bigint      NOT NULL REFERENCES users (id),
    body           text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at     timestamptz NOT NULL DEFAULT schwarm_now(),
    hidden_at      timestamptz,
    hidden_by      bigint      REFERENCES users (id),
    hidden_reason  text        CHECK (char_length(hidden_reason) BETWEEN 1 AND 500),
    CHECK ((hidden_at IS NULL) = (hidden_by IS NULL) AND (hidden_at IS NULL) = (hidden_reason IS NULL))
);
CREATE INDEX idea_comments_page ON idea_comments (idea_id, id DESC);

CREATE FUNCTION idea_comments_only_hide() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hidden_at IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.idea_id <> OLD.idea_id OR NEW.author_id <> OLD.author_id
       OR NEW.body <> OLD.body OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'a comment may only be hidden, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER idea_comments_only_hide
    BEFORE UPDATE ON idea_comments
    FOR EACH ROW EXECUTE FUNCTION idea_comments_only_hide();
CREATE TRIGGER idea_comments_no_delete
    BEFORE DELETE ON idea_comments
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- The serving role (docs/operations.md).
GRANT SELECT, INSERT, UPDATE ON ideas TO schwarm_serving;
GRANT SELECT, INSERT, UPDATE, DELETE ON idea_supports TO schwarm_serving;
GRANT SELECT, INSERT, UPDATE ON idea_comments TO schwarm_serving;
