-- GitHub accounts the person signed in with (their tokens live in the OS keychain only).
CREATE TABLE github_accounts (
    id         TEXT PRIMARY KEY NOT NULL,
    login      TEXT NOT NULL,
    base_url   TEXT NOT NULL,
    api_url    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('device', 'pat')),
    created_at INTEGER NOT NULL,
    UNIQUE (login, base_url)
) STRICT;
