-- Where a workspace's dbt project is inside its repository ('' at the root; `transform`, say).
ALTER TABLE workspaces ADD COLUMN project_dir TEXT NOT NULL DEFAULT '';
