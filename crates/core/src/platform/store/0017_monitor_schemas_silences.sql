-- The last schema seen of each warehouse table (its columns and types, JSON), to say what a run
-- added, removed or retyped.
CREATE TABLE monitor_schemas (
    workspace_id TEXT NOT NULL,
    table_name   TEXT NOT NULL,
    columns      TEXT NOT NULL,
    seen_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, table_name)
) STRICT;

-- Silences a person created: matchers (JSON `[{field, value}]`), a time range (ms), who and why.
-- An expired silence stays, for the record.
CREATE TABLE monitor_silences (
    id           TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT,              -- none: every workspace
    matchers     TEXT NOT NULL,
    starts       INTEGER NOT NULL,
    ends         INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    comment      TEXT NOT NULL
) STRICT;
