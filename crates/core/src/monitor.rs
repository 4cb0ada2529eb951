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
                }
                Err(e) => {
                    tracing::warn!(workspace = %ws.name, error = %e, "monitor: a run could not be read")
                }
            }
            self.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(ws.id.clone(), modified);
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
            // A dlt load alone (no dbt run yet) is fine; otherwise the run's results are needed.
            let run = if load_info.is_some() && !results_path.exists() {
                vibedata_monitor::signal::RunResults::default()
            } else {
                let text = read(&results_path, "run results")?;
                vibedata_monitor::signal::from_run_results(&text, Some(&key)).map_err(|e| {
                    CoreError::InvalidInput(format!("{}: {e}", results_path.display()))
                })?
            };
            let mut signals = run.signals;
            let mut unreadable = run.unreadable;
            // How long each node took: a metric per node, for the runs timeline.
            let durations: Vec<metrics::MetricPoint> = run
                .durations
                .iter()
                .map(|(uid, at, seconds)| metrics::MetricPoint {
                    table: uid.clone(),
                    metric: metrics::DURATION.into(),
                    column: String::new(),
                    at: *at,
                    value: *seconds,
                })
                .collect();
            metrics::keep(&platform.store, &key, &durations)?;
            let sources = results_path.with_file_name("sources.json");
            if sources.is_file()
                && let Ok(fresh) = vibedata_monitor::signal::from_sources(
                    &read(&sources, "freshness results")?,
                    Some(&key),
                )
            {
                signals.extend(fresh.signals);
                unreadable.extend(fresh.unreadable);
                // Each source's lag is a metric too (`<source>.<table>`), scored like the others.
                let lags: Vec<metrics::MetricPoint> = fresh
                    .lags
                    .iter()
                    .map(|(uid, at, hours)| metrics::MetricPoint {
                        table: uid.splitn(3, '.').nth(2).unwrap_or(uid).to_string(),
                        metric: "freshness_lag_hours".into(),
                        column: String::new(),
                        at: *at,
                        value: *hours,
                    })
                    .collect();
                metrics::keep(&platform.store, &key, &lags)?;
            }
            let now = crate::platform::clock::now() * 1000;
            let latest = signals.iter().map(|s| s.at).max().unwrap_or(now).max(now);
            let index = vibedata_dbt_index::Index::load(&project);
            let relations = relations_of(&index);
            if let Some(info) = &load_info {
                let loaded = vibedata_monitor::signal::from_dlt_load_info(
                    &read(info, "load info")?,
                    Some(&key),
                )
                .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", info.display())))?;
                unreadable.extend(loaded.unreadable);
                signals.extend(loaded.signals.into_iter().map(|mut s| {
                    // A loaded table read by a source is that source.
                    if let Some(table) = s.node.rsplit('.').next()
                        && let Some(uid) = relations.get(&table.to_lowercase())
                        && uid.starts_with("source.")
                    {
                        s.node = uid.clone();
                    }
                    s
                }));
            }
            // Telemetry: what the project has that did not report.
            if !signals.is_empty() {
                let reported: std::collections::HashSet<String> =
                    signals.iter().map(|s| s.node.clone()).collect();
                let run_id = run
                    .invocation_id
                    .clone()
                    .unwrap_or_else(|| format!("run@{latest}"));
                signals.extend(telemetry::check(
                    &platform.store,
                    &key,
                    &telemetry::expected_nodes(&index),
                    &reported,
                    &run_id,
                    latest,
                )?);
            }
            // The warehouse's metrics, when the run was on the local DuckDB.
            let warehouse = project.join(crate::workspaces::registry::WAREHOUSE_FILE);
            let mut collected = None;
            let on_duckdb = std::fs::read_to_string(project.join("profiles.yml"))
                .is_ok_and(|t| t.contains("type: duckdb"));
            if on_duckdb && warehouse.is_file() {
                let c = collect::collect(
                    &platform.venv(),
                    &platform.store,
                    &key,
                    &warehouse,
                    latest,
                    &relations,
                )?;
                signals.extend(c.signals.iter().cloned());
                unreadable.extend(c.unreadable.iter().cloned());
                collected = Some((c.tables, c.points));
            }
            let count = signals.len();
            let new_signals = incidents::keep_signals(&platform.store, &key, &signals)?;
            let history = incidents::signals_since(&platform.store, &key, latest - 7 * DAY)?;
            let silenced: Vec<_> = silences::list(&platform.store, Some(&key))?
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            let grouped = vibedata_monitor::alerts::group_until(
                history.clone(),
                lineage_of_index(&index),
                Timing::default(),
                silenced,
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
                metrics: collected,
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
        blocking(move || incident_of_issue(&platform, &repo, number)).await
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

fn incident_of_issue(
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
