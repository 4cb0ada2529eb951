//! Integration tests of the core: real SQLite files, real git repositories, and the real dbt in
//! the venv that `scripts/setup.sh` builds (no display, no Tauri).

// Test code: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_sessions;
mod agent_tools;
mod demo;
mod domain;
mod fabric;
mod git;
mod index_agreement;
mod intent_stages;
mod intents;
mod issue_sync;
mod monitor;
mod outbox;
mod pull_request;
mod registration;
mod review;
mod spark;
mod studio;

use std::path::PathBuf;
use vibedata_core::Paths;

/// The venv the setup script built (same resolution as the app's).
pub fn venv() -> PathBuf {
    Paths::from_env().expect("paths resolve").venv
}

/// Fresh data dir and workspace root in a temp dir, sharing the real venv.
pub fn fresh_paths() -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path(), venv());
    (dir, paths)
}

/// A fresh store in a temp dir (kept as long as the dir is).
pub fn temp_store() -> (
    tempfile::TempDir,
    std::sync::Arc<vibedata_core::platform::store::Store>,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = vibedata_core::platform::store::Store::open(&dir.path().join("studio.db")).unwrap();
    (dir, std::sync::Arc::new(store))
}

/// Commits in the tests are by Grace Analyst (the person's identity, as set in Settings).
pub async fn as_grace(studio: &vibedata_core::Studio) {
    studio
        .workspaces()
        .set_identity(vibedata_protocol::IdentityDto {
            name: "Grace Analyst".into(),
            email: "grace@example.com".into(),
        })
        .await
        .unwrap();
}
