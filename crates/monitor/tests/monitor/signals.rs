//! Signals from real files: dlt's load info as dlt 1.x writes it (recorded from the venv's dlt:
//! a second load that added a column), and the same with a failed job.

use vibedata_monitor::signal::{Severity, from_dlt_load_info};

const LOAD_INFO: &str = include_str!("../fixtures/dlt_load_info.json");

#[test]
fn dlt_load_info_gives_loads_and_schema_changes() {
    let r = from_dlt_load_info(LOAD_INFO, Some("w")).unwrap();
    let loads: Vec<_> = r
        .signals
        .iter()
        .filter(|s| s.kind == "load_failed")
        .collect();
    assert_eq!(
        loads.len(),
        1,
        "dlt's own tables left out: {:#?}",
        r.signals
    );
    assert_eq!(loads[0].node, "relation:bronze.accounts");
    assert_eq!(loads[0].severity, Severity::Ok, "a completed job resolves");
    let schema: Vec<_> = r
        .signals
        .iter()
        .filter(|s| s.kind == "schema_change")
        .collect();
    assert_eq!(schema.len(), 1);
    assert!(
        schema[0].message.contains("tier (text)"),
        "{}",
        schema[0].message
    );
    assert!(r.invocation_id.unwrap().starts_with("dlt:crm:"));

    // The same load with the job failed, on the first run: an error, no schema change said.
    let mut v: serde_json::Value = serde_json::from_str(LOAD_INFO).unwrap();
    v["first_run"] = true.into();
    for job in v["load_packages"][0]["jobs"].as_array_mut().unwrap() {
        if job["table_name"] == "accounts" {
            job["state"] = "failed_jobs".into();
            job["failed_message"] = "Binder Error: column \"tier\" not found\nLINE 1: ...".into();
        }
    }
    let r = from_dlt_load_info(&v.to_string(), None).unwrap();
    let failed: Vec<_> = r
        .signals
        .iter()
        .filter(|s| s.severity == Severity::Error)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].message, "Binder Error: column \"tier\" not found");
    assert!(r.signals.iter().all(|s| s.kind != "schema_change"));
    assert!(
        from_dlt_load_info("{\"x\": 1}", None)
            .unwrap_err()
            .contains("load_packages")
    );
    assert!(from_dlt_load_info("{", None).is_err());
}

/// dbt's run results as other versions and cut-short runs leave them: a result without a status
/// or with one dbt does not write is said, the rest read; an old file without timings takes the
/// file's time; skipped results say nothing.
#[test]
fn run_results_of_other_shapes_are_read_as_far_as_they_make_sense() {
    use vibedata_monitor::signal::from_run_results;
    let text = serde_json::json!({
        "metadata": {"dbt_version": "1.5.0", "generated_at": "2026-11-30T06:00:00Z", "invocation_id": "inv-1"},
        "results": [
            {"unique_id": "model.shop.a", "status": "success", "execution_time": 1.5},
            {"unique_id": "test.shop.not_null_a_id.1", "status": "fail", "failures": 3, "message": "Got 3 results"},
            {"unique_id": "model.shop.b", "status": "error", "message": "Compilation Error: contract violated"},
            {"unique_id": "model.shop.c", "status": "skipped"},
            {"unique_id": "model.shop.d"},
            {"unique_id": "model.shop.e", "status": "exploded"}
        ]
    })
    .to_string();
    let r = from_run_results(&text, Some("w")).unwrap();
    let kinds: Vec<(&str, &str, Severity)> = r
        .signals
        .iter()
        .map(|s| (s.node.as_str(), s.kind.as_str(), s.severity))
        .collect();
    assert_eq!(
        kinds,
        [
            ("model.shop.a", "model_error", Severity::Ok),
            ("test.shop.not_null_a_id.1", "test_failure", Severity::Error),
            ("model.shop.b", "contract_violation", Severity::Error),
        ]
    );
    assert_eq!(r.signals[1].failures, Some(3));
    assert!(
        r.signals
            .iter()
            .all(|s| s.correlation_id.as_deref() == Some("inv-1"))
    );
    assert_eq!(r.unreadable.len(), 2, "{:?}", r.unreadable);
    assert!(r.unreadable[1].contains("exploded"));
    assert_eq!(r.durations.len(), 1);
    assert!(
        from_run_results("{\"results\": [", None)
            .unwrap_err()
            .contains("truncated")
    );
    assert!(
        from_run_results("{}", None)
            .unwrap_err()
            .contains("results")
    );
}
