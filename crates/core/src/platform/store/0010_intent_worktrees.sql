-- Each intent's branch lives in a worktree of its own ('' for intents made before: their branch
-- was checked out in the person's clone).
ALTER TABLE intents ADD COLUMN worktree TEXT NOT NULL DEFAULT '';
