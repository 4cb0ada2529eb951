//! [`Studio`]: the core's front door. The shell's commands and the CLI's subcommands each call one
//! method here; every method is async and moves blocking work (SQLite, git, child processes) onto
//! blocking threads of the caller's tokio runtime.

use crate::demo::{self, DemoReport};
use crate::error::blocking;
use crate::store::Store;
use crate::venv::Venv;
use crate::{Paths, Result, skills, workspace};
use std::sync::Arc;
use tokio::sync::OnceCell;
use vibedata_protocol::{AppStatusDto, SkillsDto, WorkspaceDto};

pub struct Studio {
    paths: Paths,
    store: Arc<Store>,
    /// Set once the demo domain has been made sure of in this process (a failure is retried).
    demo_ready: OnceCell<()>,
}

impl Studio {
    /// Opens the store (checking and migrating it). Fails with a clear error naming the file when
    /// it is damaged or from a newer version.
    pub async fn open(paths: Paths) -> Result<Self> {
        let db = paths.database();
        let store = blocking(move || Store::open(&db)).await?;
        Ok(Self {
            paths,
            store: Arc::new(store),
            demo_ready: OnceCell::new(),
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
