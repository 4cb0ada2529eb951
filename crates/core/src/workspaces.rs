//! Workspaces: the registered clones of source and domain repositories ([`registry`]), adding one
//! by URL or folder ([`registration`]), git on the clones ([`git`]: clone, branches, commit, push),
//! what changed ([`changes`]), who commits ([`identity`]), and the git workflow the Domain page
//! drives ([`git_workflow`]: state, fetches, switching, diffs), and the demo domain made on first
//! start ([`demo`]).

pub mod changes;
pub mod demo;
pub mod git;
pub mod git_workflow;
pub mod identity;
pub mod registration;
pub mod registry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::OnceCell;
use vibedata_protocol::{AddWorkspaceDto, CloneProgressDto, WorkspaceDto};
use vibedata_secrets::Sensitive;

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};
use crate::workspaces::demo::DemoReport;
use crate::workspaces::git_workflow::FetchRecord;
use crate::workspaces::registry::Workspace;

/// Where the workspaces get a token for an https remote. The workspaces do not know GitHub: the
/// composition ([`crate::Studio`]) hands in the GitHub identities.
pub trait RemoteTokens: Send + Sync {
    /// The token for `workspace_id`'s remote, or for a clone not registered yet (`None`).
    fn token_for<'a>(
        &'a self,
        workspace_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<Sensitive<String>>>>;
}

/// The workspaces' front door: registered clones, the demo domain, and the git workflow.
pub struct Workspaces {
    platform: Arc<Platform>,
    tokens: Arc<dyn RemoteTokens>,
    /// Set once the demo domain has been made sure of in this process (a failure is retried).
    demo_ready: OnceCell<()>,
    /// The last fetch of each workspace in this session: when it succeeded, or why it failed.
    fetches: Mutex<HashMap<String, FetchRecord>>,
}

impl Workspaces {
    pub fn new(platform: Arc<Platform>, tokens: Arc<dyn RemoteTokens>) -> Self {
        Self {
            platform,
            tokens,
            demo_ready: OnceCell::new(),
            fetches: Mutex::new(HashMap::new()),
        }
    }

    /// Creates or repairs the demo domain now (see [`demo::ensure`]).
    pub async fn ensure_demo(&self) -> Result<DemoReport> {
        let platform = self.platform.clone();
        let report = blocking(move || demo::ensure(platform.paths(), &platform.store)).await?;
        // Only an explicit call repairs again; later listings need not wait.
        let _ = self.demo_ready.set(());
        Ok(report)
    }

    /// Makes sure of the demo domain once per process; concurrent callers share the one run.
    async fn demo_once(&self) -> Result<()> {
        self.demo_ready
            .get_or_try_init(|| async { self.ensure_demo().await.map(|_| ()) })
            .await
            .map(|_| ())
    }

    /// The registered workspaces with their branch and last commit (the demo domain included).
    pub async fn list_workspaces(&self) -> Result<Vec<WorkspaceDto>> {
        self.demo_once().await?;
        let platform = self.platform.clone();
        blocking(move || {
            Ok(registry::list(&platform.store)?
                .iter()
                .map(registry::describe)
                .collect())
        })
        .await
    }

    /// Registers a repository (a local folder in place, or a file:// or https URL cloned under the
    /// workspace root with `on_progress` called as objects arrive — a private GitHub repository
    /// with the signed-in token) and returns it as listed.
    pub async fn add_workspace(
        &self,
        request: AddWorkspaceDto,
        on_progress: impl Fn(CloneProgressDto) + Send + 'static,
    ) -> Result<WorkspaceDto> {
        let token = if request.source.trim().starts_with("http") {
            self.tokens.token_for(None).await?
        } else {
            None
        };
        let platform = self.platform.clone();
        blocking(move || {
            let token = token.as_ref().map(|t| t.expose().as_str());
            let root = &platform.paths().workspace_root;
            let ws = registration::add(&platform.store, root, &request, token, on_progress)?;
            Ok(registry::describe(&ws))
        })
        .await
    }

    /// Unregisters a workspace; its folder stays on disk (see [`registry::remove`]).
    pub async fn remove_workspace(&self, id: &str) -> Result<()> {
        let (platform, id) = (self.platform.clone(), id.to_owned());
        blocking(move || registry::remove(&platform.store, &id).map(|_| ())).await
    }

    /// A registered workspace, or a clear NotFound.
    pub async fn get(&self, id: &str) -> Result<Workspace> {
        let (platform, id) = (self.platform.clone(), id.to_owned());
        blocking(move || {
            registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
        })
        .await
    }

    /// A registered workspace by its name.
    pub async fn find_by_name(&self, name: &str) -> Result<Workspace> {
        let (platform, name) = (self.platform.clone(), name.to_owned());
        blocking(move || {
            registry::find_by_name(&platform.store, &name)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace named {name}")))
        })
        .await
    }
}
