//! Linking what YAML alone declares: semantic models, the metrics they define
//! (`create_metric: true`) and metrics built on measures or other metrics, exposures (on nodes
//! and metrics), saved queries, and unit tests.

use std::collections::HashMap;

use super::Linker;
use crate::files::{Facts, SourceFile};
use crate::jinja::RefCall;
use crate::node::{Node, ResourceType};
use crate::problem::Problem;
use crate::yaml::EntitySpec;

impl Linker<'_> {
    pub(super) fn yaml_entities(&mut self, files: &[&SourceFile]) {
        // Semantic models first: metrics resolve measures against them.
        let mut measure_owner: HashMap<String, String> = HashMap::new();
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for (prefix, list) in [
                ("semantic_model", &y.semantic_models),
                ("exposure", &y.exposures),
                ("metric", &y.metrics),
                ("saved_query", &y.saved_queries),
            ] {
                for e in list.iter().filter(|e| !e.enabled) {
                    self.disable(&format!("{prefix}.{pkg}.{}", e.name), &file.rel);
                }
            }
            for e in y.semantic_models.iter().filter(|e| e.enabled) {
                let uid = self.entity_node(ResourceType::SemanticModel, &pkg, e, file);
                for m in &e.defines {
                    measure_owner.entry(m.clone()).or_insert(uid.clone());
                }
            }
        }
        let mut metric_ids: HashMap<String, String> = HashMap::new();
        // Measures with `create_metric: true` are metrics of their name on their model.
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for e in y.semantic_models.iter().filter(|e| e.enabled) {
                let model = format!("semantic_model.{pkg}.{}", e.name);
                for m in &e.metrics {
                    let uid = format!("metric.{pkg}.{m}");
                    let mut node = Node::new(
                        ResourceType::Metric,
                        uid.clone(),
                        &pkg,
                        m,
                        file.rel.clone(),
                        file.original.clone(),
                    );
                    node.line = e.line;
                    node.add_parent(&model);
                    self.nodes.insert(uid.clone(), node);
                    metric_ids.insert(m.clone(), uid);
                }
            }
        }
        let mut metrics = Vec::new();
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for e in y.metrics.iter().filter(|e| e.enabled) {
                let uid = self.entity_node(ResourceType::Metric, &pkg, e, file);
                metric_ids.insert(e.name.clone(), uid.clone());
                metrics.push((uid, e, file.rel.clone()));
            }
        }
        for (uid, e, rel) in metrics {
            let mut parents = Vec::new();
            for m in &e.measures {
                match measure_owner.get(m) {
                    Some(owner) => parents.push(owner.clone()),
                    None => self.graph.problems.push(Problem::error(
                        "unknown_measure",
                        &rel,
                        e.line,
                        format!(
                            "metric `{}` uses measure `{m}`, which no semantic model defines",
                            e.name
                        ),
                    )),
                }
            }
            for m in &e.metrics {
                match metric_ids.get(m) {
                    Some(id) => parents.push(id.clone()),
                    None => self.graph.problems.push(Problem::error(
                        "unknown_metric",
                        &rel,
                        e.line,
                        format!(
                            "metric `{}` is derived from `{m}`, which is not defined",
                            e.name
                        ),
                    )),
                }
            }
            if let Some(node) = self.nodes.get_mut(&uid) {
                for p in parents {
                    node.add_parent(&p);
                }
            }
        }
        // Exposures and saved queries, on nodes and on metrics.
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for (rtype, list) in [
                (ResourceType::Exposure, &y.exposures),
                (ResourceType::SavedQuery, &y.saved_queries),
            ] {
                for e in list.iter().filter(|e| e.enabled) {
                    let uid = self.entity_node(rtype, &pkg, e, file);
                    let mut parents = Vec::new();
                    for m in &e.metrics {
                        match metric_ids.get(m) {
                            Some(id) => parents.push(id.clone()),
                            None => self.graph.problems.push(Problem::error(
                                "unknown_metric",
                                &file.rel,
                                e.line,
                                format!("`{}` uses metric `{m}`, which is not defined", e.name),
                            )),
                        }
                    }
                    if let Some(node) = self.nodes.get_mut(&uid) {
                        for p in parents {
                            node.add_parent(&p);
                        }
                    }
                }
            }
        }
        for file in files {
            let Facts::Yaml(y) = &file.facts else {
                continue;
            };
            let pkg = self.projects[file.project].name.clone();
            for e in y.unit_tests.iter().filter(|e| e.enabled) {
                let Some(model) = e.defines.first() else {
                    continue;
                };
                let call = RefCall {
                    package: Some(pkg.clone()),
                    name: model.clone(),
                    version: None,
                    line: e.line,
                };
                let tested = self.graph.lookups.resolve_ref(&call, &pkg);
                if self
                    .graph
                    .lookups
                    .disabled
                    .contains(&(pkg.clone(), model.clone()))
                {
                    continue;
                }
                let uid = format!("unit_test.{pkg}.{model}.{}", e.name);
                let mut node = Node::new(
                    ResourceType::UnitTest,
                    uid.clone(),
                    &pkg,
                    &e.name,
                    file.rel.clone(),
                    file.original.clone(),
                );
                node.line = e.line;
                node.description = e.description.clone();
                match tested {
                    Ok(parent) => node.add_parent(&parent),
                    Err(_) => self.graph.problems.push(Problem::error(
                        "unknown_ref",
                        &file.rel,
                        e.line,
                        format!(
                            "unit test `{}` tests model `{model}`, which does not exist",
                            e.name
                        ),
                    )),
                }
                self.nodes.insert(uid, node);
            }
        }
    }

    fn entity_node(
        &mut self,
        rtype: ResourceType,
        pkg: &str,
        e: &EntitySpec,
        file: &SourceFile,
    ) -> String {
        let uid = format!("{}.{pkg}.{}", rtype.as_str(), e.name);
        let mut node = Node::new(
            rtype,
            uid.clone(),
            pkg,
            &e.name,
            file.rel.clone(),
            file.original.clone(),
        );
        node.line = e.line;
        node.description = e.description.clone();
        node.fqn = vec![pkg.to_string(), e.name.clone()];
        if self.nodes.contains_key(&uid) {
            self.graph.problems.push(Problem::error(
                "duplicate_name",
                &file.rel,
                e.line,
                format!("`{}` is defined twice", e.name),
            ));
            return uid;
        }
        self.nodes.insert(uid.clone(), node);
        self.resolve_into(&uid, &e.refs, &e.sources, &file.rel);
        uid
    }
}
