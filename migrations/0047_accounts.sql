-- Accounts as their users and administrators meet them (issue 15, items 1
-- and 2): disabled accounts, sessions one can list and end, role grants that
-- a second admin confirms, password resets, and the outbox of messages to
-- people (there is no mail server: an operator or a mailer reads it).

-- A disabled account cannot log in and its tokens authenticate nothing.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
CREATE INDEX users_role ON users (role, id);

-- Sessions get an id to be named by (the token's hash is never shown), the
-- address they were opened from and when they were last seen.
ALTER TABLE sessions ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE sessions ADD CONSTRAINT sessions_id_unique UNIQUE (id);
ALTER TABLE sessions ADD COLUMN client_address text CHECK (length(client_address) <= 64);
ALTER TABLE sessions ADD COLUMN last_used_at timestamptz;
UPDATE sessions SET last_used_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL;
ALTER TABLE sessions ALTER COLUMN last_used_at SET DEFAULT schwarm_now();

-- Granting staff or admin takes two admins: one asks, another confirms. One
-- pending grant per user at a time; a role given at once in the meantime
-- withdraws it, so that no stale grant waits to be confirmed later.
CREATE TABLE role_grants (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id),
    role          user_role   NOT NULL CHECK (role IN ('staff', 'admin')),
    requested_by  bigint      NOT NULL REFERENCES users (id),
    requested_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    confirmed_by  bigint      REFERENCES users (id),
    confirmed_at  timestamptz,
    withdrawn_at  timestamptz,
    CHECK (confirmed_at IS NULL OR withdrawn_at IS NULL),
    CHECK (confirmed_by IS DISTINCT FROM requested_by),
    CHECK ((confirmed_by IS NULL) = (confirmed_at IS NULL))
);
CREATE UNIQUE INDEX role_grants_one_pending ON role_grants (user_id)
    WHERE confirmed_at IS NULL AND withdrawn_at IS NULL;

-- Messages to people, written in the transaction that made them; `sent_at`
-- is set by whoever delivered one (`schwarm outbox sent ID`).
CREATE TABLE mail_outbox (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient   text        NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    kind        text        NOT NULL CHECK (kind ~ '^[a-z_]+$'),
    subject     text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        text        NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    user_id     bigint      REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    sent_at     timestamptz
);
CREATE INDEX mail_outbox_pending ON mail_outbox (id) WHERE sent_at IS NULL;

-- Password resets: a one-time token, stored only as its SHA-256, that
-- expires; a newer request for the same account spends the older ones.
CREATE TABLE password_resets (
    token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id     bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON role_grants, mail_outbox, password_resets TO schwarm_serving;
