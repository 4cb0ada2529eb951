//! The Review page: what a branch changes in a domain's dbt project, from both sides' indexes.

use serde::{Deserialize, Serialize};

use crate::domain::{LineageDto, NodeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

/// How a change affects what reads the node (Recce's classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeCategory {
    Breaking,
    PartialBreaking,
    NonBreaking,
    Unknown,
}

impl ChangeCategory {
    pub fn label(self) -> &'static str {
        match self {
            ChangeCategory::Breaking => "breaking",
            ChangeCategory::PartialBreaking => "partial breaking",
            ChangeCategory::NonBreaking => "non-breaking",
            ChangeCategory::Unknown => "unknown",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeCategory::Breaking => "breaking",
            ChangeCategory::PartialBreaking => "partial_breaking",
            ChangeCategory::NonBreaking => "non_breaking",
            ChangeCategory::Unknown => "unknown",
        }
    }
}

/// One node the branch adds, removes or modifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedNodeDto {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    pub change: ChangeKind,
    /// Models and snapshots.
    pub category: Option<ChangeCategory>,
    /// dbt's `state:modified` subselectors: body, configs, contract, columns, relation.
    pub modified: Vec<String>,
    pub added_columns: Vec<String>,
    pub removed_columns: Vec<String>,
    pub modified_columns: Vec<String>,
    pub reason: String,
}

/// A node downstream of a change, and which of its columns the change reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactDto {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    pub via: Vec<String>,
    pub affected_columns: Vec<String>,
    pub unaffected_columns: Vec<String>,
    /// Changed itself too (listed among the changes).
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractBreakDto {
    pub unique_id: String,
    pub column: String,
    /// removed, type_changed, constraint_removed
    pub kind: String,
}

/// A branch reviewed against the domain's default branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDto {
    pub workspace_id: String,
    pub base: String,
    pub head: String,
    pub base_commit: String,
    pub head_commit: String,
    /// Measured from where the branch left the base (false: unrelated histories).
    pub from_merge_base: bool,
    pub changed: Vec<ChangedNodeDto>,
    pub impact: Vec<ImpactDto>,
    pub contract_breaks: Vec<ContractBreakDto>,
    /// Error-level problems indexing either side, and anything the reviewer should know about
    /// the sides (a pull request reviewed as last fetched because GitHub could not be reached).
    pub problems: Vec<String>,
    /// The changed nodes and everything downstream of them, in layers (the head's graph), to
    /// draw with each node's class.
    pub lineage: LineageDto,
    /// The code: every file the change touches, with its unified diff (the project's files
    /// first, the intent's own records last).
    #[serde(default)]
    pub code: Vec<crate::FileChangeDto>,
}

/// An open pull request of a workspace's GitHub repository, from the synced inbox: reviewable
/// as the head `pull/<number>` (fetched from GitHub when reviewed; offline, as last fetched).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPullDto {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub updated_at: String,
    /// The head to review it as: `pull/<number>`.
    pub head: String,
    /// Its branch and target, once fetched.
    pub head_ref: Option<String>,
    pub base_ref: Option<String>,
}

/// A fact of a review the advisor may cite, by its id: `C:<node>` a changed node, `I:<node>` a
/// node downstream, `B:<node>.<column>` a contract break, `K:<check>` a check's latest result,
/// `S:totals` the counts of the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFactDto {
    pub id: String,
    /// What it says, in a line.
    pub text: String,
    /// The node it is about, to link to on the page.
    pub unique_id: Option<String>,
}

/// One claim of the advisor's summary and the facts it cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewClaimDto {
    /// The claim's text, citations removed.
    pub text: String,
    pub citations: Vec<ReviewFactDto>,
}

/// The reviewer advisor's latest summary of a branch: every claim cites a fact of the review (a
/// lineage fact or a check result); a replay says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSummaryDto {
    pub workspace_id: String,
    pub head: String,
    pub head_commit: String,
    pub session_id: String,
    /// The model it came from (`replay of …` for the demo's hand-written transcript).
    pub provider: String,
    pub is_replay: bool,
    pub claims: Vec<ReviewClaimDto>,
    /// Unix seconds.
    pub at: i64,
    /// The branch has moved since: the summary is of an older head.
    pub stale: bool,
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Identical,
    Changed,
    Error,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Identical => "identical",
            CheckStatus::Changed => "changed",
            CheckStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<CheckStatus> {
        [
            CheckStatus::Identical,
            CheckStatus::Changed,
            CheckStatus::Error,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A check of a review, kept with it: a model's data diff or a query diffed on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCheckDto {
    pub id: i64,
    pub name: String,
    /// `data_diff` or `query_diff`.
    pub kind: String,
    pub status: CheckStatus,
    pub summary: String,
    /// The head commit it ran on (a later push makes it stale).
    pub head_commit: String,
    pub at: i64,
}

/// One column's differences over the rows both sides have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDataDiffDto {
    pub name: String,
    pub changed: u64,
    pub match_pct: f64,
}

/// One model's data, base against head (built on the local DuckDB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDataDiffDto {
    pub unique_id: String,
    pub name: String,
    pub key: Vec<String>,
    /// Where the key comes from (a `unique` test, names, a uniqueness probe…).
    pub key_evidence: Option<String>,
    pub identical: bool,
    pub base_rows: u64,
    pub head_rows: u64,
    pub base_only: Option<u64>,
    pub head_only: Option<u64>,
    pub changed_rows: Option<u64>,
    pub columns: Vec<ColumnDataDiffDto>,
    pub columns_added: Vec<String>,
    pub columns_removed: Vec<String>,
    /// A few differing rows, as `column: base → head` text.
    pub samples: Vec<String>,
    /// Said plainly: no usable key, …
    pub note: Option<String>,
    /// It could not be compared (it did not build on a side, …).
    pub error: Option<String>,
}

/// The data diff of a branch's changed and impacted models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataDiffDto {
    pub workspace_id: String,
    pub head: String,
    pub models: Vec<ModelDataDiffDto>,
    /// `unique_id: message` of models that failed to build on a side.
    pub build_failures: Vec<String>,
}
