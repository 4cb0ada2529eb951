-- The reviewer advisor's summaries of a branch: each claim with the review facts it cites
-- (JSON), the head commit it was written for, the session and model (or replay) it came from.
CREATE TABLE review_summaries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    head         TEXT NOT NULL,
    head_commit  TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    provider     TEXT NOT NULL,
    is_replay    INTEGER NOT NULL,
    claims       TEXT NOT NULL,
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX review_summaries_head ON review_summaries (workspace_id, head, id DESC);
