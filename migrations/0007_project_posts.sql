-- Project pages (DESIGN.md 4.1): customers' comments and the owner's updates.
-- A comment is never edited or deleted; the one change it may see is being
-- hidden, once, with a reason (by the project's owner or staff, audited).
-- Hidden comments stay, so the page shows that something was hidden.

CREATE TABLE project_comments (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id     bigint      NOT NULL REFERENCES projects (id),
    author_id      bigint      NOT NULL REFERENCES users (id),
    body           text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    hidden_at      timestamptz,
    hidden_by      bigint      REFERENCES users (id),
    hidden_reason  text        CHECK (char_length(hidden_reason) BETWEEN 1 AND 500),
    CHECK ((hidden_at IS NULL) = (hidden_by IS NULL) AND (hidden_at IS NULL) = (hidden_reason IS NULL))
);
-- Pages of one project's comments, newest first.
CREATE INDEX project_comments_page ON project_comments (project_id, id DESC);

CREATE FUNCTION project_comments_only_hide() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hidden_at IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.project_id <> OLD.project_id OR NEW.author_id <> OLD.author_id
       OR NEW.body <> OLD.body OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'a comment may only be hidden, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER project_comments_only_hide
    BEFORE UPDATE ON project_comments
    FOR EACH ROW EXECUTE FUNCTION project_comments_only_hide();
CREATE TRIGGER project_comments_no_delete
    BEFORE DELETE ON project_comments
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- The owner's news to backers: append-only.
CREATE TABLE project_updates (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint      NOT NULL REFERENCES projects (id),
    author_id   bigint      NOT NULL REFERENCES users (id),
    title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body        text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 20000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_updates_page ON project_updates (project_id, id DESC);

CREATE TRIGGER project_updates_append_only
    BEFORE UPDATE OR DELETE ON project_updates
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
