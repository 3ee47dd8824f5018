-- The circuit breaker of each outbound provider (the credit bureau), shared
-- by every server process: N processes learn together that the bureau is down
-- instead of each spending its own failed calls (docs/risk.md).
--
-- closed:    opened_at IS NULL; calls go out; `failures` counts consecutive
--            failures until it reaches the configured maximum.
-- open:      opened_at is set and the cool-down since then has not passed;
--            calls fail at once.
-- half-open: the cool-down has passed; one caller claims the trial by setting
--            trial_until (the trial's lease: a process that dies mid-trial
--            does not keep the circuit open for ever).
CREATE TABLE provider_circuits (
    provider    text PRIMARY KEY,
    failures    integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    opened_at   timestamptz,
    trial_until timestamptz,
    CHECK (trial_until IS NULL OR opened_at IS NOT NULL)
);

GRANT INSERT, UPDATE ON provider_circuits TO schwarm_serving;
GRANT SELECT ON provider_circuits TO schwarm_serving;
