-- Least privilege (docs/operations.md): the server connects as a role that
-- owns no table and may do only what serving needs; migrations run as the
-- schema's owner. The serving login (schwarm_app in ./run.sh) is a member of
-- the group role schwarm_serving, which receives the grants below.
--
-- History is append-only twice over: the triggers of 0002/0003 refuse UPDATE,
-- DELETE and TRUNCATE of ledger and audit rows, and only the owner could
-- disable them (ALTER TABLE); the serving role may only insert and read them.
-- A migration that adds a table grants on it the same way; the tests run every
-- server as the serving role, so a missing grant fails them.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schwarm_serving') THEN
        CREATE ROLE schwarm_serving NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO schwarm_serving;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO schwarm_serving;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO schwarm_serving;

-- State the platform changes as it serves.
GRANT INSERT, UPDATE, DELETE ON
    users, sessions, login_failures,
    voting_rounds, round_projects, ballots,
    projects, pledges, loans, loan_lenders, loan_instalments,
    project_comments,
    risk_applications, risk_checks, risk_callback_receipts, risk_reviews, risk_relationships,
    risk_investor_profiles, risk_sophistication_requests,
    idempotent_responses,
    ledger_seal_state
TO schwarm_serving;

-- Records: written once, never changed.
GRANT INSERT ON
    audit_log, ledger_entries, ledger_postings, ledger_seal_blocks, ledger_seal_entries,
    loan_repayments, loan_repayment_shares, project_updates, risk_review_actions, risk_knowledge_tests
TO schwarm_serving;

-- Accounts: opened, and their balance columns kept with each entry; nothing
-- else of an account changes.
GRANT INSERT ON ledger_accounts TO schwarm_serving;
GRANT UPDATE (debits_posted, credits_posted, debits_pending, credits_pending, closed_at) ON ledger_accounts
    TO schwarm_serving;

-- A row lock (FOR UPDATE, as resolving a hold takes on the hold's entry)
-- needs UPDATE on some column; this one, which the append-only trigger
-- guards like every other.
GRANT UPDATE (id) ON ledger_entries TO schwarm_serving;
