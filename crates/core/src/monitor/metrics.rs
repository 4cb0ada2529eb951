//! Table metrics in the store (row counts, freshness lag, null rates…), and each series scored by
//! the anomaly detector for the Monitor page: freshness only alerts when late (spikes), other
//! metrics both ways. Blocking.

use std::collections::BTreeMap;

use rusqlite::params;
use vibedata_monitor::detector::{self, Config, Direction, Status};
use vibedata_monitor::time::{self, Millis};
use vibedata_protocol::monitor::{MetricPointDto, MetricSeriesDto};

use crate::platform::error::Result;
use crate::platform::store::Store;

/// The metric of how long a node took in a run (seconds).
pub const DURATION: &str = "duration_seconds";

/// Each node's run durations since `since`, by (node, time).
pub fn durations_since(
    store: &Store,
    workspace_id: &str,
    since: Millis,
) -> Result<std::collections::HashMap<(String, Millis), f64>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT table_name, at, value FROM monitor_metrics
              WHERE workspace_id = ?1 AND metric = ?2 AND at >= ?3",
        )?;
        let rows = stmt.query_map(params![workspace_id, DURATION, since], |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
        })?;
        rows.collect()
    })
}

/// One metric value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub table: String,
    pub metric: String,
    /// `""` for a table-level metric.
    pub column: String,
    pub at: Millis,
    pub value: f64,
}

/// Keeps metric values (a value already kept for the same time is replaced).
pub fn keep(store: &Store, workspace_id: &str, points: &[MetricPoint]) -> Result<()> {
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO monitor_metrics (workspace_id, table_name, metric, column_name, at, value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for p in points {
                stmt.execute(params![workspace_id, p.table, p.metric, p.column, p.at, p.value])?;
            }
        }
        tx.commit()
    })
}

/// One series, oldest first.
pub fn series_of(
    store: &Store,
    workspace_id: &str,
    table: &str,
    metric: &str,
    column: &str,
) -> Result<Vec<(Millis, f64)>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT at, value FROM monitor_metrics WHERE workspace_id = ?1 AND table_name = ?2
               AND metric = ?3 AND column_name = ?4 ORDER BY at",
        )?;
        let rows = stmt.query_map(params![workspace_id, table, metric, column], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect()
    })
}

/// The detector's settings for a metric.
pub fn config_for(metric: &str) -> Config {
    Config {
        direction: if metric.starts_with("freshness") {
            Direction::Spike
        } else {
            Direction::Both
        },
        ..Config::default()
    }
}

/// Every series of the workspace, scored.
pub fn scored_series(store: &Store, workspace_id: &str) -> Result<Vec<MetricSeriesDto>> {
    let rows: Vec<(String, String, String, Millis, f64)> = store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT table_name, metric, column_name, at, value FROM monitor_metrics
              WHERE workspace_id = ?1 ORDER BY table_name, metric, column_name, at",
        )?;
        let rows = stmt.query_map([workspace_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect()
    })?;
    let mut series: BTreeMap<(String, String, String), Vec<(Millis, f64)>> = BTreeMap::new();
    for (table, metric, column, at, value) in rows {
        series
            .entry((table, metric, column))
            .or_default()
            .push((at, value));
    }
    let mut out = Vec::new();
    for ((table, metric, column), points) in series {
        let Ok(scored) = detector::score(&points, &config_for(&metric)) else {
            continue;
        };
        let season = scored
            .last()
            .and_then(|p| p.season)
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        out.push(MetricSeriesDto {
            table,
            metric,
            column: (!column.is_empty()).then_some(column),
            season,
            points: scored
                .into_iter()
                .map(|p| MetricPointDto {
                    at: time::format(p.at),
                    value: p.value,
                    expected: p.expected,
                    low: p.low,
                    high: p.high,
                    anomaly: p.anomaly,
                    status: match p.status {
                        Status::Learning => "learning",
                        Status::Normal => "normal",
                        Status::Anomaly => "anomaly",
                    }
                    .into(),
                })
                .collect(),
        });
    }
    Ok(out)
}
