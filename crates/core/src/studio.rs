//! [`Studio`]: the core's front door. The shell's commands and the CLI's subcommands each call one
//! method here; every method is async and moves blocking work (SQLite, git, child processes) onto
//! blocking threads of the caller's tokio runtime.

use crate::CoreError;
use crate::demo::{self, DemoReport};
use crate::domain::OpenDomain;
use crate::error::blocking;
use crate::store::Store;
use crate::venv::Venv;
use crate::{Paths, Result, skills, workspace};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell, broadcast};
use vibedata_protocol::{
    AddWorkspaceDto, AppStatusDto, CloneProgressDto, FileDto, IndexChangedDto, IndexSummaryDto,
    LineageDto, NodeDetailDto, NodeRowDto, SkillsDto, WorkspaceDto,
};

pub struct Studio {
    pub(crate) paths: Paths,
    pub(crate) store: Arc<Store>,
    /// Set once the demo domain has been made sure of in this process (a failure is retried).
    demo_ready: OnceCell<()>,
    /// Workspaces whose dbt index is loaded and watched, by workspace id.
    domains: Mutex<HashMap<String, Arc<OpenDomain>>>,
    /// The task forwarding each open domain's revisions to its (newest) subscriber.
    forwarders: std::sync::Mutex<HashMap<String, tokio::task::AbortHandle>>,
    /// The last fetch of each workspace in this session: when it succeeded, or why it failed.
    pub(crate) fetches: std::sync::Mutex<HashMap<String, crate::git_workflow::FetchRecord>>,
    /// Agent sessions running in this process, by session id.
    pub(crate) sessions: Arc<std::sync::Mutex<HashMap<String, crate::agent_runtime::Running>>>,
    /// Held while the inbox syncs (one sync at a time).
    pub(crate) inbox_sync: Mutex<()>,
    /// The in-app GitHub sign-in under way.
    pub(crate) sign_in: crate::github_signin::SharedSignIn,
    /// A GitHub identity given explicitly (see `use_github_token`).
    pub(crate) github_override: std::sync::Mutex<Option<crate::github_accounts::Active>>,
}

impl Studio {
    /// Opens the store (checking and migrating it). Fails with a clear error naming the file when
    /// it is damaged or from a newer version.
    pub async fn open(paths: Paths) -> Result<Self> {
        let db = paths.database();
        let store = blocking(move || {
            let store = Store::open(&db)?;
            // Sessions that were running when the app stopped can be resumed; say so.
            crate::agent_sessions::mark_interrupted(&store)?;
            Ok(store)
        })
        .await?;
        Ok(Self {
            paths,
            store: Arc::new(store),
            demo_ready: OnceCell::new(),
            domains: Mutex::new(HashMap::new()),
            forwarders: Default::default(),
            fetches: std::sync::Mutex::new(HashMap::new()),
            sessions: Arc::new(std::sync::Mutex::new(HashMap::new())),
            inbox_sync: Mutex::new(()),
            github_override: std::sync::Mutex::new(None),
            sign_in: Default::default(),
        })
    }

    /// Creates or repairs the demo domain now (see [`demo::ensure`]).
    pub async fn ensure_demo(&self) -> Result<DemoReport> {
        let (paths, store) = (self.paths.clone(), self.store.clone());
        let report = blocking(move || demo::ensure(&paths, &store)).await?;
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
        let store = self.store.clone();
        blocking(move || {
            Ok(workspace::list(&store)?
                .iter()
                .map(workspace::describe)
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
            self.active_github().await?.map(|a| a.token)
        } else {
            None
        };
        let (store, root) = (self.store.clone(), self.paths.workspace_root.clone());
        blocking(move || {
            let token = token.as_ref().map(|t| t.expose().as_str());
            let ws = crate::registration::add(&store, &root, &request, token, on_progress)?;
            Ok(workspace::describe(&ws))
        })
        .await
    }

    /// The open domain for a workspace, loading its index (and starting its watcher) on first use.
    async fn domain(&self, workspace_id: &str) -> Result<Arc<OpenDomain>> {
        let mut open = self.domains.lock().await;
        if let Some(domain) = open.get(workspace_id) {
            return Ok(domain.clone());
        }
        let (store, id) = (self.store.clone(), workspace_id.to_owned());
        let domain = blocking(move || {
            let ws = workspace::find_by_id(&store, &id)?.ok_or_else(|| {
                CoreError::NotFound(format!(
                    "no workspace with id {id}; it may have been removed"
                ))
            })?;
            Ok(Arc::new(OpenDomain::open(ws)))
        })
        .await?;
        open.insert(workspace_id.to_owned(), domain.clone());
        Ok(domain)
    }

    /// Opens a workspace's dbt project: its index summary now, and `on_change` called with each
    /// revision the file watcher applies, until it returns false or the project is opened again
    /// (the page that opens it again is the one looking; the older subscriber is dropped).
    pub async fn open_domain(
        &self,
        workspace_id: &str,
        on_change: impl Fn(IndexChangedDto) -> bool + Send + 'static,
    ) -> Result<IndexSummaryDto> {
        let domain = self.domain(workspace_id).await?;
        let mut changes = domain.subscribe();
        let id = workspace_id.to_owned();
        let forwarder = tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(revision) => {
                        if !on_change(IndexChangedDto {
                            workspace_id: id.clone(),
                            revision,
                        }) {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let replaced = self
            .forwarders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(workspace_id.to_owned(), forwarder.abort_handle());
        if let Some(older) = replaced {
            older.abort();
        }
        blocking(move || Ok(domain.summary())).await
    }

    /// The index summary as it is now.
    pub async fn domain_summary(&self, workspace_id: &str) -> Result<IndexSummaryDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || Ok(domain.summary())).await
    }

    /// Nodes matching `query` (see [`OpenDomain::search`]).
    pub async fn search_nodes(&self, workspace_id: &str, query: String) -> Result<Vec<NodeRowDto>> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || Ok(domain.search(&query, 60))).await
    }

    pub async fn node_detail(
        &self,
        workspace_id: &str,
        unique_id: String,
    ) -> Result<NodeDetailDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.node(&unique_id)).await
    }

    pub async fn lineage(
        &self,
        workspace_id: &str,
        unique_id: String,
        depth: u32,
    ) -> Result<LineageDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.lineage(&unique_id, depth.clamp(1, 10), 120)).await
    }

    pub async fn domain_file(&self, workspace_id: &str, path: String) -> Result<FileDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.file(&path)).await
    }

    /// The seeded platform skills, validated.
    pub async fn skills(&self) -> Result<SkillsDto> {
        let root = self.paths.skills_dir.clone();
        blocking(move || Ok(skills::load_dir(&root)?.to_dto(&root))).await
    }
}

/// Where everything lives and whether the Python tools are ready. Works without a store, so the UI
/// can explain a damaged database.
pub async fn app_status(paths: &Paths) -> Result<AppStatusDto> {
    let paths = paths.clone();
    blocking(move || {
        let text = |p: &std::path::Path| p.to_string_lossy().into_owned();
        Ok(AppStatusDto {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: text(&paths.data_dir),
            database: text(&paths.database()),
            log_dir: text(&paths.log_dir()),
            workspace_root: text(&paths.workspace_root),
            skills_dir: text(&paths.skills_dir),
            venv: Venv::new(&paths.venv).status(),
        })
    })
    .await
}
