//! Column lineage settled at link time: each model's [`Plan`](super::Plan) with its relations
//! resolved to nodes, `select *` expanded from the upstream node's columns (a model's own
//! lineage, a seed's header, a source's or snapshot's documented columns), and a bare name with
//! several tables in scope given to the one that has it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{Item, Plan, Rel};
use crate::files::{Facts, SourceFile};
use crate::jinja::{RefCall, SourceCall};
use crate::link::Graph;
use crate::node::ResourceType;

/// One output column of a model and the upstream columns it derives from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnLineage {
    pub name: String,
    /// When the SQL states it (a cast).
    pub data_type: Option<String>,
    /// `(unique_id, column)` of each upstream column it reads.
    pub depends_on: Vec<(String, String)>,
    /// Everything it reads was traced (false: some of it is unknown, never guessed).
    pub known: bool,
}

/// What one model file contributes: its plan and the calls its relations stand for.
struct Planned<'f> {
    plan: &'f Plan,
    refs: &'f [RefCall],
    sources: &'f [SourceCall],
}

/// Sets every model's (and SQL snapshot's) `column_lineage` in `graph` from the plans of `files`.
pub fn resolve<'f>(graph: &mut Graph, files: impl Iterator<Item = &'f SourceFile>) {
    resolve_where(graph, files, None);
}

/// After an edit of the files `changed`: the lineage of their nodes and of everything downstream
/// of them is computed again; the rest is kept.
pub fn resolve_changed<'f>(
    graph: &mut Graph,
    files: impl Iterator<Item = &'f SourceFile>,
    changed: &[&str],
) {
    let mut stale: HashSet<String> = graph
        .nodes
        .values()
        .filter(|n| changed.contains(&n.file.as_str()))
        .map(|n| n.unique_id.clone())
        .collect();
    let mut queue: Vec<String> = stale.iter().cloned().collect();
    while let Some(uid) = queue.pop() {
        for child in graph.child_map.get(&uid).into_iter().flatten() {
            if stale.insert(child.clone()) {
                queue.push(child.clone());
            }
        }
    }
    resolve_where(graph, files, Some(&stale));
}

/// [`resolve`] for the nodes in `only` (all when `None`); others keep their lineage.
fn resolve_where<'f>(
    graph: &mut Graph,
    files: impl Iterator<Item = &'f SourceFile>,
    only: Option<&HashSet<String>>,
) {
    let mut planned: HashMap<&str, Planned<'f>> = HashMap::new();
    for file in files {
        if let Facts::Sql(sql) = &file.facts
            && let Some(Ok(plan)) = &sql.plan
        {
            planned.insert(
                file.rel.as_str(),
                Planned {
                    plan,
                    refs: &sql.calls.refs,
                    sources: &sql.calls.sources,
                },
            );
        }
    }
    let targets: Vec<String> = graph
        .nodes
        .values()
        .filter(|n| {
            matches!(
                n.resource_type,
                ResourceType::Model | ResourceType::Snapshot
            ) && planned.contains_key(n.file.as_str())
                && only.is_none_or(|o| o.contains(&n.unique_id))
        })
        .map(|n| n.unique_id.clone())
        .collect();
    let mut done: HashMap<String, Vec<ColumnLineage>> = HashMap::new();
    if let Some(only) = only {
        // What is not recomputed is taken as it stands (only what the stale nodes read).
        let mut read = HashSet::new();
        for uid in &targets {
            if let Some(node) = graph.nodes.get(uid) {
                read.extend(node.depends_on.iter().filter(|p| !only.contains(*p)));
            }
        }
        for uid in read {
            if let Some(lineage) = graph.nodes.get(uid).and_then(|n| n.column_lineage.as_ref()) {
                done.insert(uid.clone(), lineage.clone());
            }
        }
    }
    let mut visiting = HashSet::new();
    for uid in &targets {
        lineage_of(graph, &planned, uid, &mut done, &mut visiting);
    }
    for node in graph.nodes.values_mut() {
        if only.is_none_or(|o| o.contains(&node.unique_id)) {
            node.column_lineage = done.remove(&node.unique_id);
        }
    }
}

/// The columns of `uid` as far as known: a planned model's lineage, else documented columns
/// (sources, snapshots) or a seed's header.
fn columns_of(
    graph: &Graph,
    planned: &HashMap<&str, Planned<'_>>,
    uid: &str,
    done: &mut HashMap<String, Vec<ColumnLineage>>,
    visiting: &mut HashSet<String>,
) -> Option<Vec<String>> {
    let node = graph.nodes.get(uid)?;
    if planned.contains_key(node.file.as_str()) {
        let lineage = lineage_of(graph, planned, uid, done, visiting)?;
        if lineage.iter().any(|c| c.name == "*") {
            return None;
        }
        return Some(lineage.iter().map(|c| c.name.clone()).collect());
    }
    if !node.seed_columns.is_empty() {
        return Some(node.seed_columns.clone());
    }
    (!node.columns.is_empty()).then(|| node.columns.iter().map(|c| c.name.to_lowercase()).collect())
}

fn lineage_of(
    graph: &Graph,
    planned: &HashMap<&str, Planned<'_>>,
    uid: &str,
    done: &mut HashMap<String, Vec<ColumnLineage>>,
    visiting: &mut HashSet<String>,
) -> Option<Vec<ColumnLineage>> {
    if let Some(found) = done.get(uid) {
        return Some(found.clone());
    }
    // A cycle (reported elsewhere) has no lineage.
    if !visiting.insert(uid.to_string()) {
        return None;
    }
    let node = graph.nodes.get(uid)?;
    let p = planned.get(node.file.as_str())?;
    let package = node.package_name.clone();
    let rel_uid = |rel: &Rel| -> Option<String> {
        match rel {
            Rel::Ref(i) => graph.lookups.resolve_ref(p.refs.get(*i)?, &package).ok(),
            Rel::Source(i) => graph.lookups.resolve_source(p.sources.get(*i)?, &package),
            Rel::This => Some(uid.to_string()),
            Rel::Other(_) => None,
        }
    };
    let mut out = Vec::new();
    for item in p.plan {
        match item {
            Item::Column {
                name,
                data_type,
                deps,
                opaque,
            } => {
                let mut known = !opaque;
                let mut depends_on = Vec::new();
                for dep in deps {
                    let uids: Vec<String> = dep.rels.iter().filter_map(&rel_uid).collect();
                    if uids.len() < dep.rels.len() {
                        known = false;
                    }
                    let chosen: Vec<String> = if uids.len() <= 1 {
                        uids
                    } else {
                        uids.into_iter()
                            .filter(|u| {
                                columns_of(graph, planned, u, done, visiting)
                                    .is_some_and(|cols| cols.contains(&dep.column))
                            })
                            .collect()
                    };
                    match chosen.as_slice() {
                        [one] => depends_on.push((one.clone(), dep.column.clone())),
                        _ => known = false,
                    }
                }
                depends_on.sort();
                depends_on.dedup();
                out.push(ColumnLineage {
                    name: name.clone(),
                    data_type: data_type.clone(),
                    depends_on,
                    known,
                });
            }
            Item::Star { rel, except } => {
                let upstream = rel_uid(rel);
                let columns = upstream
                    .as_deref()
                    .and_then(|u| columns_of(graph, planned, u, done, visiting));
                match (upstream, columns) {
                    (Some(u), Some(columns)) => {
                        for c in columns.into_iter().filter(|c| !except.contains(c)) {
                            out.push(ColumnLineage {
                                depends_on: vec![(u.clone(), c.clone())],
                                name: c,
                                data_type: None,
                                known: true,
                            });
                        }
                    }
                    _ => out.push(ColumnLineage {
                        name: "*".into(),
                        data_type: None,
                        depends_on: Vec::new(),
                        known: false,
                    }),
                }
            }
        }
    }
    visiting.remove(uid);
    done.insert(uid.to_string(), out.clone());
    Some(out)
}
