-- Users, their sessions, the per-account login throttle, and the audit log.

CREATE TYPE user_role AS ENUM ('customer', 'staff', 'auditor', 'admin');

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role          user_role   NOT NULL DEFAULT 'customer',
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- Bearer tokens are stored only as their SHA-256 hash.
CREATE TABLE sessions (
    token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id     bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per attempted address (hashed: the address may belong to no
-- one), shared by every server process on this database.
CREATE TABLE login_failures (
    email_hash   bytea       PRIMARY KEY CHECK (length(email_hash) = 32),
    window_start timestamptz NOT NULL,
    failures     integer     NOT NULL CHECK (failures > 0)
);

CREATE TABLE audit_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint      REFERENCES users (id),
    action     text        NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    subject    text        NOT NULL,
    request_id text        NOT NULL,
    details    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

-- History is never rewritten: the database itself refuses it.
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
