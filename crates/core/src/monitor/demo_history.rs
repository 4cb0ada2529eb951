//! Sixty days of run history for the demo domain, generated (from a fixed seed, ending today)
//! and labelled as such, so the Monitor has something true to the demo's shape to show offline
//! on the first start: a daily run at 06:00 UTC of the demo's models and tests; row counts that
//! grow, lower at weekends (weekly seasonality), with **one volume drop**; the opportunities
//! source's freshness lag with **one late load**; and **one failing test** (the industry
//! `accepted_values` of `stg_crm__accounts`) failing in the last two runs — still open. The
//! detector's anomalies become signals like any other, so the engine makes the incidents.
//! Blocking.

use vibedata_monitor::alerts::Timing;
use vibedata_monitor::detector;
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::{DAY, HOUR, Millis};

use super::metrics::{self, MetricPoint};
use crate::platform::error::Result;
use crate::platform::store::Store;
use crate::workspaces::registry::Workspace;

const DAYS: i64 = 60;
/// The day (0-based) the opportunities load came in short, and the day the source was late.
const DROP_DAY: i64 = 47;
const LATE_DAY: i64 = 52;

/// Generates and keeps the demo's history unless it was made before. Returns whether it did.
pub fn ensure(store: &Store, ws: &Workspace, now: Millis) -> Result<bool> {
    let made: bool = store.with(|c| {
        c.query_row(
            "SELECT EXISTS (SELECT 1 FROM monitor_signals WHERE workspace_id = ?1 AND id LIKE 'demo-run-%')",
            [&ws.id],
            |r| r.get(0),
        )
    })?;
    if !ws.is_demo || made {
        return Ok(false);
    }
    let index = vibedata_dbt_index::Index::load(&ws.project());
    let mut models: Vec<String> = Vec::new();
    let mut tests: Vec<String> = Vec::new();
    let mut failing_test: Option<String> = None;
    for n in index.nodes().values() {
        match n.resource_type {
            vibedata_dbt_index::ResourceType::Model => models.push(n.unique_id.clone()),
            vibedata_dbt_index::ResourceType::Test => {
                let info = n.test.as_ref();
                if info.and_then(|t| t.test_name.as_deref()) == Some("accepted_values")
                    && info.and_then(|t| t.attached_node.as_deref())
                        == Some("model.demo_crm.stg_crm__accounts")
                {
                    failing_test = Some(n.unique_id.clone());
                }
                tests.push(n.unique_id.clone());
            }
            _ => {}
        }
    }
    models.sort();
    tests.sort();
    let mut rng = fastrand::Rng::with_seed(20_261_201);
    // The last run: today at 06:00 UTC, or yesterday's when it is earlier than that.
    let today = now - now.rem_euclid(DAY) + 6 * HOUR;
    let last = if today <= now { today } else { today - DAY };
    let first = last - (DAYS - 1) * DAY;
    let mut points: Vec<MetricPoint> = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    for d in 0..DAYS {
        let at = first + d * DAY;
        let weekday = vibedata_monitor::time::civil(at).0;
        let weekend = weekday >= 5;
        let run = format!("demo-run-{d:02}");
        let mut count = |table: &str, base: f64, growth: f64, weekend_dip: f64, noise: f64| {
            let mut v = base + growth * d as f64;
            if weekend {
                v *= 1.0 - weekend_dip;
            }
            // Bounded noise: the demo's charts flag what was put in them, nothing by chance.
            v += noise * (2.0 * rng.f64() - 1.0);
            (table.to_string(), v.round())
        };
        let mut day = vec![
            count("silver.stg_crm__accounts", 400.0, 0.6, 0.0, 1.5),
            count("silver.stg_crm__contacts", 1600.0, 4.0, 0.12, 12.0),
            count("silver.stg_crm__opportunities", 1200.0, 3.0, 0.18, 10.0),
        ];
        if d == DROP_DAY {
            day[2].1 = (day[2].1 * 0.55).round();
        }
        for (table, value) in day {
            points.push(MetricPoint {
                table,
                metric: "row_count".into(),
                column: String::new(),
                at,
                value,
            });
        }
        let lag = if d == LATE_DAY {
            19.5
        } else {
            1.5 + 0.4 * rng.f64()
        };
        points.push(MetricPoint {
            table: "crm.opportunities".into(),
            metric: "freshness_lag_hours".into(),
            column: String::new(),
            at,
            value: (lag * 10.0f64).round() / 10.0,
        });
        // How long each model took (the runs timeline shows them).
        for uid in &models {
            points.push(MetricPoint {
                table: uid.clone(),
                metric: metrics::DURATION.into(),
                column: String::new(),
                at: at + 60_000,
                value: ((0.3 + 1.5 * rng.f64()) * 100.0).round() / 100.0,
            });
        }
        // The run's results: everything passes but the one test, failing in the last two runs.
        for uid in models.iter().chain(&tests) {
            let fails = Some(uid) == failing_test.as_ref() && d >= DAYS - 2;
            let is_test = uid.starts_with("test.");
            signals.push(Signal {
                id: format!("{run}:{uid}"),
                at: at + 60_000,
                kind: if is_test { "test_failure" } else { "model_error" }.into(),
                node: uid.clone(),
                column: None,
                workspace: Some(ws.id.clone()),
                severity: if fails { Severity::Error } else { Severity::Ok },
                message: if fails {
                    "Got 12 results, configured to fail if != 0 (industry values outside the accepted list)".into()
                } else {
                    String::new()
                },
                correlation_id: Some(run.clone()),
                failures: fails.then_some(12),
            });
        }
    }
    metrics::keep(store, &ws.id, &points)?;
    // The detector's anomalies are signals too (and the next normal point resolves them).
    // Tables as a real run names them (the metrics collected after one line up).
    let node_of = |table: &str| match table.split_once('.') {
        // Freshness is dbt's: named by the source (`crm.<table>`); row counts by the warehouse.
        Some(("bronze" | "crm", name)) => format!("source.demo_crm.crm.{name}"),
        Some((_, name)) => format!("model.demo_crm.{name}"),
        None => format!("model.demo_crm.{table}"),
    };
    let mut by_series: std::collections::BTreeMap<(String, String), Vec<(Millis, f64)>> =
        Default::default();
    for p in &points {
        by_series
            .entry((p.table.clone(), p.metric.clone()))
            .or_default()
            .push((p.at, p.value));
    }
    for ((table, metric), series) in by_series {
        let Ok(scored) = detector::score(&series, &metrics::config_for(&metric)) else {
            continue;
        };
        for (i, p) in scored.iter().enumerate() {
            let was = i > 0 && scored[i - 1].anomaly;
            if !p.anomaly && !was {
                continue;
            }
            signals.push(Signal {
                id: format!("demo-anomaly:{table}:{metric}:{}", p.at),
                at: p.at + 120_000,
                kind: "anomaly".into(),
                node: node_of(&table),
                column: Some(metric.clone()),
                workspace: Some(ws.id.clone()),
                severity: if p.anomaly {
                    Severity::Warning
                } else {
                    Severity::Ok
                },
                message: match (p.anomaly, p.low, p.high) {
                    (true, Some(low), Some(high)) => format!(
                        "{metric} {} outside its expected band {low:.1}–{high:.1}",
                        p.value
                    ),
                    _ => format!("{metric} back within its band"),
                },
                correlation_id: None,
                failures: None,
            });
        }
    }
    super::incidents::keep_signals(store, &ws.id, &signals)?;
    let lineage = super::lineage_of(&ws.project());
    let grouped = vibedata_monitor::alerts::group_until(
        signals.clone(),
        lineage,
        Timing::default(),
        Vec::new(),
        now,
    );
    super::incidents::tell(store, &ws.id, None, &grouped, &signals)?;
    Ok(true)
}
