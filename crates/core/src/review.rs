//! Review: what a change does to a domain's dbt project before it merges — both sides of the
//! change written out of the repository ([`revisions`]), indexed natively, and compared
//! ([`vibedata_dbt_index::diff`]): changed nodes with their `state:modified` subselectors and
//! breaking-change class, column changes propagated downstream through column lineage, the
//! impacted set and contract breaks. No warehouse is needed. [`data_diff`] compares two tables
//! of the local DuckDB (keys inferred, segment checksums first).

pub mod data_diff;
pub mod revisions;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use vibedata_dbt_index::Index;
use vibedata_dbt_index::diff::{self, Review as Diff};
use vibedata_protocol::review::{
    ChangeCategory, ChangeKind, ChangedNodeDto, ContractBreakDto, ImpactDto, ReviewDto,
};

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};
use revisions::Revision;

/// A review of `head` against `base`.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub base: String,
    pub base_commit: String,
    pub head: String,
    pub head_commit: String,
    /// The base is where `head` left `base` (their merge base); false: unrelated histories,
    /// compared tip to tip.
    pub from_merge_base: bool,
    /// The dbt project's folder in the repository ("" for its root).
    pub project_dir: String,
    #[serde(flatten)]
    pub diff: Diff,
    /// Problems indexing either side (a side that does not parse still shows what it can).
    pub problems: Vec<String>,
}

/// Review's front door.
pub struct Review {
    platform: Arc<Platform>,
}

impl Review {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }

    /// Reviews a branch of a registered workspace against its default branch (the Review page).
    pub async fn review_branch(&self, workspace_id: &str, head: String) -> Result<ReviewDto> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
            let base = crate::workspaces::git::default_branch(&ws.path)?;
            let scratch = platform.paths().data_dir.join("review");
            let project = Some(ws.project_dir.clone());
            let report = compare(&ws.path, project.as_deref(), &base, &head, &scratch)?;
            Ok(to_dto(&id, report))
        })
        .await
    }

    /// Diffs two relations of a DuckDB file (see [`data_diff`]).
    pub async fn diff_tables(
        &self,
        db: PathBuf,
        left: String,
        right: String,
        key: Option<Vec<String>>,
    ) -> Result<data_diff::TableDiff> {
        let venv = crate::platform::venv::Venv::new(&self.platform.paths().venv);
        blocking(move || data_diff::diff_tables(&venv, &db, &left, &right, key, Vec::new())).await
    }

    /// Reviews `head` against `base` in the repository at `repo` (its dbt project in
    /// `project_dir`, or found on its own).
    pub async fn compare(
        &self,
        repo: PathBuf,
        project_dir: Option<String>,
        base: String,
        head: String,
    ) -> Result<ReviewReport> {
        let scratch = self.platform.paths().data_dir.join("review");
        blocking(move || compare(&repo, project_dir.as_deref(), &base, &head, &scratch)).await
    }
}

/// The dbt project folder of a repository: the one given, the root's, else the first found.
fn project_dir(root: &Path, given: Option<&str>) -> Result<String> {
    if let Some(given) = given {
        return Ok(given.trim_matches('/').to_string());
    }
    if root.join("dbt_project.yml").is_file() {
        return Ok(String::new());
    }
    crate::workspaces::registration::find_dbt_projects(root)
        .into_iter()
        .next()
        .ok_or_else(|| CoreError::InvalidInput(format!("{} has no dbt project", root.display())))
}

/// Writes both sides, indexes them and compares (blocking).
pub fn compare(
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<ReviewReport> {
    let (base_rev, from_merge_base) = revisions::base_of(repo, base, head)?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| CoreError::io(format!("cannot create {}", scratch.display()), e))?;
    let dir = tempfile::Builder::new()
        .prefix("review-")
        .tempdir_in(scratch)
        .map_err(|e| CoreError::io("cannot create a folder for the review", e))?;
    let (base_dir, head_dir) = (dir.path().join("base"), dir.path().join("head"));
    let Revision {
        commit: base_commit,
        ..
    } = revisions::write_tree(repo, &base_rev.commit, &base_dir)?;
    let Revision {
        commit: head_commit,
        ..
    } = revisions::write_tree(repo, head, &head_dir)?;
    let project = project_dir(&head_dir, project)?;
    let (b, h) = std::thread::scope(|s| {
        let b = s.spawn(|| Index::load(&base_dir.join(&project)));
        let h = Index::load(&head_dir.join(&project));
        (b.join(), h)
    });
    let b = b.map_err(|_| CoreError::Internal("indexing the base failed".into()))?;
    let problems = b
        .problems()
        .iter()
        .chain(h.problems().iter())
        .filter(|p| p.severity == vibedata_dbt_index::Severity::Error)
        .map(|p| format!("{}:{} {}", p.file, p.line, p.message))
        .collect();
    Ok(ReviewReport {
        base: base.to_string(),
        base_commit,
        head: head.to_string(),
        head_commit,
        from_merge_base,
        project_dir: project,
        diff: diff::compare(&b, &h),
        problems,
    })
}

fn to_dto(workspace_id: &str, r: ReviewReport) -> ReviewDto {
    let name = |uid: &str| uid.rsplit('.').next().unwrap_or(uid).to_string();
    let kind = crate::domains::open::node_kind;
    let changed_ids: Vec<&str> = r
        .diff
        .changed
        .iter()
        .map(|c| c.unique_id.as_str())
        .collect();
    ReviewDto {
        workspace_id: workspace_id.to_string(),
        base: r.base.clone(),
        head: r.head.clone(),
        base_commit: r.base_commit.clone(),
        head_commit: r.head_commit.clone(),
        from_merge_base: r.from_merge_base,
        changed: r
            .diff
            .changed
            .iter()
            .map(|c| ChangedNodeDto {
                unique_id: c.unique_id.clone(),
                name: name(&c.unique_id),
                kind: kind(c.resource_type),
                change: match c.change {
                    diff::Change::Added => ChangeKind::Added,
                    diff::Change::Removed => ChangeKind::Removed,
                    diff::Change::Modified => ChangeKind::Modified,
                },
                category: c.category.map(|k| match k {
                    diff::Category::Breaking => ChangeCategory::Breaking,
                    diff::Category::PartialBreaking => ChangeCategory::PartialBreaking,
                    diff::Category::NonBreaking => ChangeCategory::NonBreaking,
                    diff::Category::Unknown => ChangeCategory::Unknown,
                }),
                modified: c.modified.iter().map(|m| m.to_string()).collect(),
                added_columns: c.columns.added.clone(),
                removed_columns: c.columns.removed.clone(),
                modified_columns: c.columns.modified.clone(),
                reason: c.reason.clone(),
            })
            .collect(),
        impact: r
            .diff
            .impact
            .iter()
            .map(|i| ImpactDto {
                unique_id: i.unique_id.clone(),
                name: name(&i.unique_id),
                kind: kind(i.resource_type),
                via: i.via.clone(),
                affected_columns: i.affected_columns.clone(),
                unaffected_columns: i.unaffected_columns.clone(),
                changed: changed_ids.contains(&i.unique_id.as_str()),
            })
            .collect(),
        contract_breaks: r
            .diff
            .contract_breaks
            .iter()
            .map(|b| ContractBreakDto {
                unique_id: b.unique_id.clone(),
                column: b.column.clone(),
                kind: match b.kind {
                    diff::ContractBreakKind::Removed => "removed",
                    diff::ContractBreakKind::TypeChanged => "type_changed",
                    diff::ContractBreakKind::ConstraintRemoved => "constraint_removed",
                }
                .to_string(),
            })
            .collect(),
        problems: r.problems,
    }
}
