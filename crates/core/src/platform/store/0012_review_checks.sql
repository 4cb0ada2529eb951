-- The checks of a review, kept with it: the branch and the head commit they ran on, what ran (a
-- data diff of a model, a query diffed on both sides), what it found.
CREATE TABLE review_checks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    head         TEXT NOT NULL,
    head_commit  TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('data_diff', 'query_diff')),
    status       TEXT NOT NULL CHECK (status IN ('identical', 'changed', 'error')),
    summary      TEXT NOT NULL,
    result       TEXT NOT NULL,  -- JSON
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX review_checks_head ON review_checks (workspace_id, head, id DESC);
