//! One run of the alert engine on a workspace's dbt run (see [`super::Monitor::alerts_run`]):
//! its results and sources' freshness as signals, a dlt load's, what did not report, the local
//! DuckDB measured; kept, grouped with the project's lineage and silences, and told to GitHub.
//! Blocking.

use std::path::PathBuf;

use vibedata_monitor::alerts::Timing;
use vibedata_monitor::time::DAY;

use super::{
    AlertsRun, collect, incidents, lineage_of_index, metrics, read, relations_of, silences,
    telemetry,
};
use crate::platform::Platform;
use crate::platform::error::{CoreError, Result};

pub(super) fn alerts_run(
    platform: &Platform,
    path: PathBuf,
    run_results: Option<PathBuf>,
    load_info: Option<PathBuf>,
    repo: Option<String>,
) -> Result<AlertsRun> {
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
                        CoreError::InvalidInput(format!("{} has no dbt project", path.display()))
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
    let results_path = run_results.unwrap_or_else(|| project.join("target/run_results.json"));
    // A dlt load alone (no dbt run yet) is fine; otherwise the run's results are needed.
    let run = if load_info.is_some() && !results_path.exists() {
        vibedata_monitor::signal::RunResults::default()
    } else {
        let text = read(&results_path, "run results")?;
        vibedata_monitor::signal::from_run_results(&text, Some(&key))
            .map_err(|e| CoreError::InvalidInput(format!("{}: {e}", results_path.display())))?
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
        let loaded =
            vibedata_monitor::signal::from_dlt_load_info(&read(info, "load info")?, Some(&key))
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
    // Telemetry: what the project has that did not report (a run read again counts once;
    // a node dbt skipped reported — its upstream failing is the news).
    let run_id = run
        .invocation_id
        .clone()
        .unwrap_or_else(|| format!("run@{latest}"));
    if !signals.is_empty() && !incidents::run_known(&platform.store, &key, &run_id)? {
        let reported: std::collections::HashSet<String> = signals
            .iter()
            .map(|s| s.node.clone())
            .chain(run.seen.iter().cloned())
            .collect();
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
        // The warehouse measured; a failure to (another process holds the file, a value the
        // script cannot say) is said, and the run's own signals are still kept.
        match collect::collect(
            &platform.venv(),
            &platform.store,
            &key,
            &warehouse,
            latest,
            &relations,
        ) {
            Ok(c) => {
                signals.extend(c.signals.iter().cloned());
                unreadable.extend(c.unreadable.iter().cloned());
                collected = Some((c.tables, c.points));
            }
            Err(e) => unreadable.push(format!("the warehouse could not be measured: {e}")),
        }
    }
    let count = signals.len();
    let new_signals = incidents::keep_signals(&platform.store, &key, &signals)?;
    // A week of signals, and further back while an incident is still open (so a long failure
    // keeps its incident, its id and its issue).
    let since = incidents::oldest_open(&platform.store, &key)?
        .map_or(latest - 7 * DAY, |opened| opened.min(latest - 7 * DAY));
    let history = incidents::signals_since(&platform.store, &key, since)?;
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
}
