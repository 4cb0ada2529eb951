-- Microsoft Fabric: the organisation's settings (one row; tokens are never here, only in the
-- keychain), each domain's production workspace, workspaces and items as last read (so they read
-- offline), and each intent branch's ephemeral workspace with the step its lifecycle is at (so a
-- crash resumes from what exists).
CREATE TABLE fabric_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    tenant        TEXT NOT NULL DEFAULT '',
    client_id     TEXT NOT NULL DEFAULT '',
    capacity_id   TEXT NOT NULL DEFAULT '',
    connection_id TEXT NOT NULL DEFAULT '',
    signed_in_at  INTEGER,                       -- unix seconds; NULL when signed out
    updated_at    INTEGER NOT NULL               -- unix seconds
) STRICT;

CREATE TABLE fabric_links (
    workspace_id          TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    fabric_workspace_id   TEXT NOT NULL,
    fabric_workspace_name TEXT NOT NULL,
    lakehouse_id          TEXT,
    lakehouse_name        TEXT,
    repository            TEXT NOT NULL,         -- owner/name on GitHub
    directory             TEXT NOT NULL,         -- the dbt project's folder, '/' at the root
    linked_at             INTEGER NOT NULL       -- unix seconds
) STRICT;

CREATE TABLE fabric_catalog (
    fabric_workspace_id TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    capacity_id         TEXT,
    items               TEXT NOT NULL,           -- JSON list of {id, name, kind}
    fetched_at          INTEGER NOT NULL         -- unix seconds
) STRICT;

CREATE TABLE fabric_ephemeral (
    intent_id           TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL,
    branch              TEXT NOT NULL,
    name                TEXT NOT NULL,
    fabric_workspace_id TEXT,
    step                TEXT NOT NULL,           -- create … ready, teardown, gone
    state               TEXT NOT NULL,           -- working, ready, failed, tearing_down, torn_down
    commit_hash         TEXT,
    dbt_item_id         TEXT,
    job_instance_id     TEXT,
    job_status          TEXT,
    message             TEXT,
    created_at          INTEGER NOT NULL,        -- unix seconds
    updated_at          INTEGER NOT NULL         -- unix seconds
) STRICT;
CREATE INDEX fabric_ephemeral_state ON fabric_ephemeral (state);
