//! Table metrics collected from the local DuckDB after a run (`collect.py`, read-only, one query
//! per table): each table's row count and its columns' null rates, distinct counts (HyperLogLog)
//! and means (numbers), kept as metric points; the
//! schema compared with the one last seen (a column added, removed or retyped is a
//! `schema_change` signal); and each series' newest point scored by the detector — an anomaly
//! is an `anomaly` signal on the table's node, the first normal point after it resolves it.
//! The queries are plain SQL so a Fabric SQL endpoint can answer them later. Blocking.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vibedata_monitor::detector;
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::Millis;

use super::metrics::{self, MetricPoint};
use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use crate::platform::venv::Venv;

const SCRIPT: &str = include_str!("collect.py");

#[derive(Debug, Deserialize)]
struct Collected {
    tables: Vec<TableStats>,
}

#[derive(Debug, Deserialize)]
struct TableStats {
    schema: String,
    name: String,
    rows: Option<u64>,
    #[serde(default)]
    columns: Vec<ColumnStats>,
    error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ColumnStats {
    name: String,
    #[serde(rename = "type")]
    data_type: String,
    #[serde(skip_serializing, default)]
    nulls: Option<u64>,
    #[serde(skip_serializing, default)]
    distinct: Option<u64>,
    #[serde(skip_serializing, default)]
    mean: Option<f64>,
}

/// What a collection kept and found.
#[derive(Debug, Default)]
pub struct Collection {
    pub tables: usize,
    pub points: usize,
    pub signals: Vec<Signal>,
    /// Tables that could not be read, and why.
    pub unreadable: Vec<String>,
}

/// Collects the warehouse `db` of a workspace at `at`; `nodes` names the dbt node of a relation
/// (by its lower-case name).
pub fn collect(
    venv: &Venv,
    store: &Store,
    workspace_id: &str,
    db: &Path,
    at: Millis,
    nodes: &HashMap<String, String>,
) -> Result<Collection> {
    let out = venv.run_python(SCRIPT, &[db.as_os_str()])?;
    let collected: Collected = serde_json::from_str(&out).map_err(|e| {
        CoreError::Internal(format!("the warehouse's metrics could not be read: {e}"))
    })?;
    let mut c = Collection::default();
    let mut points = Vec::new();
    for t in &collected.tables {
        let table = format!("{}.{}", t.schema, t.name);
        if let Some(e) = &t.error {
            c.unreadable.push(format!("{table}: {e}"));
            continue;
        }
        c.tables += 1;
        let node = nodes
            .get(&t.name.to_lowercase())
            .cloned()
            .unwrap_or_else(|| format!("relation:{table}"));
        let rows = t.rows.unwrap_or(0);
        points.push(MetricPoint {
            table: table.clone(),
            metric: "row_count".into(),
            column: String::new(),
            at,
            value: rows as f64,
        });
        if rows > 0 {
            for col in &t.columns {
                let metrics = [
                    ("null_rate", col.nulls.map(|n| n as f64 / rows as f64)),
                    ("distinct_count", col.distinct.map(|d| d as f64)),
                    ("mean", col.mean.filter(|m| m.is_finite())),
                ];
                for (metric, value) in metrics {
                    if let Some(value) = value {
                        points.push(MetricPoint {
                            table: table.clone(),
                            metric: metric.into(),
                            column: col.name.clone(),
                            at,
                            value,
                        });
                    }
                }
            }
        }
        c.signals.extend(schema_changes(
            store,
            workspace_id,
            &table,
            &node,
            &t.columns,
            at,
        )?);
    }
    metrics::keep(store, workspace_id, &points)?;
    c.points = points.len();
    for p in &points {
        let series = metrics::series_of(store, workspace_id, &p.table, &p.metric, &p.column)?;
        let Ok(scored) = detector::score(&series, &metrics::config_for(&p.metric)) else {
            continue;
        };
        let Some(i) = scored.iter().rposition(|s| s.at == at) else {
            continue;
        };
        let now = &scored[i];
        let before = i.checked_sub(1).map(|j| scored[j].anomaly).unwrap_or(false);
        if !now.anomaly && !before {
            continue;
        }
        let name = p
            .table
            .rsplit('.')
            .next()
            .unwrap_or(&p.table)
            .to_lowercase();
        let column = (!p.column.is_empty()).then(|| p.column.clone());
        let what = match &column {
            Some(col) => format!("{} of {col}", p.metric),
            None => p.metric.clone(),
        };
        c.signals.push(Signal {
            id: format!("anomaly:{}:{}:{}:{at}", p.table, p.metric, p.column),
            at,
            kind: "anomaly".into(),
            node: nodes
                .get(&name)
                .cloned()
                .unwrap_or_else(|| format!("relation:{}", p.table)),
            column: Some(match &column {
                Some(col) => format!("{}:{col}", p.metric),
                None => p.metric.clone(),
            }),
            workspace: Some(workspace_id.to_string()),
            severity: if now.anomaly {
                Severity::Warning
            } else {
                Severity::Ok
            },
            message: match (now.anomaly, now.low, now.high, now.expected) {
                (true, Some(low), Some(high), Some(e)) => format!(
                    "{what} of {} is {} — expected {e:.3}, band {low:.3}–{high:.3}",
                    p.table, now.value
                ),
                _ => format!("{what} of {} is back within its band", p.table),
            },
            correlation_id: None,
            failures: None,
        });
    }
    Ok(c)
}

/// Compares a table's columns with the ones last seen and keeps the new ones.
fn schema_changes(
    store: &Store,
    workspace_id: &str,
    table: &str,
    node: &str,
    columns: &[ColumnStats],
    at: Millis,
) -> Result<Vec<Signal>> {
    let before: Option<String> = store.with(|c| {
        c.query_row(
            "SELECT columns FROM monitor_schemas WHERE workspace_id = ?1 AND table_name = ?2",
            [workspace_id, table],
            |r| r.get(0),
        )
        .optional()
    })?;
    let now = serde_json::to_string(columns).map_err(|e| CoreError::Internal(e.to_string()))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO monitor_schemas (workspace_id, table_name, columns, seen_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id, table_name) DO UPDATE SET columns = excluded.columns, seen_at = excluded.seen_at",
            params![workspace_id, table, now, at],
        )
        .map(|_| ())
    })?;
    let Some(before) = before else {
        return Ok(Vec::new());
    };
    let old: Vec<ColumnStats> = serde_json::from_str(&before).unwrap_or_default();
    let find = |list: &[ColumnStats], name: &str| {
        list.iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| c.data_type.clone())
    };
    let mut changes: Vec<(String, String)> = Vec::new();
    for c in columns {
        match find(&old, &c.name) {
            None => changes.push((
                c.name.clone(),
                format!("column {} added ({})", c.name, c.data_type),
            )),
            Some(t) if t != c.data_type => changes.push((
                c.name.clone(),
                format!("column {} changed type: {t} → {}", c.name, c.data_type),
            )),
            Some(_) => {}
        }
    }
    for c in &old {
        if find(columns, &c.name).is_none() {
            changes.push((c.name.clone(), format!("column {} removed", c.name)));
        }
    }
    Ok(changes
        .into_iter()
        .map(|(column, message)| Signal {
            id: format!("schema:{table}:{column}:{at}"),
            at,
            kind: "schema_change".into(),
            node: node.to_string(),
            column: Some(column),
            workspace: Some(workspace_id.to_string()),
            severity: Severity::Warning,
            message: format!("{table}: {message}"),
            correlation_id: None,
            failures: None,
        })
        .collect())
}
