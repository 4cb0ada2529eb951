//! A review's checks, kept in the store with the branch and head commit they ran on: each
//! model's data diff, and queries the reviewer writes, run on both sides and compared.

use rusqlite::params;
use vibedata_protocol::review::{CheckStatus, ReviewCheckDto};

use crate::platform::error::Result;
use crate::platform::store::{Store, named};

/// A check to keep.
pub struct NewCheck<'a> {
    pub workspace_id: &'a str,
    pub head: &'a str,
    pub head_commit: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub status: CheckStatus,
    pub summary: &'a str,
    pub result: &'a serde_json::Value,
}

pub fn record(store: &Store, c: &NewCheck<'_>) -> Result<i64> {
    store.with(|conn| {
        conn.execute(
            "INSERT INTO review_checks (workspace_id, head, head_commit, name, kind, status, summary, result, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.workspace_id,
                c.head,
                c.head_commit,
                c.name,
                c.kind,
                c.status.as_str(),
                c.summary,
                c.result.to_string(),
                crate::platform::clock::now()
            ],
        )?;
        Ok(conn.last_insert_rowid())
    })
}

/// The latest result of each check of `head`, in the order they were first run.
pub fn latest(store: &Store, workspace_id: &str, head: &str) -> Result<Vec<ReviewCheckDto>> {
    store.with(|conn| {
        let mut stmt = conn.prepare(
            "SELECT id, name, kind, status, summary, head_commit, at FROM review_checks c
              WHERE workspace_id = ?1 AND head = ?2
                AND id = (SELECT max(id) FROM review_checks d
                           WHERE d.workspace_id = c.workspace_id AND d.head = c.head AND d.name = c.name)
              ORDER BY (SELECT min(id) FROM review_checks e
                         WHERE e.workspace_id = c.workspace_id AND e.head = c.head AND e.name = c.name)",
        )?;
        let rows = stmt.query_map(params![workspace_id, head], |r| {
            Ok(ReviewCheckDto {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                status: named(r, 3, CheckStatus::parse)?,
                summary: r.get(4)?,
                head_commit: r.get(5)?,
                at: r.get(6)?,
            })
        })?;
        rows.collect()
    })
}
