-- A round's projects may be the platform's own (approved projects entering
-- the vote); after the tally staff allocate the community fund to the
-- selected ones through the ledger.
ALTER TABLE round_projects ADD COLUMN project_id bigint REFERENCES projects (id);
CREATE UNIQUE INDEX round_projects_project ON round_projects (round_id, project_id) WHERE project_id IS NOT NULL;
