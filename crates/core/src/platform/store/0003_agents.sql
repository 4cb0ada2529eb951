-- Agent sessions: one agent working on one intent or incident, with its transcript, events and
-- usage. Content is stored redacted.
CREATE TABLE agent_sessions (
    id                TEXT PRIMARY KEY NOT NULL,
    workspace_id      TEXT,
    agent             TEXT NOT NULL,
    provider          TEXT NOT NULL,
    is_replay         INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE agent_messages (
    session_id   TEXT NOT NULL REFERENCES agent_sessions (id),
    seq          INTEGER NOT NULL,
    role         TEXT NOT NULL,
    content      TEXT NOT NULL,
    tool_calls   TEXT NOT NULL DEFAULT '[]',
    tool_call_id TEXT,
    PRIMARY KEY (session_id, seq)
) STRICT;

CREATE TABLE agent_events (
    session_id TEXT NOT NULL REFERENCES agent_sessions (id),
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT;

-- Append-only, hash-chained: each record holds the previous record's hash. `vibedata audit
-- verify` recomputes the chain; the triggers stop ordinary updates and deletes.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY NOT NULL,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
