//! Signals: one normalized record of something that went wrong (or recovered), whatever raised
//! it. From dbt's `run_results.json` ([`from_run_results`]): model errors, test failures and
//! warnings with their failing rows, contract violations, and passes (which resolve); from dbt's
//! `sources.json` ([`from_sources`]): freshness; from dlt's load info ([`from_dlt_load_info`]):
//! failed load jobs and schema changes; from a JSON envelope any system can post
//! ([`from_envelope`], one per line of an events file). A run's `invocation_id` is the
//! `correlation_id` of its signals. Files of another dbt version or cut short are read as far as
//! they make sense; what cannot be read is said, never guessed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::{self, Millis};

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A check passed again (resolves what it raised).
    Ok,
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "ok" | "pass" | "passed" | "success" | "resolved" => Severity::Ok,
            "info" | "low" => Severity::Info,
            "warn" | "warning" | "medium" => Severity::Warning,
            "error" | "err" | "fail" | "failed" | "high" => Severity::Error,
            "critical" | "crit" | "fatal" => Severity::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// One normalized signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Unique per signal (a redelivered one keeps its id and is counted once).
    pub id: String,
    pub at: Millis,
    /// `model_error`, `test_failure`, `test_warning`, `contract_violation`, `source_stale`,
    /// `anomaly`, `schema_change`, `missing_telemetry`, … (free text from envelopes).
    pub kind: String,
    /// The dbt node's `unique_id` (or any name an external system uses).
    pub node: String,
    pub column: Option<String>,
    pub workspace: Option<String>,
    pub severity: Severity,
    pub message: String,
    /// The pipeline run it came from.
    pub correlation_id: Option<String>,
    /// Failing rows of a test, when dbt says.
    pub failures: Option<u64>,
}

impl Signal {
    /// What keeps being the same problem: (check, node, column). A model's error, warning and
    /// contract violation are one check (its run), as a test's failure and warning are: the
    /// pass of the model or test clears whichever it was.
    pub fn fingerprint(&self) -> String {
        let check = match self.kind.as_str() {
            "model_error" | "model_warning" | "contract_violation" => "model",
            "test_failure" | "test_warning" => "test",
            other => other,
        };
        format!(
            "{check}|{}|{}",
            self.node,
            self.column.as_deref().unwrap_or("")
        )
    }
}

/// A line of an events file that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub line: usize,
    pub reason: String,
}

/// A signal from a JSON envelope: `{"id","at","kind","node","severity","message",
/// "correlation_id"?, "column"?, "workspace"?, "failures"?}` (`at` RFC 3339 or epoch seconds;
/// `severity` defaults to error).
pub fn from_envelope(v: &Value) -> Result<Signal, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let id = match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("no `id`".into()),
    };
    let at = time::parse(v.get("at").unwrap_or(&Value::Null)).map_err(|e| format!("`at`: {e}"))?;
    let node = text("node").filter(|n| !n.is_empty()).ok_or("no `node`")?;
    let severity = match text("severity") {
        Some(s) => Severity::parse(&s).ok_or_else(|| format!("`severity`: “{s}” is not one"))?,
        None => Severity::Error,
    };
    Ok(Signal {
        id,
        at,
        kind: text("kind").unwrap_or_else(|| "external".into()),
        node,
        column: text("column"),
        workspace: text("workspace"),
        severity,
        message: text("message").unwrap_or_default(),
        correlation_id: text("correlation_id"),
        failures: v.get("failures").and_then(Value::as_u64),
    })
}

/// Reads an events file (one JSON envelope per line; blank lines skipped): the signals and the
/// lines that could not be read.
pub fn read_events(text: &str) -> (Vec<Signal>, Vec<Unreadable>) {
    let (mut signals, mut bad) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(line)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| from_envelope(&v));
        match parsed {
            Ok(s) => signals.push(s),
            Err(reason) => bad.push(Unreadable {
                line: n + 1,
                reason,
            }),
        }
    }
    (signals, bad)
}

/// What a run results file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResults {
    pub signals: Vec<Signal>,
    /// Results that could not be read (their index in `results` and why).
    pub unreadable: Vec<String>,
    pub dbt_version: Option<String>,
    pub invocation_id: Option<String>,
    /// Sources' freshness lag in hours when checked: (unique id, time, hours).
    pub lags: Vec<(String, Millis, f64)>,
    /// How long each node took: (unique id, time it finished, seconds).
    pub durations: Vec<(String, Millis, f64)>,
    /// Every node the run has a result for, skipped ones included.
    pub seen: Vec<String>,
}

/// Signals of a dbt `run_results.json` (any schema version since v4): each result's status
/// says what it is — `error` on a model is a model error (a contract violation when dbt's
/// message says so), `fail` / `warn` on a test a failure / warning with its failing rows,
/// `pass` / `success` an [`Severity::Ok`] that resolves. `skipped` says nothing.
pub fn from_run_results(text: &str, workspace: Option<&str>) -> Result<RunResults, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!("run_results.json is not JSON ({e}); a run cut short leaves a truncated file: run dbt again")
    })?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or("run_results.json has no `results` list (is it dbt's run_results.json?)")?;
    let meta = v.get("metadata").cloned().unwrap_or(Value::Null);
    let invocation_id = meta["invocation_id"].as_str().map(str::to_string);
    let generated = meta["generated_at"]
        .as_str()
        .and_then(|t| time::parse_text(t).ok());
    let mut out = RunResults {
        signals: Vec::new(),
        unreadable: Vec::new(),
        dbt_version: meta["dbt_version"].as_str().map(str::to_string),
        invocation_id: invocation_id.clone(),
        lags: Vec::new(),
        durations: Vec::new(),
        seen: Vec::new(),
    };
    for (i, r) in results.iter().enumerate() {
        let (Some(uid), Some(status)) = (r["unique_id"].as_str(), r["status"].as_str()) else {
            out.unreadable
                .push(format!("result {i}: no `unique_id` or `status`"));
            continue;
        };
        out.seen.push(uid.to_string());
        // When it finished: its last timing, else the file's time.
        let at = r["timing"]
            .as_array()
            .and_then(|t| t.last())
            .and_then(|t| t["completed_at"].as_str())
            .and_then(|t| time::parse_text(t).ok())
            .or(generated);
        let Some(at) = at else {
            out.unreadable.push(format!("{uid}: no time"));
            continue;
        };
        let message = r["message"].as_str().unwrap_or_default().to_string();
        let failures = r["failures"].as_u64();
        if let Some(seconds) = r["execution_time"].as_f64().filter(|s| s.is_finite()) {
            out.durations.push((uid.to_string(), at, seconds));
        }
        let is_test = uid.starts_with("test.") || uid.starts_with("unit_test.");
        let (kind, severity) = match (status, is_test) {
            ("error" | "runtime error", false) if message.to_lowercase().contains("contract") => {
                ("contract_violation", Severity::Error)
            }
            ("error" | "runtime error", false) => ("model_error", Severity::Error),
            ("error" | "runtime error" | "fail", true) => ("test_failure", Severity::Error),
            ("warn", true) => ("test_warning", Severity::Warning),
            ("warn", false) => ("model_warning", Severity::Warning),
            ("pass" | "success", true) => ("test_failure", Severity::Ok),
            ("pass" | "success", false) => ("model_error", Severity::Ok),
            ("skipped" | "no-op", _) => continue,
            (other, _) => {
                out.unreadable
                    .push(format!("{uid}: status “{other}” is not one dbt writes"));
                continue;
            }
        };
        out.signals.push(Signal {
            id: format!("{}:{uid}", invocation_id.as_deref().unwrap_or("run")),
            at,
            kind: kind.into(),
            node: uid.to_string(),
            column: None,
            workspace: workspace.map(str::to_string),
            severity,
            message,
            correlation_id: invocation_id.clone(),
            failures,
        });
    }
    Ok(out)
}

/// Signals of a dbt `sources.json` (`dbt source freshness`): `warn` / `error` / `runtime error`
/// are stale sources (how late in the message), `pass` resolves.
pub fn from_sources(text: &str, workspace: Option<&str>) -> Result<RunResults, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("sources.json is not JSON ({e})"))?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or("sources.json has no `results` list")?;
    let invocation_id = v["metadata"]["invocation_id"].as_str().map(str::to_string);
    let generated = v["metadata"]["generated_at"]
        .as_str()
        .and_then(|t| time::parse_text(t).ok());
    let mut out = RunResults {
        signals: Vec::new(),
        unreadable: Vec::new(),
        dbt_version: v["metadata"]["dbt_version"].as_str().map(str::to_string),
        invocation_id: invocation_id.clone(),
        lags: Vec::new(),
        durations: Vec::new(),
        seen: Vec::new(),
    };
    for (i, r) in results.iter().enumerate() {
        let (Some(uid), Some(status)) = (r["unique_id"].as_str(), r["status"].as_str()) else {
            out.unreadable
                .push(format!("result {i}: no `unique_id` or `status`"));
            continue;
        };
        let severity = match status {
            "pass" => Severity::Ok,
            "warn" => Severity::Warning,
            "error" | "runtime error" => Severity::Error,
            other => {
                out.unreadable
                    .push(format!("{uid}: status “{other}” is not one dbt writes"));
                continue;
            }
        };
        let Some(at) = r["snapshotted_at"]
            .as_str()
            .and_then(|t| time::parse_text(t).ok())
            .or(generated)
        else {
            out.unreadable.push(format!("{uid}: no time"));
            continue;
        };
        let late = r["max_loaded_at_time_ago_in_s"].as_f64();
        if let Some(seconds) = late {
            out.lags.push((uid.to_string(), at, seconds / 3600.0));
        }
        let message = match (late, r["max_loaded_at"].as_str()) {
            (Some(s), Some(last)) => format!("last loaded {last}, {:.1} h ago", s / 3600.0),
            _ => r["message"].as_str().unwrap_or_default().to_string(),
        };
        out.signals.push(Signal {
            id: format!(
                "{}:{uid}",
                invocation_id
                    .clone()
                    .unwrap_or_else(|| format!("freshness@{}", generated.unwrap_or(at)))
            ),
            at,
            kind: "source_stale".into(),
            node: uid.to_string(),
            column: None,
            workspace: workspace.map(str::to_string),
            severity,
            message,
            correlation_id: invocation_id.clone(),
            failures: None,
        });
    }
    Ok(out)
}

/// Signals of dlt's load info (`LoadInfo.asdict()` as JSON): each load job of each package — a
/// failed one is a `load_failed` error on its table (`relation:<dataset>.<table>`), a completed
/// one resolves it — and, after the pipeline's first run, each table the load changed the schema
/// of is a `schema_change` warning naming its new columns. dlt's own tables are left out.
pub fn from_dlt_load_info(text: &str, workspace: Option<&str>) -> Result<RunResults, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("the load info is not JSON ({e})"))?;
    let packages = v
        .get("load_packages")
        .and_then(Value::as_array)
        .ok_or("the load info has no `load_packages` (is it dlt's LoadInfo as JSON?)")?;
    let dataset = v["dataset_name"].as_str().unwrap_or("dataset");
    let pipeline = v["pipeline"]["pipeline_name"]
        .as_str()
        .unwrap_or("pipeline");
    let first_run = v["first_run"].as_bool().unwrap_or(false);
    let mut out = RunResults::default();
    for (i, p) in packages.iter().enumerate() {
        let Some(load_id) = p["load_id"].as_str() else {
            out.unreadable
                .push(format!("load package {i}: no `load_id`"));
            continue;
        };
        let correlation = format!("dlt:{pipeline}:{load_id}");
        out.invocation_id.get_or_insert_with(|| correlation.clone());
        let package_at = p["completed_at"]
            .as_str()
            .and_then(|t| time::parse_text(t).ok())
            .or_else(|| {
                v["finished_at"]
                    .as_str()
                    .and_then(|t| time::parse_text(t).ok())
            });
        for job in p["jobs"].as_array().into_iter().flatten() {
            let Some(table) = job["table_name"].as_str() else {
                continue;
            };
            if table.starts_with("_dlt") {
                continue;
            }
            let Some(at) = job["created_at"]
                .as_str()
                .and_then(|t| time::parse_text(t).ok())
                .or(package_at)
            else {
                out.unreadable.push(format!("{load_id}/{table}: no time"));
                continue;
            };
            let failed = match job["state"].as_str() {
                Some("failed_jobs") => true,
                Some("completed_jobs") => false,
                // New or started: not over yet, says nothing.
                _ => continue,
            };
            out.signals.push(Signal {
                id: format!("{correlation}:{}", job["job_id"].as_str().unwrap_or(table)),
                at,
                kind: "load_failed".into(),
                node: format!("relation:{dataset}.{table}"),
                column: None,
                workspace: workspace.map(str::to_string),
                severity: if failed {
                    Severity::Error
                } else {
                    Severity::Ok
                },
                message: job["failed_message"]
                    .as_str()
                    .map(|m| m.lines().next().unwrap_or_default().to_string())
                    .unwrap_or_else(|| format!("{table} loaded")),
                correlation_id: Some(correlation.clone()),
                failures: None,
            });
        }
        if first_run || p["schema_migrated"].as_bool() != Some(true) {
            continue;
        }
        for t in p["tables"].as_array().into_iter().flatten() {
            let Some(table) = t["name"].as_str().filter(|n| !n.starts_with("_dlt")) else {
                continue;
            };
            let columns: Vec<String> = t["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    let name = c["name"].as_str()?;
                    Some(format!(
                        "{name} ({})",
                        c["data_type"].as_str().unwrap_or("?")
                    ))
                })
                .collect();
            if columns.is_empty() {
                continue;
            }
            let Some(at) = package_at else {
                out.unreadable
                    .push(format!("{load_id}/{table}: a schema change without a time"));
                continue;
            };
            out.signals.push(Signal {
                id: format!("{correlation}:schema:{table}"),
                at,
                kind: "schema_change".into(),
                node: format!("relation:{dataset}.{table}"),
                column: None,
                workspace: workspace.map(str::to_string),
                severity: Severity::Warning,
                message: format!("{dataset}.{table}: the load added {}", columns.join(", ")),
                correlation_id: Some(correlation.clone()),
                failures: None,
            });
        }
    }
    Ok(out)
}
