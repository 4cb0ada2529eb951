//! Validation of an intent on the local DuckDB: `dbt build` of the touched models, what they need
//! and everything downstream (unit and data tests included) through the venv, then the **golden data** checks —
//! each `golden/<model>.csv` in the intent folder compared with the built table (row count, keys
//! by the first column, per-column equality, sample differing rows) — then the success-criteria
//! queries of `intent.md` (each ```sql block passes when it returns no rows). The report is
//! written as `validation.md` and `validation.json` in the intent folder. Blocking.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::platform::error::{CoreError, Result};
use crate::platform::venv::Venv;
use crate::workspaces::changes;
use crate::workspaces::git;
use crate::workspaces::registry::Workspace;

/// One check of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// `dbt_build`, `golden:<model>`, `criterion:<n>`.
    pub name: String,
    pub passed: bool,
    pub summary: String,
    /// Numbers behind the verdict (rows expected/actual, mismatches per column, failing nodes…).
    pub numbers: Value,
    /// Up to five rows showing a difference.
    pub samples: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub passed: bool,
    pub touched_models: Vec<String>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn markdown(&self, title: &str) -> String {
        let mut out = format!(
            "# Validation of “{title}”: {}\n\nTouched models: {}\n\n| check | result | summary |\n|---|---|---|\n",
            if self.passed { "passed" } else { "FAILED" },
            if self.touched_models.is_empty() {
                "none".to_string()
            } else {
                self.touched_models.join(", ")
            }
        );
        for c in &self.checks {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                c.name,
                if c.passed { "pass" } else { "FAIL" },
                c.summary.replace('|', "\\|")
            ));
        }
        for c in self.checks.iter().filter(|c| !c.samples.is_empty()) {
            out.push_str(&format!("\n## {} — differing rows\n\n", c.name));
            for row in &c.samples {
                out.push_str(&format!("- {}\n", row.join(" | ")));
            }
        }
        out
    }
}

/// Models (by file stem) changed on this branch since the default branch, or in the working tree;
/// `project_dir` is the dbt project's folder in the repository ("" at its root).
pub fn touched_models(ws: &Path, project_dir: &str) -> Result<Vec<String>> {
    let models_dir = if project_dir.is_empty() {
        "models/".to_string()
    } else {
        format!("{}/models/", project_dir.trim_end_matches('/'))
    };
    let mut files = changes::working_changes(ws)?;
    if let (Ok(base), Ok((Some(head), _))) = (
        git::default_branch(ws),
        crate::workspaces::registry::read_head(ws),
    ) && base != head
    {
        files.extend(changes::branch_changes(ws, &base, &head)?);
    }
    let mut models: Vec<String> = files
        .iter()
        .filter(|f| {
            f.path.starts_with(&models_dir)
                && f.path.ends_with(".sql")
                && f.change != vibedata_protocol::ChangeKind::Deleted
        })
        .filter_map(|f| {
            Path::new(&f.path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .collect();
    models.sort();
    models.dedup();
    Ok(models)
}

/// Runs every check for the intent whose folder is `folder`, in `ws` (the intent's worktree): dbt
/// runs in the workspace's dbt project, which may sit in a folder of the repository.
pub fn validate(venv: &Venv, ws: &Workspace, folder: &Path) -> Result<Report> {
    let touched = touched_models(&ws.path, &ws.project_dir)?;
    let project = ws.project();
    let mut checks = vec![dbt_build(venv, &project, &touched)?];
    let manifest: Value = std::fs::read(project.join("target/manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let db = ws.warehouse();
    let golden_dir = folder.join("golden");
    if let Ok(entries) = std::fs::read_dir(&golden_dir) {
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        files.sort();
        for file in files {
            checks.push(golden(venv, &db, &manifest, &file));
        }
    }
    let intent_md = std::fs::read_to_string(folder.join("intent.md")).unwrap_or_default();
    for (i, sql) in criteria(&intent_md).into_iter().enumerate() {
        checks.push(criterion(venv, &db, i + 1, &sql));
    }
    let passed = checks.iter().all(|c| c.passed);
    Ok(Report {
        passed,
        touched_models: touched,
        checks,
    })
}

/// `dbt build` arguments for the touched models: ancestors too (on a fresh laptop the warehouse
/// holds only bronze, and the touched models need their parents built to run at all) and
/// descendants; every model when none is touched.
fn build_args(selection: &[String]) -> Vec<&str> {
    let mut args = vec!["build"];
    if !selection.is_empty() {
        // Tests run only when everything they touch is built (a relationship test to a model
        // outside the selection would fail for want of its table, not for a real reason).
        args.extend(["--indirect-selection", "cautious", "--select"]);
        args.extend(selection.iter().map(String::as_str));
    }
    args
}

fn dbt_build(venv: &Venv, project: &Path, touched: &[String]) -> Result<Check> {
    let selection: Vec<String> = touched.iter().map(|m| format!("+{m}+")).collect();
    let run = venv.dbt(project, &build_args(&selection))?;
    Ok(build_check(
        "dbt_build",
        "dbt build",
        &run,
        &project.join("target/run_results.json"),
    ))
}

/// The engines a project can be built on here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The local DuckDB warehouse.
    Duckdb,
    /// Apache Spark in local mode.
    Spark,
}

impl std::str::FromStr for Engine {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Engine> {
        match s.to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Engine::Duckdb),
            "spark" => Ok(Engine::Spark),
            other => Err(CoreError::InvalidInput(format!(
                "unknown engine {other:?}: use duckdb or spark"
            ))),
        }
    }
}

/// Builds a whole project (every model, test and unit test) on an engine.
pub fn build_project(venv: &Venv, ws: &Workspace, engine: Engine) -> Result<Report> {
    match engine {
        Engine::Spark => validate_on_spark(venv, ws, &[]),
        Engine::Duckdb => {
            let check = dbt_build(venv, &ws.project(), &[])?;
            Ok(Report {
                passed: check.passed,
                touched_models: Vec::new(),
                checks: vec![check],
            })
        }
    }
}

/// The scratch folder of the Spark check, inside the workspace's ignored local folder.
pub fn spark_scratch(ws: &Workspace) -> PathBuf {
    ws.path.join(".vibedata/local/spark")
}

/// Builds the touched models (or the whole project) on Apache Spark in local mode, sources copied
/// from the local DuckDB warehouse: proves the models' SQL in Spark's dialect, the one Fabric runs.
/// The data checks (golden files, criteria) stay on DuckDB. Blocking; tens of seconds.
pub fn validate_on_spark(venv: &Venv, ws: &Workspace, touched: &[String]) -> Result<Report> {
    let project = ws.project();
    let profile = project_profile(&project)?;
    let scratch = spark_scratch(ws);
    // A run that dies before writing its results must not be judged on an older file.
    let _ = std::fs::remove_file(scratch.join("target/run_results.json"));
    let selection: Vec<String> = touched.iter().map(|m| format!("+{m}+")).collect();
    let run = venv.dbt_on_spark(
        &project,
        &profile,
        &ws.warehouse(),
        &scratch,
        &build_args(&selection),
    )?;
    let check = build_check(
        "spark_build",
        "dbt build on Spark",
        &run,
        &scratch.join("target/run_results.json"),
    );
    Ok(Report {
        passed: check.passed,
        touched_models: touched.to_vec(),
        checks: vec![check],
    })
}

/// The `profile:` a dbt project names.
fn project_profile(project: &Path) -> Result<String> {
    let text = std::fs::read_to_string(project.join("dbt_project.yml"))
        .map_err(|e| CoreError::io("cannot read dbt_project.yml", e))?;
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text)
        .map_err(|e| CoreError::InvalidInput(format!("dbt_project.yml does not parse: {e}")))?;
    yaml["profile"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| CoreError::InvalidInput("dbt_project.yml names no profile".into()))
}

/// A check from a dbt run and its `run_results.json`: passes when dbt succeeded and no node
/// errored or failed; says which nodes did.
fn build_check(
    name: &str,
    what: &str,
    run: &crate::platform::venv::DbtRun,
    results: &Path,
) -> Check {
    let results: Value = std::fs::read(results)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let mut failing = Vec::new();
    let mut counts = serde_json::Map::new();
    for r in results["results"].as_array().into_iter().flatten() {
        let status = r["status"].as_str().unwrap_or("unknown").to_string();
        *counts.entry(status.clone()).or_insert(Value::from(0u64)) =
            Value::from(counts.get(&status).and_then(Value::as_u64).unwrap_or(0) + 1);
        if matches!(status.as_str(), "error" | "fail" | "runtime error") {
            let node = r["unique_id"].as_str().unwrap_or("?").to_string();
            let message = r["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            failing.push(vec![node, status, message]);
        }
    }
    let passed = run.success && failing.is_empty();
    let summary = if passed {
        format!(
            "{what} passed ({} nodes)",
            results["results"].as_array().map_or(0, Vec::len)
        )
    } else if failing.is_empty() {
        let tail = format!("{}{}", run.stdout, run.stderr);
        format!(
            "{what} failed: {}",
            tail.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output")
                .trim()
        )
    } else {
        format!(
            "{what} failed: {}",
            failing
                .iter()
                .map(|f| f[0].clone())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Check {
        name: name.into(),
        passed,
        summary,
        numbers: Value::Object(counts),
        samples: failing.into_iter().take(5).collect(),
    }
}

/// Compares a golden CSV with the table the model built (located through the manifest).
const GOLDEN_PY: &str = r#"
import csv, duckdb, json, sys
db, relation, path = sys.argv[1], sys.argv[2], sys.argv[3]
def out(**kw):
    print(json.dumps(kw)); sys.exit(0)
with open(path, newline='') as f:
    header = next(csv.reader(f), [])
if not header:
    out(error="the golden file is empty")
con = duckdb.connect(db, read_only=True)
types = {r[0]: r[1] for r in con.execute(f"describe select * from {relation}").fetchall()}
unknown = [h for h in header if h not in types]
if unknown:
    out(error="the golden file's header names columns the table does not have: " + ", ".join(unknown))
key = header[0]
src = "read_csv(?, header=true, all_varchar=true)"
def q(s): return '"' + s.replace('"', '""') + '"'
e_cols = ", ".join(f"try_cast({q(c)} as {types[c]}) as {q(c)}" for c in header)
expected = f"(select {e_cols} from {src})"
counts = con.execute(f"select (select count(*) from {expected} e), (select count(*) from {relation})", [path]).fetchone()
missing = con.execute(f"select count(*) from {expected} e where e.{q(key)} not in (select {q(key)} from {relation} where {q(key)} is not null)", [path]).fetchone()[0]
extra = con.execute(f"select count(*) from {relation} a where a.{q(key)} not in (select {q(key)} from {expected} e where {q(key)} is not null)", [path]).fetchone()[0]
mismatch = {}
samples = []
for c in header[1:]:
    n = con.execute(f"select count(*) from {expected} e join {relation} a on e.{q(key)} = a.{q(key)} where e.{q(c)} is distinct from a.{q(c)}", [path]).fetchone()[0]
    mismatch[c] = n
    if n and len(samples) < 5:
        for r in con.execute(f"select cast(e.{q(key)} as varchar), cast(e.{q(c)} as varchar), cast(a.{q(c)} as varchar) from {expected} e join {relation} a on e.{q(key)} = a.{q(key)} where e.{q(c)} is distinct from a.{q(c)} limit 3", [path]).fetchall():
            samples.append([f"{key}={r[0]}", f"{c}: expected {r[1]}", f"got {r[2]}"])
out(expected_rows=counts[0], actual_rows=counts[1], missing_keys=missing, extra_keys=extra, mismatches=mismatch, samples=samples[:5])
"#;

fn golden(venv: &Venv, db: &Path, manifest: &Value, file: &Path) -> Check {
    let model = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("golden:{model}");
    let fail = |summary: String| Check {
        name: name.clone(),
        passed: false,
        summary,
        numbers: Value::Null,
        samples: Vec::new(),
    };
    let relation = manifest["nodes"]
        .as_object()
        .and_then(|nodes| {
            nodes
                .values()
                .find(|n| n["resource_type"] == "model" && n["name"] == model.as_str())
        })
        .and_then(|n| n["relation_name"].as_str())
        .map(str::to_string);
    let Some(relation) = relation else {
        return fail(format!(
            "no built model `{model}` matches {}",
            file.display()
        ));
    };
    let result = venv.run_python(
        GOLDEN_PY,
        &[
            db.as_os_str(),
            std::ffi::OsStr::new(&relation),
            file.as_os_str(),
        ],
    );
    let v: Value = match result
        .and_then(|out| serde_json::from_str(&out).map_err(|e| CoreError::Venv(e.to_string())))
    {
        Ok(v) => v,
        Err(e) => return fail(format!("the comparison could not run: {e}")),
    };
    if let Some(error) = v["error"].as_str() {
        return fail(error.to_string());
    }
    let mismatched: u64 = v["mismatches"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let (expected, actual) = (
        v["expected_rows"].as_u64().unwrap_or(0),
        v["actual_rows"].as_u64().unwrap_or(0),
    );
    let (missing, extra) = (
        v["missing_keys"].as_u64().unwrap_or(0),
        v["extra_keys"].as_u64().unwrap_or(0),
    );
    let passed = expected == actual && missing == 0 && extra == 0 && mismatched == 0;
    let summary = if passed {
        format!("{actual} rows equal the golden file")
    } else {
        format!(
            "expected {expected} rows, got {actual}; {missing} keys missing, {extra} extra, {mismatched} differing values"
        )
    };
    let samples = v["samples"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|c| {
                            c.iter()
                                .map(|x| x.as_str().unwrap_or_default().to_string())
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    Check {
        name,
        passed,
        summary,
        numbers: v,
        samples,
    }
}

/// The ```sql blocks under `## Success criteria`.
pub fn criteria(intent_md: &str) -> Vec<String> {
    let Some(start) = intent_md.find("## Success criteria") else {
        return Vec::new();
    };
    let section = &intent_md[start..];
    let section = match section[2..].find("\n## ") {
        Some(end) => &section[..end + 2],
        None => section,
    };
    section
        .split("```sql")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn criterion(venv: &Venv, db: &Path, n: usize, sql: &str) -> Check {
    let name = format!("criterion:{n}");
    match venv.query_duckdb(db, sql, 5) {
        Ok(result) => {
            let passed = result.rows.is_empty();
            Check {
                name,
                passed,
                summary: if passed {
                    "returns no rows".into()
                } else {
                    format!(
                        "returned rows (should return none): {}",
                        sql.lines().next().unwrap_or_default()
                    )
                },
                numbers: serde_json::json!({"rows": result.rows.len(), "more": result.truncated}),
                samples: result.rows,
            }
        }
        Err(e) => Check {
            name,
            passed: false,
            summary: format!("the query failed: {e}"),
            numbers: Value::Null,
            samples: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{criteria, touched_models};

    #[test]
    fn touched_models_are_those_of_the_dbt_project_wherever_it_sits() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = git2::Repository::init(root).unwrap();
        std::fs::write(root.join("README.md"), "r").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(std::path::Path::new("README.md")).unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Ada", "ada@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
            .unwrap();
        for file in [
            "transform/models/silver/customers.sql",
            "transform/models/silver/customers.yml",
            "models/stray.sql",
        ] {
            std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            std::fs::write(root.join(file), "select 1").unwrap();
        }
        assert_eq!(touched_models(root, "transform").unwrap(), ["customers"]);
        assert_eq!(touched_models(root, "transform/").unwrap(), ["customers"]);
        assert_eq!(touched_models(root, "").unwrap(), ["stray"]);
    }

    #[test]
    fn success_criteria_are_the_sql_blocks_of_their_section() {
        let md = "# T\n\n## Business context\n\n```sql\nselect 'not a criterion'\n```\n\n## Success criteria\n\nNo nulls:\n\n```sql\nselect * from t where id is null\n```\n\n```sql\nselect 1 where false\n```\n\n## Notes\n```sql\nselect 'after'\n```\n";
        assert_eq!(
            criteria(md),
            ["select * from t where id is null", "select 1 where false"]
        );
        assert!(criteria("# nothing").is_empty());
    }
}
