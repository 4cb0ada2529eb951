//! The alert engine on a real dbt run of the demo: a broken test becomes one incident and one
//! issue on the (fake) GitHub, delivered exactly once though the connection drops after GitHub
//! made it; running again adds nothing; fixed, the issue is closed with a comment.

use vibedata_core::Studio;
use vibedata_fakes::github::{FakeGitHub, Fault};
use vibedata_secrets::Sensitive;

use crate::fresh_paths;

const TOKEN: &str = "ghp_monitor_incident_token_17";
const REPO: &str = "acme/crm";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_test_of_a_real_run_is_one_incident_and_one_issue_closed_when_fixed() {
    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_repo(REPO);
    let (_dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    studio
        .github()
        .use_token(&fake.base_url(), Sensitive::new(TOKEN.into()));
    let model = demo.path.join("models/staging/stg_crm__accounts.sql");
    let good = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, good.replace("lower(industry)", "upper(industry)")).unwrap();
    let build = venv.dbt(&demo.project(), &["build"]).unwrap();
    assert!(!build.success, "the accepted_values test fails");

    let run = studio
        .monitor()
        .alerts_run(demo.path.clone(), None, Some(REPO.into()))
        .await
        .unwrap();
    assert!(
        run.signals > 20,
        "every result is a signal: {}",
        run.signals
    );
    assert_eq!(run.incidents.len(), 1, "{:#?}", run.incidents);
    let incident = &run.incidents[0];
    assert_eq!(incident.root, "model.demo_crm.stg_crm__accounts");
    assert!(incident.kinds.contains(&"test_failure".to_string()));
    assert_eq!(run.told[0].queued, ["open"]);

    // GitHub makes the issue, then the connection drops before the answer: still one issue.
    fake.fault(&[Fault::ResetAfterApply]);
    studio.github().inbox_sync().await.unwrap();
    studio.github().inbox_sync().await.unwrap();
    let issues = fake.issues_of(REPO);
    assert_eq!(issues.len(), 1, "exactly once: {issues:#?}");
    let labels: Vec<&str> = issues[0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(
        labels.contains(&"incident") && labels.contains(&"severity:error"),
        "{labels:?}"
    );
    let body = issues[0]["body"].as_str().unwrap();
    assert!(
        body.contains("accepted_values"),
        "the evidence names the test: {body}"
    );

    // The same run read again: nothing new, nothing queued.
    let again = studio
        .monitor()
        .alerts_run(demo.path.clone(), None, Some(REPO.into()))
        .await
        .unwrap();
    assert_eq!(again.new_signals, 0);
    assert!(
        again.told.iter().all(|t| t.queued.is_empty()),
        "{:?}",
        again.told
    );
    assert_eq!(again.told[0].issue_number, issues[0]["number"].as_u64());

    // Fixed: the next run passes, the incident resolves, the issue is closed with a comment.
    std::fs::write(&model, good).unwrap();
    let build = venv.dbt(&demo.project(), &["build"]).unwrap();
    assert!(build.success, "{}", build.stdout);
    let fixed = studio
        .monitor()
        .alerts_run(demo.path.clone(), None, Some(REPO.into()))
        .await
        .unwrap();
    assert_eq!(fixed.told[0].state, "resolved", "{:?}", fixed.told);
    assert_eq!(fixed.told[0].queued, ["close"]);
    studio.github().inbox_sync().await.unwrap();
    let issues = fake.issues_of(REPO);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["state"], "closed");
    let comments = fake.comments_of(REPO);
    assert!(
        comments
            .iter()
            .any(|c| c["body"].as_str().unwrap().starts_with("Resolved at")),
        "{comments:#?}"
    );
}

/// Bad input: a truncated run results file is said plainly, with its path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_run_results_file_is_refused_with_its_path() {
    let (dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let cut = dir.path().join("run_results.json");
    std::fs::write(
        &cut,
        "{\"metadata\": {\"dbt_version\": \"1.11.0\"}, \"results\": [{\"unique_id\":",
    )
    .unwrap();
    let err = studio
        .monitor()
        .alerts_run(demo.path.clone(), Some(cut.clone()), None)
        .await
        .unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("run_results.json") && said.contains("truncated"),
        "{said}"
    );
}

/// The demo's generated history on the first look: sixty runs, charts whose flagged points are
/// the volume drop and the late load (nothing else), the open incident of the failing test, and
/// the anomalies' incidents resolved when the series came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_sixty_days_with_its_drop_late_load_and_open_incident() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let m = studio.monitor().overview(&demo.id).await.unwrap();
    assert_eq!(m.runs.len(), 60);
    assert!(
        m.runs[0].seconds > 0.0 && m.runs[0].models.len() == 4,
        "each run's models with their time: {:?}",
        m.runs[0]
    );
    assert!(
        m.runs[0].failed == 1 && m.runs[2].failed == 0,
        "{:?}",
        &m.runs[..3]
    );
    let flagged: Vec<(String, String, usize)> = m
        .series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.anomaly)
                .map(move |(i, _)| (s.table.clone(), s.metric.clone(), i))
        })
        .collect();
    assert_eq!(
        flagged,
        [
            (
                "crm.opportunities".to_string(),
                "freshness_lag_hours".to_string(),
                52
            ),
            (
                "silver.stg_crm__opportunities".to_string(),
                "row_count".to_string(),
                47
            )
        ],
        "only the late load and the drop"
    );
    let open: Vec<_> = m.incidents.iter().filter(|i| i.state == "firing").collect();
    assert_eq!(open.len(), 1, "{:#?}", m.incidents);
    assert_eq!(open[0].root, "model.demo_crm.stg_crm__accounts");
    assert!(open[0].kinds.contains(&"test_failure".to_string()));
    let resolved = m.incidents.iter().filter(|i| i.state == "resolved").count();
    assert_eq!(
        resolved, 2,
        "the drop and the late load, over: {:#?}",
        m.incidents
    );
    assert_eq!(m.failing.len(), 1);
    assert_eq!(m.failing[0].failures, Some(12));
    // Whatever the weekday it ends on, only the drop and the late load are flagged.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for offset in 1..7 {
        let dir = tempfile::tempdir().unwrap();
        let store = vibedata_core::platform::store::Store::open(&dir.path().join("s.db")).unwrap();
        let day = 86_400_000;
        assert!(
            vibedata_core::monitor::demo_history::ensure(&store, &demo, now - offset * day)
                .unwrap()
        );
        let series = vibedata_core::monitor::metrics::scored_series(&store, &demo.id).unwrap();
        let flagged: Vec<usize> = series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.anomaly)
                    .map(|(i, _)| i)
            })
            .collect();
        assert_eq!(flagged, [52, 47], "ending {offset} days ago");
    }
    // Asked again: nothing generated twice.
    let again = studio.monitor().overview(&demo.id).await.unwrap();
    assert_eq!(again.incidents.len(), m.incidents.len());
    assert_eq!(again.series[0].points.len(), 60);
}

/// A run on the local DuckDB: the warehouse's tables are measured after it (row counts, null
/// rates, kept as metrics); the next run's new column is a schema change, an incident of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_on_duckdb_is_measured_and_a_new_column_is_a_schema_change() {
    let (_dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    assert!(venv.dbt(&demo.project(), &["build"]).unwrap().success);
    let first = studio
        .monitor()
        .alerts_run(demo.path.clone(), None, None)
        .await
        .unwrap();
    let (tables, points) = first.metrics.expect("measured on DuckDB");
    assert!(tables >= 7, "bronze, silver and gold tables: {tables}");
    assert!(points > tables * 3, "row counts and null rates: {points}");
    assert!(first.incidents.is_empty(), "{:#?}", first.incidents);
    assert!(first.repo.is_none(), "the demo has no GitHub repository");
    // The app's watcher reads a run once: again only when dbt runs again.
    assert_eq!(studio.monitor().watch_pass().await, 1);
    assert_eq!(studio.monitor().watch_pass().await, 0);

    let model = demo.path.join("models/staging/stg_crm__accounts.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    std::fs::write(
        &model,
        sql.replace(
            "cast(created_at as date) as created_date",
            "cast(created_at as date) as created_date,\n    1 as extra",
        ),
    )
    .unwrap();
    assert!(venv.dbt(&demo.project(), &["build"]).unwrap().success);
    let second = studio
        .monitor()
        .alerts_run(demo.path.clone(), None, None)
        .await
        .unwrap();
    let changed: Vec<_> = second
        .incidents
        .iter()
        .filter(|i| i.kinds.contains(&"schema_change".to_string()))
        .collect();
    assert_eq!(changed.len(), 1, "{:#?}", second.incidents);
    assert_eq!(changed[0].root, "model.demo_crm.stg_crm__accounts");
    assert_eq!(second.told[0].queued, Vec::<String>::new(), "kept here");
    let m = studio.monitor().overview(&demo.id).await.unwrap();
    let accounts = m
        .series
        .iter()
        .find(|s| s.table == "silver.stg_crm__accounts" && s.metric == "row_count")
        .expect("the measured table is charted");
    assert_eq!(accounts.points.last().unwrap().value, 400.0);
    // The real runs' model times, from dbt's run results.
    let real = m
        .runs
        .iter()
        .find(|r| !r.correlation_id.starts_with("demo-run-"))
        .expect("a real run");
    assert!(
        real.models
            .iter()
            .any(|n| n.node == "model.demo_crm.account_pipeline" && n.seconds > 0.0),
        "{real:?}"
    );
}

/// Telemetry validation: a model the change added that full runs never build is itself an alert
/// after two of them, and resolves when it reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_reports_is_missing_telemetry_until_it_does() {
    let (_dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let run = |args: &[&str]| venv.dbt(&demo.project(), args).unwrap();
    std::fs::write(
        demo.path.join("models/marts/forgotten.sql"),
        "select 1 as id\n",
    )
    .unwrap();
    let monitor = studio.monitor();
    let mut missing = Vec::new();
    for round in 0..3 {
        assert!(run(&["build", "--exclude", "forgotten"]).success);
        let r = monitor
            .alerts_run(demo.path.clone(), None, None)
            .await
            .unwrap();
        missing = r
            .incidents
            .iter()
            .filter(|i| i.kinds.contains(&"missing_telemetry".to_string()))
            .map(|i| (i.root.clone(), i.state))
            .collect::<Vec<_>>();
        if round < 2 {
            assert!(
                missing.is_empty(),
                "round {round}: first seen, then one silent run: {missing:?}"
            );
        }
    }
    assert_eq!(missing.len(), 1, "silent in two full runs: {missing:?}");
    assert_eq!(missing[0].0, "model.demo_crm.forgotten");
    assert!(run(&["build"]).success);
    let r = monitor
        .alerts_run(demo.path.clone(), None, None)
        .await
        .unwrap();
    let now: Vec<_> = r
        .incidents
        .iter()
        .filter(|i| i.kinds.contains(&"missing_telemetry".to_string()))
        .collect();
    assert_eq!(now.len(), 1);
    assert_eq!(
        now[0].state,
        vibedata_core::monitor::engine::alerts::IncidentState::Resolved,
        "it reported"
    );
}
