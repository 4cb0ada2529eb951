//! The Monitor on the demo domain, offline on the first start: its generated sixty days — the
//! charts with their expected bands and the two flagged points (the volume drop, the late load),
//! the runs timeline with the two failed runs, the failing test and its open incident (kept
//! here: the demo has no GitHub repository), the anomalies' incidents resolved.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_monitor_shows_charts_flagged_points_and_the_open_incident() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("nav-monitor").await.unwrap();
    app.wait_for("monitor-chart", WAIT)
        .await
        .expect("the demo's charts are drawn");
    let charts = app.find_all("monitor-chart").await.unwrap();
    assert_eq!(charts.len(), 4, "three row counts and a freshness lag");
    let drop = "[data-testid='monitor-chart'][data-table='stg_crm__opportunities'][data-metric='row_count']";
    assert_eq!(app.attr_css(drop, "data-flagged").await.unwrap(), "1");
    let late = "[data-testid='monitor-chart'][data-table='crm.opportunities'][data-metric='freshness_lag_hours']";
    assert_eq!(app.attr_css(late, "data-flagged").await.unwrap(), "1");
    let quiet =
        "[data-testid='monitor-chart'][data-table='stg_crm__accounts'][data-metric='row_count']";
    assert_eq!(app.attr_css(quiet, "data-flagged").await.unwrap(), "0");
    // A flagged point says its value and its band when hovered.
    let title = app
        .client()
        .execute(
            &format!("return document.querySelector(\"{drop} [data-testid='anomaly-point'] title\").textContent;"),
            vec![],
        )
        .await
        .unwrap();
    let title = title.as_str().unwrap_or_default().to_string();
    assert!(
        title.contains("expected") && title.contains("anomaly"),
        "{title}"
    );
    // The runs: sixty, the last two failed.
    assert_eq!(app.find_all("monitor-run").await.unwrap().len(), 60);
    let failed = app
        .client()
        .execute(
            "return document.querySelectorAll(\"[data-testid='monitor-run'].run-failed\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(failed, serde_json::json!(2));
    // The failing test and its incident, open and kept here; the anomalies' incidents over.
    app.wait_for_css(
        "[data-testid='monitor-failing'][data-node^='test.demo_crm.accepted_values_stg_crm__accounts_industry']",
        WAIT,
    )
    .await
    .unwrap();
    let open = "[data-testid='monitor-incident'][data-state='firing'][data-root='model.demo_crm.stg_crm__accounts']";
    app.wait_for_css(&format!("{open} [data-testid='incident-local']"), WAIT)
        .await
        .expect("the open incident, kept here");
    let resolved = app
        .client()
        .execute(
            "return document.querySelectorAll(\"[data-testid='monitor-incident'][data-state='resolved']\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(resolved, serde_json::json!(2));
    app.screenshot("monitor-demo").await.unwrap();
    app.close().await.unwrap();
}
