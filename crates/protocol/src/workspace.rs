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

/// A request to register a repository: a local folder holding a git repository (registered in
/// place) or a remote URL (cloned under the workspace root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddWorkspaceDto {
    pub source: String,
    /// Defaults to the folder or repository name.
    pub name: Option<String>,
    pub kind: WorkspaceKind,
}

/// Clone progress as git reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneProgressDto {
    pub received_objects: usize,
    pub total_objects: usize,
    pub indexed_deltas: usize,
    pub total_deltas: usize,
    pub received_bytes: usize,
}

impl CloneProgressDto {
    /// Overall progress from 0 to 1: receiving objects, then resolving deltas.
    pub fn fraction(&self) -> f64 {
        let objects = if self.total_objects == 0 {
            0.0
        } else {
            self.received_objects as f64 / self.total_objects as f64
        };
        let deltas = if self.total_deltas == 0 {
            1.0
        } else {
            self.indexed_deltas as f64 / self.total_deltas as f64
        };
        (objects * 0.8 + deltas * 0.2).clamp(0.0, 1.0)
    }
}
