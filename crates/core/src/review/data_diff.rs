//! Data diff of two relations of a DuckDB file: schema, row counts (common, left-only,
//! right-only), per-column changed rows and match %, sample differing rows and a profile of both
//! sides. The key is given or inferred — first match wins, with its evidence: the candidates the
//! caller knows from dbt (a `unique` test, `unique_combination_of_columns`, a primary-key
//! constraint, `unique_key`), then names (`id`, `<model>_id`), then a uniqueness probe of the
//! data; a key that is not unique is reported, not used. Run by the venv's DuckDB
//! (`datadiff.py`): checksums first, so identical tables answer at once and only differing
//! segments are joined, in one pass over the columns.

use std::ffi::OsStr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::platform::error::{CoreError, Result};
use crate::platform::venv::Venv;

const SCRIPT: &str = include_str!("datadiff.py");

/// A key the caller knows of, and why. `declared`: the project declares it (a `unique` test, a
/// primary key, `unique_key`), so its uniqueness is checked with a fast approximate pass (an
/// exact one only when it looks duplicated); other candidates are checked exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCandidate {
    pub columns: Vec<String>,
    pub evidence: String,
    #[serde(default)]
    pub declared: bool,
}

/// One column's differences over the matched rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDiff {
    pub name: String,
    pub changed: u64,
    pub match_pct: f64,
}

/// The diff of two relations (`left_only`, `right_only`, `changed_rows` are `None` when no
/// key could be used: counts and profiles only, said in `note`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDiff {
    pub left: String,
    pub right: String,
    pub key: Vec<String>,
    pub key_evidence: Option<String>,
    pub rejected_keys: Vec<serde_json::Value>,
    pub identical: bool,
    pub left_rows: u64,
    pub right_rows: u64,
    pub left_only: Option<u64>,
    pub right_only: Option<u64>,
    pub changed_rows: Option<u64>,
    pub columns: Vec<ColumnDiff>,
    pub schema: serde_json::Value,
    pub samples: Vec<serde_json::Value>,
    #[serde(default)]
    pub profile: Vec<serde_json::Value>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub segments: Option<u64>,
    #[serde(default)]
    pub differing_segments: Option<u64>,
}

/// Diffs `left` with `right` (relations of the DuckDB file `db`, `schema.table`).
pub fn diff_tables(
    venv: &Venv,
    db: &Path,
    left: &str,
    right: &str,
    key: Option<Vec<String>>,
    candidates: Vec<KeyCandidate>,
) -> Result<TableDiff> {
    diff_across(venv, db, None, left, right, key, candidates)
}

/// [`diff_tables`] where `right` may live in another DuckDB file, attached as `head`
/// (`right` then names `head.schema.table`).
pub fn diff_across(
    venv: &Venv,
    db: &Path,
    head_db: Option<&Path>,
    left: &str,
    right: &str,
    key: Option<Vec<String>>,
    candidates: Vec<KeyCandidate>,
) -> Result<TableDiff> {
    if !db.is_file() {
        return Err(CoreError::InvalidInput(format!(
            "{} is not a DuckDB file",
            db.display()
        )));
    }
    let mut attach = serde_json::Map::new();
    if let Some(head) = head_db {
        attach.insert("head".into(), head.to_string_lossy().into_owned().into());
    }
    let request = serde_json::json!({
        "key": key,
        "candidates": candidates,
        "segments": 1024,
        "samples": 10,
        "attach": attach,
    });
    let out = venv
        .run_python(
            SCRIPT,
            &[
                db.as_os_str(),
                OsStr::new(left),
                OsStr::new(right),
                OsStr::new(&request.to_string()),
            ],
        )
        .map_err(|e| {
            CoreError::InvalidInput(format!("the diff of {left} and {right} failed: {e}"))
        })?;
    serde_json::from_str(&out)
        .map_err(|e| CoreError::Venv(format!("the data diff printed something unexpected: {e}")))
}
