//! The demo data domain created on first start (or by `vibedata demo init`): a real git repository
//! with a bare `origin` beside it, holding a small dbt project for DuckDB over a CRM bronze sample,
//! plus the local DuckDB warehouse with the bronze tables loaded.
//!
//! [`ensure`] is idempotent and repairs what is missing: a deleted clone is cloned again from its
//! origin (so pushed work comes back) or created anew, a deleted warehouse is reloaded. It never
//! overwrites a folder it did not create. Blocking: call from a blocking thread.

pub mod sample_data;

use crate::platform::error::{CoreError, Result};
use crate::platform::paths::Paths;
use crate::platform::store::Store;
use crate::platform::venv::Venv;
use crate::workspaces::git::git;
use crate::workspaces::registry::{self as workspace, NewWorkspace, Workspace};
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};
use vibedata_protocol::WorkspaceKind;

pub const DEMO_NAME: &str = "demo-crm";
const ORIGIN_DIR: &str = "demo-crm-origin.git";
const BRANCH: &str = "main";
const SAMPLE_DIR: &str = "sample_data/bronze";
/// The demo's first commit has a fixed author and date, so its id is the same on every machine.
const AUTHOR: (&str, &str) = ("Vibedata Demo", "demo@vibedata.invalid");
const COMMIT_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

static TEMPLATE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo-domain");

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub workspace: Workspace,
    /// How the clone came to be on this call.
    pub clone: CloneOutcome,
    pub warehouse: WarehouseOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneOutcome {
    AlreadyThere,
    ClonedFromOrigin,
    Created,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseOutcome {
    AlreadyLoaded,
    Loaded {
        rows: Vec<(String, u64)>,
    },
    /// The clone is fine but the warehouse could not be loaded (usually: no venv yet).
    NotLoaded {
        reason: String,
    },
}

/// Makes sure the demo domain exists, is registered, and has its warehouse.
pub fn ensure(paths: &Paths, store: &Store) -> Result<DemoReport> {
    let dir = paths.workspace_root.join(DEMO_NAME);
    let origin = paths.workspace_root.join(ORIGIN_DIR);
    let clone = ensure_clone(&dir, &origin)?;
    let workspace = workspace::register(
        store,
        NewWorkspace {
            name: DEMO_NAME.into(),
            kind: WorkspaceKind::Domain,
            path: dir,
            origin_url: Some(file_url(&origin)),
            is_demo: true,
            project_dir: String::new(),
        },
    )?;
    let warehouse = ensure_warehouse(&Venv::new(&paths.venv), &workspace);
    match &warehouse {
        WarehouseOutcome::NotLoaded { reason } => {
            tracing::warn!(workspace_id = %workspace.id, %reason, "demo warehouse not loaded")
        }
        WarehouseOutcome::Loaded { rows } => {
            tracing::info!(workspace_id = %workspace.id, ?rows, "demo warehouse loaded")
        }
        WarehouseOutcome::AlreadyLoaded => {}
    }
    Ok(DemoReport {
        workspace,
        clone,
        warehouse,
    })
}

fn ensure_clone(dir: &Path, origin: &Path) -> Result<CloneOutcome> {
    if git2::Repository::open(dir).is_ok() {
        return Ok(CloneOutcome::AlreadyThere);
    }
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(CoreError::InvalidInput(format!(
            "{} exists but is not a git repository; move it aside so the demo domain can be \
             created there",
            dir.display()
        )));
    }
    if dir.exists() {
        // An empty folder is in the way; a clone or rename cannot replace it.
        std::fs::remove_dir(dir)
            .map_err(|e| CoreError::io(format!("cannot replace {}", dir.display()), e))?;
    }
    let outcome = if origin_has_branch(origin) {
        crate::workspaces::git::clone(&file_url(origin), dir, |_| {})?;
        CloneOutcome::ClonedFromOrigin
    } else {
        let parent = dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        // Build in a scratch folder and rename into place, so a crash never leaves half a demo.
        let partial = parent.join(format!(".{DEMO_NAME}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .map_err(|e| CoreError::io(format!("cannot remove {}", partial.display()), e))?;
        }
        create_repository(&partial, origin)?;
        std::fs::rename(&partial, dir).map_err(|e| {
            CoreError::io(
                format!("cannot move {} to {}", partial.display(), dir.display()),
                e,
            )
        })?;
        CloneOutcome::Created
    };
    tracing::info!(path = %dir.display(), ?outcome, "demo domain clone ready");
    Ok(outcome)
}

fn origin_has_branch(origin: &Path) -> bool {
    git2::Repository::open_bare(origin)
        .and_then(|r| {
            r.find_reference(&format!("refs/heads/{BRANCH}"))
                .map(|_| ())
        })
        .is_ok()
}

fn create_repository(dir: &Path, origin: &Path) -> Result<()> {
    write_template(dir)?;
    let sample = dir.join(SAMPLE_DIR);
    std::fs::create_dir_all(&sample)
        .map_err(|e| CoreError::io(format!("cannot create {}", sample.display()), e))?;
    for table in sample_data::generate() {
        let file = sample.join(format!("{}.csv", table.name));
        std::fs::write(&file, table.csv)
            .map_err(|e| CoreError::io(format!("cannot write {}", file.display()), e))?;
    }

    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head(BRANCH);
    let repo = git2::Repository::init_opts(dir, &init)
        .map_err(git("cannot initialise the demo repository"))?;
    let mut index = repo.index().map_err(git("cannot open the index"))?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(git("cannot stage the demo files"))?;
    index.write().map_err(git("cannot write the index"))?;
    let tree = repo
        .find_tree(index.write_tree().map_err(git("cannot write the tree"))?)
        .map_err(git("cannot read the tree"))?;
    let signature = git2::Signature::new(AUTHOR.0, AUTHOR.1, &git2::Time::new(COMMIT_TIME, 0))
        .map_err(git("bad demo signature"))?;
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "Demo CRM domain: bronze sample, staging models and an account pipeline mart",
        &tree,
        &[],
    )
    .map_err(git("cannot commit the demo files"))?;

    if !origin.exists() {
        git2::Repository::init_opts(
            origin,
            git2::RepositoryInitOptions::new()
                .bare(true)
                .initial_head(BRANCH),
        )
        .map_err(git("cannot create the demo origin"))?;
    }
    repo.remote("origin", &file_url(origin))
        .map_err(git("cannot add the origin remote"))?;
    crate::workspaces::git::push(dir, BRANCH)?;
    Ok(())
}

fn write_template(dir: &Path) -> Result<()> {
    fn write(dir: &Path, node: &Dir<'_>) -> Result<()> {
        for file in node.files() {
            let path = dir.join(file.path());
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
            }
            std::fs::write(&path, file.contents())
                .map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))?;
        }
        for sub in node.dirs() {
            write(dir, sub)?;
        }
        Ok(())
    }
    write(dir, &TEMPLATE)
}

fn ensure_warehouse(venv: &Venv, workspace: &Workspace) -> WarehouseOutcome {
    let db = workspace.warehouse();
    if db.is_file() {
        return WarehouseOutcome::AlreadyLoaded;
    }
    let load = || -> Result<Vec<(String, u64)>> {
        let dir = db.parent().unwrap_or(&workspace.path);
        std::fs::create_dir_all(dir)
            .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
        venv.load_bronze(&db, &workspace.path.join(SAMPLE_DIR))
    };
    match load() {
        Ok(rows) => WarehouseOutcome::Loaded { rows },
        Err(e) => WarehouseOutcome::NotLoaded {
            reason: e.to_string(),
        },
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", absolute(path).display())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
