//! End-to-end tests: the built app in real WebKit under Xvfb, driven through WebDriver.
//! Run by scripts/test.sh after it builds the UI and the app (it sets VIBEDATA_APP_BIN).

// Test code: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod column_lineage;
mod domain_index;
mod domains;
mod fabric;
mod github_signin;
mod inbox;
mod layout;
mod monitor;
mod navigation;
mod registration;
mod review;
mod store_errors;
mod studio;

use std::time::Duration;
use vibedata_e2e::{App, Launch};

/// The demo's first start loads its DuckDB warehouse through Python; allow for a slow machine.
pub const FIRST_START: Duration = Duration::from_secs(120);

pub async fn launch_fresh() -> (tempfile::TempDir, Launch, App) {
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path());
    let app = App::launch(&launch)
        .await
        .expect("the app starts and its UI mounts");
    (dir, launch, app)
}

/// Builds test repositories in `dir` with a shell script (fixed author, no global git config).
pub fn git_fixture(dir: &std::path::Path, script: &str) {
    let script = format!(
        "set -e\nexport GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com\n{script}"
    );
    let ok = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(ok.success(), "the fixture script runs: {script}");
}
