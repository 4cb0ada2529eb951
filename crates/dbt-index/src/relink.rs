//! In-place re-linking after the common edits — a SQL or Python file's references, or a YAML
//! file's tests, descriptions and columns — which must stay fast on large projects (a full link of
//! 10,000 models takes a few hundred milliseconds). Anything else falls back to a full link.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::files::{Facts, SourceFile};
use crate::link::{
    Graph, attach_column_test, build_generic_test, column_key, missing_column_problem,
    patch_prefix, patch_without_node,
};
use crate::node::{Node, ResourceType};
use crate::yaml::{EntitySpec, YamlFacts};

/// Re-links after one SQL or Python file changed without changing which nodes it defines or
/// their config (the common edit): its nodes' parents, the edges, and the unknown-reference and
/// column problems are updated in place. Returns false, changing nothing, when the edit needs a
/// full link instead (different blocks or config, a cycle now or before).
pub(crate) fn relink_file(graph: &mut Graph, old: &SourceFile, new: &SourceFile) -> bool {
    let (Facts::Sql(old_sql), Facts::Sql(new_sql)) = (&old.facts, &new.facts) else {
        return false;
    };
    if old.kind != new.kind
        || old_sql.calls.config != new_sql.calls.config
        || old_sql.calls.blocks != new_sql.calls.blocks
        || graph.problems.iter().any(|p| p.code == "cycle")
    {
        return false;
    }
    let uids: Vec<(String, String)> = graph
        .nodes
        .values()
        .filter(|n| {
            n.file == new.rel
                && matches!(
                    n.resource_type,
                    ResourceType::Model
                        | ResourceType::Snapshot
                        | ResourceType::Analysis
                        | ResourceType::Test
                )
                && n.test.as_ref().is_none_or(|t| t.test_name.is_none())
        })
        .map(|n| (n.unique_id.clone(), n.package_name.clone()))
        .collect();
    if uids.is_empty() {
        return false;
    }
    let mut updates = Vec::new();
    let mut problems = Vec::new();
    for (uid, package) in &uids {
        let (mut parents, mut found) = graph.lookups.resolve_all(
            &new_sql.calls.refs,
            &new_sql.calls.sources,
            package,
            &new.rel,
        );
        let mut seen = HashSet::new();
        parents.retain(|p| seen.insert(p.clone()));
        if parents.iter().any(|p| reaches(&graph.parent_map, p, uid)) {
            return false;
        }
        problems.append(&mut found);
        updates.push((uid.clone(), parents));
    }
    for (uid, parents) in updates {
        let mut sorted = parents.clone();
        sorted.sort();
        let old_parents = graph
            .parent_map
            .insert(uid.clone(), sorted.clone())
            .unwrap_or_default();
        for p in old_parents.iter().filter(|p| !sorted.contains(p)) {
            if let Some(children) = graph.child_map.get_mut(p) {
                children.retain(|c| c != &uid);
            }
        }
        for p in sorted.iter().filter(|p| !old_parents.contains(p)) {
            if let Some(children) = graph.child_map.get_mut(p)
                && let Err(at) = children.binary_search(&uid)
            {
                children.insert(at, uid.clone());
            }
        }
        if let Some(node) = graph.nodes.get_mut(&uid) {
            node.depends_on = parents;
        }
    }
    // Column tests on this file's nodes: drop their old verdicts, judge them on the new SQL.
    let mut possible = Vec::new();
    let mut missing = Vec::new();
    for (uid, _) in &uids {
        for child in graph.child_map.get(uid).into_iter().flatten() {
            let Some(test) = graph.nodes.get(child) else {
                continue;
            };
            if let Some((_, problem)) = missing_column_problem(graph, test) {
                if let Some(columns) = &new_sql.output_columns
                    && !columns.contains(&column_key(test))
                {
                    missing.push(problem.clone());
                }
                possible.push(problem);
            }
        }
    }
    graph.problems.retain(|p| {
        !(possible.contains(p)
            || (p.file == new.rel && matches!(p.code, "unknown_ref" | "unknown_source")))
    });
    graph.problems.extend(problems);
    graph.problems.extend(missing);
    true
}

/// Whether `target` is an ancestor of (or is) `from`, following parent edges.
fn reaches(parent_map: &BTreeMap<String, Vec<String>>, from: &str, target: &str) -> bool {
    let mut stack = vec![from];
    let mut seen: HashSet<&str> = HashSet::new();
    while let Some(id) = stack.pop() {
        if id == target {
            return true;
        }
        if seen.insert(id) {
            stack.extend(parent_map.get(id).into_iter().flatten().map(String::as_str));
        }
    }
    false
}

/// Problems a YAML file's own content produces that [`relink_yaml`] can recompute; any other
/// problem located in the file (duplicates, unknown measures…) means a full link.
const YAML_LOCAL_CODES: &[&str] = &[
    "unknown_ref",
    "unknown_source",
    "test_on_missing_column",
    "patch_without_node",
];

/// Re-links after one schema YAML file changed without changing which models, versions, sources
/// and entities it declares or their configs and references (the common edit: tests,
/// descriptions, columns). Returns false, changing nothing, when a full link is needed.
pub(crate) fn relink_yaml(
    graph: &mut Graph,
    pkg: &str,
    old: &SourceFile,
    new: &SourceFile,
    files: &BTreeMap<String, SourceFile>,
) -> bool {
    let (Facts::Yaml(o), Facts::Yaml(n)) = (&old.facts, &new.facts) else {
        return false;
    };
    if !same_shape(o, n)
        || graph
            .problems
            .iter()
            .any(|p| p.file == new.rel && !YAML_LOCAL_CODES.contains(&p.code))
    {
        return false;
    }
    // 1. Drop the tests this file defined.
    for spec in &o.tests {
        if graph
            .nodes
            .get(&spec.unique_id)
            .is_some_and(|t| t.file == new.rel)
        {
            remove_node(graph, &spec.unique_id);
        }
    }
    graph.problems.retain(|p| p.file != new.rel);
    // 2. Descriptions, columns and lines of what the file describes.
    for patch in &n.patches {
        let prefix = patch_prefix(patch.kind);
        let targets: Vec<(String, &Vec<crate::node::Column>)> = if patch.versions.is_empty() {
            vec![(format!("{prefix}.{pkg}.{}", patch.name), &patch.columns)]
        } else {
            patch
                .versions
                .iter()
                .map(|v| {
                    (
                        format!("{prefix}.{pkg}.{}.v{}", patch.name, v.v),
                        &v.columns,
                    )
                })
                .collect()
        };
        for (uid, columns) in targets {
            if let Some(node) = graph.nodes.get_mut(&uid) {
                node.description = patch.description.clone();
                node.columns = columns.clone();
            }
        }
        let nodes = &graph.nodes;
        if let Some(problem) = patch_without_node(
            &graph.lookups,
            &|id| nodes.contains_key(id),
            pkg,
            patch,
            &new.rel,
        ) {
            graph.problems.push(problem);
        }
    }
    for s in n.sources.iter().filter(|s| s.enabled) {
        if let Some(node) = graph
            .nodes
            .get_mut(&format!("source.{pkg}.{}.{}", s.source, s.table))
        {
            node.description = s.description.clone();
            node.columns = s.columns.clone();
            node.freshness = s.freshness;
            node.line = s.line;
        }
    }
    let entities = [
        (ResourceType::Exposure, &n.exposures),
        (ResourceType::SemanticModel, &n.semantic_models),
        (ResourceType::Metric, &n.metrics),
    ];
    for (rtype, list) in entities {
        for e in list.iter().filter(|e| e.enabled) {
            if let Some(node) = graph
                .nodes
                .get_mut(&format!("{}.{pkg}.{}", rtype.as_str(), e.name))
            {
                node.line = e.line;
                node.description = e.description.clone();
            }
            let (_, problems) = graph
                .lookups
                .resolve_all(&e.refs, &e.sources, pkg, &new.rel);
            graph.problems.extend(problems);
        }
    }
    for e in n.unit_tests.iter().filter(|e| e.enabled) {
        let Some(model) = e.defines.first() else {
            continue;
        };
        if let Some(node) = graph
            .nodes
            .get_mut(&format!("unit_test.{pkg}.{model}.{}", e.name))
        {
            node.line = e.line;
            node.description = e.description.clone();
        }
    }
    // 3. The tests as they are now.
    let outputs: HashMap<&str, &Vec<String>> = files
        .values()
        .filter_map(|f| match &f.facts {
            Facts::Sql(sql) => sql.output_columns.as_ref().map(|c| (f.rel.as_str(), c)),
            _ => None,
        })
        .collect();
    for spec in &n.tests {
        let nodes = &graph.nodes;
        let built = build_generic_test(&graph.lookups, pkg, new, spec, &|id| {
            nodes.get(id).map(|n| n.file.as_str())
        });
        let built = match built {
            Ok(Some(built)) => built,
            Ok(None) => continue,
            Err(problem) => {
                graph.problems.push(problem);
                continue;
            }
        };
        graph.problems.extend(built.problems);
        if let Some((target, column)) = &built.column_of {
            attach_column_test(graph.nodes.get_mut(target), column, &spec.unique_id);
        }
        insert_node(graph, built.node);
        if let Some(test) = graph.nodes.get(&spec.unique_id)
            && let Some((target, problem)) = missing_column_problem(graph, test)
            && outputs
                .get(target.file.as_str())
                .is_some_and(|cols| !cols.contains(&column_key(test)))
        {
            graph.problems.push(problem);
        }
    }
    true
}

/// Same models, versions, sources and entities with the same configs and references; only
/// tests, descriptions, columns and lines may differ.
fn same_shape(a: &YamlFacts, b: &YamlFacts) -> bool {
    let patch_key = |y: &YamlFacts| {
        y.patches
            .iter()
            .map(|p| {
                let versions: Vec<_> = p
                    .versions
                    .iter()
                    .map(|v| (v.v.clone(), v.defined_in.clone(), v.config.clone()))
                    .collect();
                (
                    p.kind,
                    p.name.clone(),
                    p.config.clone(),
                    p.latest_version.clone(),
                    versions,
                )
            })
            .collect::<Vec<_>>()
    };
    let source_key = |y: &YamlFacts| {
        y.sources
            .iter()
            .map(|s| (s.source.clone(), s.table.clone(), s.enabled))
            .collect::<Vec<_>>()
    };
    let entity_key = |list: &Vec<EntitySpec>| {
        list.iter()
            .map(|e| {
                let refs: Vec<_> = e
                    .refs
                    .iter()
                    .map(|r| (r.package.clone(), r.name.clone(), r.version.clone()))
                    .collect();
                let sources: Vec<_> = e
                    .sources
                    .iter()
                    .map(|s| (s.source.clone(), s.table.clone()))
                    .collect();
                (
                    e.name.clone(),
                    refs,
                    sources,
                    e.measures.clone(),
                    e.metrics.clone(),
                    e.defines.clone(),
                    e.enabled,
                )
            })
            .collect::<Vec<_>>()
    };
    patch_key(a) == patch_key(b)
        && source_key(a) == source_key(b)
        && entity_key(&a.exposures) == entity_key(&b.exposures)
        && entity_key(&a.semantic_models) == entity_key(&b.semantic_models)
        && entity_key(&a.metrics) == entity_key(&b.metrics)
        && entity_key(&a.unit_tests) == entity_key(&b.unit_tests)
}

fn remove_node(graph: &mut Graph, uid: &str) {
    graph.nodes.remove(uid);
    for parent in graph.parent_map.remove(uid).unwrap_or_default() {
        if let Some(children) = graph.child_map.get_mut(&parent) {
            children.retain(|c| c != uid);
        }
    }
    graph.child_map.remove(uid);
}

fn insert_node(graph: &mut Graph, node: Node) {
    let uid = node.unique_id.clone();
    let mut parents = node.depends_on.clone();
    parents.sort();
    for p in &parents {
        if let Some(children) = graph.child_map.get_mut(p)
            && let Err(at) = children.binary_search(&uid)
        {
            children.insert(at, uid.clone());
        }
    }
    graph.parent_map.insert(uid.clone(), parents);
    graph.child_map.insert(uid.clone(), Vec::new());
    graph.nodes.insert(uid, node);
}
