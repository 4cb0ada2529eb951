//! A data domain's dbt project as the UI sees it: the index summary (counts, coverage, problems,
//! files), search results, one node in detail, a lineage neighbourhood laid out for drawing, and
//! a file's text.

use serde::{Deserialize, Serialize};

/// A problem located in a file of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDto {
    pub file: String,
    pub line: u32,
    /// `error` or `warning`.
    pub severity: String,
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
    /// dbt's resource type (`model`, `source`, `test`, …).
    pub kind: String,
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
    pub kind: String,
    pub name: String,
    pub package: String,
    pub version: Option<String>,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDto {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
    pub constraints: Vec<String>,
    /// Names of the generic tests on this column.
    pub tests: Vec<String>,
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
    pub kind: String,
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
