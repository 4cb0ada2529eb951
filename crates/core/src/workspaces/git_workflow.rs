//! The clone's git workflow as the Domain page drives it — state (branches, changes, lock),
//! fetch (on focus and on a timer), intent branches, switching, diffs between branches, commit as
//! the configured identity, push — as [`Workspaces`] methods over [`crate::workspaces::git`] and
//! [`crate::workspaces::changes`], each on a blocking thread. Only a person reaches these (agents get their
//! own confined tools later); none of them merges, promotes or deploys.

use crate::platform::clock::now;

use vibedata_protocol::{BranchDiffDto, BranchDto, FetchState, GitStateDto, IdentityDto};

use crate::platform::error::{CoreError, Result, blocking};
use crate::workspaces::Workspaces;
use crate::workspaces::changes;
use crate::workspaces::git;
use crate::workspaces::identity;
use crate::workspaces::registry::{self as workspace, Workspace};

/// The outcome of the last fetch of a workspace.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    pub at: Option<i64>,
    pub state: FetchState,
    pub problem: Option<String>,
}

/// A failed fetch in a word: no remote, offline, or failed.
fn fetch_state(e: &CoreError) -> FetchState {
    match e {
        CoreError::NotFound(_) => FetchState::NoRemote,
        CoreError::Git { source, .. }
            if matches!(
                source.class(),
                git2::ErrorClass::Net | git2::ErrorClass::Ssl | git2::ErrorClass::Http
            ) =>
        {
            FetchState::Offline
        }
        _ => FetchState::Failed,
    }
}

impl Workspaces {
    async fn workspace_by_id(&self, id: &str) -> Result<Workspace> {
        self.get(id).await
    }

    fn fetch_record(&self, id: &str) -> FetchRecord {
        self.fetches
            .lock()
            .map(|m| m.get(id).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Branches, working-tree changes against HEAD, a stale lock if any, and the last fetch.
    pub async fn git_state(&self, workspace_id: &str) -> Result<GitStateDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        let record = self.fetch_record(workspace_id);
        blocking(move || state(&ws, record)).await
    }

    /// Fetches origin. A failure (offline, say) is recorded and shown, not raised: the page keeps
    /// working on what the clone has.
    pub async fn fetch_workspace(&self, workspace_id: &str) -> Result<GitStateDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        let path = ws.path.clone();
        let token = match ws.origin_url.as_deref() {
            Some(url) if url.starts_with("http") => self
                .tokens
                .token_for(Some(workspace_id))
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        let outcome = blocking(move || {
            git::fetch_as(&path, token.as_ref().map(|t| t.expose().as_str()), |_| {})
        })
        .await;
        let record = match outcome {
            Ok(()) => FetchRecord {
                at: Some(now()),
                state: FetchState::Fetched,
                problem: None,
            },
            Err(e) => FetchRecord {
                at: self.fetch_record(workspace_id).at,
                state: fetch_state(&e),
                problem: Some(e.to_string()),
            },
        };
        if let Ok(mut m) = self.fetches.lock() {
            m.insert(workspace_id.to_owned(), record.clone());
        }
        blocking(move || state(&ws, record)).await
    }

    /// Creates `intent/<slug>` from the default branch and checks it out.
    pub async fn create_intent_branch(
        &self,
        workspace_id: &str,
        slug: String,
    ) -> Result<GitStateDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        let record = self.fetch_record(workspace_id);
        blocking(move || {
            git::create_intent_branch(&ws.path, &slug)?;
            state(&ws, record)
        })
        .await
    }

    pub async fn switch_branch(&self, workspace_id: &str, branch: String) -> Result<GitStateDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        let record = self.fetch_record(workspace_id);
        blocking(move || {
            git::switch_branch(&ws.path, &branch)?;
            state(&ws, record)
        })
        .await
    }

    /// `head` against its merge base with `base`.
    pub async fn branch_diff(
        &self,
        workspace_id: &str,
        base: String,
        head: String,
    ) -> Result<BranchDiffDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        blocking(move || {
            let files = changes::branch_changes(&ws.path, &base, &head)?;
            let commits = changes::commits_between(&ws.path, &base, &head)?;
            Ok(BranchDiffDto {
                base,
                head,
                files,
                commits,
            })
        })
        .await
    }

    /// Commits every change on the current branch as the configured identity.
    pub async fn commit_workspace(
        &self,
        workspace_id: &str,
        message: String,
    ) -> Result<GitStateDto> {
        let message = message.trim().to_owned();
        if message.is_empty() {
            return Err(CoreError::InvalidInput("write a commit message".into()));
        }
        let ws = self.workspace_by_id(workspace_id).await?;
        let (store, record) = (self.platform.store.clone(), self.fetch_record(workspace_id));
        blocking(move || {
            let author = identity::for_commit(&store, &ws.path)?;
            let id = git::commit_all(&ws.path, &message, &author)?;
            tracing::info!(workspace_id = %ws.id, commit = %id, "committed");
            state(&ws, record)
        })
        .await
    }

    /// Pushes the current branch to origin (and tracks it).
    pub async fn push_workspace(&self, workspace_id: &str) -> Result<GitStateDto> {
        let ws = self.workspace_by_id(workspace_id).await?;
        let record = self.fetch_record(workspace_id);
        blocking(move || {
            let (branch, _) = workspace::read_head(&ws.path)?;
            let branch = branch.ok_or_else(|| {
                CoreError::InvalidInput("HEAD is detached; switch to a branch to push".into())
            })?;
            git::push(&ws.path, &branch)?;
            tracing::info!(workspace_id = %ws.id, branch = %branch, "pushed");
            state(&ws, record)
        })
        .await
    }

    /// The identity commits are made as: the one saved in the app, else git's global `user.name`
    /// and `user.email` (offered, not saved).
    pub async fn identity(&self) -> Result<Option<IdentityDto>> {
        let store = self.platform.store.clone();
        blocking(move || {
            // Nothing saved here yet: offer git's own global identity, to be saved as it is.
            let found = match identity::stored(&store)? {
                Some(saved) => Some(saved),
                None => identity::from_git_config(),
            };
            Ok(found.map(|i| IdentityDto {
                name: i.name,
                email: i.email,
            }))
        })
        .await
    }

    pub async fn set_identity(&self, value: IdentityDto) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || identity::save(&store, &value)).await
    }
}

fn state(ws: &Workspace, record: FetchRecord) -> Result<GitStateDto> {
    let (branch, _) = workspace::read_head(&ws.path)?;
    let branches = git::branches(&ws.path)?
        .into_iter()
        .map(|b| BranchDto {
            name: b.name,
            is_head: b.is_head,
            upstream: b.upstream,
            ahead: b.ahead,
            behind: b.behind,
        })
        .collect();
    Ok(GitStateDto {
        workspace_id: ws.id.clone(),
        branch,
        default_branch: git::default_branch(&ws.path).ok(),
        branches,
        changes: changes::working_changes(&ws.path)?,
        lock_problem: git::check_index_lock(&ws.path).err().map(|e| e.to_string()),
        fetched_at: record.at,
        fetch: record.state,
        fetch_problem: record.problem,
    })
}
