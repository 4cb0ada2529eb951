-- Pull requests fetched for review: the refs GitHub gave when they were last fetched, so a pull
-- request fetched once is reviewed offline (its head in refs/remotes/origin/pull/<number>, its
-- base in refs/remotes/origin/<base_ref>).
CREATE TABLE review_pulls (
    workspace_id TEXT NOT NULL,
    number       INTEGER NOT NULL,
    repo         TEXT NOT NULL,
    title        TEXT NOT NULL,
    head_ref     TEXT NOT NULL,
    head_sha     TEXT NOT NULL,
    base_ref     TEXT NOT NULL,
    fetched_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, number)
) STRICT;
