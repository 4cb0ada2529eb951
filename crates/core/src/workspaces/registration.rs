//! Registering a repository as a workspace: a local folder is registered where it is; a remote
//! URL is cloned under the workspace root with progress reported as it goes. Blocking (git2,
//! rusqlite): call from a blocking thread.

use std::path::{Path, PathBuf};

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
    if !path.is_dir() {
        return Err(CoreError::InvalidInput(format!(
            "{} is not a folder",
            path.display()
        )));
    }
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
    let name = req
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| default_name(&source));
    workspace::validate_name(&name)?;
    if let Some(existing) = workspace::find_by_name(store, &name)? {
        return Err(CoreError::InvalidInput(format!(
            "a workspace named {name} is already registered ({}); choose another name",
            existing.path.display()
        )));
    }
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
    workspace::register(
        store,
        NewWorkspace {
            name,
            kind: req.kind,
            path,
            origin_url,
            is_demo: false,
        },
    )
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
