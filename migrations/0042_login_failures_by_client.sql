-- Failed logins counted per account and client address (issue 15, item 3):
-- five wrong passwords from one address throttle that address for that
-- account, not the account's owner elsewhere. A row with an empty client
-- counts the account's failures from every address, against a far higher
-- limit (many addresses guessing at once). Accounts that exist are keyed by
-- their id (SHA-256 of "user:<id>"), so every spelling of an address that
-- finds the account (PostgreSQL's lower() folds the Kelvin sign to k) counts
-- on one key; unknown addresses by the address folded to ASCII lower case.
DELETE FROM login_failures;
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD COLUMN client_hash bytea NOT NULL DEFAULT ''::bytea
    CHECK (length(client_hash) IN (0, 32));
ALTER TABLE login_failures ADD PRIMARY KEY (email_hash, client_hash);
