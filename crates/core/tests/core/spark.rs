//! Apache Spark in local mode, the dialect Fabric runs: the demo project builds and its tests pass
//! on Spark with the sources copied from the local DuckDB warehouse; an intent's model written in
//! DuckDB's dialect passes on DuckDB and is caught on Spark, named, with the report committed on
//! the intent's branch.

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_core::intents::validation::Engine;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_builds_on_spark_and_a_duckdb_only_model_is_caught() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;

    let whole = studio
        .intents()
        .build_workspace(&demo.id, Engine::Spark)
        .await
        .unwrap();
    assert!(whole.passed, "{}", whole.markdown);
    assert_eq!(whole.engine, "spark");
    assert!(
        whole.checks[0].summary.contains("passed (30 nodes)"),
        "{}",
        whole.checks[0].summary
    );
    // The person's project is untouched: Spark ran on a copy, beside the local warehouse.
    assert!(
        !demo
            .path
            .join("macros/zz_vibedata_local_spark.sql")
            .exists()
    );
    assert!(
        demo.path
            .join(".vibedata/local/spark/target/run_results.json")
            .exists()
    );

    // An intent adds a model in DuckDB's dialect (`range()` as a table function).
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Calendar of days".into())
        .await
        .unwrap();
    let tree = std::path::Path::new(&intent.worktree);
    std::fs::write(
        tree.join("models/marts/calendar_days.sql"),
        "-- One row per day of 2024.\nselect cast(range as date) as day\nfrom range(date '2024-01-01', date '2025-01-01', interval 1 day)\n",
    )
    .unwrap();
    let venv = vibedata_core::platform::venv::Venv::new(crate::venv());
    let on_duckdb = venv
        .dbt(tree, &["build", "--select", "calendar_days"])
        .unwrap();
    assert!(on_duckdb.success, "DuckDB runs it: {}", on_duckdb.stdout);

    let checked = studio.intents().check_on_spark(&intent.id).await.unwrap();
    assert!(!checked.passed);
    assert_eq!(checked.touched_models, vec!["calendar_days"]);
    assert!(
        checked.checks[0]
            .summary
            .contains("model.demo_crm.calendar_days"),
        "{}",
        checked.checks[0].summary
    );
    // The report is on the intent's branch, committed.
    let folder = vibedata_core::intents::records::folder(tree, &intent.id);
    assert!(
        std::fs::read_to_string(folder.join("spark.md"))
            .unwrap()
            .starts_with("# Spark check of")
    );
    let repo = git2::Repository::open(tree).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert!(head.summary().unwrap().starts_with("Spark check failed"));
}
