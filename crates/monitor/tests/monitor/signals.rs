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
