-- Co-creation, second step: an accepted idea becomes a project draft (the
-- prototype), which its owner and invited co-authors work on, then test with
-- the crowd in a feedback window before it is submitted. A project made from
-- an idea carries the phase (prototype → test → submitted), moved by the same
-- transition table as the idea's; a project made directly has none, and its
-- life is exactly what it was.

ALTER TABLE projects
    ADD COLUMN idea_id bigint UNIQUE REFERENCES ideas (id),
    ADD COLUMN phase cocreation_phase CHECK (phase IN ('prototype', 'test', 'submitted')),
    -- The test phase's window: members give feedback from its start to its end.
    ADD COLUMN feedback_opens_at timestamptz,
    ADD COLUMN feedback_closes_at timestamptz,
    ADD CONSTRAINT projects_phase_from_idea CHECK ((idea_id IS NULL) = (phase IS NULL)),
    ADD CONSTRAINT projects_feedback_window CHECK ((feedback_opens_at IS NULL) = (feedback_closes_at IS NULL)
        AND (feedback_closes_at IS NULL OR feedback_closes_at > feedback_opens_at));

-- Co-authors the owner invites (customers only); they work on the draft once
-- they have accepted.
CREATE TABLE project_authors (
    project_id   bigint      NOT NULL REFERENCES projects (id),
    user_id      bigint      NOT NULL REFERENCES users (id),
    invited_by   bigint      NOT NULL REFERENCES users (id),
    invited_at   timestamptz NOT NULL DEFAULT schwarm_now(),
    accepted_at  timestamptz,
    PRIMARY KEY (project_id, user_id),
    CHECK (user_id <> invited_by)
);
CREATE INDEX project_authors_user ON project_authors (user_id);

-- Test: members' structured feedback on a draft in its window, one per
-- member (replaced while the window is open), and the owner's (or a
-- co-author's) answer, once.
CREATE TABLE project_feedback (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint      NOT NULL REFERENCES projects (id),
    author_id    bigint      NOT NULL REFERENCES users (id),
    would_use    boolean     NOT NULL,
    would_back   boolean     NOT NULL,
    concerns     text        CHECK (char_length(concerns) BETWEEN 1 AND 2000),
    comment      text        CHECK (char_length(comment) BETWEEN 1 AND 2000),
    created_at   timestamptz NOT NULL DEFAULT schwarm_now(),
    updated_at   timestamptz NOT NULL DEFAULT schwarm_now(),
    answer       text        CHECK (char_length(answer) BETWEEN 1 AND 2000),
    answered_by  bigint      REFERENCES users (id),
    answered_at  timestamptz,
    UNIQUE (project_id, author_id),
    CHECK ((answer IS NULL) = (answered_by IS NULL) AND (answer IS NULL) = (answered_at IS NULL))
);
CREATE INDEX project_feedback_page ON project_feedback (project_id, id DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON project_authors TO schwarm_serving;
GRANT SELECT, INSERT, UPDATE ON project_feedback TO schwarm_serving;
