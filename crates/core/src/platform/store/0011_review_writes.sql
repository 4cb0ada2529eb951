-- The outbox learns two writes of the Review: a summary comment kept current on a pull request
-- (`upsert_comment`) and a pull request review (`review`). SQLite cannot change a CHECK in
-- place: the table is rebuilt (and the pull requests that point at it with it), rows kept.
CREATE TABLE gh_outbox_v2 (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    repo       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('create_issue', 'comment', 'add_labels', 'set_state', 'push_branch', 'create_pr', 'upsert_comment', 'review')),
    payload    TEXT NOT NULL,   -- JSON
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'failed', 'cancelled')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result     TEXT,            -- JSON: what GitHub made (number, url)
    queued_at  TEXT NOT NULL,   -- RFC 3339, used as `since` when checking for an earlier delivery
    done_at    INTEGER
) STRICT;
INSERT INTO gh_outbox_v2 SELECT * FROM gh_outbox;

CREATE TABLE intent_pull_requests_v2 (
    intent_id  TEXT PRIMARY KEY NOT NULL REFERENCES intents (id),
    repo       TEXT NOT NULL,
    outbox_seq INTEGER NOT NULL REFERENCES gh_outbox_v2 (seq),
    head_sha   TEXT NOT NULL
) STRICT;
INSERT INTO intent_pull_requests_v2 SELECT * FROM intent_pull_requests;

DROP TABLE intent_pull_requests;
DROP TABLE gh_outbox;
ALTER TABLE gh_outbox_v2 RENAME TO gh_outbox;
ALTER TABLE intent_pull_requests_v2 RENAME TO intent_pull_requests;
