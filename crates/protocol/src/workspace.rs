use serde::{Deserialize, Serialize};

/// What a registered repository holds (PRODUCT.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceKind {
    /// A dbt project that builds silver and gold tables.
    Domain,
    /// dlt pipelines that land bronze tables.
    Source,
}

/// A registered workspace as the Domains page shows it: where it is and what its clone is on now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDto {
    pub id: String,
    pub name: String,
    pub kind: WorkspaceKind,
    pub path: String,
    pub origin_url: Option<String>,
    /// The checked-out branch, or `None` for a detached HEAD or an unborn repository.
    pub branch: Option<String>,
    pub last_commit: Option<CommitDto>,
    /// Why the clone could not be read (moved, deleted, not a git repository), if it could not.
    pub problem: Option<String>,
    /// The local DuckDB warehouse file of this workspace, when it has one.
    pub warehouse: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitDto {
    pub id: String,
    pub summary: String,
    pub author: String,
    /// Seconds since the Unix epoch (the committer time).
    pub time: i64,
}

impl CommitDto {
    /// The abbreviated id people read (git's default of seven characters).
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(7)]
    }
}
