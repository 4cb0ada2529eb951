//! `vibedata alerts run --workspace <path> [--run-results <file>] [--repo owner/name]`: the alert
//! engine on a dbt run (JSON: `signals`, `new_signals`, `incidents[]`, `told[]` — what was queued
//! for GitHub per incident —, `repo`, `unreadable[]`).
//! `vibedata alerts group --events <file.jsonl> [--manifest <manifest.json>]`: signals grouped
//! into incidents (JSON: `incidents[]` with `id`, `events[]` — suppressed ones included —,
//! `suppressed[]`, `suppressed_because[]`, `root`, `severity`, `state`; `notifications[]`;
//! `unreadable[]` lines; `duplicates`). `vibedata monitor score --series <file.csv>`: every point
//! of an `at,value` series scored (JSON: `points[]` with `at`, `value`, `expected`, `low`,
//! `high`, `anomaly`, `status`, `score`, `season`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use vibedata_core::Studio;
use vibedata_core::monitor::engine::alerts::Timing;
use vibedata_core::monitor::engine::detector::{Config, Direction, Scored, Seasonality};
use vibedata_core::monitor::engine::time::{self, SECOND};
use vibedata_core::platform::config::Config as AppConfig;

use crate::print;

#[derive(Subcommand)]
pub enum SilenceAction {
    /// Silence signals matching every matcher, for a while (audited).
    Add {
        /// `field=value`, field one of node, kind, column, workspace, severity; `*` matches any
        /// run of characters (e.g. node=model.shop.*). Repeat for several.
        #[arg(long = "match", value_name = "FIELD=VALUE", required = true)]
        matchers: Vec<String>,
        /// How long, in hours.
        #[arg(long, default_value_t = 2.0)]
        hours: f64,
        /// Why (kept with it and in the audit).
        #[arg(long)]
        comment: String,
        /// Only this workspace (a registered name or id, or a folder); default: every one.
        #[arg(long)]
        workspace: Option<String>,
        /// Who silences (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// The silences, expired ones included.
    List {
        #[arg(long)]
        workspace: Option<String>,
    },
    /// End a silence now (audited).
    Expire {
        id: String,
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AlertsAction {
    /// Write the GitHub Actions workflow that watches the pipeline when no laptop is on
    /// (scheduled dbt build, the alert engine, incidents raised as issues).
    Workflow {
        /// The workspace: a registered name or id, or a repository folder.
        #[arg(long)]
        workspace: String,
        /// When it runs (cron, UTC).
        #[arg(long, default_value = "17 * * * *")]
        cron: String,
        /// The git repository the Vibedata CLI is installed from (`cargo install --git`).
        #[arg(long, value_name = "URL")]
        cli_source: String,
    },
    /// Silences: matchers and a time, so known problems are not announced.
    Silence {
        #[command(subcommand)]
        action: SilenceAction,
    },
    /// Run the alert engine on a dbt run of a workspace: its signals kept, grouped into
    /// incidents with the project's lineage, each incident one GitHub issue (through the outbox;
    /// `outbox replay` or the app delivers it).
    Run {
        /// The workspace's folder (registered or not).
        #[arg(long, value_name = "PATH")]
        workspace: PathBuf,
        /// The run's results (default: the project's target/run_results.json).
        #[arg(long, value_name = "FILE")]
        run_results: Option<PathBuf>,
        /// A dlt load's info (`LoadInfo.asdict()` as JSON): failed jobs and schema changes.
        #[arg(long, value_name = "FILE")]
        load_info: Option<PathBuf>,
        /// The repository to raise incidents on, owner/name (default: the workspace's GitHub
        /// origin; without one, incidents are kept here).
        #[arg(long)]
        repo: Option<String>,
    },
    /// Group a file of signals (one JSON envelope per line) into incidents.
    Group {
        /// One event per line: {"id","at","kind","node","severity","message","correlation_id"?}.
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        /// A dbt manifest: its lineage groups and inhibits (a failing upstream suppresses what
        /// it breaks), and tests are grouped with the node they check.
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
        /// Seconds an incident waits before it is announced (to gather what comes with it).
        #[arg(long, default_value_t = 30)]
        group_wait: i64,
        /// Seconds between two notifications of news on one incident.
        #[arg(long, default_value_t = 300)]
        group_interval: i64,
        /// Seconds before a still-failing incident is recalled.
        #[arg(long, default_value_t = 14_400)]
        repeat_interval: i64,
        /// Seconds without news after which a subject's failure is over.
        #[arg(long, default_value_t = 129_600)]
        resolve_after: i64,
    },
}

#[derive(Subcommand)]
pub enum MonitorAction {
    /// Score every point of a metric series (`at,value` rows).
    Score {
        #[arg(long, value_name = "FILE")]
        series: PathBuf,
        /// Which side of the band is an anomaly.
        #[arg(long, value_enum, default_value_t = Side::Both)]
        direction: Side,
        /// How many robust deviations make the band.
        #[arg(long, default_value_t = 4.0)]
        sensitivity: f64,
        #[arg(long, value_enum, default_value_t = Season::Auto)]
        seasonality: Season,
        /// Points needed before anything is scored ("learning" until then).
        #[arg(long, default_value_t = 14)]
        min_training: usize,
        /// Days of history each point is scored against.
        #[arg(long, default_value_t = 35)]
        training_days: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Side {
    Spike,
    Drop,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Season {
    Auto,
    None,
    DayOfWeek,
    HourOfWeek,
    DayOfMonth,
}

pub async fn alerts(
    json: bool,
    config: AppConfig,
    action: AlertsAction,
) -> anyhow::Result<ExitCode> {
    let (events, manifest, group_wait, group_interval, repeat_interval, resolve_after) =
        match action {
            AlertsAction::Run {
                workspace,
                run_results,
                load_info,
                repo,
            } => return run(json, config, workspace, run_results, load_info, repo).await,
            AlertsAction::Silence { action } => return silence(json, config, action).await,
            AlertsAction::Workflow {
                workspace,
                cron,
                cli_source,
            } => {
                let studio = Studio::start(config).await?;
                let path = studio
                    .monitor()
                    .write_workflow(workspace, cron, cli_source)
                    .await?;
                print(json, &serde_json::json!({"path": path}), |_| {
                    println!("wrote {} (commit and push it)", path.display());
                })?;
                return Ok(ExitCode::SUCCESS);
            }
            AlertsAction::Group {
                events,
                manifest,
                group_wait,
                group_interval,
                repeat_interval,
                resolve_after,
            } => (
                events,
                manifest,
                group_wait,
                group_interval,
                repeat_interval,
                resolve_after,
            ),
        };
    let studio = Studio::start(config).await?;
    let timing = Timing {
        group_wait: group_wait * SECOND,
        group_interval: group_interval * SECOND,
        repeat_interval: repeat_interval * SECOND,
        resolve_after: resolve_after * SECOND,
    };
    let grouped = studio
        .monitor()
        .group_file(&events, manifest.as_deref(), timing)?;
    print(json, &grouped, |g| {
        for i in &g.grouped.incidents {
            println!(
                "{} [{}] {} signals ({} suppressed, {} silenced) since {}",
                i.root,
                i.severity.as_str(),
                i.events.len(),
                i.suppressed.len(),
                i.silenced.len(),
                i.opened_at
            );
        }
        println!(
            "{} incidents, {} notifications, {} duplicates",
            g.grouped.incidents.len(),
            g.grouped.notifications.len(),
            g.grouped.duplicates
        );
        for u in &g.unreadable {
            eprintln!("line {}: {}", u.line, u.reason);
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn who(by: Option<String>) -> String {
    by.or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "person".into())
}

async fn silence(json: bool, config: AppConfig, action: SilenceAction) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let monitor = studio.monitor();
    match action {
        SilenceAction::Add {
            matchers,
            hours,
            comment,
            workspace,
            by,
        } => {
            let s = monitor
                .silence(workspace, matchers, hours, who(by), comment)
                .await?;
            print(json, &s, |s| {
                println!("silence {} until {}", s.id, time::format(s.ends));
            })?;
        }
        SilenceAction::List { workspace } => {
            let list = monitor.silences(workspace).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let rows: Vec<serde_json::Value> = list
                .iter()
                .map(|(ws, s)| {
                    serde_json::json!({"id": s.id, "workspace": ws, "matchers": s.matchers,
                        "starts": time::format(s.starts), "ends": time::format(s.ends),
                        "active": s.starts <= now && now < s.ends,
                        "created_by": s.created_by, "comment": s.comment})
                })
                .collect();
            print(json, &rows, |rows| {
                for r in rows {
                    println!(
                        "{} {} until {} — {}",
                        r["id"].as_str().unwrap_or_default(),
                        if r["active"] == true {
                            "active"
                        } else {
                            "expired"
                        },
                        r["ends"].as_str().unwrap_or_default(),
                        r["comment"].as_str().unwrap_or_default()
                    );
                }
            })?;
        }
        SilenceAction::Expire { id, by } => {
            monitor.expire_silence(id.clone(), who(by)).await?;
            print(json, &serde_json::json!({"expired": id}), |_| {
                println!("silence {id} expired");
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run(
    json: bool,
    config: AppConfig,
    workspace: PathBuf,
    run_results: Option<PathBuf>,
    load_info: Option<PathBuf>,
    repo: Option<String>,
) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let run = studio
        .monitor()
        .alerts_run_with(workspace, run_results, load_info, repo)
        .await?;
    print(json, &run, |r| {
        println!(
            "{}: {} signals ({} new) from {}",
            r.workspace, r.signals, r.new_signals, r.run_results
        );
        for (i, t) in r.incidents.iter().zip(&r.told) {
            let queued = if t.queued.is_empty() {
                "nothing".to_string()
            } else {
                t.queued.join(", ")
            };
            println!(
                "  {} [{}] {} — {} signals; queued: {queued}{}",
                i.root,
                i.severity.as_str(),
                t.state,
                i.events.len(),
                t.waiting
                    .as_deref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            );
        }
        if r.repo.is_none() {
            println!("no GitHub repository: incidents are kept here");
        }
        for u in &r.unreadable {
            eprintln!("unreadable: {u}");
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A scored point as the CLI writes it (`at` in RFC 3339).
#[derive(Serialize)]
struct Point {
    at: String,
    value: f64,
    expected: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    anomaly: bool,
    status: vibedata_core::monitor::engine::detector::Status,
    score: Option<f64>,
    season: Option<Seasonality>,
}

impl From<Scored> for Point {
    fn from(s: Scored) -> Point {
        Point {
            at: time::format(s.at),
            value: s.value,
            expected: s.expected,
            low: s.low,
            high: s.high,
            anomaly: s.anomaly,
            status: s.status,
            score: s.score,
            season: s.season,
        }
    }
}

#[derive(Serialize)]
struct Points {
    points: Vec<Point>,
    anomalies: usize,
}

pub async fn monitor(
    json: bool,
    config: AppConfig,
    action: MonitorAction,
) -> anyhow::Result<ExitCode> {
    let MonitorAction::Score {
        series,
        direction,
        sensitivity,
        seasonality,
        min_training,
        training_days,
    } = action;
    let studio = Studio::start(config).await?;
    let cfg = Config {
        direction: match direction {
            Side::Spike => Direction::Spike,
            Side::Drop => Direction::Drop,
            Side::Both => Direction::Both,
        },
        sensitivity,
        seasonality: match seasonality {
            Season::Auto => Seasonality::Auto,
            Season::None => Seasonality::None,
            Season::DayOfWeek => Seasonality::DayOfWeek,
            Season::HourOfWeek => Seasonality::HourOfWeek,
            Season::DayOfMonth => Seasonality::DayOfMonth,
        },
        min_training,
        training: training_days * time::DAY,
        ..Config::default()
    };
    let scored = studio.monitor().score_file(&series, &cfg)?;
    let points = Points {
        anomalies: scored.iter().filter(|p| p.anomaly).count(),
        points: scored.into_iter().map(Point::from).collect(),
    };
    print(json, &points, |p| {
        for point in p.points.iter().filter(|x| x.anomaly) {
            println!(
                "{} {} (expected {:.3}, band {:.3}–{:.3})",
                point.at,
                point.value,
                point.expected.unwrap_or(f64::NAN),
                point.low.unwrap_or(f64::NAN),
                point.high.unwrap_or(f64::NAN)
            );
        }
        println!("{} points, {} anomalies", p.points.len(), p.anomalies);
    })?;
    Ok(ExitCode::SUCCESS)
}
