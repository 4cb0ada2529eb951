-- Telemetry expected: each model and test of a workspace's project, from the run it was first
-- seen in; one that stays silent through the full runs after it is itself an alert.
CREATE TABLE monitor_expected (
    workspace_id TEXT NOT NULL,
    unique_id    TEXT NOT NULL,
    first_seen   INTEGER NOT NULL,            -- ms
    silent_runs  INTEGER NOT NULL DEFAULT 0,  -- full runs since, in which it did not report
    reported     INTEGER NOT NULL DEFAULT 0,  -- it has reported at least once
    PRIMARY KEY (workspace_id, unique_id)
) STRICT;
