-- One clock for every time-dependent rule (docs/time.md): deadlines,
-- reflection periods, due dates and arrears, hold expiry, round windows,
-- session expiry, login throttles, credit-check waits. Every statement reads
-- time through these functions, never now() or clock_timestamp() itself, and
-- every "when did it happen" column defaults to the same clock.
--
-- In production the clock is the database server's own: the functions are
-- plain expressions that the planner inlines, so they cost nothing. A test
-- cluster (started with -c schwarm.test_clock=on) may move the clock with
-- schwarm_travel_to(), which rewrites the two functions with a fixed shift;
-- every server process on the database sees the new time at its next
-- statement. Anywhere else schwarm_travel_to() refuses, and only the owner of
-- the schema may run it at all (the serving role cannot: see 0012).

-- The platform time of the current transaction (its start), like now().
CREATE FUNCTION schwarm_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT now() $$;

-- The platform time at this instant, like clock_timestamp(): for checks made
-- after waiting for a lock (a pledge just before the deadline).
CREATE FUNCTION schwarm_clock() RETURNS timestamptz
    LANGUAGE sql VOLATILE PARALLEL SAFE AS $$ SELECT clock_timestamp() $$;

-- The bank's time zone: due dates, calendar days and months live in it.
-- Every connection the server opens sets it from SCHWARM_TIME_ZONE; a
-- session that did not is refused rather than served in an accidental zone.
CREATE FUNCTION schwarm_zone() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT current_setting('schwarm.time_zone') $$;

-- Today in the bank's time zone.
CREATE FUNCTION schwarm_today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT (schwarm_now() AT TIME ZONE schwarm_zone())::date $$;

-- `t` plus a calendar interval counted on the bank's wall clock: four
-- calendar days from 10:00 end at 10:00, across a change to or from summer
-- time too (96 hours, or 95 or 97). A month from 31 January is the last day
-- of February.
CREATE FUNCTION schwarm_local_add(t timestamptz, span interval) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ((t AT TIME ZONE schwarm_zone()) + span) AT TIME ZONE schwarm_zone() $$;

CREATE FUNCTION schwarm_travel_to(target timestamptz) RETURNS interval
    LANGUAGE plpgsql AS $$
DECLARE
    -- In microseconds only: a shift of days would move by 23 or 25 hours
    -- across a daylight-saving change.
    shift interval := make_interval(secs => extract(epoch FROM target - clock_timestamp()));
BEGIN
    IF coalesce(current_setting('schwarm.test_clock', true), 'off') <> 'on' THEN
        RAISE EXCEPTION 'the platform clock can be set only on a test cluster (schwarm.test_clock = on)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('CREATE OR REPLACE FUNCTION schwarm_now() RETURNS timestamptz '
                   'LANGUAGE sql STABLE PARALLEL SAFE AS $f$ SELECT now() + %L::interval $f$', shift);
    EXECUTE format('CREATE OR REPLACE FUNCTION schwarm_clock() RETURNS timestamptz '
                   'LANGUAGE sql VOLATILE PARALLEL SAFE AS $f$ SELECT clock_timestamp() + %L::interval $f$', shift);
    RETURN shift;
END $$;
REVOKE ALL ON FUNCTION schwarm_travel_to(timestamptz) FROM PUBLIC;

-- The shift in force: zero in production.
CREATE FUNCTION schwarm_clock_shift() RETURNS interval
    LANGUAGE sql VOLATILE AS $$ SELECT schwarm_clock() - clock_timestamp() $$;

-- Every column that records when something happened takes the same clock.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_default = 'now()' AND table_name <> 'schema_migrations'
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT schwarm_now()', c.table_name, c.column_name);
    END LOOP;
END $$;
