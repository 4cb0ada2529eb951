//! Where the app keeps things. One function decides every path, so tests and the scripts can
//! redirect them with environment variables and nothing else guesses.
//!
//! | variable | default (Linux, XDG) | what |
//! | --- | --- | --- |
//! | `VIBEDATA_DATA_DIR` | `$XDG_DATA_HOME/vibedata-studio` | SQLite store, logs |
//! | `VIBEDATA_WORKSPACE_ROOT` | `<data dir>/workspaces` | clones, including the demo domain |
//! | `VIBEDATA_VENV` | `$XDG_DATA_HOME/vibedata-studio/venv` | Python venv with dbt and dlt (made by `scripts/setup.sh`) |
//! | `VIBEDATA_SKILLS_DIR` | the repository's `skills/` | seeded platform skills |
//!
//! The venv's default deliberately ignores `VIBEDATA_DATA_DIR`: tests give every run a fresh data
//! dir but share the one venv the setup script built.

use crate::platform::error::{CoreError, Result};
use std::path::{Path, PathBuf};

const APP_DIR: &str = "vibedata-studio";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub workspace_root: PathBuf,
    pub venv: PathBuf,
    pub skills_dir: PathBuf,
}

impl Paths {
    /// Reads the environment (see the module docs).
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let platform = dirs::data_dir().map(|d| d.join(APP_DIR));
        let no_home = || {
            CoreError::InvalidInput(
                "Cannot find a data directory: set HOME (or XDG_DATA_HOME, or VIBEDATA_DATA_DIR)"
                    .into(),
            )
        };
        let data_dir = match var("VIBEDATA_DATA_DIR") {
            Some(dir) => dir,
            None => platform.clone().ok_or_else(no_home)?,
        };
        let venv = match var("VIBEDATA_VENV") {
            Some(dir) => dir,
            None => platform.ok_or_else(no_home)?.join("venv"),
        };
        Ok(Self {
            workspace_root: var("VIBEDATA_WORKSPACE_ROOT")
                .unwrap_or_else(|| data_dir.join("workspaces")),
            skills_dir: var("VIBEDATA_SKILLS_DIR").unwrap_or_else(bundled_skills_dir),
            venv,
            data_dir,
        })
    }

    /// All paths under one directory: what tests use.
    pub fn under(dir: &Path, venv: PathBuf) -> Self {
        Self {
            data_dir: dir.join("data"),
            workspace_root: dir.join("workspaces"),
            venv,
            skills_dir: bundled_skills_dir(),
        }
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("studio.sqlite3")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// The repository's `skills/` folder, where the seeded platform skills live.
pub fn bundled_skills_dir() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/core → the repository root.
    crate_dir
        .ancestors()
        .nth(2)
        .unwrap_or(crate_dir)
        .join("skills")
}

/// The real path of `rel` inside the workspace `root`, by the one confinement rule the agent
/// tools use too ([`vibedata_agent::confine::resolve`]): no absolute paths, no `..` above the
/// root, no symlink leading out.
pub fn confined(root: &Path, rel: &str) -> Result<PathBuf> {
    vibedata_agent::confine::resolve(root, rel).map_err(|e| CoreError::InvalidInput(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_and_logs_live_in_the_data_dir() {
        let paths = Paths::under(Path::new("/tmp/x"), PathBuf::from("/venv"));
        assert_eq!(paths.database(), Path::new("/tmp/x/data/studio.sqlite3"));
        assert_eq!(paths.log_dir(), Path::new("/tmp/x/data/logs"));
        assert!(
            paths.skills_dir.join("dbt-modelling").is_dir(),
            "the seeded skills ship in the repository's skills/ folder"
        );
    }
}
