//! Registering a repository as a workspace: a local folder is registered where it is; a remote
//! URL is cloned under the workspace root with progress reported as it goes. Blocking (git2,
//! rusqlite): call from a blocking thread.

use std::path::{Path, PathBuf};

use rusqlite::params;
use vibedata_protocol::{AddWorkspaceDto, CloneProgressDto};

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use crate::workspaces::git;
use crate::workspaces::registry::{self as workspace, NewWorkspace, Workspace};

/// Where a registration comes from, once the user's text is understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Folder(PathBuf),
    Url(String),
}

/// Reads what the user typed: a URL (`file://`, `https://`, `ssh://`, `git@host:…`) or a folder.
pub fn parse_source(text: &str) -> Result<Source> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::InvalidInput(
            "give a repository URL or a local folder".into(),
        ));
    }
    if text.contains("://") || (text.starts_with("git@") && text.contains(':')) {
        if text.starts_with("file://") || text.starts_with("https://") {
            return Ok(Source::Url(text.to_string()));
        }
        if let Some(rest) = text.strip_prefix("http://") {
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            if matches!(host, "127.0.0.1" | "localhost") || rest.starts_with("[::1]") {
                return Ok(Source::Url(text.to_string()));
            }
            return Err(CoreError::InvalidInput(format!(
                "{text}: plain http would send your GitHub token unencrypted; use the https URL"
            )));
        }
        return Err(CoreError::InvalidInput(format!(
            "{text}: ssh remotes are not supported (the app signs in to GitHub with a token); use \
             the https URL, or clone it with git and register the folder"
        )));
    }
    let path = match text.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => PathBuf::from(text),
    };
    if !path.is_absolute() {
        return Err(CoreError::InvalidInput(format!(
            "{text}: give an absolute folder path or a file:// URL"
        )));
    }
    if !path.exists() {
        return Err(CoreError::InvalidInput(format!(
            "{} does not exist",
            path.display()
        )));
    }
    if !path.is_dir() {
        return Err(CoreError::InvalidInput(format!(
            "{} is a file, not a folder",
            path.display()
        )));
    }
    // `/repo/` and `/repo` (and a symlink to it) are the same folder.
    let path = path
        .canonicalize()
        .map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    Ok(Source::Folder(path))
}

/// The name a repository gets unless the user chose one: its last path segment without `.git`.
pub fn default_name(source: &Source) -> String {
    let text = match source {
        Source::Folder(p) => p.to_string_lossy().into_owned(),
        Source::Url(u) => u.clone(),
    };
    let last = text
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("repository");
    last.strip_suffix(".git").unwrap_or(last).to_string()
}

/// Folders never searched for a dbt project.
const NOT_PROJECTS: [&str; 6] = [
    ".git",
    "node_modules",
    "target",
    "dbt_packages",
    ".venv",
    "venv",
];

/// Every folder under `root` (three levels deep at most) holding a `dbt_project.yml`, relative.
pub fn find_dbt_projects(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(root)
        .max_depth(4)
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && NOT_PROJECTS.contains(&e.file_name().to_string_lossy().as_ref()))
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.file_name() == "dbt_project.yml")
        .filter_map(|e| {
            let dir = e.path().parent()?.strip_prefix(root).ok()?;
            Some(dir.to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    found
}

/// Where the dbt project of a repository is: the folder given, else the only one found ("" when
/// there is none: the workspace is listed with that problem said).
fn project_dir(root: &Path, given: Option<&str>) -> Result<String> {
    if let Some(given) = given
        .map(|g| g.trim().trim_matches('/'))
        .filter(|g| !g.is_empty())
    {
        let dir = crate::platform::paths::confined(root, given)?;
        if !dir.join("dbt_project.yml").is_file() {
            return Err(CoreError::InvalidInput(format!(
                "{given} has no dbt_project.yml; give the folder that holds the project"
            )));
        }
        return Ok(given.to_string());
    }
    let found = find_dbt_projects(root);
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Ok(String::new()),
        many => Err(CoreError::InvalidInput(format!(
            "{} holds several dbt projects ({}); say which folder is this domain's",
            root.display(),
            many.iter()
                .map(|d| if d.is_empty() { "the root" } else { d.as_str() })
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Registers `req`: clones URLs into `workspace_root/<name>` (reporting progress), registers
/// folders in place.
pub fn add(
    store: &Store,
    workspace_root: &Path,
    req: &AddWorkspaceDto,
    token: Option<&str>,
    mut progress: impl FnMut(CloneProgressDto),
) -> Result<Workspace> {
    let source = parse_source(&req.source)?;
    let typed = req
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| default_name(&source));
    let name = workspace::slug_name(&typed);
    workspace::validate_name(&name)?;
    if let Some(existing) = workspace::find_by_name(store, &name)? {
        return Err(CoreError::InvalidInput(format!(
            "a workspace named {name} is already registered ({}); choose another name",
            existing.path.display()
        )));
    }
    if let Source::Folder(path) = &source
        && let Some(existing) = workspace::list(store)?
            .into_iter()
            .find(|w| w.path == *path || w.path.canonicalize().is_ok_and(|p| p == *path))
    {
        return Err(CoreError::InvalidInput(format!(
            "{} is already registered as {}",
            path.display(),
            existing.name
        )));
    }
    let cloned = matches!(source, Source::Url(_));
    let (path, origin_url) = match source {
        Source::Folder(path) => {
            let origin = git2::Repository::open(&path).ok().and_then(|r| {
                r.find_remote("origin")
                    .ok()
                    .and_then(|o| o.url().map(str::to_string))
            });
            (path, origin)
        }
        Source::Url(url) => {
            let dest = workspace_root.join(&name);
            git::clone_as(&url, &dest, token, |p| {
                progress(CloneProgressDto {
                    received_objects: p.received_objects,
                    total_objects: p.total_objects,
                    indexed_deltas: p.indexed_deltas,
                    total_deltas: p.total_deltas,
                    received_bytes: p.received_bytes,
                })
            })?;
            (dest, Some(url))
        }
    };
    let project_dir = match project_dir(&path, req.project_dir.as_deref()) {
        Ok(dir) => dir,
        Err(e) => {
            // A clone made for nothing is not left behind.
            if cloned {
                let _ = std::fs::remove_dir_all(&path);
            }
            return Err(e);
        }
    };
    workspace::register(
        store,
        NewWorkspace {
            name,
            kind: req.kind,
            path,
            origin_url,
            is_demo: false,
            project_dir,
        },
    )
}

/// Points a registered workspace at the dbt project folder `given` (relative to its root; empty:
/// found again on its own, as at registration). The folder must hold a `dbt_project.yml`.
pub fn set_project_dir(store: &Store, id: &str, given: &str) -> Result<Workspace> {
    let ws = workspace::find_by_id(store, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
    if ws.is_demo {
        return Err(CoreError::InvalidInput(
            "the demo domain's dbt project is at its root and stays there".into(),
        ));
    }
    let dir = project_dir(&ws.path, Some(given).filter(|g| !g.trim().is_empty()))?;
    store.with(|c| {
        c.execute(
            "UPDATE workspaces SET project_dir = ?2 WHERE id = ?1",
            params![id, dir],
        )
    })?;
    tracing::info!(workspace_id = %id, project_dir = %dir, "dbt project folder set");
    workspace::find_by_id(store, id)?
        .ok_or_else(|| CoreError::Internal("a registered workspace vanished".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn sources_are_understood_or_refused_with_a_reason() {
        assert_eq!(
            parse_source(" file:///srv/crm.git ").unwrap(),
            Source::Url("file:///srv/crm.git".into())
        );
        assert_eq!(
            parse_source("https://github.com/acme/crm.git").unwrap(),
            Source::Url("https://github.com/acme/crm.git".into())
        );
        assert!(
            parse_source("http://127.0.0.1:9000/git/acme/crm.git").is_ok(),
            "loopback"
        );
        let plain = parse_source("http://github.example.com/acme/crm.git")
            .unwrap_err()
            .to_string();
        assert!(plain.contains("unencrypted"), "{plain}");
        let ssh = parse_source("git@github.com:acme/crm.git")
            .unwrap_err()
            .to_string();
        assert!(ssh.contains("https URL"), "{ssh}");
        for (bad, why) in [
            ("relative/path", "a folder path is absolute"),
            ("/definitely/not/here", "a folder exists"),
            ("", "an empty source is refused"),
        ] {
            assert_eq!(
                parse_source(bad).map_err(|e| e.code()).err(),
                Some(ErrorCode::InvalidInput),
                "{why}: {bad:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            parse_source(dir.path().to_str().unwrap()).unwrap(),
            Source::Folder(dir.path().to_path_buf())
        );
    }

    #[test]
    fn default_names_come_from_the_last_segment() {
        assert_eq!(
            default_name(&Source::Url("file:///srv/repos/sales-domain.git".into())),
            "sales-domain"
        );
        assert_eq!(default_name(&Source::Folder("/home/a/crm/".into())), "crm");
    }
}
