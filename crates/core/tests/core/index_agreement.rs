//! The native index agrees with the real `dbt parse`: same `unique_id`s in every manifest section,
//! same `parent_map` and `child_map`, and per node the same type, name, package, file, version,
//! contract, columns and test attachment.

use std::path::Path;

use crate::fresh_paths;
use vibedata_core::dbt_index::{Index, agreement, synthetic};
use vibedata_core::platform::store::Store;
use vibedata_core::platform::venv::Venv;
use vibedata_core::workspaces::demo;

fn assert_agrees(venv: &Venv, project: &Path) {
    let run = venv.dbt(project, &["parse", "--no-partial-parse"]).unwrap();
    assert!(
        run.success,
        "dbt parse must succeed on the fixture {}:\n{}\n{}",
        project.display(),
        run.stdout,
        run.stderr
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("target/manifest.json")).unwrap())
            .unwrap();
    let index = Index::load(project);
    // dbt warns of duplicate YAML keys too; SQL our column lineage cannot read is not dbt's
    // concern (column lineage is checked against sqlglot); anything else dbt does not have.
    let problems: Vec<_> = index
        .problems()
        .into_iter()
        .filter(|p| !matches!(p.code, "duplicate_yaml_key" | "sql_unreadable"))
        .collect();
    assert!(
        problems.is_empty(),
        "a project dbt parses cleanly has no index problems: {problems:#?}"
    );
    let diffs = agreement::diff_against_manifest(&index, &manifest);
    assert!(
        diffs.is_empty(),
        "the index must equal dbt's manifest node for node:\n{}",
        diffs.join("\n")
    );
    let dbt_nodes = manifest["nodes"].as_object().unwrap().len();
    assert!(
        dbt_nodes > 0 && index.nodes().len() >= dbt_nodes,
        "the comparison covered dbt's {dbt_nodes} nodes"
    );
}

fn venv() -> Venv {
    let venv = Venv::new(crate::venv());
    if let Err(e) = venv.check() {
        panic!("these tests run the real dbt: {e}");
    }
    venv
}

#[test]
fn the_demo_domain_agrees_with_dbt_parse() {
    let (_dir, paths) = fresh_paths();
    let store = Store::open(&paths.database()).unwrap();
    let report = demo::ensure(&paths, &store).unwrap();
    assert_agrees(&venv(), &report.workspace.path);
}

#[test]
fn the_feature_tour_agrees_with_dbt_parse() {
    // Package refs and tests, model versions (defined_in, include/exclude), custom test names,
    // `arguments:`, source tests and freshness, seeds, snapshots, analyses, singular and unit
    // tests, exposures, semantic models, simple and ratio metrics, a disabled model.
    let dir = tempfile::tempdir().unwrap();
    synthetic::write_feature_tour(dir.path()).unwrap();
    assert_agrees(&venv(), dir.path());
}

#[test]
fn a_generated_project_agrees_with_dbt_parse() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::write_synthetic(dir.path(), 150, 11).unwrap();
    assert_agrees(&venv(), dir.path());
}

/// A fixture of `crates/dbt-index/fixtures/agreement` (one per way a reader of real projects
/// goes wrong: Jinja configs, vars holding `source()`, `if var` branches, refs inside macros,
/// loops, package-scoped configs, disabled nodes …) copied to a temp folder and compared with
/// the real `dbt parse` of it.
fn fixture_agrees(name: &str) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dbt-index/fixtures/agreement")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(&fixture)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copy.success());
    let project = dir.path().join(name);
    assert_agrees(&venv(), &project);
    columns_agree_with_sqlglot(&project);
}

/// Every column the index traced has the same upstream columns as sqlglot's `lineage()` finds
/// on the same rendered SQL (`scripts/lineage_vs_sqlglot.py`; sqlglot is given the same upstream
/// columns). Columns the index marks unknown are not compared (and are counted).
fn columns_agree_with_sqlglot(project: &Path) {
    let index = Index::load(project);
    let json = vibedata_core::dbt_index::manifest::to_manifest_json_with_sql(&index);
    let file = project.join("target/vibedata-index.json");
    std::fs::write(&file, serde_json::to_vec(&json).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lineage_vs_sqlglot.py");
    let out = std::process::Command::new(crate::venv().join("bin/python"))
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let differences: Vec<&serde_json::Value> = report["models"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|m| m["differences"].as_array().unwrap())
        .collect();
    assert!(report["compared"].as_u64().unwrap() > 0, "{report}");
    assert!(
        differences.is_empty(),
        "column lineage differs from sqlglot's ({}% agree): {differences:#?}",
        report["agreement_pct"]
    );
}

macro_rules! agreement_fixtures {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                fixture_agrees(stringify!($name));
            }
        )*
    };
}

mod fixture {
    use super::fixture_agrees;
    agreement_fixtures!(
        fivetran_style_package,
        jinja_configs,
        if_var_branches,
        macro_refs,
        for_loop_refs,
        package_scoped_configs,
        disabled_nodes,
        duplicate_yaml_keys,
        semantic_layer,
        yaml_snapshots,
    );
}
