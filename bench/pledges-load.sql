-- Test data for bench/pledges.sh, loaded straight into a migrated database:
-- :users customers with a session each (token "bench-token-<id>") and a
-- wallet holding 10,000,000.00 EUR; :projects projects (two thirds in
-- funding) with German and English words to search; :pledges held pledges
-- spread over them, each a real pending ledger entry with its two postings and
-- the balances to match (GET /v1/ledger/verify agrees); project 1 gets
-- :settle_pledges of them, for the settlement run. Staff and auditor come from
-- the CLI.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (email, display_name, password_hash, role)
SELECT 'backer-' || i || '@bench.example', 'Backer ' || i, '$argon2id$bench-not-a-real-hash', 'customer'
FROM generate_series(1, :users) i;
INSERT INTO sessions (token_hash, user_id, expires_at)
SELECT sha256(convert_to('bench-token-' || id, 'UTF8')), id, now() + interval '7 days' FROM users WHERE role = 'customer';

CREATE TEMP TABLE backer AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE role = 'customer';

INSERT INTO projects (owner_id, title, summary, category, kind, goal_minor, currency, campaign_mode, deadline, state,
                      min_pledge_minor)
SELECT (SELECT id FROM backer WHERE n = 1 + i % :users),
       (ARRAY['Solardach', 'Dorfladen', 'Schulgarten', 'Radweg', 'Kita-Umbau', 'Bücherschrank', 'Windrad', 'Brunnen',
              'Spielplatz', 'Hofladen'])[1 + i % 10] || ' ' || i,
       (ARRAY['solar roof for the school', 'village shop run by neighbours', 'garden for the children',
              'bicycle lane to the station', 'new rooms for the daycare', 'public bookcase', 'community wind turbine',
              'fountain in the square', 'playground renewal', 'farm shop with a cold room'])[1 + (i / 10) % 10],
       (ARRAY['energy', 'community', 'education', 'mobility'])[1 + i % 4], 'donation',
       100000 + (i % 97) * 10000, 'EUR', 'all_or_nothing',
       now() + (1 + i % 120) * interval '1 day' + (i % 86400) * interval '1 second',
       (CASE WHEN i % 3 = 0 THEN 'approved' ELSE 'funding' END)::project_state, 100
FROM generate_series(1, :projects) i;
UPDATE projects SET state = 'funding', deadline = now() + interval '30 days' WHERE id = (SELECT min(id) FROM projects);

INSERT INTO ledger_accounts (code, name, type, currency) VALUES ('bank:cash:EUR', 'Bank: money at payment providers', 'asset', 'EUR');
INSERT INTO ledger_accounts (code, name, type, currency, owner_user_id, debits_must_not_exceed_credits)
SELECT 'wallet:' || id || ':EUR', 'Customer wallet', 'liability', 'EUR', id, true FROM backer;
INSERT INTO ledger_accounts (code, name, type, currency, owner_project_id, debits_must_not_exceed_credits)
SELECT 'escrow:' || id || ':EUR', 'Project escrow', 'liability', 'EUR', id, true FROM projects WHERE state = 'funding';

CREATE TEMP TABLE funding_project AS
SELECT row_number() OVER (ORDER BY p.id) AS n, p.id, a.id AS escrow FROM projects p
JOIN ledger_accounts a ON a.code = 'escrow:' || p.id || ':EUR' WHERE p.state = 'funding';
CREATE TEMP TABLE wallet AS
SELECT b.n, b.id AS user_id, a.id AS account FROM backer b JOIN ledger_accounts a ON a.code = 'wallet:' || b.id || ':EUR';

-- Deposits: one posted entry per wallet.
CREATE TEMP TABLE deposit AS SELECT n, user_id, account, nextval('ledger_entries_id_seq') AS entry FROM wallet;
INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, description, request_id)
SELECT entry, 'bench-deposit:' || user_id, md5(user_id::text) || md5(user_id::text), 'posted', 'Deposit (bench load)', 'bench-load'
FROM deposit;
INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount_minor, currency)
SELECT entry, 0, (SELECT id FROM ledger_accounts WHERE code = 'bank:cash:EUR'), 'debit'::posting_side, 1000000000, 'EUR' FROM deposit
UNION ALL SELECT entry, 1, account, 'credit', 1000000000, 'EUR' FROM deposit;

-- Pledges: the first :settle_pledges to project 1, the rest spread.
CREATE TEMP TABLE plan AS
SELECT i, nextval('ledger_entries_id_seq') AS entry, w.user_id, w.account AS wallet, f.id AS project, f.escrow,
       100 * (1 + i % 50) AS amount
FROM generate_series(1, :pledges) i
JOIN wallet w ON w.n = 1 + i % :users
JOIN funding_project f ON f.n = CASE WHEN i <= :settle_pledges THEN 1
                                     ELSE 2 + i % ((SELECT count(*) FROM funding_project) - 1) END;
INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, description, request_id)
SELECT entry, 'bench-pledge:' || i, md5(i::text) || md5(i::text), 'pending', 'Pledge (bench load)', 'bench-load' FROM plan;
INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount_minor, currency)
SELECT entry, 0, wallet, 'debit'::posting_side, amount, 'EUR' FROM plan UNION ALL SELECT entry, 1, escrow, 'credit', amount, 'EUR' FROM plan;
INSERT INTO pledges (project_id, backer_id, amount_minor, currency, hold_entry_id, revocable_until, idempotency_key)
SELECT project, user_id, amount, 'EUR', entry, now() + interval '4 days', 'load-' || i FROM plan;

-- Balances and counters to match.
UPDATE ledger_accounts a SET debits_posted = s.d FROM (
  SELECT (SELECT id FROM ledger_accounts WHERE code = 'bank:cash:EUR') AS id, count(*) * 1000000000 AS d FROM deposit) s
WHERE a.id = s.id;
UPDATE ledger_accounts a SET credits_posted = 1000000000 FROM wallet w WHERE a.id = w.account;
UPDATE ledger_accounts a SET debits_pending = s.amount FROM (SELECT wallet, sum(amount) AS amount FROM plan GROUP BY wallet) s
WHERE a.id = s.wallet;
UPDATE ledger_accounts a SET credits_pending = s.amount FROM (SELECT escrow, sum(amount) AS amount FROM plan GROUP BY escrow) s
WHERE a.id = s.escrow;
UPDATE projects p SET pledged_minor = s.amount, backers = s.backers FROM (
  SELECT project, sum(amount) AS amount, count(DISTINCT user_id) AS backers FROM plan GROUP BY project) s
WHERE p.id = s.project;
COMMIT;
ANALYZE;
