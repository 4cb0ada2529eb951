-- Operate: the signals received per workspace (a signal sent twice is kept once, by id), and
-- the incidents the alert engine made of them, each tied to its GitHub issue through the outbox
-- (the write that opens it, and the one that closes it), with what was last said on it.
CREATE TABLE monitor_signals (
    id             TEXT NOT NULL,
    workspace_id   TEXT NOT NULL,
    at             INTEGER NOT NULL,   -- ms since the epoch
    kind           TEXT NOT NULL,
    node           TEXT NOT NULL,
    column_name    TEXT,
    severity       TEXT NOT NULL,
    message        TEXT NOT NULL,
    correlation_id TEXT,
    failures       INTEGER,
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;
CREATE INDEX monitor_signals_at ON monitor_signals (workspace_id, at);

CREATE TABLE monitor_incidents (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,     -- `<root>@<opened at>`: stable across runs
    repo            TEXT,              -- the GitHub repository its issue is on (none: kept here)
    root            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    severity        TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    detail          TEXT NOT NULL,     -- JSON: the incident as the engine made it
    said_events     INTEGER NOT NULL DEFAULT 0,   -- signals the issue has been told of
    open_seq        INTEGER,           -- the outbox write that opens its issue
    close_seq       INTEGER,           -- the outbox write that closes it
    PRIMARY KEY (workspace_id, id)
) STRICT;
