//! Keeping file tools inside the workspace: a requested path is resolved lexically (no absolute
//! paths, no `..` above the root), then by its real path — symlinks followed for every part that
//! exists — and must stay under the workspace's real path, compared component by component (so
//! `/ws-other` is not inside `/ws`). New files are checked through their deepest existing
//! ancestor.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfineError {
    #[error("`{0}` is not a path inside the workspace (use a relative path)")]
    NotRelative(String),
    #[error("`{0}` leads outside the workspace")]
    Escapes(String),
    #[error("the workspace folder cannot be read: {0}")]
    Root(String),
}

/// The real path `requested` names inside `root`; an error if it would leave it.
pub fn resolve(root: &Path, requested: &str) -> Result<PathBuf, ConfineError> {
    let requested_path = Path::new(requested);
    if requested.is_empty() || requested_path.is_absolute() || requested.contains('\0') {
        return Err(ConfineError::NotRelative(requested.to_string()));
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in requested_path.components() {
        match component {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(ConfineError::Escapes(requested.to_string()));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ConfineError::NotRelative(requested.to_string()));
            }
        }
    }
    let real_root = root
        .canonicalize()
        .map_err(|e| ConfineError::Root(e.to_string()))?;
    let mut candidate = real_root.clone();
    for p in &parts {
        candidate.push(p);
    }
    // The deepest part that exists decides (symlinks resolved); the rest does not exist yet.
    let mut existing = candidate.clone();
    let mut missing: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if existing.symlink_metadata().is_ok() {
            break;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return Err(ConfineError::Escapes(requested.to_string())),
        }
    }
    // A dangling symlink cannot be canonicalized: refuse it rather than guess where it points.
    let mut real = existing
        .canonicalize()
        .map_err(|_| ConfineError::Escapes(requested.to_string()))?;
    if !real.starts_with(&real_root) {
        return Err(ConfineError::Escapes(requested.to_string()));
    }
    for name in missing.iter().rev() {
        real.push(name);
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_paths_resolve_and_escapes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::create_dir_all(dir.path().join("ws-other")).unwrap();
        std::os::unix::fs::symlink("/", root.join("models/to-root")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("ws-other"), root.join("sibling")).unwrap();
        std::os::unix::fs::symlink("models", root.join("alias")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/target", root.join("dangling")).unwrap();
        let real_root = root.canonicalize().unwrap();
        assert_eq!(
            resolve(&root, "models/new.sql").unwrap(),
            real_root.join("models/new.sql")
        );
        assert_eq!(
            resolve(&root, "./models/../models/x/y.sql").unwrap(),
            real_root.join("models/x/y.sql")
        );
        assert_eq!(
            resolve(&root, "alias/a.sql").unwrap(),
            real_root.join("models/a.sql"),
            "a symlink inside is fine"
        );
        for bad in [
            "../../etc/passwd",
            "models/to-root/etc/passwd",
            "sibling/x",
            "..",
            "dangling/x",
            "models/../../ws-other/x",
        ] {
            assert_eq!(
                resolve(&root, bad),
                Err(ConfineError::Escapes(bad.to_string())),
                "{bad} leads outside the workspace"
            );
        }
        for not_relative in ["/etc/passwd", "", "models/a\0b.sql"] {
            assert_eq!(
                resolve(&root, not_relative),
                Err(ConfineError::NotRelative(not_relative.to_string())),
                "{not_relative:?} is not a relative path"
            );
        }
    }

    #[test]
    fn an_unreadable_workspace_is_a_root_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-workspace");
        let r = resolve(&missing, "models/a.sql");
        assert!(
            matches!(r, Err(ConfineError::Root(_))),
            "a workspace folder that does not exist: {r:?}"
        );
    }
}
