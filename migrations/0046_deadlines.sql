-- Deadlines people can work with (issue 15 §6): staff extend a campaign's
-- deadline once, within a configured limit; an owner ends a fully funded
-- campaign early. The first deadline is kept beside the one in force.
ALTER TABLE projects
    ADD COLUMN deadline_first     timestamptz,
    ADD COLUMN deadline_extended_at timestamptz,
    ADD COLUMN ended_early_at     timestamptz,
    ADD CONSTRAINT projects_deadline_extended_once CHECK ((deadline_first IS NULL) = (deadline_extended_at IS NULL));
