//! A data domain's dbt project as the UI sees it: the index summary (counts, coverage, problems,
//! files), search results, one node in detail, a lineage neighbourhood laid out for drawing, and
//! a file's text.

use serde::{Deserialize, Serialize};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// dbt's resource type of a node (the first segment of its `unique_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
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

impl NodeKind {
    /// dbt's name (`semantic_model`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Test => "test",
            NodeKind::Analysis => "analysis",
            NodeKind::Operation => "operation",
            NodeKind::Source => "source",
            NodeKind::Exposure => "exposure",
            NodeKind::Metric => "metric",
            NodeKind::SemanticModel => "semantic_model",
            NodeKind::SavedQuery => "saved_query",
            NodeKind::UnitTest => "unit_test",
        }
    }

    /// In words: "semantic model".
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// The noun for `count` of them: "model", "models", "analyses".
    pub fn noun(self, count: usize) -> String {
        match (self, count) {
            (_, 1) => self.label(),
            (NodeKind::Analysis, _) => "analyses".into(),
            (NodeKind::SavedQuery, _) => "saved queries".into(),
            _ => format!("{}s", self.label()),
        }
    }

    /// In words, singular or plural by `count`: "1 model", "6 models", "2 analyses".
    pub fn counted(self, count: usize) -> String {
        format!("{count} {}", self.noun(count))
    }
}

/// A problem located in a file of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDto {
    pub file: String,
    pub line: u32,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

/// Coverage of one scope: the whole project (`scope` = "") or one folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageDto {
    pub scope: String,
    pub models: usize,
    pub columns: usize,
    pub documented_columns: usize,
    pub tested_columns: usize,
    pub contracted_models: usize,
    pub docs_pct: f64,
    pub tests_pct: f64,
    pub contracts_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountDto {
    pub kind: NodeKind,
    pub count: usize,
}

/// The index of one workspace, as loaded now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSummaryDto {
    pub workspace_id: String,
    /// Bumped on every change the file watcher applies.
    pub revision: u64,
    pub project_name: Option<String>,
    pub packages: Vec<String>,
    pub counts: Vec<CountDto>,
    pub coverage: CoverageDto,
    pub folders: Vec<CoverageDto>,
    pub problems: Vec<ProblemDto>,
    /// Indexed files, relative to the workspace, sorted.
    pub files: Vec<String>,
}

/// A node in a list: enough to show and open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRowDto {
    pub unique_id: String,
    pub kind: NodeKind,
    pub name: String,
    pub package: String,
    pub version: Option<String>,
    pub file: String,
    pub line: u32,
    /// The column a search found this node by (its name did not match).
    pub matched_column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDto {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
    pub constraints: Vec<String>,
    /// Names of the generic tests on this column.
    pub tests: Vec<String>,
    /// Documented in the project's YAML.
    pub documented: bool,
    /// Produced by the model's SQL (its select list), when the SQL can be read.
    pub in_sql: bool,
    /// The upstream columns it derives from (column lineage of the model's SQL).
    pub upstream: Vec<ColumnRefDto>,
    /// The downstream columns derived from it.
    pub downstream: Vec<ColumnRefDto>,
    /// Everything it derives from was traced; false: part of it is unknown (never guessed).
    pub lineage_known: bool,
}

/// A column of another node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRefDto {
    pub unique_id: String,
    pub node_name: String,
    pub column: String,
}

/// One node with what a model view shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDetailDto {
    pub node: NodeRowDto,
    pub description: String,
    pub materialized: Option<String>,
    pub contract_enforced: bool,
    /// The SQL (or Python) of models, snapshots, analyses and singular tests.
    pub code: Option<String>,
    pub columns: Vec<ColumnDto>,
    pub parents: Vec<NodeRowDto>,
    pub children: Vec<NodeRowDto>,
    /// Tests attached to this node (generic and unit tests).
    pub tests: Vec<NodeRowDto>,
    /// Problems in this node's file.
    pub problems: Vec<ProblemDto>,
}

/// A node placed in a lineage drawing: `rank` is the distance from the focus (negative
/// upstream), `order` its position within the rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageNodeDto {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    pub rank: i32,
    pub order: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageEdgeDto {
    pub from: String,
    pub to: String,
}

/// The upstream and downstream neighbourhood of one node (tests left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageDto {
    pub focus: String,
    pub nodes: Vec<LineageNodeDto>,
    pub edges: Vec<LineageEdgeDto>,
    /// Nodes beyond the depth limit were left out.
    pub truncated: bool,
}

/// A project file's text and the nodes defined in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDto {
    pub path: String,
    pub text: String,
    pub nodes: Vec<NodeRowDto>,
    pub problems: Vec<ProblemDto>,
}

/// Sent to the UI when the watcher has applied changes to a workspace's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexChangedDto {
    pub workspace_id: String,
    pub revision: u64,
}
