//! The Python environment that runs the real engines: dbt-core with dbt-duckdb, dlt, and DuckDB.
//! `scripts/setup.sh` creates it; the app only finds it, checks it, and runs programs from it.
//! Blocking (child processes): call from a blocking thread.

use crate::platform::error::{CoreError, Result};
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use vibedata_protocol::VenvStatusDto;

#[derive(Debug, Clone)]
pub struct Venv {
    root: PathBuf,
    /// Set by a person to stop what runs (a validation's dbt build): the child is killed.
    cancel: Option<Arc<AtomicBool>>,
}

/// Rows of a read-only query, as text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub truncated: bool,
}

/// Runs argv[2] on the DuckDB file argv[1] read-only; prints columns and up to argv[3] rows.
const QUERY_DUCKDB_PY: &str = r#"
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
cur = con.execute(sys.argv[2])
limit = int(sys.argv[3])
columns = [d[0] for d in (cur.description or [])]
rows = cur.fetchmany(limit + 1) if columns else []
print(json.dumps({"columns": columns, "rows": [[("NULL" if v is None else str(v)) for v in r] for r in rows[:limit]], "truncated": len(rows) > limit}))
"#;

/// The outcome of one dbt invocation.
#[derive(Debug, Clone)]
pub struct DbtRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Loads every `*.csv` of a folder into the `bronze` schema of a DuckDB file. It writes to a
/// temporary file and renames it into place, so a crash never leaves a half-loaded warehouse.
const LOAD_BRONZE_PY: &str = r#"
import json, os, pathlib, sys
import duckdb
db, csv_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
tmp = db.with_name(db.name + ".loading")
tmp.unlink(missing_ok=True)
con = duckdb.connect(str(tmp))
con.execute("create schema if not exists bronze")
counts = {}
for f in sorted(csv_dir.glob("*.csv")):
    path = str(f).replace("'", "''")
    con.execute(f"create or replace table bronze.\"{f.stem}\" as select * from read_csv('{path}', header = true)")
    counts[f.stem] = con.execute(f"select count(*) from bronze.\"{f.stem}\"").fetchone()[0]
con.close()
os.replace(tmp, db)
print(json.dumps(counts))
"#;

impl Venv {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            cancel: None,
        }
    }

    /// The same environment, whose programs stop when `cancel` is set.
    pub fn cancellable(mut self, cancel: Arc<AtomicBool>) -> Self {
        self.cancel = Some(cancel);
        self
    }

    pub fn bin(&self, program: &str) -> PathBuf {
        self.root.join("bin").join(program)
    }

    /// The installed dbt-core version, after checking the pieces the app needs are there. Reads
    /// package metadata only (no Python start-up, no network: `dbt --version` asks PyPI).
    pub fn check(&self) -> Result<String> {
        let setup_hint = "run scripts/setup.sh (or scripts/run.sh) to create it";
        if !self.bin("python").exists() {
            return Err(CoreError::Venv(format!(
                "The Python venv {} does not exist: {setup_hint}",
                self.root.display()
            )));
        }
        let site = self.site_packages().ok_or_else(|| {
            CoreError::Venv(format!(
                "The Python venv {} has no site-packages: {setup_hint}",
                self.root.display()
            ))
        })?;
        let version_of = |dist: &str| dist_version(&site, dist);
        for needed in ["duckdb", "dbt_duckdb", "dlt"] {
            if version_of(needed).is_none() {
                return Err(CoreError::Venv(format!(
                    "The Python venv {} lacks the package {needed}: {setup_hint}",
                    self.root.display()
                )));
            }
        }
        if !self.bin("dbt").exists() {
            return Err(CoreError::Venv(format!(
                "The Python venv {} has no dbt executable: {setup_hint}",
                self.root.display()
            )));
        }
        version_of("dbt_core").ok_or_else(|| {
            CoreError::Venv(format!(
                "The Python venv {} lacks dbt-core: {setup_hint}",
                self.root.display()
            ))
        })
    }

    pub fn status(&self) -> VenvStatusDto {
        let (dbt_version, problem) = match self.check() {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e.to_string())),
        };
        VenvStatusDto {
            path: self.root.to_string_lossy().into_owned(),
            dbt_version,
            problem,
        }
    }

    /// Loads the CSV files of `csv_dir` into `bronze.<file stem>` tables of the DuckDB file `db`;
    /// returns the row count of each table.
    pub fn load_bronze(&self, db: &Path, csv_dir: &Path) -> Result<Vec<(String, u64)>> {
        self.check()?;
        let output = self.run(
            "python",
            &[
                OsStr::new("-c"),
                OsStr::new(LOAD_BRONZE_PY),
                db.as_os_str(),
                csv_dir.as_os_str(),
            ],
            None,
        )?;
        if !output.status.success() {
            return Err(CoreError::Venv(format!(
                "Loading the bronze tables into {} failed: {}",
                db.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let counts: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&output.stdout).map_err(|e| {
                CoreError::Venv(format!(
                    "The bronze loader printed something unexpected: {e}"
                ))
            })?;
        Ok(counts
            .into_iter()
            .map(|(table, n)| (table, n.as_u64().unwrap_or(0)))
            .collect())
    }

    /// Runs one SQL statement on the DuckDB file `db`, opened read-only (writes fail in DuckDB
    /// itself); at most `limit` rows come back.
    pub fn query_duckdb(&self, db: &Path, sql: &str, limit: usize) -> Result<QueryResult> {
        self.check()?;
        let limit = limit.to_string();
        let output = self.run(
            "python",
            &[
                OsStr::new("-c"),
                OsStr::new(QUERY_DUCKDB_PY),
                db.as_os_str(),
                OsStr::new(sql),
                OsStr::new(&limit),
            ],
            None,
        )?;
        if !output.status.success() {
            let err = String::from_utf8_lossy(&output.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| l.contains("Error") || l.contains("Exception"))
                .unwrap_or("the query failed")
                .trim()
                .to_owned();
            return Err(CoreError::InvalidInput(last));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| {
            CoreError::Venv(format!(
                "the DuckDB query printed something unexpected: {e}"
            ))
        })
    }

    /// Runs a Python script with arguments; its standard output on success, its last error line
    /// otherwise.
    pub fn run_python(&self, script: &str, args: &[&OsStr]) -> Result<String> {
        self.check()?;
        let mut all = vec![OsStr::new("-c"), OsStr::new(script)];
        all.extend_from_slice(args);
        let output = self.run("python", &all, None)?;
        if !output.status.success() {
            let err = String::from_utf8_lossy(&output.stderr);
            // The exception's own line (DuckDB messages end with a caret line under the query).
            let last = err
                .lines()
                .rev()
                .find(|l| l.contains("Error") || l.contains("Exception"))
                .or_else(|| err.lines().rev().find(|l| !l.trim().is_empty()))
                .unwrap_or("the script failed")
                .trim()
                .to_owned();
            return Err(CoreError::Venv(last));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs dbt in `project_dir` with the project's own `profiles.yml`.
    pub fn dbt(&self, project_dir: &Path, args: &[&str]) -> Result<DbtRun> {
        self.check()?;
        let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        all.extend([OsStr::new("--profiles-dir"), OsStr::new(".")]);
        let output = self.run("dbt", &all, Some(project_dir))?;
        Ok(DbtRun {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs dbt on Apache Spark in local mode (`dbt-spark`'s session method, pyspark in this venv,
    /// a Java runtime on the machine): the project's sources are copied in from the DuckDB file `db`
    /// and dbt runs on a copy of the project under `scratch`, where the generated profile, the
    /// target folder and Spark's warehouse live. Blocking; takes tens of seconds (a JVM starts).
    pub fn dbt_on_spark(
        &self,
        project_dir: &Path,
        profile: &str,
        db: &Path,
        scratch: &Path,
        args: &[&str],
    ) -> Result<DbtRun> {
        self.check()?;
        let site = self.site_packages().unwrap_or_default();
        let setup_hint = "run scripts/setup.sh (or scripts/run.sh) to add it";
        for needed in ["pyspark", "dbt_spark"] {
            if dist_version(&site, needed).is_none() {
                return Err(CoreError::Venv(format!(
                    "Checking on Spark needs {needed} in the venv {}: {setup_hint}",
                    self.root.display()
                )));
            }
        }
        if which_java().is_none() {
            return Err(CoreError::Venv(
                "Checking on Spark needs a Java runtime (17 or later) and none is on PATH or in \
                 JAVA_HOME: install one (Debian: openjdk-17-jre-headless; scripts/setup.sh does)"
                    .into(),
            ));
        }
        std::fs::create_dir_all(scratch)
            .map_err(|e| CoreError::io(format!("cannot create {}", scratch.display()), e))?;
        std::fs::write(scratch.join("profiles.yml"), spark_profile(profile))
            .map_err(|e| CoreError::io("cannot write the Spark profile", e))?;
        let (profiles, target) = (
            scratch.to_string_lossy().into_owned(),
            scratch.join("target").to_string_lossy().into_owned(),
        );
        let mut all: Vec<&OsStr> = vec![
            OsStr::new("-c"),
            OsStr::new(SPARK_BUILD_PY),
            db.as_os_str(),
            scratch.as_os_str(),
        ];
        all.extend(args.iter().map(OsStr::new));
        all.extend([
            OsStr::new("--profiles-dir"),
            OsStr::new(&profiles),
            OsStr::new("--target-path"),
            OsStr::new(&target),
        ]);
        let output = self.run("python", &all, Some(project_dir))?;
        Ok(DbtRun {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    fn run(&self, program: &str, args: &[&OsStr], cwd: Option<&Path>) -> Result<Output> {
        let mut cmd = Command::new(self.bin(program));
        cmd.args(args)
            // Offline-first: no usage pings, no version checks against the internet.
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DO_NOT_TRACK", "1")
            .env("RUNTIME__DLTHUB_TELEMETRY", "false")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONHOME")
            .env_remove("PYTHONPATH");
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        tracing::debug!(program, "running from the venv");
        let cannot_run =
            |e| CoreError::io(format!("cannot run {}", self.bin(program).display()), e);
        let Some(cancel) = &self.cancel else {
            return cmd.output().map_err(cannot_run);
        };
        // Cancellable: the outputs are read beside the child while it is watched.
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(cannot_run)?;
        let read = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut out);
                }
                out
            })
        };
        let stdout = read(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = read(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let status = loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CoreError::InvalidInput(format!(
                    "{program} was cancelled by the person"
                )));
            }
            match child.try_wait().map_err(cannot_run)? {
                Some(status) => break status,
                None => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        };
        Ok(Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        })
    }

    fn site_packages(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.root.join("lib"))
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("site-packages"))
            .find(|p| p.is_dir())
    }
}

/// The Spark runner: a local session, the sources copied from DuckDB, dbt in-process.
const SPARK_BUILD_PY: &str = include_str!("spark_build.py");

/// A profile for dbt-spark's session method on a local Spark, under the project's profile name.
pub fn spark_profile(profile: &str) -> String {
    format!(
        "# Generated by Vibedata Studio: the project on Apache Spark in local mode.\n\
         {profile}:\n  target: spark\n  outputs:\n    spark:\n      type: spark\n      \
         method: session\n      host: NA\n      schema: default\n      threads: 2\n"
    )
}

/// A Java runtime: `$JAVA_HOME/bin/java`, or `java` on PATH.
fn which_java() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = PathBuf::from(home).join("bin/java");
        if java.exists() {
            return Some(java);
        }
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("java"))
        .find(|p| p.exists())
}

/// The version in `<dist>-<version>.dist-info` (distribution names use `_`, any case).
fn dist_version(site: &Path, dist: &str) -> Option<String> {
    std::fs::read_dir(site)
        .ok()?
        .filter_map(|e| e.ok())
        .find_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".dist-info")?;
            let (pkg, version) = stem.rsplit_once('-')?;
            pkg.eq_ignore_ascii_case(dist).then(|| version.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_venv_says_how_to_create_it() {
        let err = Venv::new("/nonexistent/venv").check().unwrap_err();
        assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
    }

    #[test]
    fn versions_come_from_dist_info_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("dbt_core-1.11.2.dist-info")).unwrap();
        std::fs::create_dir(dir.path().join("dbt_duckdb-1.11.0.dist-info")).unwrap();
        assert_eq!(
            dist_version(dir.path(), "dbt_core").as_deref(),
            Some("1.11.2")
        );
        assert_eq!(
            dist_version(dir.path(), "DBT_DUCKDB").as_deref(),
            Some("1.11.0")
        );
        assert_eq!(dist_version(dir.path(), "dlt"), None);
    }
}
