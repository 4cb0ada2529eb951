//! What a change does to a dbt project, from the indexes of both sides alone (no warehouse):
//! nodes added, removed and modified — modified split like dbt's `state:modified` subselectors
//! (body, configs, contract, columns, relation) —, each modified model's breaking-change class
//! ([`classes`]) with its column changes propagated column by column downstream through column
//! lineage, the impacted downstream set down to exposures, and contract breaks.

pub mod classes;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;
use serde_json::Value as Json;

pub use classes::{Category, ColumnChanges, classify};

use crate::index::Index;
use crate::node::{Node, ResourceType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Modified,
}

/// One changed node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub unique_id: String,
    pub resource_type: ResourceType,
    pub change: Change,
    /// Models and snapshots: how the change affects what reads it.
    pub category: Option<Category>,
    pub columns: ColumnChanges,
    /// dbt's `state:modified` subselectors that apply: `body`, `configs`, `contract`,
    /// `columns`, `relation`.
    pub modified: Vec<&'static str>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractBreakKind {
    Removed,
    TypeChanged,
    ConstraintRemoved,
}

/// A break of an enforced contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractBreak {
    pub unique_id: String,
    pub column: String,
    pub kind: ContractBreakKind,
}

/// A downstream node and, column by column, what of it the change reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub unique_id: String,
    pub resource_type: ResourceType,
    /// The changed nodes it is downstream of.
    pub via: Vec<String>,
    /// Its columns derived from a removed or modified column (or from a breaking change).
    pub affected_columns: Vec<String>,
    /// Its columns the change does not reach.
    pub unaffected_columns: Vec<String>,
}

/// The review of a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Review {
    pub changed: Vec<Changed>,
    /// Downstream of a changed node (tests left out), down to exposures; not changed itself.
    pub impacted: Vec<String>,
    /// Every node downstream of a change (changed ones too), column by column.
    pub impact: Vec<Impact>,
    pub contract_breaks: Vec<ContractBreak>,
}

/// The rendered SQL of a node with its relation placeholders replaced by the nodes they stand
/// for, so both sides name relations alike (`__vd_ref_0` may be another model on the other side).
fn comparable_sql(index: &Index, node: &Node) -> Option<String> {
    let mut sql = index.rendered_sql(&node.file)?.to_string();
    let mut relations = index.rendered_relations(&node.file);
    // Longest placeholder first: `__vd_ref_10` before `__vd_ref_1`.
    relations.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(b.0.cmp(&a.0)));
    for (placeholder, uid) in relations {
        let name: String = uid
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        sql = sql.replace(&placeholder, &format!("n__{name}"));
    }
    Some(sql)
}

const RELATION_KEYS: &[&str] = &["database", "schema", "alias"];

/// Which `state:modified` subselectors tell `base` and `head` apart.
fn subselectors(base: &Index, b: &Node, head: &Index, h: &Node) -> Vec<&'static str> {
    let mut out = Vec::new();
    let norm = |s: Option<String>| s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
    if norm(comparable_sql(base, b)) != norm(comparable_sql(head, h)) {
        out.push("body");
    }
    let strip = |c: &serde_json::Map<String, Json>| {
        let mut c = c.clone();
        c.remove("contract");
        for k in RELATION_KEYS {
            c.remove(*k);
        }
        c
    };
    if strip(&b.config) != strip(&h.config) {
        out.push("configs");
    }
    let typed = |n: &Node| -> Vec<(String, Option<String>, Vec<String>)> {
        n.columns
            .iter()
            .map(|c| {
                (
                    c.name.to_lowercase(),
                    c.data_type.clone(),
                    c.constraints.clone(),
                )
            })
            .collect()
    };
    if b.contract_enforced != h.contract_enforced || (h.contract_enforced && typed(b) != typed(h)) {
        out.push("contract");
    }
    let described = |n: &Node| -> Vec<(String, String)> {
        n.columns
            .iter()
            .map(|c| (c.name.to_lowercase(), c.description.clone()))
            .collect()
    };
    if described(b) != described(h) || b.description != h.description {
        out.push("columns");
    }
    if RELATION_KEYS
        .iter()
        .any(|k| b.config.get(*k) != h.config.get(*k))
    {
        out.push("relation");
    }
    out
}

fn is_model_like(t: ResourceType) -> bool {
    matches!(t, ResourceType::Model | ResourceType::Snapshot)
}

/// Compares the index of the base with the index of the head.
pub fn compare(base: &Index, head: &Index) -> Review {
    let mut review = Review::default();
    let (b_nodes, h_nodes) = (base.nodes(), head.nodes());
    for (uid, h) in h_nodes {
        let Some(b) = b_nodes.get(uid) else {
            review.changed.push(Changed {
                unique_id: uid.clone(),
                resource_type: h.resource_type,
                change: Change::Added,
                category: is_model_like(h.resource_type).then_some(Category::NonBreaking),
                columns: ColumnChanges::default(),
                modified: Vec::new(),
                reason: "added".into(),
            });
            continue;
        };
        let modified = subselectors(base, b, head, h);
        if modified.is_empty() {
            continue;
        }
        let (category, columns, reason) = if !is_model_like(h.resource_type) {
            (
                None,
                ColumnChanges::default(),
                format!("{} changed", modified.join(", ")),
            )
        } else if modified.contains(&"body") {
            match (comparable_sql(base, b), comparable_sql(head, h)) {
                (Some(bs), Some(hs)) => {
                    let c = classify(&bs, &hs);
                    (Some(c.category), c.columns, c.reason)
                }
                _ => (
                    Some(Category::Unknown),
                    ColumnChanges::default(),
                    "its SQL could not be rendered on one side".into(),
                ),
            }
        } else if modified.contains(&"relation") {
            (
                Some(Category::Breaking),
                ColumnChanges::default(),
                "its relation (database, schema or alias) changed".into(),
            )
        } else {
            (
                Some(Category::NonBreaking),
                ColumnChanges::default(),
                format!("only its {} changed", modified.join(", ")),
            )
        };
        review.changed.push(Changed {
            unique_id: uid.clone(),
            resource_type: h.resource_type,
            change: Change::Modified,
            category,
            columns,
            modified,
            reason,
        });
        if b.contract_enforced {
            contract_breaks(b, h, &mut review.contract_breaks);
        }
    }
    for (uid, b) in b_nodes {
        if !h_nodes.contains_key(uid) {
            review.changed.push(Changed {
                unique_id: uid.clone(),
                resource_type: b.resource_type,
                change: Change::Removed,
                category: is_model_like(b.resource_type).then_some(Category::Breaking),
                columns: ColumnChanges::default(),
                modified: Vec::new(),
                reason: "removed".into(),
            });
        }
    }
    review.changed.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    impact(base, head, &mut review);
    review
}

fn contract_breaks(b: &Node, h: &Node, out: &mut Vec<ContractBreak>) {
    for bc in &b.columns {
        let push = |kind| ContractBreak {
            unique_id: b.unique_id.clone(),
            column: bc.name.clone(),
            kind,
        };
        match h
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&bc.name))
        {
            None => out.push(push(ContractBreakKind::Removed)),
            Some(hc) => {
                let norm = |t: &Option<String>| t.as_deref().map(str::to_lowercase);
                if norm(&bc.data_type) != norm(&hc.data_type) {
                    out.push(push(ContractBreakKind::TypeChanged));
                }
                if bc.constraints.iter().any(|k| !hc.constraints.contains(k)) {
                    out.push(push(ContractBreakKind::ConstraintRemoved));
                }
            }
        }
    }
    // A model-level constraint gone: named by its columns (`a,b`).
    for bc in b.constraints.iter().filter(|c| !h.constraints.contains(c)) {
        out.push(ContractBreak {
            unique_id: b.unique_id.clone(),
            column: bc.columns.join(","),
            kind: ContractBreakKind::ConstraintRemoved,
        });
    }
}

/// The downstream of every changed node, and column by column what the change reaches: from a
/// partially breaking model, the columns derived (transitively) from its removed or modified
/// columns; from a breaking or removed one, every column derived from it.
fn impact(base: &Index, head: &Index, review: &mut Review) {
    // (node, column) reached, or (node, "*") for all of a node's columns.
    let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
    let mut via: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    for c in &review.changed {
        match c.category {
            Some(Category::PartialBreaking) => {
                for col in c.columns.removed.iter().chain(&c.columns.modified) {
                    queue.push_back((c.unique_id.clone(), col.clone()));
                }
            }
            Some(Category::Breaking | Category::Unknown) => {
                queue.push_back((c.unique_id.clone(), "*".into()));
            }
            _ => {}
        }
        // Node-level: everything downstream is impacted.
        let graph = if c.change == Change::Removed {
            base
        } else {
            head
        };
        let mut seen = BTreeSet::new();
        let mut walk: VecDeque<&String> = graph
            .graph()
            .child_map
            .get(&c.unique_id)
            .into_iter()
            .flatten()
            .collect();
        while let Some(child) = walk.pop_front() {
            let Some(n) = graph.nodes().get(child) else {
                continue;
            };
            if matches!(n.resource_type, ResourceType::Test | ResourceType::UnitTest)
                || !seen.insert(child.clone())
            {
                continue;
            }
            via.entry(child.clone())
                .or_default()
                .insert(c.unique_id.clone());
            walk.extend(graph.graph().child_map.get(child).into_iter().flatten());
        }
    }
    while let Some((uid, col)) = queue.pop_front() {
        if !reached.insert((uid.clone(), col.clone())) {
            continue;
        }
        for child in head.graph().child_map.get(&uid).into_iter().flatten() {
            let Some(lineage) = head
                .nodes()
                .get(child)
                .and_then(|n| n.column_lineage.as_ref())
            else {
                continue;
            };
            for c in lineage {
                if c.depends_on
                    .iter()
                    .any(|(u, dc)| u == &uid && (col == "*" || dc == &col))
                {
                    queue.push_back((child.clone(), c.name.clone()));
                }
            }
        }
    }
    let changed: BTreeSet<&str> = review
        .changed
        .iter()
        .map(|c| c.unique_id.as_str())
        .collect();
    for (uid, via) in via {
        let node = head.nodes().get(&uid).or_else(|| base.nodes().get(&uid));
        let Some(node) = node else { continue };
        let all: Vec<String> = node
            .column_lineage
            .as_ref()
            .map(|l| l.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let (affected, unaffected): (Vec<String>, Vec<String>) = all
            .into_iter()
            .partition(|c| reached.contains(&(uid.clone(), c.clone())));
        // A node changed itself is listed as changed; its columns reached from upstream too.
        if !changed.contains(uid.as_str()) {
            review.impacted.push(uid.clone());
        }
        review.impact.push(Impact {
            unique_id: uid,
            resource_type: node.resource_type,
            via: via.into_iter().collect(),
            affected_columns: affected,
            unaffected_columns: unaffected,
        });
    }
}

/// A key of a model the project declares, and where it says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredKey {
    pub columns: Vec<String>,
    pub evidence: String,
}

/// The keys a model's project declares, in the order a data diff tries them: a `unique` test on
/// a column, `dbt_utils.unique_combination_of_columns`, a primary-key constraint, the
/// `unique_key` config. (Names and a uniqueness probe of the data come after, in the diff.)
pub fn declared_keys(index: &Index, unique_id: &str) -> Vec<DeclaredKey> {
    let mut out: Vec<DeclaredKey> = Vec::new();
    let Some(node) = index.nodes().get(unique_id) else {
        return out;
    };
    let mut push = |columns: Vec<String>, evidence: String| {
        if !columns.is_empty() && !out.iter().any(|k| k.columns == columns) {
            out.push(DeclaredKey { columns, evidence });
        }
    };
    let tests: Vec<&Node> = index
        .graph()
        .child_map
        .get(unique_id)
        .into_iter()
        .flatten()
        .filter_map(|t| index.nodes().get(t))
        .filter(|t| t.resource_type == ResourceType::Test)
        .collect();
    for t in &tests {
        if let Some(info) = &t.test
            && info.test_name.as_deref() == Some("unique")
            && let Some(col) = &info.column_name
        {
            push(
                vec![col.to_lowercase()],
                format!("a `unique` test ({})", t.name),
            );
        }
    }
    for t in &tests {
        if let Some(info) = &t.test
            && info.test_name.as_deref() == Some("unique_combination_of_columns")
            && let Some(cols) = info.kwargs["combination_of_columns"].as_array()
        {
            let columns = cols
                .iter()
                .filter_map(|c| c.as_str().map(str::to_lowercase))
                .collect();
            push(
                columns,
                format!("a `unique_combination_of_columns` test ({})", t.name),
            );
        }
    }
    for c in &node.columns {
        if c.constraints.iter().any(|k| k == "primary_key") {
            push(
                vec![c.name.to_lowercase()],
                "a primary-key constraint".into(),
            );
        }
    }
    for c in &node.constraints {
        if c.kind == "primary_key" {
            push(
                c.columns.iter().map(|c| c.to_lowercase()).collect(),
                "a model-level primary-key constraint".into(),
            );
        }
    }
    match node.config.get("unique_key") {
        Some(Json::String(k)) => push(vec![k.to_lowercase()], "its `unique_key` config".into()),
        Some(Json::Array(ks)) => push(
            ks.iter()
                .filter_map(|k| k.as_str().map(str::to_lowercase))
                .collect(),
            "its `unique_key` config".into(),
        ),
        _ => {}
    }
    out
}
