//! What is upstream of what, for grouping and inhibition: the parents of each node (from a dbt
//! manifest's `parent_map`, or its nodes' `depends_on`), and the *subject* of a signal — the node
//! a test checks (its `attached_node`, else the model it depends on), the node itself otherwise.
//! Nodes are interned as numbers; ancestor sets are computed once per node and kept.

use std::collections::HashMap;

use serde_json::Value;

/// The lineage of a project.
#[derive(Debug, Default, Clone)]
pub struct Lineage {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    parents: Vec<Vec<u32>>,
    /// A test's subject.
    subject: HashMap<String, String>,
    /// Ancestors of a node (sorted), once asked.
    ancestors: Vec<Option<Vec<u32>>>,
}

impl Lineage {
    /// No lineage: every node stands alone.
    pub fn none() -> Lineage {
        Lineage::default()
    }

    /// From `(child, parent)` edges and `(test, subject)` pairs.
    pub fn from_edges<'a>(
        edges: impl IntoIterator<Item = (&'a str, &'a str)>,
        subjects: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Lineage {
        let mut l = Lineage::default();
        for (child, parent) in edges {
            let (c, p) = (l.intern(child), l.intern(parent));
            if !l.parents[c as usize].contains(&p) && c != p {
                l.parents[c as usize].push(p);
            }
        }
        for (test, subject) in subjects {
            l.subject.insert(test.to_string(), subject.to_string());
        }
        l
    }

    /// From a dbt manifest (`manifest.json` of any recent version).
    pub fn from_manifest(text: &str) -> Result<Lineage, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the manifest is not JSON ({e})"))?;
        let mut edges: Vec<(String, String)> = Vec::new();
        if let Some(map) = v.get("parent_map").and_then(Value::as_object) {
            for (child, parents) in map {
                for p in parents
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    edges.push((child.clone(), p.to_string()));
                }
            }
        }
        let mut subjects: Vec<(String, String)> = Vec::new();
        for section in [
            "nodes",
            "exposures",
            "metrics",
            "semantic_models",
            "unit_tests",
        ] {
            for (uid, node) in v
                .get(section)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let deps: Vec<&str> = node["depends_on"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !v.get("parent_map").is_some_and(Value::is_object) {
                    edges.extend(deps.iter().map(|p| (uid.clone(), (*p).to_string())));
                }
                if uid.starts_with("test.") || uid.starts_with("unit_test.") {
                    let attached = node["attached_node"]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| node["model"].as_str().map(str::to_string))
                        .or_else(|| {
                            deps.iter()
                                .find(|d| !d.starts_with("macro."))
                                .map(|d| (*d).to_string())
                        });
                    if let Some(a) = attached {
                        subjects.push((uid.clone(), a));
                    }
                }
            }
        }
        if edges.is_empty() && subjects.is_empty() {
            return Err("the manifest has neither a parent_map nor nodes with depends_on".into());
        }
        Ok(Lineage::from_edges(
            edges.iter().map(|(c, p)| (c.as_str(), p.as_str())),
            subjects.iter().map(|(t, s)| (t.as_str(), s.as_str())),
        ))
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        self.parents.push(Vec::new());
        self.ancestors.push(None);
        id
    }

    /// What a signal on `node` is about: a test's subject, else the node.
    pub fn subject_of<'a>(&'a self, node: &'a str) -> &'a str {
        self.subject.get(node).map_or(node, String::as_str)
    }

    /// The node's number, if the lineage knows it.
    pub fn id(&self, node: &str) -> Option<u32> {
        self.ids.get(node).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every node upstream of `id` (sorted), computed once.
    pub fn ancestors(&mut self, id: u32) -> &[u32] {
        if self.ancestors[id as usize].is_none() {
            let mut seen = vec![false; self.names.len()];
            let mut stack: Vec<u32> = self.parents[id as usize].clone();
            let mut out = Vec::new();
            while let Some(n) = stack.pop() {
                if n == id || std::mem::replace(&mut seen[n as usize], true) {
                    continue;
                }
                out.push(n);
                stack.extend(self.parents[n as usize].iter().copied());
            }
            out.sort_unstable();
            self.ancestors[id as usize] = Some(out);
        }
        self.ancestors[id as usize].as_deref().unwrap_or_default()
    }

    /// Whether `up` is upstream of `down`.
    pub fn is_upstream(&mut self, up: u32, down: u32) -> bool {
        self.ancestors(down).binary_search(&up).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_gives_parents_and_test_subjects() {
        let manifest = serde_json::json!({
            "nodes": {
                "model.p.a": {"depends_on": {"nodes": ["source.p.raw.t"]}},
                "model.p.b": {"depends_on": {"nodes": ["model.p.a", "macro.p.m"]}},
                "test.p.unique_b_id.1a": {"attached_node": "model.p.b", "depends_on": {"nodes": ["model.p.b"]}},
                "test.p.rel.2b": {"depends_on": {"nodes": ["macro.dbt.test_relationships", "model.p.a", "model.p.b"]}}
            },
            "parent_map": {
                "model.p.a": ["source.p.raw.t"],
                "model.p.b": ["model.p.a"],
                "test.p.unique_b_id.1a": ["model.p.b"],
                "test.p.rel.2b": ["model.p.a", "model.p.b"],
                "source.p.raw.t": []
            }
        });
        let mut l = Lineage::from_manifest(&manifest.to_string()).unwrap();
        assert_eq!(l.subject_of("test.p.unique_b_id.1a"), "model.p.b");
        assert_eq!(l.subject_of("test.p.rel.2b"), "model.p.a");
        assert_eq!(l.subject_of("model.p.a"), "model.p.a");
        let (a, b, src) = (
            l.id("model.p.a").unwrap(),
            l.id("model.p.b").unwrap(),
            l.id("source.p.raw.t").unwrap(),
        );
        assert!(l.is_upstream(a, b) && l.is_upstream(src, b));
        assert!(!l.is_upstream(b, a) && !l.is_upstream(b, b));
        assert!(Lineage::from_manifest("{}").is_err());
        assert!(Lineage::from_manifest("{\"nodes\"").is_err());
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let mut l = Lineage::from_edges([("a", "b"), ("b", "a"), ("c", "a")], []);
        let (a, b, c) = (l.id("a").unwrap(), l.id("b").unwrap(), l.id("c").unwrap());
        assert!(l.is_upstream(a, c) && l.is_upstream(b, c));
        assert!(l.is_upstream(b, a) && l.is_upstream(a, b));
    }
}
