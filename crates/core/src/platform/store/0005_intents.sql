-- Intents: a change an analyst asks for, on its own branch, moving through the lifecycle.
CREATE TABLE intents (
    id           TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    state        TEXT NOT NULL,
    plan_version INTEGER NOT NULL DEFAULT 0,
    build_rounds INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, slug)
) STRICT;

-- Every transition, in order.
CREATE TABLE intent_transitions (
    intent_id  TEXT NOT NULL REFERENCES intents (id),
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    step       TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    PRIMARY KEY (intent_id, seq)
) STRICT;
