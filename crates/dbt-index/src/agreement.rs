//! Node-for-node comparison of the index with a `manifest.json` written by `dbt parse`: the same
//! `unique_id`s in every section (`disabled` included), the same `parent_map` and `child_map`, and per node the same
//! type, name, package, file, version, contract, columns and test attachment.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::index::Index;
use crate::manifest::to_manifest_json;

const SECTIONS: &[&str] = &[
    "nodes",
    "sources",
    "exposures",
    "metrics",
    "semantic_models",
    "saved_queries",
    "unit_tests",
];

/// Differences between the index and dbt's manifest, as readable lines; empty when they agree.
pub fn diff_against_manifest(index: &Index, dbt: &Json) -> Vec<String> {
    let ours = to_manifest_json(index);
    let mut diffs = Vec::new();
    for section in SECTIONS {
        let theirs_ids = keys(&dbt[*section]);
        let ours_ids = keys(&ours[*section]);
        for id in theirs_ids.difference(&ours_ids) {
            diffs.push(format!("{section}: dbt has {id}, the index does not"));
        }
        for id in ours_ids.difference(&theirs_ids) {
            diffs.push(format!("{section}: the index has {id}, dbt does not"));
        }
        for id in theirs_ids.intersection(&ours_ids) {
            compare_node(
                id,
                &dbt[*section][id.as_str()],
                &ours[*section][id.as_str()],
                &mut diffs,
            );
        }
    }
    let (theirs_off, ours_off) = (keys(&dbt["disabled"]), keys(&ours["disabled"]));
    for id in theirs_off.difference(&ours_off) {
        diffs.push(format!("disabled: dbt has {id}, the index does not"));
    }
    for id in ours_off.difference(&theirs_off) {
        diffs.push(format!("disabled: the index has {id}, dbt does not"));
    }
    for map in ["parent_map", "child_map"] {
        let theirs = &dbt[map];
        let ours = &ours[map];
        for id in keys(theirs).union(&keys(ours)) {
            let (t, o) = (sorted(&theirs[id.as_str()]), sorted(&ours[id.as_str()]));
            if t != o {
                diffs.push(format!("{map}[{id}]: dbt {t:?}, index {o:?}"));
            }
        }
    }
    diffs
}

fn compare_node(id: &str, theirs: &Json, ours: &Json, diffs: &mut Vec<String>) {
    let mut check = |what: &str, t: Json, o: Json| {
        if t != o {
            diffs.push(format!("{id}: {what} is {t} in dbt, {o} in the index"));
        }
    };
    for field in [
        "resource_type",
        "name",
        "package_name",
        "original_file_path",
        "column_name",
        "attached_node",
    ] {
        if theirs.get(field).is_some() {
            check(
                field,
                theirs[field].clone(),
                ours.get(field).cloned().unwrap_or(Json::Null),
            );
        }
    }
    if let Some(v) = theirs.get("version").filter(|v| !v.is_null()) {
        let text = |v: &Json| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string().trim_end_matches(".0").to_string())
        };
        check(
            "version",
            Json::String(text(v)),
            Json::String(ours.get("version").map(text).unwrap_or_default()),
        );
    }
    if let Some(meta) = theirs.get("test_metadata") {
        check(
            "test name",
            meta["name"].clone(),
            ours["test_metadata"]["name"].clone(),
        );
        check(
            "test namespace",
            meta["namespace"].clone(),
            ours["test_metadata"]["namespace"].clone(),
        );
    }
    if theirs["resource_type"] == "model" {
        check(
            "contract.enforced",
            theirs["config"]["contract"]["enforced"].clone(),
            ours["config"]["contract"]["enforced"].clone(),
        );
    }
    if let Some(columns) = theirs.get("columns").filter(|c| c.is_object()) {
        let t: Vec<String> = keys(columns).into_iter().collect();
        let o: Vec<String> = keys(&ours["columns"]).into_iter().collect();
        check("columns", Json::from(t), Json::from(o));
    }
    let t = sorted(&theirs["depends_on"]["nodes"]);
    let o = sorted(&ours["depends_on"]["nodes"]);
    if theirs.get("depends_on").is_some() && t != o {
        diffs.push(format!("{id}: depends_on {t:?} in dbt, {o:?} in the index"));
    }
}

fn keys(v: &Json) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn sorted(v: &Json) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
