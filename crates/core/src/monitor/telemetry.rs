//! Telemetry validation: every model and data test the project has (so every one a merged change
//! adds) is expected to report when the pipeline runs. A node is expected from the run it is first
//! seen in; a *full* run (one that reports at least 80 % of what is expected — a run of a few
//! selected models says nothing of the others) in which it does not report counts against it;
//! after two such runs it is a `missing_telemetry` signal, so instrumentation that never fires
//! is caught. It resolves when the node reports. Ephemeral models (dbt writes no result for
//! them) are not expected. Blocking.

use std::collections::HashSet;

use rusqlite::params;
use vibedata_dbt_index::{Index, ResourceType};
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::{self, Millis};

use crate::platform::error::Result;
use crate::platform::store::Store;

/// Full runs a node may stay silent through before it is an alert.
pub const SILENT_RUNS: i64 = 2;

/// What the project expects to hear from: models (not ephemeral), seeds, snapshots, data tests.
pub fn expected_nodes(index: &Index) -> Vec<String> {
    let mut out: Vec<String> = index
        .nodes()
        .values()
        .filter(|n| match n.resource_type {
            ResourceType::Model => n.materialized.as_deref() != Some("ephemeral"),
            ResourceType::Seed | ResourceType::Snapshot | ResourceType::Test => true,
            _ => false,
        })
        .map(|n| n.unique_id.clone())
        .collect();
    out.sort();
    out
}

/// Checks a run's reports against what is expected; returns the `missing_telemetry` signals
/// (and the passes of nodes that reported again).
pub fn check(
    store: &Store,
    workspace_id: &str,
    expected: &[String],
    reported: &HashSet<String>,
    run: &str,
    at: Millis,
) -> Result<Vec<Signal>> {
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        {
            let mut add = tx.prepare(
                "INSERT OR IGNORE INTO monitor_expected (workspace_id, unique_id, first_seen) VALUES (?1, ?2, ?3)",
            )?;
            for uid in expected {
                add.execute(params![workspace_id, uid, at])?;
            }
        }
        let rows: Vec<(String, Millis, i64, bool)> = {
            let mut stmt = tx.prepare(
                "SELECT unique_id, first_seen, silent_runs, reported FROM monitor_expected WHERE workspace_id = ?1",
            )?;
            let rows = stmt.query_map([workspace_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let wanted: HashSet<&str> = expected.iter().map(String::as_str).collect();
        let live: Vec<&(String, Millis, i64, bool)> =
            rows.iter().filter(|r| wanted.contains(r.0.as_str())).collect();
        let heard = live.iter().filter(|r| reported.contains(&r.0)).count();
        let full = !live.is_empty() && heard * 10 >= live.len() * 8;
        let mut out = Vec::new();
        for (uid, first_seen, silent, was_reported) in live {
            let signal = |severity: Severity, message: String| Signal {
                id: format!("telemetry:{run}:{uid}"),
                at,
                kind: "missing_telemetry".into(),
                node: uid.clone(),
                column: None,
                workspace: Some(workspace_id.to_string()),
                severity,
                message,
                correlation_id: Some(run.to_string()),
                failures: None,
            };
            if reported.contains(uid) {
                tx.execute(
                    "UPDATE monitor_expected SET silent_runs = 0, reported = 1 WHERE workspace_id = ?1 AND unique_id = ?2",
                    params![workspace_id, uid],
                )?;
                if *silent >= SILENT_RUNS {
                    out.push(signal(Severity::Ok, format!("{uid} reports again")));
                }
                continue;
            }
            if !full || *first_seen >= at {
                continue;
            }
            let silent = silent + 1;
            tx.execute(
                "UPDATE monitor_expected SET silent_runs = ?3 WHERE workspace_id = ?1 AND unique_id = ?2",
                params![workspace_id, uid, silent],
            )?;
            if silent >= SILENT_RUNS {
                let since = if *was_reported {
                    "has stopped reporting".to_string()
                } else {
                    format!("was added (first seen {}) and has never reported", time::format(*first_seen))
                };
                out.push(signal(
                    Severity::Warning,
                    format!("{uid} {since}: silent in the last {silent} full runs"),
                ));
            }
        }
        tx.commit()?;
        Ok(out)
    })
}
