//! The data diff of a branch (blocking): the change's modified and impacted models built on both
//! sides on DuckDB (the head deferring to the built base) and each diffed with the keys its
//! project declares; each result kept as a check.

use std::path::{Path, PathBuf};

use vibedata_dbt_index::Index;
use vibedata_dbt_index::diff;
use vibedata_protocol::review::{CheckStatus, ColumnDataDiffDto, DataDiffDto, ModelDataDiffDto};

use super::{build, checks, data_diff, pulls, revisions};
use crate::platform::error::{CoreError, Result};

/// The data diff of `head` against the workspace's default branch (blocking).
/// Where the warehouses a data diff built for a head commit are kept: `(base, head)`.
pub(super) fn built_sides(
    scratch: &Path,
    workspace_id: &str,
    head_commit: &str,
) -> (PathBuf, PathBuf) {
    let dir = scratch
        .join(workspace_id)
        .join(head_commit.get(..12).unwrap_or(head_commit));
    (dir.join("base.duckdb"), dir.join("head.duckdb"))
}

/// A model's data diff as a check: its status and one line.
fn check_of(m: &ModelDataDiffDto) -> (CheckStatus, String) {
    if let Some(e) = &m.error {
        return (CheckStatus::Error, e.clone());
    }
    if m.identical {
        return (
            CheckStatus::Identical,
            format!("{} rows, identical", m.head_rows),
        );
    }
    let changed: Vec<&str> = m
        .columns
        .iter()
        .filter(|c| c.changed > 0)
        .map(|c| c.name.as_str())
        .collect();
    let summary = match (m.base_only, m.head_only, m.changed_rows) {
        (Some(b), Some(h), Some(c)) => format!(
            "{} → {} rows: {b} only in base, {h} only in head, {c} changed{}",
            m.base_rows,
            m.head_rows,
            if changed.is_empty() {
                String::new()
            } else {
                format!(" ({})", changed.join(", "))
            }
        ),
        _ => format!(
            "{} → {} rows; {}",
            m.base_rows,
            m.head_rows,
            m.note.clone().unwrap_or_default()
        ),
    };
    (CheckStatus::Changed, summary)
}

pub(super) fn data_diff_of(
    venv: &crate::platform::venv::Venv,
    store: &crate::platform::store::Store,
    ws: &crate::workspaces::registry::Workspace,
    head: &str,
    scratch: &Path,
) -> Result<DataDiffDto> {
    let (base, head_rev) = pulls::sides(store, ws, head)?;
    let warehouse = ws.warehouse();
    let run = DataDiffRun {
        repo: &ws.path,
        project_dir: &ws.project_dir,
        warehouse: &warehouse,
        base: &base,
        head: &head_rev,
        keep_for: Some(&ws.id),
    };
    let (models, build_failures) = data_diff_run(venv, &run, scratch, |dto, head_commit| {
        let (status, summary) = check_of(dto);
        checks::record(
            store,
            &checks::NewCheck {
                workspace_id: &ws.id,
                head,
                head_commit,
                name: &format!("data diff: {}", dto.name),
                kind: "data_diff",
                status,
                summary: &summary,
                result: &serde_json::to_value(dto).unwrap_or_default(),
            },
        )
        .map(|_| ())
    })?;
    Ok(DataDiffDto {
        workspace_id: ws.id.clone(),
        head: head.to_string(),
        models,
        build_failures,
    })
}

/// What a data diff builds: a repository, its dbt project's folder, the DuckDB file its sources
/// are in, and the two revisions (the base measured from its merge base with the head).
pub struct DataDiffRun<'a> {
    pub repo: &'a Path,
    pub project_dir: &'a str,
    pub warehouse: &'a Path,
    pub base: &'a str,
    pub head: &'a str,
    /// Keep both built warehouses under this key for the head commit (query checks run there).
    pub keep_for: Option<&'a str>,
}

/// Builds the change's modified and impacted models on both sides on DuckDB (the head deferring
/// its unchanged upstream to the built base) and diffs each with the keys its project declares
/// (blocking). `each` sees every model's result with the head commit. Returns the models and the
/// build failures (a model that did not build is named; the rest still compares).
pub fn data_diff_run(
    venv: &crate::platform::venv::Venv,
    run: &DataDiffRun,
    scratch: &Path,
    mut each: impl FnMut(&ModelDataDiffDto, &str) -> Result<()>,
) -> Result<(Vec<ModelDataDiffDto>, Vec<String>)> {
    let (base_rev, _) = revisions::base_of(run.repo, run.base, run.head)?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| CoreError::io(format!("cannot create {}", scratch.display()), e))?;
    let dir = tempfile::Builder::new()
        .prefix("data-diff-")
        .tempdir_in(scratch)
        .map_err(|e| CoreError::io("cannot create a folder for the data diff", e))?;
    let (base_dir, head_dir) = (dir.path().join("base"), dir.path().join("head"));
    revisions::write_tree(run.repo, &base_rev.commit, &base_dir)?;
    revisions::write_tree(run.repo, run.head, &head_dir)?;
    let (base_project, head_project) = (
        base_dir.join(run.project_dir),
        head_dir.join(run.project_dir),
    );
    if !build::local_duckdb(&head_project) {
        return Err(CoreError::InvalidInput(
            "the data diff builds on the local DuckDB: this project's profiles.yml has no DuckDB target".into(),
        ));
    }
    let (b, h) = (Index::load(&base_project), Index::load(&head_project));
    let review = diff::compare(&b, &h);
    // Models on both sides that the change modifies or reaches.
    let models: Vec<String> = review
        .changed
        .iter()
        .filter(|c| c.change == diff::Change::Modified)
        .map(|c| c.unique_id.clone())
        .chain(review.impact.iter().map(|i| i.unique_id.clone()))
        .filter(|uid| {
            uid.starts_with("model.") && b.nodes().contains_key(uid) && h.nodes().contains_key(uid)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let name = |uid: &str| {
        h.nodes()
            .get(uid)
            .map(|n| n.name.clone())
            .unwrap_or_default()
    };
    if models.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let base_built = build::build_side(
        venv,
        &base_project,
        Some(run.warehouse),
        &models
            .iter()
            .map(|m| format!("+{}", name(m)))
            .collect::<Vec<_>>(),
    )?;
    // The head starts from the built base: unchanged upstream is deferred to it.
    let modified: Vec<String> = review
        .changed
        .iter()
        .filter(|c| c.change != diff::Change::Removed && c.unique_id.starts_with("model."))
        .map(|c| format!("{}+", name(&c.unique_id)))
        .collect();
    let head_built = build::build_side(venv, &head_project, Some(&base_built.db), &modified)?;
    let failed: Vec<&(String, String)> =
        base_built.failed.iter().chain(&head_built.failed).collect();
    let head_commit = revisions::commit_of_rev(run.repo, run.head)?;
    if let Some(key) = run.keep_for {
        // Both built warehouses are kept for the head commit: query checks run on them.
        let kept = built_sides(scratch, key, &head_commit);
        if let Some(parent) = kept.0.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        for (from, to) in [(&base_built.db, &kept.0), (&head_built.db, &kept.1)] {
            std::fs::copy(from, to)
                .map_err(|e| CoreError::io(format!("cannot keep {}", from.display()), e))?;
        }
    }
    let mut out = Vec::new();
    for uid in &models {
        let failure = failed
            .iter()
            .find(|(f, _)| f == uid)
            .map(|(_, m)| m.clone());
        let (Some(left), Some(right)) =
            (base_built.relations.get(uid), head_built.relations.get(uid))
        else {
            continue;
        };
        let candidates = diff::declared_keys(&h, uid)
            .into_iter()
            .map(|k| data_diff::KeyCandidate {
                columns: k.columns,
                evidence: k.evidence,
                declared: true,
            })
            .collect();
        let result = match failure {
            Some(m) => Err(CoreError::InvalidInput(format!("it did not build: {m}"))),
            None => data_diff::diff_across(
                venv,
                &base_built.db,
                Some(&head_built.db),
                left,
                &format!("head.{right}"),
                None,
                candidates,
            ),
        };
        let dto = model_dto(uid, &name(uid), result);
        each(&dto, &head_commit)?;
        out.push(dto);
    }
    Ok((
        out,
        failed.iter().map(|(u, m)| format!("{u}: {m}")).collect(),
    ))
}

fn model_dto(uid: &str, name: &str, result: Result<data_diff::TableDiff>) -> ModelDataDiffDto {
    let empty = ModelDataDiffDto {
        unique_id: uid.to_string(),
        name: name.to_string(),
        key: Vec::new(),
        key_evidence: None,
        identical: false,
        base_rows: 0,
        head_rows: 0,
        base_only: None,
        head_only: None,
        changed_rows: None,
        columns: Vec::new(),
        columns_added: Vec::new(),
        columns_removed: Vec::new(),
        samples: Vec::new(),
        note: None,
        error: None,
    };
    let d = match result {
        Ok(d) => d,
        Err(e) => {
            return ModelDataDiffDto {
                error: Some(e.to_string()),
                ..empty
            };
        }
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()
    };
    let samples = d
        .samples
        .iter()
        .map(|row| {
            let key: Vec<String> = d
                .key
                .iter()
                .map(|k| format!("{k}={}", row[k].as_str().unwrap_or("null")))
                .collect();
            let changes: Vec<String> = d
                .columns
                .iter()
                .filter_map(|c| {
                    let (l, r) = (
                        &row[format!("left.{}", c.name)],
                        &row[format!("right.{}", c.name)],
                    );
                    (l != r).then(|| {
                        format!(
                            "{}: {} → {}",
                            c.name,
                            l.as_str().unwrap_or("null"),
                            r.as_str().unwrap_or("null")
                        )
                    })
                })
                .collect();
            format!("{} — {}", key.join(", "), changes.join("; "))
        })
        .collect();
    ModelDataDiffDto {
        key: d.key.clone(),
        key_evidence: d.key_evidence.clone(),
        identical: d.identical,
        base_rows: d.left_rows,
        head_rows: d.right_rows,
        base_only: d.left_only,
        head_only: d.right_only,
        changed_rows: d.changed_rows,
        columns: d
            .columns
            .iter()
            .map(|c| ColumnDataDiffDto {
                name: c.name.clone(),
                changed: c.changed,
                match_pct: c.match_pct,
            })
            .collect(),
        columns_added: strings(&d.schema["added"]),
        columns_removed: strings(&d.schema["removed"]),
        samples,
        note: d.note.clone(),
        ..empty
    }
}
