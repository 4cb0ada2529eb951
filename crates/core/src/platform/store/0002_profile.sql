-- The person using the app: who commits (name and email). Not a secret; tokens never go here.
CREATE TABLE profile (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
