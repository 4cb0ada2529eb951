-- Table metrics collected after each run (or generated for the demo): one value per table,
-- metric (row_count, freshness_lag_hours, null_rate, distinct_count, mean) and column, at a time.
CREATE TABLE monitor_metrics (
    workspace_id TEXT NOT NULL,
    table_name   TEXT NOT NULL,
    metric       TEXT NOT NULL,
    column_name  TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,   -- ms since the epoch
    value        REAL NOT NULL,
    PRIMARY KEY (workspace_id, table_name, metric, column_name, at)
) STRICT;
