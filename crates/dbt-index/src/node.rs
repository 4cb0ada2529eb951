//! The index's nodes: models, seeds, snapshots, tests, analyses, hooks, sources, exposures,
//! metrics, semantic models, saved queries and unit tests, with dbt's `unique_id`s.

use serde::Serialize;
use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Model,
    Seed,
    Snapshot,
    Test,
    Analysis,
    Operation,
    Source,
    Exposure,
    Metric,
    SemanticModel,
    SavedQuery,
    UnitTest,
}

impl ResourceType {
    /// The first segment of dbt's `unique_id` (also dbt's `resource_type` string).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Model => "model",
            ResourceType::Seed => "seed",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Test => "test",
            ResourceType::Analysis => "analysis",
            ResourceType::Operation => "operation",
            ResourceType::Source => "source",
            ResourceType::Exposure => "exposure",
            ResourceType::Metric => "metric",
            ResourceType::SemanticModel => "semantic_model",
            ResourceType::SavedQuery => "saved_query",
            ResourceType::UnitTest => "unit_test",
        }
    }

    /// The top-level key of `manifest.json` that holds nodes of this type.
    pub fn manifest_section(self) -> &'static str {
        match self {
            ResourceType::Source => "sources",
            ResourceType::Exposure => "exposures",
            ResourceType::Metric => "metrics",
            ResourceType::SemanticModel => "semantic_models",
            ResourceType::SavedQuery => "saved_queries",
            ResourceType::UnitTest => "unit_tests",
            _ => "nodes",
        }
    }

    /// Models, seeds and snapshots: what `ref()` can point at.
    pub fn is_refable(self) -> bool {
        matches!(
            self,
            ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
        )
    }

    /// Nodes drawn in the lineage graph (tests and hooks are attached, not drawn).
    pub fn is_lineage(self) -> bool {
        matches!(
            self,
            ResourceType::Model
                | ResourceType::Seed
                | ResourceType::Snapshot
                | ResourceType::Source
                | ResourceType::Exposure
                | ResourceType::Metric
                | ResourceType::SemanticModel
                | ResourceType::SavedQuery
        )
    }
}

/// A documented column of a model, seed, snapshot or source table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
    /// Constraint types (`not_null`, `primary_key`, …).
    pub constraints: Vec<String>,
    /// Generic tests attached to this column (`unique_id`s), filled in when linking.
    pub tests: Vec<String>,
}

/// A model-level constraint (`constraints:` beside `columns:`), over the columns it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelConstraint {
    /// `primary_key`, `unique`, `foreign_key`, `check`, …
    pub kind: String,
    pub columns: Vec<String>,
}

/// What a generic or singular test checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestInfo {
    /// The generic test's macro name (`not_null`), or `None` for a singular test.
    pub test_name: Option<String>,
    pub namespace: Option<String>,
    pub column_name: Option<String>,
    /// The node the test is defined on (dbt's `attached_node`; sources have none).
    pub attached_node: Option<String>,
    pub kwargs: Json,
}

/// One node of the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub unique_id: String,
    pub resource_type: ResourceType,
    pub package_name: String,
    pub name: String,
    pub version: Option<String>,
    /// The file, relative to the indexed root (`/` separators).
    pub file: String,
    /// The file relative to its own project, as dbt's `original_file_path`.
    pub original_file_path: String,
    /// 1-based line of the definition in `file` (1 for whole-file nodes).
    pub line: u32,
    pub description: String,
    pub columns: Vec<Column>,
    /// Model-level constraints (column-level ones are on each [`Column`]).
    pub constraints: Vec<ModelConstraint>,
    pub contract_enforced: bool,
    pub materialized: Option<String>,
    /// Parents, as dbt's `depends_on.nodes`.
    pub depends_on: Vec<String>,
    /// For sources: `(source_name, table_name)` and whether a freshness check is configured.
    pub source: Option<(String, String)>,
    /// For sources: the relation dbt reads, `(schema, identifier)` — the source's `schema` (its
    /// name when unset) and the table's `identifier` (its name when unset), as written.
    pub source_relation: Option<(String, String)>,
    pub freshness: bool,
    pub test: Option<TestInfo>,
    /// dbt's fully qualified name.
    pub fqn: Vec<String>,
    /// Models and SQL snapshots: each output column and the upstream columns it derives from
    /// (`None` when the SQL could not be read).
    pub column_lineage: Option<Vec<crate::columns::ColumnLineage>>,
    /// Seeds: the columns of the CSV header.
    pub seed_columns: Vec<String>,
    /// Models, seeds, snapshots, analyses, singular tests: the configs it ends up with (project
    /// folders, YAML, `config()`, the root project's word last), rendered.
    pub config: serde_json::Map<String, Json>,
}

impl Node {
    pub fn new(
        resource_type: ResourceType,
        unique_id: String,
        package: &str,
        name: &str,
        file: String,
        original: String,
    ) -> Node {
        Node {
            unique_id,
            resource_type,
            package_name: package.to_string(),
            name: name.to_string(),
            version: None,
            file,
            original_file_path: original,
            line: 1,
            description: String::new(),
            columns: Vec::new(),
            constraints: Vec::new(),
            contract_enforced: false,
            materialized: None,
            depends_on: Vec::new(),
            source: None,
            source_relation: None,
            freshness: false,
            test: None,
            fqn: Vec::new(),
            column_lineage: None,
            seed_columns: Vec::new(),
            config: serde_json::Map::new(),
        }
    }

    /// Adds a parent once, keeping discovery order (like dbt's `depends_on.add_node`).
    pub fn add_parent(&mut self, unique_id: &str) {
        if !self.depends_on.iter().any(|p| p == unique_id) {
            self.depends_on.push(unique_id.to_string());
        }
    }
}
