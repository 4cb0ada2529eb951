//! A branch's data diffed in Fabric: each model the change modifies or reaches, as built in the
//! branch's ephemeral workspace, against production, through Spark SQL on a Livy session of the
//! ephemeral lakehouse. Only summaries and the rows that differ leave Fabric: each side's rows are
//! bucketed by a hash of the key into 64 segments, each segment's row count and checksum (a sum of
//! row hashes) compared here; only the rows of segments that differ are read back and compared by
//! key (added, removed, changed, per column). Without a declared key, counts and checksums only.
//! `Fabric::data_diff` (here) finds the models the change reaches and runs the session.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use vibedata_fabric::livy::{Livy, Table};
use vibedata_protocol::review::{ColumnDataDiffDto, ModelDataDiffDto};

use crate::platform::error::{CoreError, Result, blocking};

const SEGMENTS: u32 = 64;
/// Rows read back per side at most (beyond, the counts stand and the note says so).
const MAX_ROWS: usize = 20_000;

/// One model to compare: its relations on both sides (Spark-quoted) and its declared key.
#[derive(Debug, Clone)]
pub struct Model {
    pub unique_id: String,
    pub name: String,
    pub production: String,
    pub branch: String,
    pub key: Vec<String>,
    pub key_evidence: Option<String>,
}

fn quote(c: &str) -> String {
    format!("`{}`", c.replace('`', "``"))
}

/// One value per column, NULL made visible, joined: what is hashed.
fn joined(columns: &[String]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| format!("coalesce({}, '\u{2205}')", quote(c)))
        .collect();
    format!("concat_ws('\u{1f}', {})", parts.join(", "))
}

async fn columns_of(livy: &Livy, session: &str, relation: &str) -> Result<Vec<String>> {
    let t = livy
        .sql(session, &format!("SELECT * FROM {relation} LIMIT 0"))
        .await
        .map_err(|e| CoreError::fabric(format!("cannot read {relation}"), e))?;
    Ok(t.columns)
}

/// (segment → (rows, checksum)).
async fn segments(
    livy: &Livy,
    session: &str,
    relation: &str,
    key: &str,
    row: &str,
) -> Result<BTreeMap<i64, (i64, i64)>> {
    let t = livy
        .sql(
            session,
            &format!(
                "SELECT pmod(xxhash64({key}), {SEGMENTS}) AS seg, count(*) AS n, \
                 sum(pmod(xxhash64({row}), 1000000007)) AS h FROM {relation} GROUP BY pmod(xxhash64({key}), {SEGMENTS})"
            ),
        )
        .await
        .map_err(|e| CoreError::fabric(format!("cannot checksum {relation}"), e))?;
    let int = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .or_else(|| v.as_f64().map(|f| f as i64))
            .unwrap_or(0)
    };
    Ok(t.rows
        .iter()
        .map(|r| (int(&r[0]), (int(&r[1]), int(&r[2]))))
        .collect())
}

async fn rows_in(
    livy: &Livy,
    session: &str,
    relation: &str,
    key: &str,
    columns: &[String],
    segs: &[i64],
) -> Result<Table> {
    let list = segs
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let cols = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    livy.sql(
        session,
        &format!(
            "SELECT {key} AS __vd_key, {cols} FROM {relation} WHERE pmod(xxhash64({key}), {SEGMENTS}) IN ({list}) LIMIT {}",
            MAX_ROWS + 1
        ),
    )
    .await
    .map_err(|e| CoreError::fabric(format!("cannot read the differing rows of {relation}"), e))
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares one model's production and branch tables in the session.
pub async fn diff_model(livy: &Livy, session: &str, m: &Model) -> ModelDataDiffDto {
    let mut dto = ModelDataDiffDto {
        unique_id: m.unique_id.clone(),
        name: m.name.clone(),
        key: m.key.clone(),
        key_evidence: m.key_evidence.clone(),
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
    if let Err(e) = fill(livy, session, m, &mut dto).await {
        dto.error = Some(e.to_string());
    }
    dto
}

async fn fill(livy: &Livy, session: &str, m: &Model, dto: &mut ModelDataDiffDto) -> Result<()> {
    let base_cols = columns_of(livy, session, &m.production).await?;
    let head_cols = columns_of(livy, session, &m.branch).await?;
    let lower = |v: &[String]| v.iter().map(|c| c.to_lowercase()).collect::<HashSet<_>>();
    let (b, h) = (lower(&base_cols), lower(&head_cols));
    dto.columns_added = head_cols
        .iter()
        .filter(|c| !b.contains(&c.to_lowercase()))
        .cloned()
        .collect();
    dto.columns_removed = base_cols
        .iter()
        .filter(|c| !h.contains(&c.to_lowercase()))
        .cloned()
        .collect();
    let common: Vec<String> = head_cols
        .iter()
        .filter(|c| b.contains(&c.to_lowercase()))
        .cloned()
        .collect();
    let key: Vec<String> = m
        .key
        .iter()
        .filter(|k| common.iter().any(|c| c.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    let (key_expr, keyed) = if key.is_empty() || key.len() != m.key.len() {
        dto.note = Some(if m.key.is_empty() {
            "no declared key: compared by row counts and checksums only".into()
        } else {
            "the key is not on both sides: compared by row counts and checksums only".into()
        });
        ("0".to_string(), false)
    } else {
        (joined(&key), true)
    };
    let row = joined(&common);
    let (sb, sh) = (
        segments(livy, session, &m.production, &key_expr, &row).await?,
        segments(livy, session, &m.branch, &key_expr, &row).await?,
    );
    dto.base_rows = sb.values().map(|(n, _)| *n as u64).sum();
    dto.head_rows = sh.values().map(|(n, _)| *n as u64).sum();
    let differing: Vec<i64> = sb
        .keys()
        .chain(sh.keys())
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|s| sb.get(s) != sh.get(s))
        .collect();
    dto.identical =
        differing.is_empty() && dto.columns_added.is_empty() && dto.columns_removed.is_empty();
    if differing.is_empty() {
        dto.base_only = Some(0);
        dto.head_only = Some(0);
        dto.changed_rows = Some(0);
        dto.columns = common
            .iter()
            .map(|c| ColumnDataDiffDto {
                name: c.clone(),
                changed: 0,
                match_pct: 100.0,
            })
            .collect();
        return Ok(());
    }
    if !keyed {
        return Ok(());
    }
    let base = rows_in(livy, session, &m.production, &key_expr, &common, &differing).await?;
    let head = rows_in(livy, session, &m.branch, &key_expr, &common, &differing).await?;
    if base.rows.len() > MAX_ROWS || head.rows.len() > MAX_ROWS {
        dto.note = Some(format!(
            "more than {MAX_ROWS} rows differ: the counts stand, the row comparison is not made"
        ));
        return Ok(());
    }
    let by_key = |t: &Table| -> HashMap<String, Vec<Value>> {
        t.rows
            .iter()
            .map(|r| (text(&r[0]), r[1..].to_vec()))
            .collect()
    };
    let (bm, hm) = (by_key(&base), by_key(&head));
    let mut changed = 0u64;
    let mut per_column = vec![0u64; common.len()];
    for (k, hv) in &hm {
        if let Some(bv) = bm.get(k)
            && bv != hv
        {
            changed += 1;
            for (i, (x, y)) in bv.iter().zip(hv).enumerate() {
                if text(x) != text(y) {
                    per_column[i] += 1;
                    if dto.samples.len() < 5 {
                        dto.samples.push(format!(
                            "{}={k}: {}: {} → {}",
                            key.join("|"),
                            common[i],
                            text(x),
                            text(y)
                        ));
                    }
                }
            }
        }
    }
    dto.base_only = Some(bm.keys().filter(|k| !hm.contains_key(*k)).count() as u64);
    dto.head_only = Some(hm.keys().filter(|k| !bm.contains_key(*k)).count() as u64);
    dto.changed_rows = Some(changed);
    let both = dto.base_rows.min(dto.head_rows).max(1);
    dto.columns = common
        .iter()
        .zip(per_column)
        .map(|(c, n)| ColumnDataDiffDto {
            name: c.clone(),
            changed: n,
            match_pct: 100.0 * (1.0 - n as f64 / both as f64),
        })
        .collect();
    Ok(())
}

impl super::Fabric {
    /// The review's data diff in Fabric: the branch's ephemeral workspace (ready) against
    /// production, model by model, through a Livy session of the ephemeral lakehouse.
    pub async fn data_diff(
        &self,
        workspace_id: &str,
        branch: &str,
    ) -> Result<vibedata_protocol::review::DataDiffDto> {
        let row = self
            .ephemeral_of_branch(workspace_id, branch)
            .await?
            .filter(|e| e.state == "ready")
            .ok_or_else(|| {
                CoreError::InvalidInput(
                    "the branch has no ready ephemeral workspace: prepare it on the intent first"
                        .into(),
                )
            })?;
        let link = self.linked(workspace_id).await?;
        let prod_lakehouse = link.lakehouse_name.clone().ok_or_else(|| {
            CoreError::InvalidInput("choose the production lakehouse in the domain's link".into())
        })?;
        let ephemeral_id = row.fabric_workspace_id.clone().unwrap_or_default();
        let client = self.client().await?;
        let lakehouse = client
            .items(&ephemeral_id)
            .await
            .map_err(|e| CoreError::fabric("cannot list the ephemeral workspace's items", e))?
            .into_iter()
            .filter(|i| i.kind == "Lakehouse")
            .min_by_key(|i| i.display_name != prod_lakehouse)
            .ok_or_else(|| {
                CoreError::InvalidInput("the ephemeral workspace has no lakehouse".into())
            })?;
        // The models the change modifies or reaches, from both sides' native indexes.
        let platform = self.platform.clone();
        let (id, head) = (workspace_id.to_string(), branch.to_string());
        let (prod_ws, prod_lh, eph_lh) = (
            link.fabric_workspace_name.clone(),
            prod_lakehouse.clone(),
            lakehouse.display_name.clone(),
        );
        let models = blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let base = crate::workspaces::git::default_branch(&ws.path)?;
            let (base_rev, _) = crate::review::revisions::base_of(&ws.path, &base, &head)?;
            let dir = tempfile::tempdir()
                .map_err(|e| CoreError::io("cannot create a scratch folder", e))?;
            crate::review::revisions::write_tree(
                &ws.path,
                &base_rev.commit,
                &dir.path().join("b"),
            )?;
            crate::review::revisions::write_tree(&ws.path, &head, &dir.path().join("h"))?;
            let (b, h) = (
                vibedata_dbt_index::Index::load(&dir.path().join("b").join(&ws.project_dir)),
                vibedata_dbt_index::Index::load(&dir.path().join("h").join(&ws.project_dir)),
            );
            let review = vibedata_dbt_index::diff::compare(&b, &h);
            let uids: std::collections::BTreeSet<String> = review
                .changed
                .iter()
                .filter(|c| c.change == vibedata_dbt_index::diff::Change::Modified)
                .map(|c| c.unique_id.clone())
                .chain(review.impact.iter().map(|i| i.unique_id.clone()))
                .filter(|u| {
                    u.starts_with("model.")
                        && b.nodes().contains_key(u)
                        && h.nodes().contains_key(u)
                })
                .collect();
            let q = |s: &str| format!("`{}`", s.replace('`', "``"));
            let models = uids
                .into_iter()
                .filter_map(|uid| {
                    let node = h.nodes().get(&uid)?;
                    let text = |k: &str| {
                        node.config
                            .get(k)
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                    };
                    let schema = text("schema").unwrap_or_else(|| "dbo".into());
                    let alias = text("alias").unwrap_or_else(|| node.name.clone());
                    let key = vibedata_dbt_index::diff::declared_keys(&h, &uid)
                        .into_iter()
                        .next();
                    Some(Model {
                        unique_id: uid.clone(),
                        name: node.name.clone(),
                        production: format!(
                            "{}.{}.{}.{}",
                            q(&prod_ws),
                            q(&prod_lh),
                            q(&schema),
                            q(&alias)
                        ),
                        branch: format!("{}.{}.{}", q(&eph_lh), q(&schema), q(&alias)),
                        key: key.as_ref().map(|k| k.columns.clone()).unwrap_or_default(),
                        key_evidence: key.map(|k| k.evidence),
                    })
                })
                .collect::<Vec<_>>();
            Ok(models)
        })
        .await?;
        let livy = client.livy(&ephemeral_id, &lakehouse.id);
        let session = livy.open("vibedata-review-data-diff").await.map_err(|e| {
            CoreError::fabric("cannot start a Spark session in the ephemeral workspace", e)
        })?;
        let mut out = Vec::new();
        for m in &models {
            out.push(diff_model(&livy, &session, m).await);
        }
        if let Err(e) = livy.close(&session).await {
            tracing::warn!(error = %e, "the Livy session was not deleted (Fabric ends idle ones)");
        }
        Ok(vibedata_protocol::review::DataDiffDto {
            workspace_id: workspace_id.to_string(),
            head: branch.to_string(),
            models: out,
            build_failures: Vec::new(),
        })
    }
}
