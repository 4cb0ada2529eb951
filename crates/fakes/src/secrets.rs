//! The "no secret on disk" check the tests share: every file under a folder (SQLite database, its
//! WAL, logs, anything else) searched byte for byte for the test's tokens.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
}

/// The files under `dir` that hold any of `secrets`, with the secret found.
pub fn files_holding(dir: &Path, secrets: &[&str]) -> Vec<(PathBuf, String)> {
    let mut all = Vec::new();
    files(dir, &mut all);
    let mut found = Vec::new();
    for file in all {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for secret in secrets {
            if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                found.push((file.clone(), (*secret).to_string()));
            }
        }
    }
    found
}

/// Panics naming every file under `dir` that holds one of `secrets`; also that there were files.
pub fn assert_none_on_disk(dir: &Path, secrets: &[&str]) {
    let mut all = Vec::new();
    files(dir, &mut all);
    assert!(!all.is_empty(), "nothing to scan under {}", dir.display());
    let found = files_holding(dir, secrets);
    assert!(found.is_empty(), "secrets on disk: {found:?}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_secret_in_any_file_is_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        std::fs::write(dir.path().join("logs/app.log"), b"...ghp_leak...").unwrap();
        std::fs::write(dir.path().join("clean"), b"nothing").unwrap();
        let found = super::files_holding(dir.path(), &["ghp_leak", "other"]);
        assert_eq!(found.len(), 1);
        assert!(found[0].0.ends_with("logs/app.log"));
    }
}
