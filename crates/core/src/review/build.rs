//! Both sides of a change built on the local DuckDB, for the data diff: the base builds the
//! models to compare with their ancestors (a fresh laptop's warehouse holds only its bronze
//! data) into a copy of the domain's warehouse; the head starts from a copy of that built base
//! and builds only what the change touches and what is downstream of it — unchanged upstream
//! tables are the base's, deferred, not rebuilt. Each side has its own file; a model that fails
//! to build is named, and the rest still compares.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::platform::error::{CoreError, Result};
use crate::platform::venv::Venv;

/// Where the local warehouse lives inside a project (the profiles the app writes point here).
const WAREHOUSE: &str = ".vibedata/local/warehouse.duckdb";

/// One side built: its warehouse file, each model's relation in it, and what failed.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub db: PathBuf,
    /// `unique_id` → relation (`"schema"."table"`).
    pub relations: HashMap<String, String>,
    /// `(unique_id, message)` of the nodes that did not build.
    pub failed: Vec<(String, String)>,
}

/// Whether the project's dbt target is the local DuckDB (the data diff needs it).
pub fn local_duckdb(project: &Path) -> bool {
    std::fs::read_to_string(project.join("profiles.yml"))
        .map(|t| t.contains("type: duckdb"))
        .unwrap_or(false)
}

/// Builds `select` (dbt selectors) in the project at `project` whose warehouse starts as a copy
/// of `seed_db` (when there is one).
pub fn build_side(
    venv: &Venv,
    project: &Path,
    seed_db: Option<&Path>,
    select: &[String],
) -> Result<Built> {
    let db = project.join(WAREHOUSE);
    if let Some(parent) = db.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
    }
    if let Some(seed) = seed_db.filter(|s| s.is_file()) {
        std::fs::copy(seed, &db)
            .map_err(|e| CoreError::io(format!("cannot copy {}", seed.display()), e))?;
    }
    let mut args = vec!["build", "--indirect-selection", "cautious", "--select"];
    args.extend(select.iter().map(String::as_str));
    let run = venv.dbt(project, &args)?;
    let results: Value = std::fs::read(project.join("target/run_results.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let mut failed = Vec::new();
    for r in results["results"].as_array().into_iter().flatten() {
        let status = r["status"].as_str().unwrap_or_default();
        let uid = r["unique_id"].as_str().unwrap_or_default();
        if matches!(status, "error" | "runtime error") && uid.starts_with("model.") {
            let message = r["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default();
            failed.push((uid.to_string(), message.to_string()));
        }
    }
    if results.is_null() && !run.success {
        let said = run
            .stdout
            .lines()
            .rev()
            .find(|l| l.contains("Error"))
            .unwrap_or("dbt build failed");
        return Err(CoreError::InvalidInput(format!(
            "dbt build failed: {}",
            said.trim()
        )));
    }
    let manifest: Value = std::fs::read(project.join("target/manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let relations = manifest["nodes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(uid, n)| {
            let schema = n["schema"].as_str()?;
            let name = n["alias"].as_str().or_else(|| n["name"].as_str())?;
            Some((uid.clone(), format!("{schema}.{name}")))
        })
        .collect();
    Ok(Built {
        db,
        relations,
        failed,
    })
}
