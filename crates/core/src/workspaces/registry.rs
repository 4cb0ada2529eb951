//! Registered workspaces: local clones of source and domain repositories, and what their git
//! checkout says (branch, last commit). Blocking (rusqlite, git2): call from a blocking thread.

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use rusqlite::{OptionalExtension, Row, params};
use std::path::{Path, PathBuf};
use vibedata_protocol::{CommitDto, WorkspaceDto, WorkspaceKind};

/// The local DuckDB file of a workspace, relative to its root (`.vibedata/local/` is git-ignored).
pub const WAREHOUSE_FILE: &str = ".vibedata/local/warehouse.duckdb";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub kind: WorkspaceKind,
    pub path: PathBuf,
    pub origin_url: Option<String>,
    pub is_demo: bool,
    /// The dbt project's folder inside the repository ("" at the root).
    pub project_dir: String,
}

impl Workspace {
    pub fn warehouse(&self) -> PathBuf {
        self.path.join(WAREHOUSE_FILE)
    }

    /// The dbt project's folder.
    pub fn project(&self) -> PathBuf {
        if self.project_dir.is_empty() {
            self.path.clone()
        } else {
            self.path.join(&self.project_dir)
        }
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let kind: String = row.get("kind")?;
        let path: String = row.get("path")?;
        Ok(Self {
            id: row.get("id")?,
            name: row.get("name")?,
            kind: if kind == "source" {
                WorkspaceKind::Source
            } else {
                WorkspaceKind::Domain
            },
            path: PathBuf::from(path),
            origin_url: row.get("origin_url")?,
            is_demo: row.get("is_demo")?,
            project_dir: row.get("project_dir")?,
        })
    }
}

fn kind_str(kind: WorkspaceKind) -> &'static str {
    match kind {
        WorkspaceKind::Domain => "domain",
        WorkspaceKind::Source => "source",
    }
}

/// What to register. The path must already hold a git repository.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub name: String,
    pub kind: WorkspaceKind,
    pub path: PathBuf,
    pub origin_url: Option<String>,
    pub is_demo: bool,
    /// The dbt project's folder inside the repository ("" at the root).
    pub project_dir: String,
}

const COLUMNS: &str = "id, name, kind, path, origin_url, is_demo, project_dir";

/// Registers a workspace, or updates the one of the same name (a re-created clone keeps its id).
pub fn register(store: &Store, new: NewWorkspace) -> Result<Workspace> {
    validate_name(&new.name)?;
    git2::Repository::open(&new.path).map_err(|e| {
        CoreError::InvalidInput(format!(
            "{} is not a git repository ({})",
            new.path.display(),
            e.message()
        ))
    })?;
    let path = new.path.to_string_lossy().into_owned();
    let existing = find_by_name(store, &new.name)?;
    let id = existing
        .map(|w| w.id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    store.with(|c| {
        c.execute(
            "INSERT INTO workspaces (id, name, kind, path, origin_url, is_demo, project_dir)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, path = excluded.path,
                 origin_url = excluded.origin_url, is_demo = excluded.is_demo,
                 project_dir = excluded.project_dir",
            params![
                id,
                new.name,
                kind_str(new.kind),
                path,
                new.origin_url,
                new.is_demo,
                new.project_dir
            ],
        )
    })?;
    tracing::info!(workspace_id = %id, name = %new.name, "workspace registered");
    find_by_name(store, &new.name)?
        .ok_or_else(|| CoreError::Internal("a registered workspace vanished".into()))
}

pub fn find_by_id(store: &Store, id: &str) -> Result<Option<Workspace>> {
    store.with(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM workspaces WHERE id = ?1"),
            [id],
            Workspace::from_row,
        )
        .optional()
    })
}

pub fn find_by_name(store: &Store, name: &str) -> Result<Option<Workspace>> {
    store.with(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM workspaces WHERE name = ?1"),
            [name],
            Workspace::from_row,
        )
        .optional()
    })
}

pub fn list(store: &Store) -> Result<Vec<Workspace>> {
    store.with(|c| {
        let mut stmt = c.prepare(&format!(
            "SELECT {COLUMNS} FROM workspaces ORDER BY is_demo DESC, name"
        ))?;
        stmt.query_map([], Workspace::from_row)?.collect()
    })
}

/// A workspace with what its clone says now. A clone that cannot be read is still listed, with
/// the reason, so the person can fix it.
pub fn describe(ws: &Workspace) -> WorkspaceDto {
    let (branch, last_commit, problem) = match read_head(&ws.path) {
        Ok((branch, commit)) => (branch, commit, None),
        Err(e) => (None, None, Some(e.to_string())),
    };
    let warehouse = ws.warehouse();
    let no_project = (ws.kind == WorkspaceKind::Domain
        && problem.is_none()
        && !ws.project().join("dbt_project.yml").is_file())
    .then(|| {
        format!(
            "No dbt project: {} has no dbt_project.yml, so the Domain page has nothing to show. \
             A data domain is a dbt project: add one, or remove this workspace and register it \
             as a source.",
            ws.project().display()
        )
    });
    let warehouse_problem = (ws.is_demo && problem.is_none() && !warehouse.is_file()).then(|| {
        format!(
            "The local DuckDB warehouse {} is missing: run scripts/run.sh (it sets up the Python \
             venv and reloads the bronze tables) or `vibedata demo init`.",
            warehouse.display()
        )
    });
    WorkspaceDto {
        id: ws.id.clone(),
        name: ws.name.clone(),
        kind: ws.kind,
        path: ws.path.to_string_lossy().into_owned(),
        origin_url: ws.origin_url.clone(),
        branch,
        last_commit,
        problem: problem.or(no_project).or(warehouse_problem),
        warehouse: warehouse
            .is_file()
            .then(|| warehouse.to_string_lossy().into_owned()),
        project_dir: ws.project_dir.clone(),
        is_demo: ws.is_demo,
    }
}

/// The checked-out branch and the commit HEAD points at.
pub fn read_head(path: &Path) -> Result<(Option<String>, Option<CommitDto>)> {
    if !path.exists() {
        return Err(CoreError::NotFound(format!(
            "The clone at {} no longer exists",
            path.display()
        )));
    }
    let repo = git2::Repository::open(path).map_err(|e| {
        CoreError::git(
            format!("cannot open the repository at {}", path.display()),
            e,
        )
    })?;
    let head = match repo.head() {
        Ok(head) => head,
        // A repository with no commit yet has an unborn HEAD: not an error.
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => return Ok((None, None)),
        Err(e) => return Err(CoreError::git("cannot read HEAD", e)),
    };
    let branch = head
        .is_branch()
        .then(|| head.shorthand().map(str::to_owned))
        .flatten();
    let commit = head
        .peel_to_commit()
        .map_err(|e| CoreError::git("HEAD does not point at a commit", e))?;
    let author = commit.author();
    Ok((
        branch,
        Some(CommitDto {
            id: commit.id().to_string(),
            summary: commit.summary().unwrap_or_default().to_owned(),
            author: author.name().unwrap_or_default().to_owned(),
            time: commit.time().seconds(),
        }),
    ))
}

/// Unregisters a workspace: its row, its autonomy grants, its chosen GitHub account and its
/// intents' records go; the folder and everything in it stay on disk, as do the transcripts of its
/// agent sessions (the audit log refers to them). The demo domain is not removed.
pub fn remove(store: &Store, id: &str) -> Result<Workspace> {
    let ws = find_by_id(store, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
    if ws.is_demo {
        return Err(CoreError::InvalidInput(
            "the demo domain stays (the app makes it again at every start); remove your own workspaces"
                .into(),
        ));
    }
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM intent_transitions WHERE intent_id IN (SELECT id FROM intents WHERE workspace_id = ?1)",
            [id],
        )?;
        tx.execute(
            "DELETE FROM intent_pull_requests WHERE intent_id IN (SELECT id FROM intents WHERE workspace_id = ?1)",
            [id],
        )?;
        for table in ["intents", "autonomy_grants", "workspace_github"] {
            tx.execute(&format!("DELETE FROM {table} WHERE workspace_id = ?1"), [id])?;
        }
        tx.execute("DELETE FROM workspaces WHERE id = ?1", [id])?;
        tx.commit()
    })?;
    tracing::info!(workspace_id = %id, name = %ws.name, "workspace removed (files kept)");
    Ok(ws)
}

/// A workspace name from what a person typed or a folder's name: lower case, runs of anything but
/// letters, digits, `_` and `.` made one `-` (`My Repo` → `my-repo`).
pub fn slug_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(100).collect()
}

pub(crate) fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "'{name}' is not a valid workspace name: use 1–100 letters, digits, '-', '_' or '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    fn repo_with_commit(dir: &Path) -> git2::Oid {
        let repo = git2::Repository::init(dir).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("a.txt")).unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig =
            git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(1_700_000_000, 0))
                .unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "first commit\n\nbody", &tree, &[])
            .unwrap()
    }

    #[test]
    fn registering_twice_by_name_keeps_the_id_and_updates_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        repo_with_commit(&a);
        repo_with_commit(&b);
        let new = |path: &Path| NewWorkspace {
            name: "crm".into(),
            kind: WorkspaceKind::Domain,
            path: path.to_owned(),
            origin_url: None,
            is_demo: false,
            project_dir: String::new(),
        };
        let first = register(&store, new(&a)).unwrap();
        let second = register(&store, new(&b)).unwrap();
        assert_eq!(first.id, second.id);
        assert_eq!(second.path, b);
        assert_eq!(list(&store).unwrap().len(), 1);
    }

    #[test]
    fn describe_reads_branch_and_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let oid = repo_with_commit(dir.path());
        let ws = Workspace {
            id: "x".into(),
            name: "x".into(),
            kind: WorkspaceKind::Source,
            path: dir.path().to_owned(),
            origin_url: None,
            is_demo: false,
            project_dir: String::new(),
        };
        let dto = describe(&ws);
        assert_eq!(dto.problem, None, "a source needs no dbt project");
        assert!(matches!(dto.branch.as_deref(), Some("master" | "main")));
        let commit = dto.last_commit.unwrap();
        assert_eq!(commit.id, oid.to_string());
        assert_eq!(commit.summary, "first commit");
        assert_eq!(commit.author, "Ada");
        assert_eq!(commit.time, 1_700_000_000);
    }

    #[test]
    fn a_deleted_clone_is_listed_with_the_reason() {
        let ws = Workspace {
            id: "x".into(),
            name: "gone".into(),
            kind: WorkspaceKind::Source,
            path: PathBuf::from("/nonexistent/vibedata/clone"),
            origin_url: None,
            is_demo: false,
            project_dir: String::new(),
        };
        let dto = describe(&ws);
        assert!(dto.problem.unwrap().contains("no longer exists"));
        assert_eq!(dto.last_commit, None);
    }

    #[test]
    fn registering_a_folder_that_is_not_a_repository_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let err = register(
            &store,
            NewWorkspace {
                name: "x".into(),
                kind: WorkspaceKind::Domain,
                path: dir.path().join("nothing-here"),
                origin_url: None,
                is_demo: false,
                project_dir: String::new(),
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("is not a git repository"), "{err}");
    }

    #[test]
    fn names_with_path_separators_are_refused() {
        assert_eq!(
            validate_name("../etc").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "a name holds no path separators"
        );
        assert_eq!(
            validate_name("").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "a name is not empty"
        );
        assert!(validate_name("demo-crm").is_ok());
    }
}
