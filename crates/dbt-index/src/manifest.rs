//! The index as JSON in the shape of dbt's `manifest.json`: `nodes`, `sources`, `exposures`,
//! `metrics`, `semantic_models` and `unit_tests` keyed by `unique_id`, plus `parent_map` and
//! `child_map` exactly as dbt writes them, and the `disabled` section — so the output diffs directly against dbt's own. Our
//! additions (`problems`, `coverage`, each node's `file`/`line`, column lineage as
//! `columns[].depends_on` and `column_lineage`) are extra keys dbt does not have.

use serde_json::{Map, Value as Json, json};

use crate::index::Index;
use crate::node::Node;

/// The full index as manifest-shaped JSON.
pub fn to_manifest_json(index: &Index) -> Json {
    let mut sections: Map<String, Json> = [
        "nodes",
        "sources",
        "exposures",
        "metrics",
        "semantic_models",
        "saved_queries",
        "unit_tests",
    ]
    .iter()
    .map(|s| ((*s).to_string(), Json::Object(Map::new())))
    .collect();
    for node in index.nodes().values() {
        if let Some(Json::Object(section)) = sections.get_mut(node.resource_type.manifest_section())
        {
            section.insert(node.unique_id.clone(), node_json(node));
        }
    }
    let mut out = Map::new();
    out.insert(
        "metadata".into(),
        json!({
            "generator": "vibedata-dbt-index",
            "project_name": index.project_name(),
            "packages": index.packages(),
        }),
    );
    out.extend(sections);
    out.insert(
        "parent_map".into(),
        serde_json::to_value(&index.graph().parent_map).unwrap_or_default(),
    );
    out.insert(
        "child_map".into(),
        serde_json::to_value(&index.graph().child_map).unwrap_or_default(),
    );
    // dbt's `disabled`: unique_id → one entry per disabled definition.
    let disabled: Map<String, Json> = index
        .graph()
        .disabled
        .iter()
        .map(|(uid, files)| {
            let entries = files
                .iter()
                .map(|f| json!({"unique_id": uid, "file": f, "config": {"enabled": false}}))
                .collect();
            (uid.clone(), Json::Array(entries))
        })
        .collect();
    out.insert("disabled".into(), Json::Object(disabled));
    out.insert(
        "problems".into(),
        serde_json::to_value(index.problems()).unwrap_or_default(),
    );
    out.insert(
        "coverage".into(),
        serde_json::to_value(index.coverage()).unwrap_or_default(),
    );
    Json::Object(out)
}

/// [`to_manifest_json`] with each model's rendered SQL (`rendered_sql`, relations as
/// `__vd_ref_<n>` / `__vd_src_<n>`) and what each placeholder stands for
/// (`rendered_relations`): what a column-lineage peer needs to read the same SQL.
pub fn to_manifest_json_with_sql(index: &Index) -> Json {
    let mut out = to_manifest_json(index);
    if let Some(nodes) = out["nodes"].as_object_mut() {
        for node in nodes.values_mut() {
            let file = node["file"].as_str().unwrap_or_default().to_string();
            if let Some(sql) = index.rendered_sql(&file) {
                node["rendered_sql"] = Json::String(sql.to_string());
                let relations: Map<String, Json> = index
                    .rendered_relations(&file)
                    .into_iter()
                    .map(|(p, uid)| (p, Json::String(uid)))
                    .collect();
                node["rendered_relations"] = Json::Object(relations);
            }
        }
    }
    out
}

fn node_json(node: &Node) -> Json {
    let lineage_of = |name: &str| {
        node.column_lineage.as_ref().and_then(|cols| {
            cols.iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(lineage_json)
        })
    };
    let columns: Map<String, Json> = node
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({
                    "name": c.name,
                    "description": c.description,
                    "data_type": c.data_type,
                    "constraints": c.constraints.iter().map(|t| json!({"type": t})).collect::<Vec<_>>(),
                    "depends_on": lineage_of(&c.name).map(|l| l["depends_on"].clone()),
                }),
            )
        })
        .collect();
    let mut v = json!({
        "unique_id": node.unique_id,
        "resource_type": node.resource_type.as_str(),
        "package_name": node.package_name,
        "name": node.name,
        "original_file_path": node.original_file_path,
        "fqn": node.fqn,
        "description": node.description,
        "columns": columns,
        "constraints": node.constraints.iter().map(|c| json!({"type": c.kind, "columns": c.columns})).collect::<Vec<_>>(),
        "config": {
            "enabled": true,
            "materialized": node.materialized,
            "contract": {"enforced": node.contract_enforced},
        },
        "depends_on": {"nodes": node.depends_on},
        "file": node.file,
        "line": node.line,
    });
    // `v` is an object literal, so this always matches; the `if let` only avoids a panic path.
    if let Json::Object(obj) = &mut v {
        if let Some(version) = &node.version {
            obj.insert("version".into(), json!(version));
        }
        if let Some(lineage) = &node.column_lineage {
            obj.insert(
                "column_lineage".into(),
                Json::Array(lineage.iter().map(lineage_json).collect()),
            );
        }
        if let Some((source, table)) = &node.source {
            obj.insert("source_name".into(), json!(source));
            obj.insert("identifier".into(), json!(table));
            obj.insert("freshness_configured".into(), json!(node.freshness));
        }
        if let Some(test) = &node.test {
            if let Some(name) = &test.test_name {
                obj.insert(
                    "test_metadata".into(),
                    json!({"name": name, "namespace": test.namespace, "kwargs": test.kwargs}),
                );
            }
            obj.insert("column_name".into(), json!(test.column_name));
            obj.insert("attached_node".into(), json!(test.attached_node));
        }
    }
    v
}

/// One output column: its name, type when stated, the upstream columns it derives from
/// (`{"node": unique_id, "column": name}`), and whether all of it was traced.
fn lineage_json(c: &crate::columns::ColumnLineage) -> Json {
    json!({
        "name": c.name,
        "data_type": c.data_type,
        "depends_on": c.depends_on.iter().map(|(node, column)| json!({"node": node, "column": column})).collect::<Vec<_>>(),
        "known": c.known,
    })
}
