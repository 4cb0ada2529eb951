//! Documentation, test and contract coverage of the root project's models, overall and per
//! folder. A column is documented when its description is non-empty and tested when a generic
//! test is attached to it (dbt-coverage's definitions); columns are the ones declared in YAML.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::node::{Node, ResourceType};

/// Counts for one scope (the whole project or one folder).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub models: usize,
    pub documented_models: usize,
    pub contracted_models: usize,
    pub columns: usize,
    pub documented_columns: usize,
    pub tested_columns: usize,
}

impl Counts {
    fn add(&mut self, node: &Node) {
        self.models += 1;
        self.documented_models += usize::from(!node.description.trim().is_empty());
        self.contracted_models += usize::from(node.contract_enforced);
        self.columns += node.columns.len();
        self.documented_columns += node
            .columns
            .iter()
            .filter(|c| !c.description.trim().is_empty())
            .count();
        self.tested_columns += node.columns.iter().filter(|c| !c.tests.is_empty()).count();
    }

    /// Percentage of columns documented (0 when there are no columns).
    pub fn docs_pct(&self) -> f64 {
        pct(self.documented_columns, self.columns)
    }

    pub fn tests_pct(&self) -> f64 {
        pct(self.tested_columns, self.columns)
    }

    pub fn contracts_pct(&self) -> f64 {
        pct(self.contracted_models, self.models)
    }
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64) * 100.0 / (whole as f64)
    }
}

/// Coverage of the root project's models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub total: Counts,
    /// Folder (relative to the indexed root) → counts of the models directly in it.
    pub folders: BTreeMap<String, Counts>,
}

/// Computes coverage over the models of `root_package`.
pub fn coverage<'a>(nodes: impl Iterator<Item = &'a Node>, root_package: &str) -> Coverage {
    let mut cov = Coverage::default();
    for node in
        nodes.filter(|n| n.resource_type == ResourceType::Model && n.package_name == root_package)
    {
        cov.total.add(node);
        let folder = node
            .file
            .rsplit_once('/')
            .map_or("", |(dir, _)| dir)
            .to_string();
        cov.folders.entry(folder).or_default().add(node);
    }
    cov
}
