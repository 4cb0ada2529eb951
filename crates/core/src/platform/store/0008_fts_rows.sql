-- Search rows in update order; renamed repositories; the kind of a sync error.
-- Which full-text row holds each issue text and comment. A text indexed again gets a new rowid,
-- so rowid order in gh_fts is the order texts were last updated in (search ranks recent ones).
CREATE TABLE gh_fts_rows (
    repo  TEXT NOT NULL,
    number INTEGER NOT NULL,
    key   TEXT NOT NULL,
    rowid_in_fts INTEGER NOT NULL,
    PRIMARY KEY (repo, number, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX gh_fts_rows_rowid ON gh_fts_rows (rowid_in_fts);

INSERT INTO gh_fts_rows (repo, number, key, rowid_in_fts) SELECT repo, number, key, rowid FROM gh_fts;

-- Repositories renamed or transferred on GitHub (found when GitHub redirected a sync): the
-- inbox follows them under the new name, and an old name (a workspace's remote, say) maps to it.
CREATE TABLE gh_repo_renames (
    old        TEXT PRIMARY KEY NOT NULL,
    new        TEXT NOT NULL,
    renamed_at INTEGER NOT NULL
) STRICT;
-- The kind of the last sync error (an ErrorCode, e.g. `github_sign_in`), for the sign-in prompt.
ALTER TABLE gh_sync ADD COLUMN last_error_code TEXT;
