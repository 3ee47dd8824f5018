-- Rounds run any rule core/voting knows by name (issue 13, part 3: greedy and
-- its variants, MES with every option of the equalshares.net compute tool,
-- tie-breaking, eligibility filters), checked by the server; the options as a
-- JSON object, frozen with the rule once the round opens.
ALTER TABLE voting_rounds DROP CONSTRAINT voting_rounds_rule_check;
ALTER TABLE voting_rounds ADD CONSTRAINT voting_rounds_rule_check CHECK (length(rule) BETWEEN 1 AND 40);
ALTER TABLE voting_rounds ADD COLUMN rule_options jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(rule_options) = 'object');
