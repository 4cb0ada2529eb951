-- GitHub issues and comments synced per repository, readable offline, searchable with FTS5;
-- the person's local triage state and read markers; and the outbox of writes to GitHub.
CREATE TABLE gh_issues (
    repo       TEXT NOT NULL,
    number     INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL,
    author     TEXT NOT NULL,
    labels     TEXT NOT NULL,   -- JSON array of names
    assignees  TEXT NOT NULL,   -- JSON array of logins
    is_pr      INTEGER NOT NULL,
    comments   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (repo, number)
) STRICT;
CREATE INDEX gh_issues_updated ON gh_issues (updated_at DESC, number DESC);

-- Labels and assignees of each issue, one row each (filters and menus use the index).
CREATE TABLE gh_issue_tags (
    repo   TEXT NOT NULL,
    number INTEGER NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('label', 'assignee')),
    value  TEXT NOT NULL,
    PRIMARY KEY (repo, number, kind, value)
) STRICT, WITHOUT ROWID;
CREATE INDEX gh_issue_tags_value ON gh_issue_tags (kind, value);

CREATE TABLE gh_comments (
    repo         TEXT NOT NULL,
    id           INTEGER NOT NULL,
    issue_number INTEGER NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (repo, id)
) STRICT;
CREATE INDEX gh_comments_issue ON gh_comments (repo, issue_number);

-- How far each repository's sync got (it resumes from here, without gaps).
CREATE TABLE gh_sync (
    repo           TEXT PRIMARY KEY NOT NULL,
    issues_since   TEXT,
    comments_since TEXT,
    synced_at      INTEGER,
    last_error     TEXT
) STRICT;

-- One row per issue text and per comment; `key` is 'issue' or 'comment:<id>'.
CREATE VIRTUAL TABLE gh_fts USING fts5 (repo UNINDEXED, number UNINDEXED, key UNINDEXED, text);

-- Local triage state (never sent to GitHub) and what the person has read.
CREATE TABLE gh_triage (
    repo       TEXT NOT NULL,
    number     INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'investigating', 'resolved')),
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (repo, number)
) STRICT;
CREATE TABLE gh_read (
    repo       TEXT NOT NULL,
    number     INTEGER NOT NULL,
    updated_at TEXT NOT NULL,   -- the issue's updated_at when it was last opened
    PRIMARY KEY (repo, number)
) STRICT;

-- Repositories the inbox follows.
CREATE TABLE gh_inbox_repos (
    repo     TEXT PRIMARY KEY NOT NULL,
    added_at INTEGER NOT NULL
) STRICT;

-- Writes to GitHub, replayed in order. `key` is the idempotency key embedded in bodies.
CREATE TABLE gh_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    repo       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('create_issue', 'comment', 'add_labels', 'set_state', 'push_branch', 'create_pr')),
    payload    TEXT NOT NULL,   -- JSON
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'failed', 'cancelled')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result     TEXT,            -- JSON: what GitHub made (number, url)
    queued_at  TEXT NOT NULL,   -- RFC 3339, used as `since` when checking for an earlier delivery
    done_at    INTEGER
) STRICT;

-- The login a GitHub API answered for the token in use (for "mine" while offline). Not a secret.
CREATE TABLE gh_identity (
    api_url TEXT PRIMARY KEY NOT NULL,
    login   TEXT NOT NULL
) STRICT;

-- The pull request opened from an intent's branch (created through the outbox).
CREATE TABLE intent_pull_requests (
    intent_id  TEXT PRIMARY KEY NOT NULL REFERENCES intents (id),
    repo       TEXT NOT NULL,
    outbox_seq INTEGER NOT NULL REFERENCES gh_outbox (seq),
    head_sha   TEXT NOT NULL
) STRICT;

-- The OAuth app an account's tokens came from: refreshing them needs it.
ALTER TABLE github_accounts ADD COLUMN client_id TEXT;

-- The GitHub account each workspace acts as (others use the first signed-in account).
CREATE TABLE workspace_github (
    workspace_id TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES github_accounts (id) ON DELETE CASCADE
) STRICT;
