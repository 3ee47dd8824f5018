-- Co-creation, third step: followers hear what happens. Every change worth
-- telling (a phase change, an owner's update, a round opening or result, a
-- settlement, a repayment, …) writes an event in the same transaction as the
-- change: a transactional outbox. The same statement fans it out to the feed
-- of every follower of its idea or project and to their webhooks, so nothing
-- is told that did not commit and nothing that committed is lost.

-- Who follows what: an idea or a project, for a reason (supporters, backers,
-- owners and co-authors follow by themselves; anyone may choose to).
CREATE TABLE follows (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id),
    idea_id     bigint      REFERENCES ideas (id),
    project_id  bigint      REFERENCES projects (id),
    reason      text        NOT NULL CHECK (reason IN ('owner', 'supporter', 'backer', 'co_author', 'chosen')),
    created_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    CHECK ((idea_id IS NULL) <> (project_id IS NULL))
);
CREATE UNIQUE INDEX follows_idea ON follows (idea_id, user_id) WHERE idea_id IS NOT NULL;
CREATE UNIQUE INDEX follows_project ON follows (project_id, user_id) WHERE project_id IS NOT NULL;
CREATE INDEX follows_user ON follows (user_id, id DESC);

-- The outbox: append-only.
CREATE TABLE events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    idea_id     bigint      REFERENCES ideas (id),
    project_id  bigint      REFERENCES projects (id),
    round_id    bigint      REFERENCES voting_rounds (id),
    actor_id    bigint      REFERENCES users (id),
    request_id  text        NOT NULL,
    data        jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT schwarm_now()
);
CREATE INDEX events_idea ON events (idea_id, id DESC) WHERE idea_id IS NOT NULL;
CREATE INDEX events_project ON events (project_id, id DESC) WHERE project_id IS NOT NULL;
CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- Each user's feed: the events of what they follow from the moment they
-- followed, newest first; `read_up_to` is the newest event they have read.
CREATE TABLE feed_items (
    user_id   bigint NOT NULL REFERENCES users (id),
    event_id  bigint NOT NULL REFERENCES events (id),
    PRIMARY KEY (user_id, event_id)
);
CREATE TRIGGER feed_items_append_only
    BEFORE UPDATE OR DELETE ON feed_items
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TABLE feed_state (
    user_id     bigint      PRIMARY KEY REFERENCES users (id),
    read_up_to  bigint      NOT NULL DEFAULT 0 CHECK (read_up_to >= 0),
    updated_at  timestamptz NOT NULL DEFAULT schwarm_now()
);

-- Webhooks: a subscriber's HTTPS endpoint that receives the events of its
-- feed, signed with HMAC-SHA256 under a secret the server made and showed once
-- (it must keep it to sign). Removing one stops its deliveries.
CREATE TABLE webhooks (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id),
    url         text        NOT NULL CHECK (url ~ '^https://' AND length(url) <= 2000),
    secret      text        NOT NULL CHECK (length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT schwarm_now(),
    removed_at  timestamptz
);
CREATE INDEX webhooks_user ON webhooks (user_id, id DESC);

-- One delivery per webhook and event, retried with exponential backoff until
-- it is delivered or given up (visible to the webhook's owner). Claimed with
-- SKIP LOCKED and leased (next_attempt_at moves on while a call is out), so
-- several server processes share them and a crashed one's work comes back.
CREATE TYPE webhook_delivery_state AS ENUM ('pending', 'delivered', 'given_up');
CREATE TABLE webhook_deliveries (
    id               bigint                 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint                 NOT NULL REFERENCES webhooks (id),
    event_id         bigint                 NOT NULL REFERENCES events (id),
    state            webhook_delivery_state NOT NULL DEFAULT 'pending',
    attempts         integer                NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz            NOT NULL DEFAULT schwarm_now(),
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz            NOT NULL DEFAULT schwarm_now(),
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_page ON webhook_deliveries (webhook_id, id DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON follows TO schwarm_serving;
GRANT SELECT, INSERT ON events, feed_items TO schwarm_serving;
GRANT SELECT, INSERT, UPDATE ON feed_state, webhooks, webhook_deliveries TO schwarm_serving;
