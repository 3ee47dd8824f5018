-- Test data for bench/ideas.sh, loaded straight into a migrated database:
-- :users customers (token "bench-token-<id>") who own and support ideas;
-- :ideas ideas in German and English words to search; about :supports
-- supports spread over them (idea k gets 1 + (k·7919 mod m) of them, m chosen
-- so the average is :supports / :ideas), given over the last 30 days, those
-- of the last 7 counted in momentum as the server counts them; the counters
-- and phases to match (the idea phase from :threshold supports). Then
-- :supporters more customers with sessions, who support the hot idea in the
-- run, and :projects plain projects for the anchor (the project listing).
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (email, display_name, password_hash, role)
SELECT 'member-' || i || '@bench.example', 'Member ' || i, '$argon2id$bench-not-a-real-hash', 'customer'
FROM generate_series(1, :users + :supporters) i;
INSERT INTO sessions (token_hash, user_id, expires_at)
SELECT sha256(convert_to('bench-token-' || id, 'UTF8')), id, now() + interval '7 days' FROM users WHERE role = 'customer';
CREATE TEMP TABLE member AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM users WHERE role = 'customer' ORDER BY id LIMIT :users;
CREATE INDEX ON member (n);
ANALYZE member;

INSERT INTO ideas (owner_id, title, problem, audience, category, created_at, updated_at, phase_changed_at)
SELECT m.id,
       (ARRAY['Lastenräder', 'Tauschregal', 'Bücherschrank', 'Dorfauto', 'Repair-Café', 'Gemeinschaftsgarten',
              'Mitfahrbank', 'Solarkino', 'Werkzeugverleih', 'Spielstraße'])[1 + i % 10] || ' ' || i,
       (ARRAY['Families have no car for the shopping', 'Things are thrown away that others could use',
              'Kinder haben keinen Ort zum Lesen', 'Der Bus fährt nur zweimal am Tag', 'Nobody repairs anything any more',
              'Es gibt keinen Platz zum Gärtnern', 'Older people cannot get to the doctor',
              'Es gibt kein Kino im Umkreis', 'Everyone buys a drill for one hole', 'Streets are for cars only'])[1 + (i / 10) % 10],
       (ARRAY['Familien', 'neighbours', 'Kinder', 'commuters', 'everyone'])[1 + i % 5],
       (ARRAY['mobility', 'community', 'culture', 'energy', 'education'])[1 + (i / 3) % 5],
       now() - (30 + i % 30) * interval '1 day', now() - (30 + i % 30) * interval '1 day', now() - interval '1 day'
FROM generate_series(1, :ideas) i JOIN member m ON m.n = i % :users;

CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY id) AS k, id, owner_id FROM ideas;
INSERT INTO idea_supports (idea_id, supporter_id, reason, created_at, momentum_until)
SELECT x.id, m.id, CASE WHEN t % 5 = 0 THEN 'Brauchen wir hier auch' END, c.at,
       CASE WHEN c.at + interval '7 days' > now() THEN c.at + interval '7 days' END
FROM numbered x
CROSS JOIN LATERAL generate_series(0, (x.k * 7919) % (2 * (:supports / :ideas) - 1)) AS t
JOIN member m ON m.n = (x.k * 13 + t * 37) % :users
CROSS JOIN LATERAL (SELECT now() - ((x.k * 31 + t * 17) % (30 * 86400)) * interval '1 second' AS at) c
WHERE m.id <> x.owner_id;

UPDATE ideas i SET supports = s.n, momentum = s.m
FROM (SELECT idea_id, count(*)::int AS n, count(momentum_until)::int AS m FROM idea_supports GROUP BY idea_id) s
WHERE i.id = s.idea_id;
UPDATE ideas SET phase = CASE WHEN supports >= :threshold THEN 'idea'::cocreation_phase
                              WHEN supports > 0 THEN 'empathise' ELSE 'understand' END;

-- The anchor's projects (no pledges: the plain listing reads their rows).
INSERT INTO projects (owner_id, title, summary, category, kind, goal_minor, currency, campaign_mode, deadline, state)
SELECT m.id, 'Projekt ' || i, 'A project for the anchor', 'community', 'donation', 100000, 'EUR', 'all_or_nothing',
       now() + (1 + i % 120) * interval '1 day', 'funding'
FROM generate_series(1, :projects) i JOIN member m ON m.n = i % :users;
COMMIT;
VACUUM ANALYZE ideas;
VACUUM ANALYZE idea_supports;
VACUUM ANALYZE projects;
