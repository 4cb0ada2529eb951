-- Autonomy levels a person granted, per workspace and tool (absent: the scope's default).
CREATE TABLE autonomy_grants (
    workspace_id TEXT NOT NULL,
    tool         TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('L1', 'L2', 'L3')),
    granted_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, tool)
) STRICT;
