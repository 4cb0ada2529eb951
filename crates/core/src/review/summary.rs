//! A branch's pull request, and the review summary posted on it (blocking).

use vibedata_protocol::review::{ChangeCategory, ReviewCheckDto, ReviewDto};

use super::pulls;
use crate::platform::error::Result;

/// The pull request a branch's intent opened: `(repo, number)`, once GitHub made it.
pub(crate) fn pull_request_of(
    store: &crate::platform::store::Store,
    workspace_id: &str,
    branch: &str,
) -> Result<Option<(String, u64)>> {
    use rusqlite::OptionalExtension;
    if let Some(number) = pulls::number_of(branch) {
        return Ok(pulls::fetched(store, workspace_id, number)?.map(|f| (f.repo, number)));
    }
    let found: Option<(String, Option<String>)> = store.with(|c| {
        c.query_row(
            "SELECT p.repo, o.result FROM intent_pull_requests p
               JOIN intents i ON i.id = p.intent_id
               JOIN gh_outbox o ON o.seq = p.outbox_seq
              WHERE i.workspace_id = ?1 AND 'intent/' || i.slug = ?2",
            [workspace_id, branch],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    Ok(found.and_then(|(repo, result)| {
        let number = result
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .and_then(|v| v["number"].as_u64())?;
        Some((repo, number))
    }))
}

/// The review summary posted on a pull request (one comment, kept current).
pub fn summary_markdown(r: &ReviewDto, checks: &[ReviewCheckDto]) -> String {
    let mut out = format!(
        "### Vibedata review of `{}` against `{}`\n\n",
        r.head, r.base
    );
    let count = |c: ChangeCategory| r.changed.iter().filter(|n| n.category == Some(c)).count();
    out.push_str(&format!(
        "{} changed nodes — {} breaking, {} partially breaking, {} unknown; {} downstream; {} contract breaks.\n\n",
        r.changed.len(),
        count(ChangeCategory::Breaking),
        count(ChangeCategory::PartialBreaking),
        count(ChangeCategory::Unknown),
        r.impact.iter().filter(|i| !i.changed).count(),
        r.contract_breaks.len()
    ));
    for c in &r.changed {
        let class = c.category.map(|k| k.label()).unwrap_or("—");
        let mut cols = Vec::new();
        for (sign, list) in [
            ("+", &c.added_columns),
            ("−", &c.removed_columns),
            ("~", &c.modified_columns),
        ] {
            if !list.is_empty() {
                cols.push(format!("{sign} {}", list.join(", ")));
            }
        }
        out.push_str(&format!(
            "- `{}` — {class}{}\n",
            c.unique_id,
            if cols.is_empty() {
                String::new()
            } else {
                format!(" ({})", cols.join("; "))
            }
        ));
    }
    for b in &r.contract_breaks {
        out.push_str(&format!(
            "- contract break: `{}`.{} {}\n",
            b.unique_id,
            b.column,
            b.kind.replace('_', " ")
        ));
    }
    if !checks.is_empty() {
        out.push_str("\n**Checks** (on the local DuckDB)\n\n");
        for c in checks {
            let stale = if c.head_commit == r.head_commit {
                ""
            } else {
                " — stale: ran on an older commit"
            };
            out.push_str(&format!(
                "- {} — {}: {}{stale}\n",
                c.name,
                c.status.as_str(),
                c.summary
            ));
        }
    }
    out
}
