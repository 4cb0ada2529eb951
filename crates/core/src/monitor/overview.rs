//! The Monitor page's state ([`overview`]: incidents with their issue, runs with their nodes'
//! times, what fails now, silences, scored series) and an incident as its issue shows it in the
//! Inbox ([`incident_of_issue`]). Blocking.

use vibedata_monitor::time::DAY;

use super::{demo_history, incidents, metrics, silences};
use crate::platform::Platform;
use crate::platform::error::{CoreError, Result};

pub(super) fn overview(
    platform: &Platform,
    id: &str,
) -> Result<vibedata_protocol::monitor::MonitorDto> {
    use std::collections::BTreeMap;
    use vibedata_monitor::signal::Severity;
    use vibedata_protocol::monitor::{MonitorDto, RunDto};
    let store = &platform.store;
    let ws = crate::workspaces::registry::find_by_id(store, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
    let now = crate::platform::clock::now() * 1000;
    let mut notes = Vec::new();
    if ws.is_demo {
        demo_history::ensure(store, &ws, now)?;
        notes.push("The demo's sixty days of history are generated (a fixed seed, ending today): one volume drop, one late load, one failing test.".to_string());
    }
    type Row = (String, Option<String>, String, String, Option<i64>);
    let rows: Vec<Row> = store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT detail, repo, state, severity, open_seq FROM monitor_incidents
              WHERE workspace_id = ?1 ORDER BY opened_at DESC LIMIT 100",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect()
    })?;
    let mut incidents = Vec::new();
    for (detail, repo, state, severity, open_seq) in rows {
        if let Some(dto) = incident_dto(store, &detail, repo, state, severity, open_seq)? {
            incidents.push(dto);
        }
    }
    let signals = incidents::signals_since(store, id, now - 60 * DAY)?;
    let mut runs: BTreeMap<String, RunDto> = BTreeMap::new();
    let mut latest: BTreeMap<String, &vibedata_monitor::Signal> = BTreeMap::new();
    for s in &signals {
        if let Some(run) = &s.correlation_id {
            let r = runs.entry(run.clone()).or_insert_with(|| RunDto {
                correlation_id: run.clone(),
                at: vibedata_monitor::time::format(s.at),
                passed: 0,
                failed: 0,
                warned: 0,
                seconds: 0.0,
                models: Vec::new(),
            });
            match s.severity {
                Severity::Ok | Severity::Info => r.passed += 1,
                Severity::Warning => r.warned += 1,
                Severity::Error | Severity::Critical => r.failed += 1,
            }
        }
        latest.insert(s.fingerprint(), s);
    }
    // Each run's nodes and how long they took (kept as the `duration_seconds` metric).
    let took = metrics::durations_since(store, id, now - 60 * DAY)?;
    for s in &signals {
        if let (Some(run), Some(seconds)) = (&s.correlation_id, took.get(&(s.node.clone(), s.at)))
            && let Some(r) = runs.get_mut(run)
        {
            r.seconds += seconds;
            r.models.push(vibedata_protocol::monitor::NodeRunDto {
                node: s.node.clone(),
                status: s.severity.as_str().into(),
                seconds: *seconds,
            });
        }
    }
    let mut runs: Vec<RunDto> = runs.into_values().collect();
    for r in &mut runs {
        r.models.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    }
    runs.sort_by(|a, b| b.at.cmp(&a.at));
    runs.truncate(60);
    let failing = latest
        .values()
        .filter(|s| s.severity >= Severity::Warning)
        .map(|s| signal_dto(s))
        .collect();
    if signals.is_empty() {
        notes.push("Nothing has reported yet: run `vibedata alerts run --workspace <path>` after a dbt run.".into());
    }
    let now_ms = now;
    let silences = silences::list(store, Some(id))?
        .into_iter()
        .map(|(ws, s)| vibedata_protocol::monitor::SilenceDto {
            id: s.id,
            matchers: s
                .matchers
                .iter()
                .map(|m| format!("{}={}", m.field, m.value))
                .collect(),
            starts: vibedata_monitor::time::format(s.starts),
            ends: vibedata_monitor::time::format(s.ends),
            active: s.starts <= now_ms && now_ms < s.ends,
            everywhere: ws.is_none(),
            created_by: s.created_by,
            comment: s.comment,
        })
        .collect();
    Ok(MonitorDto {
        silences,
        workspace_id: id.to_string(),
        incidents,
        runs,
        failing,
        series: metrics::scored_series(store, id)?,
        notes,
    })
}

/// An incident row as the page shows it (`None`: its detail cannot be read).
fn incident_dto(
    store: &crate::platform::store::Store,
    detail: &str,
    repo: Option<String>,
    state: String,
    severity: String,
    open_seq: Option<i64>,
) -> Result<Option<vibedata_protocol::monitor::IncidentDto>> {
    let Ok(i) = serde_json::from_str::<serde_json::Value>(detail) else {
        return Ok(None);
    };
    let strings = |k: &str| -> Vec<String> {
        i[k].as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    Ok(Some(vibedata_protocol::monitor::IncidentDto {
        id: i["id"].as_str().unwrap_or_default().to_string(),
        root: i["root"].as_str().unwrap_or_default().to_string(),
        state,
        severity,
        kinds: strings("kinds"),
        opened_at: i["opened_at"].as_str().unwrap_or_default().to_string(),
        last_at: i["last_at"].as_str().unwrap_or_default().to_string(),
        signals: i["events"].as_array().map_or(0, Vec::len),
        suppressed: i["suppressed_because"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                format!(
                    "{} — {}",
                    s["event"].as_str().unwrap_or_default(),
                    s["because"].as_str().unwrap_or_default()
                )
            })
            .collect(),
        subjects: strings("subjects"),
        repo,
        issue_number: match open_seq {
            Some(seq) => crate::github::outbox::made_number(store, seq)?,
            None => None,
        },
    }))
}

pub(super) fn incident_of_issue(
    platform: &Platform,
    repo: &str,
    number: u64,
) -> Result<Option<vibedata_protocol::monitor::IncidentDetailDto>> {
    let store = &platform.store;
    type Row = (String, String, String, String, i64);
    let rows: Vec<Row> = store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT workspace_id, detail, state, severity, open_seq FROM monitor_incidents
              WHERE repo = ?1 AND open_seq IS NOT NULL",
        )?;
        let rows = stmt.query_map([repo], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect()
    })?;
    for (workspace_id, detail, state, severity, seq) in rows {
        if crate::github::outbox::made_number(store, seq)? != Some(number) {
            continue;
        }
        let Some(incident) = incident_dto(
            store,
            &detail,
            Some(repo.to_string()),
            state,
            severity,
            Some(seq),
        )?
        else {
            continue;
        };
        let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&detail)
            .ok()
            .and_then(|v| v["events"].as_array().cloned())
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect();
        let mut signals: Vec<vibedata_protocol::monitor::SignalDto> =
            incidents::signals_by_id(store, &workspace_id, &ids)?
                .into_iter()
                .map(|s| signal_dto(&s))
                .collect();
        signals.sort_by(|a, b| b.at.cmp(&a.at));
        return Ok(Some(vibedata_protocol::monitor::IncidentDetailDto {
            incident,
            signals,
        }));
    }
    Ok(None)
}

fn signal_dto(s: &vibedata_monitor::Signal) -> vibedata_protocol::monitor::SignalDto {
    vibedata_protocol::monitor::SignalDto {
        id: s.id.clone(),
        at: vibedata_monitor::time::format(s.at),
        kind: s.kind.clone(),
        node: s.node.clone(),
        severity: s.severity.as_str().into(),
        message: s.message.clone(),
        failures: s.failures,
    }
}
