//! Monitor: Operate's front door over the engine in `vibedata-monitor` (signals, the anomaly
//! detector, the alert engine). It runs the alert engine on a workspace's dbt run
//! ([`Monitor::alerts_run`]: the run's signals kept, grouped with the lineage of the native
//! index, each incident told to GitHub as one issue through the outbox — [`incidents`]), groups
//! a file of signals and scores a metric series (what `vibedata alerts group` and `vibedata
//! monitor score` run), and gives the Monitor page its state ([`Monitor::overview`]: incidents
//! with their issue, runs, what fails now, each table metric scored — [`metrics`]); the demo
//! domain gets sixty days of generated history on first look ([`demo_history`]).

pub mod collect;
pub mod demo_history;
pub mod incidents;
pub mod metrics;
mod overview;
mod run;
pub mod silences;
pub mod telemetry;
pub mod workflow;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use vibedata_monitor as engine;
use vibedata_monitor::alerts::{Grouped, IncidentOut, Timing};
use vibedata_monitor::detector::{Config, Scored};
use vibedata_monitor::lineage::Lineage;
use vibedata_monitor::signal::Unreadable;

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
    /// Tables read from the local warehouse and metric values kept (none: not on DuckDB).
    pub metrics: Option<(usize, usize)>,
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
    lineage_of_index(&vibedata_dbt_index::Index::load(project))
}

/// [`lineage_of`] an index already loaded.
pub fn lineage_of_index(index: &vibedata_dbt_index::Index) -> Lineage {
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

/// The project's relations by their lower-case name (a model's alias or name, a source's table)
/// and the node each is.
fn relations_of(index: &vibedata_dbt_index::Index) -> std::collections::HashMap<String, String> {
    use vibedata_dbt_index::ResourceType;
    index
        .nodes()
        .values()
        .filter(|n| {
            matches!(
                n.resource_type,
                ResourceType::Model
                    | ResourceType::Seed
                    | ResourceType::Snapshot
                    | ResourceType::Source
            )
        })
        .map(|n| {
            let relation = match &n.source {
                Some((_, table)) => table.clone(),
                None => n
                    .config
                    .get("alias")
                    .and_then(|a| a.as_str())
                    .unwrap_or(&n.name)
                    .to_string(),
            };
            (relation.to_lowercase(), n.unique_id.clone())
        })
        .collect()
}

/// Monitor's front door.
pub struct Monitor {
    platform: Arc<Platform>,
    /// When each workspace's run results were last read by the watcher.
    seen: std::sync::Mutex<std::collections::HashMap<String, std::time::SystemTime>>,
}

impl Monitor {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self {
            platform,
            seen: Default::default(),
        }
    }

    /// One pass of the app's watcher: the alert engine runs on every registered domain whose
    /// `target/run_results.json` changed since the last pass (a dbt run in the person's
    /// checkout, by them or an agent). A failure is logged and the others still run.
    pub async fn watch_pass(&self) -> usize {
        let platform = self.platform.clone();
        let Ok(list) = blocking(move || crate::workspaces::registry::list(&platform.store)).await
        else {
            return 0;
        };
        let mut ran = 0;
        for ws in list {
            let results = ws.project().join("target/run_results.json");
            let Ok(modified) = std::fs::metadata(&results).and_then(|m| m.modified()) else {
                continue;
            };
            let fresh = {
                let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                seen.get(&ws.id).is_none_or(|at| *at < modified)
            };
            if !fresh {
                continue;
            }
            match self.alerts_run(ws.path.clone(), None, None).await {
                Ok(run) => {
                    ran += 1;
                    tracing::info!(workspace = %ws.name, signals = run.signals, incidents = run.incidents.len(), "monitor: a run was read");
                    self.seen
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(ws.id.clone(), modified);
                }
                // Read again next pass (a file dbt is still writing is truncated now).
                Err(e) => {
                    tracing::warn!(workspace = %ws.name, error = %e, "monitor: a run could not be read")
                }
            }
        }
        ran
    }

    /// The app's watcher: [`Monitor::watch_pass`] every `every`, for ever.
    pub async fn watch_loop(self: Arc<Self>, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            self.watch_pass().await;
        }
    }

    /// Runs the alert engine on a dbt run of the workspace at `path` (registered or not): its
    /// `run_results.json` (default: the project's `target/`) and `sources.json` when there is
    /// one become signals, with the local DuckDB's metrics, schema changes and anomalies
    /// ([`collect`]) when the run was there, kept in the store; the last week's signals are grouped with the
    /// lineage of the native index; each incident is recorded and told to `repo` (default: the
    /// workspace's GitHub origin; none: kept here) through the outbox.
    pub async fn alerts_run(
        &self,
        path: PathBuf,
        run_results: Option<PathBuf>,
        repo: Option<String>,
    ) -> Result<AlertsRun> {
        self.alerts_run_with(path, run_results, None, repo).await
    }

    /// [`Monitor::alerts_run`], with a dlt load's info (`LoadInfo` as JSON) read too: failed
    /// load jobs and schema changes on the tables it loads (named as the project's sources when
    /// one reads that table).
    pub async fn alerts_run_with(
        &self,
        path: PathBuf,
        run_results: Option<PathBuf>,
        load_info: Option<PathBuf>,
        repo: Option<String>,
    ) -> Result<AlertsRun> {
        let platform = self.platform.clone();
        blocking(move || run::alerts_run(&platform, path, run_results, load_info, repo)).await
    }

    /// What the Monitor page shows of a workspace (the demo's generated history made first).
    pub async fn overview(
        &self,
        workspace_id: &str,
    ) -> Result<vibedata_protocol::monitor::MonitorDto> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || overview::overview(&platform, &id)).await
    }

    /// A person's silence: `matchers` (`field=value`) for `hours` from now, on one workspace (or
    /// every one), with why (audited). Signals it matches stay in their incident but are not
    /// announced.
    pub async fn silence(
        &self,
        workspace: Option<String>,
        matchers: Vec<String>,
        hours: f64,
        by: String,
        comment: String,
    ) -> Result<vibedata_monitor::alerts::Silence> {
        let platform = self.platform.clone();
        blocking(move || {
            let matchers = matchers
                .iter()
                .map(|m| silences::parse_matcher(m))
                .collect::<Result<Vec<_>>>()?;
            if !(hours > 0.0 && hours <= 24.0 * 90.0) {
                return Err(CoreError::InvalidInput(
                    "a silence lasts between a moment and 90 days".into(),
                ));
            }
            let now = crate::platform::clock::now() * 1000;
            let ends = now + (hours * 3_600_000.0) as i64;
            let key = match workspace {
                Some(w) => Some(workspace_key(&platform, &w)?),
                None => None,
            };
            silences::create(
                &platform.store,
                key.as_deref(),
                matchers,
                now,
                ends,
                &by,
                &comment,
            )
        })
        .await
    }

    /// Writes the GitHub Actions workflow that watches the workspace's pipeline when no laptop
    /// is on (see [`workflow`]); returns its path.
    pub async fn write_workflow(
        &self,
        workspace: String,
        cron: String,
        cli_source: String,
    ) -> Result<PathBuf> {
        let platform = self.platform.clone();
        blocking(move || {
            let list = crate::workspaces::registry::list(&platform.store)?;
            let (repo, project_dir) = match list
                .into_iter()
                .find(|w| w.id == workspace || w.name == workspace)
            {
                Some(ws) => (ws.path, ws.project_dir),
                None => {
                    let path = Path::new(&workspace)
                        .canonicalize()
                        .map_err(|e| CoreError::io(format!("no workspace {workspace}"), e))?;
                    let dir = if path.join("dbt_project.yml").is_file() {
                        String::new()
                    } else {
                        crate::workspaces::registration::find_dbt_projects(&path)
                            .into_iter()
                            .next()
                            .ok_or_else(|| {
                                CoreError::InvalidInput(format!(
                                    "{} has no dbt project",
                                    path.display()
                                ))
                            })?
                    };
                    (path, dir)
                }
            };
            workflow::write(&repo, &project_dir, &cron, &cli_source)
        })
        .await
    }

    /// Ends a silence now (audited).
    pub async fn expire_silence(&self, id: String, by: String) -> Result<()> {
        let platform = self.platform.clone();
        blocking(move || {
            silences::expire(
                &platform.store,
                &id,
                &by,
                crate::platform::clock::now() * 1000,
            )
        })
        .await
    }

    /// The silences (of a workspace, and those of every workspace).
    pub async fn silences(
        &self,
        workspace: Option<String>,
    ) -> Result<Vec<(Option<String>, vibedata_monitor::alerts::Silence)>> {
        let platform = self.platform.clone();
        blocking(move || {
            let key = match workspace {
                Some(w) => Some(workspace_key(&platform, &w)?),
                None => None,
            };
            silences::list(&platform.store, key.as_deref())
        })
        .await
    }

    /// The incident a GitHub issue was raised for, with its signals (none: the issue is not one
    /// of ours).
    pub async fn incident_of_issue(
        &self,
        repo: String,
        number: u64,
    ) -> Result<Option<vibedata_protocol::monitor::IncidentDetailDto>> {
        let platform = self.platform.clone();
        blocking(move || overview::incident_of_issue(&platform, &repo, number)).await
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

/// The key a workspace's signals are kept under: a registered workspace's id (given by id, name
/// or folder), else the folder's canonical path.
fn workspace_key(platform: &Platform, given: &str) -> Result<String> {
    let list = crate::workspaces::registry::list(&platform.store)?;
    if let Some(ws) = list.iter().find(|w| w.id == given || w.name == given) {
        return Ok(ws.id.clone());
    }
    let path = Path::new(given)
        .canonicalize()
        .map_err(|e| CoreError::io(format!("no workspace {given}"), e))?;
    Ok(list
        .into_iter()
        .find(|w| w.path == path)
        .map(|w| w.id)
        .unwrap_or_else(|| path.to_string_lossy().into_owned()))
}
