-- Projects and their lifecycle (DESIGN.md 4.1). The allowed transitions are
-- listed once, in core/projects.cpp; the state column only holds the result.

CREATE TYPE project_state AS ENUM (
    'draft', 'submitted', 'in_review', 'approved', 'in_vote', 'selected', 'funding', 'funded', 'failed',
    'disbursed', 'repaying', 'repaid', 'defaulted', 'rejected', 'withdrawn');
CREATE TYPE project_kind AS ENUM ('donation', 'reward', 'loan');
CREATE TYPE campaign_mode AS ENUM ('all_or_nothing', 'keep_it_all');
CREATE TYPE loan_schedule AS ENUM ('annuity', 'equal_principal');

CREATE TABLE projects (
    id                bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id          bigint        NOT NULL REFERENCES users (id),
    title             text          NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
    summary           text          NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
    description       text          NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    category          text          NOT NULL CHECK (category ~ '^[a-z][a-z0-9-]{0,39}$'),
    kind              project_kind  NOT NULL,
    goal_minor        bigint        NOT NULL CHECK (goal_minor > 0),
    currency          text          NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    campaign_mode     campaign_mode NOT NULL,
    deadline          timestamptz   NOT NULL,
    -- Loans: the goal is the principal; the annual rate in basis points.
    loan_rate_bp      integer       CHECK (loan_rate_bp BETWEEN 0 AND 10000),
    loan_term_months  integer       CHECK (loan_term_months BETWEEN 1 AND 360),
    loan_schedule     loan_schedule,
    state             project_state NOT NULL DEFAULT 'draft',
    created_at        timestamptz   NOT NULL DEFAULT now(),
    updated_at        timestamptz   NOT NULL DEFAULT now(),
    -- Full-text search on title (weight A) and summary (B), German and English.
    search            tsvector      GENERATED ALWAYS AS (
        setweight(to_tsvector('german', title), 'A') || setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('german', summary), 'B') || setweight(to_tsvector('english', summary), 'B')) STORED,
    CHECK ((kind = 'loan') = (loan_rate_bp IS NOT NULL AND loan_term_months IS NOT NULL AND loan_schedule IS NOT NULL))
);
CREATE INDEX projects_search ON projects USING gin (search);
CREATE INDEX projects_listing ON projects (state, id DESC);
CREATE INDEX projects_owner ON projects (owner_id, id DESC);
