//! Monitor: Operate's front door over the engine in `vibedata-monitor` (signals, the anomaly
//! detector, the alert engine). It runs the alert engine on a workspace's dbt run
//! ([`Monitor::alerts_run`]: the run's signals kept, grouped with the lineage of the native
//! index, each incident told to GitHub as one issue through the outbox — [`incidents`]), groups
//! a file of signals and scores a metric series (what `vibedata alerts group` and `vibedata
//! monitor score` run), and gives the Monitor page its state ([`Monitor::overview`]: incidents
//! with their issue, runs, what fails now, each table metric scored — [`metrics`]); the demo
//! domain gets sixty days of generated history on first look ([`demo_history`]).

pub mod demo_history;
pub mod incidents;
pub mod metrics;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use vibedata_monitor as engine;
use vibedata_monitor::alerts::{Grouped, IncidentOut, Timing};
use vibedata_monitor::detector::{Config, Scored};
use vibedata_monitor::lineage::Lineage;
use vibedata_monitor::signal::Unreadable;
use vibedata_monitor::time::DAY;

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};

/// Incidents of an events file, and its lines that could not be read.
#[derive(Debug, serde::Serialize)]
pub struct GroupedFile {
    #[serde(flatten)]
    pub grouped: Grouped,
    pub unreadable: Vec<Unreadable>,
}

/// What an alerts run did.
#[derive(Debug, serde::Serialize)]
pub struct AlertsRun {
    /// The registered workspace's id, or the folder's path when it is not registered.
    pub workspace: String,
    pub run_results: String,
    pub dbt_version: Option<String>,
    /// Signals read from the run, and how many were new (a run read twice adds nothing).
    pub signals: usize,
    pub new_signals: usize,
    pub unreadable: Vec<String>,
    /// The repository incidents are raised on (none: kept here).
    pub repo: Option<String>,
    pub incidents: Vec<IncidentOut>,
    /// What was queued for GitHub per incident.
    pub told: Vec<incidents::Told>,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| CoreError::io(format!("cannot read the {what} {}", path.display()), e))
}

/// The lineage of a dbt project from its native index: parents, and the node each test checks.
pub fn lineage_of(project: &Path) -> Lineage {
    let index = vibedata_dbt_index::Index::load(project);
    let graph = index.graph();
    let edges: Vec<(&str, &str)> = graph
        .parent_map
        .iter()
        .flat_map(|(child, parents)| parents.iter().map(move |p| (child.as_str(), p.as_str())))
        .collect();
    let subjects: Vec<(&str, &str)> = index
        .nodes()
        .values()
        .filter_map(|n| {
            n.test
                .as_ref()
                .and_then(|t| t.attached_node.as_deref())
                .map(|a| (n.unique_id.as_str(), a))
        })
        .collect();
    Lineage::from_edges(edges, subjects)
}

/// Monitor's front door.
pub struct Monitor {
    platform: Arc<Platform>,
}

impl Monitor {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }

    /// Runs the alert engine on a dbt run of the workspace at `path` (registered or not): its
    /// `run_results.json` (default: the project's `target/`) and `sources.json` when there is
    /// one become signals, kept in the store; the last week's signals are grouped with the
    /// lineage of the native index; each incident is recorded and told to `repo` (default: the
    /// workspace's GitHub origin; none: kept here) through the outbox.
    pub async fn alerts_run(
        &self,
        path: PathBuf,
        run_results: Option<PathBuf>,
        repo: Option<String>,
    ) -> Result<AlertsRun> {
        let platform = self.platform.clone();
        blocking(move || {
            let path = path
                .canonicalize()
                .map_err(|e| CoreError::io(format!("cannot open {}", path.display()), e))?;
            let registered = crate::workspaces::registry::list(&platform.store)?
                .into_iter()
                .find(|w| w.path == path);
            let (key, project, origin) = match &registered {
                Some(ws) => (ws.id.clone(), ws.project(), ws.origin_url.clone()),
                None => {
                    let project = if path.join("dbt_project.yml").is_file() {
                        path.clone()
                    } else {
                        crate::workspaces::registration::find_dbt_projects(&path)
                            .first()
                            .map(|p| path.join(p))
                            .ok_or_else(|| {
                                CoreError::InvalidInput(format!(
                                    "{} has no dbt project",
                                    path.display()
                                ))
                            })?
                    };
                    let origin = git2::Repository::discover(&path).ok().and_then(|r| {
                        r.find_remote("origin")
                            .ok()
                            .and_then(|o| o.url().map(str::to_string))
                    });
                    (path.to_string_lossy().into_owned(), project, origin)
                }
            };
            let results_path =
                run_results.unwrap_or_else(|| project.join("target/run_results.json"));
            let text = read(&results_path, "run results")?;
            let run = vibedata_monitor::signal::from_run_results(&text, Some(&key))
                .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", results_path.display())))?;
            let mut signals = run.signals;
            let mut unreadable = run.unreadable;
            let sources = results_path.with_file_name("sources.json");
            if sources.is_file()
                && let Ok(fresh) = vibedata_monitor::signal::from_sources(
                    &read(&sources, "freshness results")?,
                    Some(&key),
                )
            {
                signals.extend(fresh.signals);
                unreadable.extend(fresh.unreadable);
            }
            let count = signals.len();
            let new_signals = incidents::keep_signals(&platform.store, &key, &signals)?;
            let now = crate::platform::clock::now() * 1000;
            let latest = signals.iter().map(|s| s.at).max().unwrap_or(now).max(now);
            let history = incidents::signals_since(&platform.store, &key, latest - 7 * DAY)?;
            let grouped = vibedata_monitor::alerts::group_until(
                history.clone(),
                lineage_of(&project),
                Timing::default(),
                Vec::new(),
                latest,
            );
            let repo = repo.or_else(|| {
                origin
                    .as_deref()
                    .and_then(crate::github::repos::repo_of_remote)
            });
            let told = incidents::tell(&platform.store, &key, repo.as_deref(), &grouped, &history)?;
            Ok(AlertsRun {
                workspace: key,
                run_results: results_path.display().to_string(),
                dbt_version: run.dbt_version,
                signals: count,
                new_signals,
                unreadable,
                repo,
                incidents: grouped.incidents,
                told,
            })
        })
        .await
    }

    /// What the Monitor page shows of a workspace (the demo's generated history made first).
    pub async fn overview(
        &self,
        workspace_id: &str,
    ) -> Result<vibedata_protocol::monitor::MonitorDto> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || overview(&platform, &id)).await
    }

    /// Groups the signals of `events` (one JSON envelope per line) into incidents, with the
    /// lineage of `manifest` when given.
    pub fn group_file(
        &self,
        events: &Path,
        manifest: Option<&Path>,
        timing: Timing,
    ) -> Result<GroupedFile> {
        let text = read(events, "events file")?;
        let lineage = match manifest {
            Some(m) => Lineage::from_manifest(&read(m, "manifest")?)
                .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", m.display())))?,
            None => Lineage::none(),
        };
        let (signals, unreadable) = vibedata_monitor::signal::read_events(&text);
        Ok(GroupedFile {
            grouped: vibedata_monitor::alerts::group(signals, lineage, timing, Vec::new()),
            unreadable,
        })
    }

    /// Scores a series (`at,value` rows).
    pub fn score_file(&self, series: &Path, config: &Config) -> Result<Vec<Scored>> {
        let text = read(series, "series")?;
        let points = vibedata_monitor::detector::read_csv(&text)
            .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", series.display())))?;
        vibedata_monitor::detector::score(&points, config)
            .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", series.display())))
    }
}

fn overview(platform: &Platform, id: &str) -> Result<vibedata_protocol::monitor::MonitorDto> {
    use std::collections::BTreeMap;
    use vibedata_monitor::signal::Severity;
    use vibedata_protocol::monitor::{IncidentDto, MonitorDto, RunDto, SignalDto};
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
        let Ok(i) = serde_json::from_str::<serde_json::Value>(&detail) else {
            continue;
        };
        let strings = |k: &str| -> Vec<String> {
            i[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        incidents.push(IncidentDto {
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
        });
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
            });
            match s.severity {
                Severity::Ok | Severity::Info => r.passed += 1,
                Severity::Warning => r.warned += 1,
                Severity::Error | Severity::Critical => r.failed += 1,
            }
        }
        latest.insert(s.fingerprint(), s);
    }
    let mut runs: Vec<RunDto> = runs.into_values().collect();
    runs.sort_by(|a, b| b.at.cmp(&a.at));
    runs.truncate(60);
    let failing = latest
        .values()
        .filter(|s| s.severity >= Severity::Warning)
        .map(|s| SignalDto {
            id: s.id.clone(),
            at: vibedata_monitor::time::format(s.at),
            kind: s.kind.clone(),
            node: s.node.clone(),
            severity: s.severity.as_str().into(),
            message: s.message.clone(),
            failures: s.failures,
        })
        .collect();
    if signals.is_empty() {
        notes.push("Nothing has reported yet: run `vibedata alerts run --workspace <path>` after a dbt run.".into());
    }
    Ok(MonitorDto {
        workspace_id: id.to_string(),
        incidents,
        runs,
        failing,
        series: metrics::scored_series(store, id)?,
        notes,
    })
}
