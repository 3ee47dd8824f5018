-- Risk (DESIGN.md 4.5): credit checks, staff reviews of loan applications,
-- investor protection (EU crowdfunding regulation 2020/1503). Rules live in
-- risk/; the tables hold their data, and the scorecard's points are data too.

-- What a loan's owner declares for the credit check; minor units per month
-- (existing debt: outstanding in total).
CREATE TABLE risk_applications (
    project_id              bigint      PRIMARY KEY REFERENCES projects (id),
    applicant_type          text        NOT NULL CHECK (applicant_type IN ('person', 'company')),
    monthly_income_minor    bigint      NOT NULL CHECK (monthly_income_minor >= 0),
    monthly_expenses_minor  bigint      NOT NULL CHECK (monthly_expenses_minor >= 0),
    existing_debt_minor     bigint      NOT NULL CHECK (existing_debt_minor >= 0),
    purpose                 text        NOT NULL CHECK (purpose ~ '^[a-z][a-z_]{0,39}$'),
    years_in_business       integer     CHECK (years_in_business BETWEEN 0 AND 200),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((applicant_type = 'company') = (years_in_business IS NOT NULL))
);

-- The scorecard: a versioned points table. A check uses the newest version
-- and records it. Factors are integers computed by risk/scorecard.cpp; a row
-- matches when lower_incl <= value < upper_excl (NULL: unbounded), or, for
-- categorical factors, when the category matches.
CREATE TABLE risk_scorecard_versions (
    version      integer     PRIMARY KEY CHECK (version >= 1),
    base_points  integer     NOT NULL,
    note         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE risk_scorecard_points (
    version     integer NOT NULL REFERENCES risk_scorecard_versions (version),
    factor      text    NOT NULL,
    lower_incl  bigint,
    upper_excl  bigint,
    category    text,
    points      integer NOT NULL,
    reason      text    NOT NULL,
    CHECK ((category IS NULL) OR (lower_incl IS NULL AND upper_excl IS NULL))
);
CREATE INDEX risk_scorecard_points_version ON risk_scorecard_points (version, factor);
-- Score to probability-of-default band and decision: the highest min_score
-- not above the score.
CREATE TABLE risk_scorecard_bands (
    version    integer NOT NULL REFERENCES risk_scorecard_versions (version),
    min_score  integer NOT NULL,
    pd_band    text    NOT NULL,
    decision   text    NOT NULL CHECK (decision IN ('approve', 'refer', 'decline')),
    PRIMARY KEY (version, min_score)
);

INSERT INTO risk_scorecard_versions (version, base_points, note)
VALUES (1, 600, 'Initial retail and small-business scorecard');
INSERT INTO risk_scorecard_points (version, factor, lower_incl, upper_excl, category, points, reason) VALUES
    -- Monthly outgoings (expenses, the new instalment, existing debt service) per income, in percent.
    (1, 'debt_service_ratio_pct', NULL, 30,   NULL,  60, 'Outgoings are under 30% of income'),
    (1, 'debt_service_ratio_pct', 30,   45,   NULL,  20, 'Outgoings are 30-45% of income'),
    (1, 'debt_service_ratio_pct', 45,   60,   NULL, -40, 'Outgoings are 45-60% of income'),
    (1, 'debt_service_ratio_pct', 60,   NULL, NULL, -140, 'Outgoings are above 60% of income'),
    -- All debt after the loan per annual income, in percent.
    (1, 'debt_to_income_pct', NULL, 100,  NULL,  40, 'Total debt is below one year''s income'),
    (1, 'debt_to_income_pct', 100,  300,  NULL,   0, 'Total debt is one to three years'' income'),
    (1, 'debt_to_income_pct', 300,  NULL, NULL, -80, 'Total debt is above three years'' income'),
    (1, 'term_months', NULL, 61,   NULL,  10, 'Term of five years or less'),
    (1, 'term_months', 61,   121,  NULL,   0, 'Term of five to ten years'),
    (1, 'term_months', 121,  NULL, NULL, -30, 'Term above ten years'),
    (1, 'years_in_business', NULL, 2, NULL, -60, 'Business younger than two years'),
    (1, 'years_in_business', 2,    5, NULL,   0, 'Business two to five years old'),
    (1, 'years_in_business', 5, NULL, NULL,  40, 'Business older than five years'),
    (1, 'purpose', NULL, NULL, 'energy',        30, 'Energy efficiency or renewable energy'),
    (1, 'purpose', NULL, NULL, 'housing',       20, 'Housing'),
    (1, 'purpose', NULL, NULL, 'equipment',     10, 'Equipment with resale value'),
    (1, 'purpose', NULL, NULL, 'working_capital', -10, 'Working capital'),
    (1, 'purpose', NULL, NULL, 'refinancing',  -30, 'Refinancing existing debt');
INSERT INTO risk_scorecard_bands (version, min_score, pd_band, decision) VALUES
    (1, -100000, 'E', 'decline'),
    (1, 560,     'D', 'refer'),
    (1, 620,     'C', 'refer'),
    (1, 660,     'B', 'approve'),
    (1, 700,     'A', 'approve');

-- One credit check by one provider. `request` is what was asked (minimised),
-- `response` what was answered; a check that could not be made ends
-- 'failed' with its error, never 'completed'.
CREATE TABLE risk_checks (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id        bigint      NOT NULL REFERENCES projects (id),
    provider          text        NOT NULL CHECK (provider IN ('scorecard', 'webhook')),
    state             text        NOT NULL DEFAULT 'queued'
                                  CHECK (state IN ('queued', 'running', 'pending', 'completed', 'failed')),
    request           jsonb       NOT NULL,
    response          jsonb,
    score             integer,
    pd_band           text,
    decision          text        CHECK (decision IN ('approve', 'refer', 'decline')),
    reasons           jsonb       NOT NULL DEFAULT '[]',
    scorecard_version integer     REFERENCES risk_scorecard_versions (version),
    error             text,
    attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    requested_by      bigint      REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    pending_since     timestamptz,
    finished_at       timestamptz,
    duration_ms       integer,
    CHECK ((state = 'completed') = (decision IS NOT NULL)),
    CHECK (state <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX risk_checks_project ON risk_checks (project_id, id DESC);
CREATE INDEX risk_checks_due ON risk_checks (id) WHERE state IN ('queued', 'running');
CREATE INDEX risk_checks_pending ON risk_checks (pending_since) WHERE state = 'pending';

-- Callbacks seen, by the hash of their signature: a replay within the window
-- is refused (outside it, the timestamp check refuses it).
CREATE TABLE risk_callback_receipts (
    signature_hash text        PRIMARY KEY,
    provider       text        NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);

-- A loan application's staff review. `round` grows when the owner changes
-- the application after a request for information: approvals of an earlier
-- round no longer count.
CREATE TABLE risk_reviews (
    project_id        bigint      PRIMARY KEY REFERENCES projects (id),
    state             text        NOT NULL DEFAULT 'waiting'
                                  CHECK (state IN ('waiting', 'info_requested', 'approved', 'rejected', 'withdrawn')),
    principal_minor   bigint      NOT NULL CHECK (principal_minor > 0),
    currency          text        NOT NULL,
    approvals_needed  integer     NOT NULL CHECK (approvals_needed IN (1, 2)),
    round             integer     NOT NULL DEFAULT 1 CHECK (round >= 1),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_reviews_queue ON risk_reviews (state, project_id);

CREATE TABLE risk_review_actions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint      NOT NULL REFERENCES risk_reviews (project_id),
    round       integer     NOT NULL,
    reviewer_id bigint      NOT NULL REFERENCES users (id),
    action      text        NOT NULL CHECK (action IN ('approve', 'reject', 'request_info')),
    message     text        NOT NULL DEFAULT '' CHECK (length(message) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (action = 'approve' OR length(message) > 0)
);
-- Four eyes are two people: one approval per reviewer per round.
CREATE UNIQUE INDEX risk_review_one_approval ON risk_review_actions (project_id, round, reviewer_id)
    WHERE action = 'approve';

-- Relationships of staff with customers (family, business, …): such staff
-- do not review the customer's projects.
CREATE TABLE risk_relationships (
    staff_id     bigint      NOT NULL REFERENCES users (id),
    customer_id  bigint      NOT NULL REFERENCES users (id),
    kind         text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    recorded_by  bigint      NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, customer_id),
    CHECK (staff_id <> customer_id)
);

-- Investor protection. Net worth per the regulation's delegated act: annual
-- income plus liquid assets minus annual financial commitments.
CREATE TABLE risk_investor_profiles (
    user_id                   bigint      PRIMARY KEY REFERENCES users (id),
    category                  text        NOT NULL DEFAULT 'non_sophisticated'
                                          CHECK (category IN ('non_sophisticated', 'sophisticated')),
    annual_income_minor       bigint      CHECK (annual_income_minor >= 0),
    liquid_assets_minor       bigint      CHECK (liquid_assets_minor >= 0),
    annual_commitments_minor  bigint      CHECK (annual_commitments_minor >= 0),
    declared_at               timestamptz,
    loss_simulated_at         timestamptz,
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE risk_knowledge_questions (
    id        text    PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{0,39}$'),
    position  integer NOT NULL UNIQUE,
    text      text    NOT NULL,
    options   jsonb   NOT NULL CHECK (jsonb_typeof(options) = 'array'),
    correct   integer NOT NULL CHECK (correct >= 0),
    active    boolean NOT NULL DEFAULT true
);
INSERT INTO risk_knowledge_questions (id, position, text, options, correct) VALUES
    ('total_loss', 1, 'Can you lose all the money you lend to a project on this platform?',
     '["No, the bank guarantees it", "Yes, all of it", "Only the interest"]', 1),
    ('deposit_guarantee', 2, 'Is a loan through this platform covered by the deposit guarantee scheme?',
     '["Yes, up to EUR 100,000", "No", "Only for members of the cooperative"]', 1),
    ('liquidity', 3, 'Can you get your money back before the loan''s term ends?',
     '["Any time, on request", "Usually not: the money is tied up for the term", "After one month"]', 1),
    ('diversification', 4, 'What lowers the risk of losing much of your savings?',
     '["Lending everything to one project", "Spreading small amounts over many projects and not investing money you need", "Choosing the highest interest rate"]', 1),
    ('reflection', 5, 'How long may a non-sophisticated investor revoke a pledge without giving a reason?',
     '["Four days", "Fourteen days", "Not at all"]', 0);

CREATE TABLE risk_knowledge_tests (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id),
    answers     jsonb       NOT NULL,
    correct     integer     NOT NULL CHECK (correct >= 0),
    questions   integer     NOT NULL CHECK (questions > 0),
    passed      boolean     NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX risk_knowledge_tests_user ON risk_knowledge_tests (user_id, id DESC);

CREATE TABLE risk_sophistication_requests (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id),
    evidence    text        NOT NULL CHECK (length(evidence) BETWEEN 1 AND 4000),
    state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by  bigint      REFERENCES users (id),
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz
);
-- At most one open request per customer.
CREATE UNIQUE INDEX risk_sophistication_one_pending ON risk_sophistication_requests (user_id) WHERE state = 'pending';
