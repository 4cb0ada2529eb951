//! The comparison of two revisions (blocking): both sides written out of git, indexed natively and
//! compared; the lineage of what changed; the review as the page shows it.

use std::path::Path;

use vibedata_dbt_index::Index;
use vibedata_dbt_index::diff::{self, Review as Diff};
use vibedata_protocol::LineageDto;
use vibedata_protocol::review::{
    ChangeCategory, ChangeKind, ChangedNodeDto, ContractBreakDto, ImpactDto, ReviewDto,
};

use super::ReviewReport;
use super::revisions::{self, Revision};
use crate::platform::error::{CoreError, Result};

/// A node's name from its unique id: a generic test's without its hash
/// (`test.shop.unique_orders_id.3c484b5649` → `unique_orders_id`), a version kept
/// (`model.shop.orders.v2` → `orders.v2`).
fn node_name(uid: &str) -> String {
    let parts: Vec<&str> = uid.split('.').collect();
    let last = parts.last().copied().unwrap_or(uid);
    match parts.as_slice() {
        ["test", _, name, _] => (*name).to_string(),
        [_, _, name, v]
            if v.len() > 1 && v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{name}.{v}")
        }
        _ => last.to_string(),
    }
}

/// The dbt project folder of a repository: the one given, the root's, else the first found.
pub(super) fn project_dir(root: &Path, given: Option<&str>) -> Result<String> {
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
    compare_with_lineage(repo, project, base, head, scratch).map(|(r, _)| r)
}

/// What the Review page shows of `head` against `base` (blocking): [`compare`], the lineage of
/// what changed, as typed for the page.
pub fn review_page(
    workspace_id: &str,
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<ReviewDto> {
    let (report, lineage) = compare_with_lineage(repo, project, base, head, scratch)?;
    let mut code = crate::workspaces::changes::changes_between(
        repo,
        &report.base_commit,
        &report.head_commit,
    )?;
    code.sort_by_key(|f| f.path.starts_with(".vibedata/"));
    let mut dto = to_dto(workspace_id, report);
    dto.lineage = lineage;
    dto.code = code;
    Ok(dto)
}

/// [`compare`], and the lineage of what changed in the head's graph: the changed nodes (tests
/// left out) and everything downstream of them, ranked by their longest path from a change.
fn compare_with_lineage(
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<(ReviewReport, LineageDto)> {
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
    let diff = diff::compare(&b, &h);
    let lineage = changed_lineage(&h, &diff);
    Ok((
        ReviewReport {
            base: base.to_string(),
            base_commit,
            head: head.to_string(),
            head_commit,
            from_merge_base,
            project_dir: project,
            diff,
            problems,
        },
        lineage,
    ))
}

/// The changed nodes present in the head and what is downstream of them, layered: a node's rank
/// is its longest path from a changed node within the set.
fn changed_lineage(head: &Index, d: &Diff) -> LineageDto {
    use std::collections::{BTreeMap, BTreeSet};
    let nodes = head.nodes();
    let keep = |uid: &str| {
        nodes.get(uid).is_some_and(|n| {
            !matches!(
                n.resource_type,
                vibedata_dbt_index::ResourceType::Test | vibedata_dbt_index::ResourceType::UnitTest
            )
        })
    };
    let set: BTreeSet<String> = d
        .changed
        .iter()
        .map(|c| c.unique_id.clone())
        .chain(d.impact.iter().map(|i| i.unique_id.clone()))
        .filter(|u| keep(u))
        .take(300)
        .collect();
    let parents_in = |uid: &str| -> Vec<String> {
        head.graph()
            .parent_map
            .get(uid)
            .into_iter()
            .flatten()
            .filter(|p| set.contains(*p))
            .cloned()
            .collect()
    };
    // Longest path within the set (it is a DAG; a cycle is cut at the set's size).
    let mut rank: BTreeMap<String, i32> = set.iter().map(|u| (u.clone(), 0)).collect();
    for _ in 0..set.len() {
        let mut changed = false;
        for uid in &set {
            let r = parents_in(uid)
                .iter()
                .map(|p| rank[p] + 1)
                .max()
                .unwrap_or(0)
                .min(set.len() as i32);
            if rank[uid] != r {
                rank.insert(uid.clone(), r);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut placed: Vec<(&String, i32)> = rank.iter().map(|(u, r)| (u, *r)).collect();
    placed.sort_by(|a, b| (a.1, &nodes[a.0].name).cmp(&(b.1, &nodes[b.0].name)));
    let mut order: BTreeMap<i32, u32> = BTreeMap::new();
    let lineage_nodes = placed
        .iter()
        .map(|(uid, r)| {
            let o = order.entry(*r).or_insert(0);
            *o += 1;
            vibedata_protocol::LineageNodeDto {
                unique_id: (*uid).clone(),
                name: nodes[*uid].name.clone(),
                kind: crate::domains::open::node_kind(nodes[*uid].resource_type),
                rank: *r,
                order: *o - 1,
            }
        })
        .collect();
    let edges = set
        .iter()
        .flat_map(|uid| {
            parents_in(uid)
                .into_iter()
                .map(move |p| vibedata_protocol::LineageEdgeDto {
                    from: p,
                    to: uid.clone(),
                })
        })
        .collect();
    LineageDto {
        focus: String::new(),
        nodes: lineage_nodes,
        edges,
        truncated: set.len() >= 300,
    }
}

fn to_dto(workspace_id: &str, r: ReviewReport) -> ReviewDto {
    let name = |uid: &str| node_name(uid);
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
        lineage: LineageDto {
            focus: String::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
            truncated: false,
        },
        code: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_names_drop_a_test_s_hash_and_keep_a_version() {
        for (uid, name) in [
            ("model.shop.orders", "orders"),
            ("test.shop.unique_orders_id.3c484b5649", "unique_orders_id"),
            ("test.shop.assert_positive", "assert_positive"),
            ("model.shop.orders.v2", "orders.v2"),
            ("unit_test.shop.orders.counts_open", "counts_open"),
            ("source.shop.raw.orders", "orders"),
            ("seed.shop.vibes", "vibes"),
        ] {
            assert_eq!(super::node_name(uid), name, "{uid}");
        }
    }
}
