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
    /// The dbt project's folder inside the repository ("" at the root).
    pub project_dir: String,
    /// The demo domain the app made (its agents may run as replays).
    pub is_demo: bool,
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
    /// Defaults to the folder or repository name, made into a slug (`My Repo` → `my-repo`).
    pub name: Option<String>,
    pub kind: WorkspaceKind,
    /// The dbt project's folder inside the repository (`transform`), when it is not at the root;
    /// found on its own when there is exactly one.
    #[serde(default)]
    pub project_dir: Option<String>,
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

/// A local branch of a clone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchDto {
    pub name: String,
    pub is_head: bool,
    pub upstream: Option<String>,
    /// Commits on this branch not on its upstream, and the reverse (0 without an upstream).
    pub ahead: usize,
    pub behind: usize,
}

/// How a file differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed,
    TypeChanged,
}

/// One changed file and its unified diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChangeDto {
    pub path: String,
    pub change: ChangeKind,
    pub additions: usize,
    pub deletions: usize,
    /// The unified diff (empty for binary files; cut at a size limit, with a marker).
    pub patch: String,
}

/// A clone's git state: branches, what the working tree changes against HEAD, and the last fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitStateDto {
    pub workspace_id: String,
    pub branch: Option<String>,
    pub default_branch: Option<String>,
    pub branches: Vec<BranchDto>,
    pub changes: Vec<FileChangeDto>,
    /// A stale `.git/index.lock` and what holds it, explained; git writes are refused meanwhile.
    pub lock_problem: Option<String>,
    /// Unix seconds of the last successful fetch in this app session.
    pub fetched_at: Option<i64>,
    /// How the last fetch went, in a word; `fetch_problem` has the whole sentence.
    pub fetch: FetchState,
    pub fetch_problem: Option<String>,
}

/// How the last fetch of a clone went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchState {
    /// Not fetched in this app session yet.
    #[default]
    NotYet,
    Fetched,
    /// The repository has no `origin` (a folder never pushed anywhere): nothing to fetch.
    NoRemote,
    /// The network (or the remote's host) could not be reached.
    Offline,
    Failed,
}

impl FetchState {
    /// In a word or two, for the page header.
    pub fn label(self) -> &'static str {
        match self {
            FetchState::NotYet => "not fetched",
            FetchState::Fetched => "fetched",
            FetchState::NoRemote => "no remote",
            FetchState::Offline => "offline",
            FetchState::Failed => "fetch failed",
        }
    }
}

/// A diff between two branches (`base...head`, as a pull request shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchDiffDto {
    pub base: String,
    pub head: String,
    pub files: Vec<FileChangeDto>,
    /// Commits on `head` that `base` does not have, newest first.
    pub commits: Vec<CommitDto>,
}

/// The person commits are made as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDto {
    pub name: String,
    pub email: String,
}
