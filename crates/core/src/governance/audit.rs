//! The audit log: append-only and hash-chained. Each record's hash covers its own fields and the
//! previous record's hash, so changing, removing or reordering any stored record breaks the chain
//! from that record on; [`verify`] finds the first broken record. Records: tool executions,
//! approvals and denials, refusals by the agent guard, commits, autonomy changes.
//! Blocking (rusqlite): call from a blocking thread.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// The hash the first record chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn digest(
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        &at.to_string(),
        actor,
        action,
        subject,
        detail,
    ] {
        // Length-prefixed, so field boundaries cannot be shifted.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends a record on `conn` (inside the caller's transaction if it has one).
pub fn append_on(
    conn: &Connection,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
) -> rusqlite::Result<i64> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let detail = detail.to_string();
    let hash = digest(seq, at, actor, action, subject, &detail, &prev);
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, at, actor, action, subject, detail, prev, hash],
    )?;
    Ok(seq)
}

/// Appends a record.
pub fn append(
    store: &Store,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
) -> Result<i64> {
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        let seq = append_on(&tx, at, actor, action, subject, detail)?;
        tx.commit()?;
        Ok(seq)
    })
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub records: usize,
    /// The first record that does not hold, and why.
    pub broken: Option<(i64, String)>,
}

/// Recomputes the whole chain.
pub fn verify(store: &Store) -> Result<Verification> {
    let records: Vec<Record> = store.with(|c| {
        let mut stmt = c.prepare("SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(Record {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        rows.collect()
    })?;
    let mut prev = GENESIS.to_string();
    for (i, r) in records.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let broken = if r.seq != expected_seq {
            Some((
                expected_seq,
                format!(
                    "record {expected_seq} is missing (the next stored record is {})",
                    r.seq
                ),
            ))
        } else if r.prev_hash != prev {
            Some((
                r.seq,
                format!("record {} does not chain to record {}", r.seq, r.seq - 1),
            ))
        } else if digest(
            r.seq,
            r.at,
            &r.actor,
            &r.action,
            &r.subject,
            &r.detail,
            &r.prev_hash,
        ) != r.hash
        {
            Some((
                r.seq,
                format!(
                    "record {} was altered: its content does not match its hash",
                    r.seq
                ),
            ))
        } else {
            None
        };
        if let Some(broken) = broken {
            return Ok(Verification {
                records: records.len(),
                broken: Some(broken),
            });
        }
        prev = r.hash.clone();
    }
    Ok(Verification {
        records: records.len(),
        broken: None,
    })
}

/// The records, newest last (for the UI and tests).
pub fn records(store: &Store, limit: usize) -> Result<Vec<Record>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM
             (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Record {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        rows.collect()
    })
}

/// A message for a broken chain that names the record.
pub fn explain(v: &Verification) -> Result<String> {
    match &v.broken {
        None => Ok(format!("audit log intact: {} records", v.records)),
        Some((seq, why)) => Err(CoreError::InvalidInput(format!(
            "audit log broken at record {seq}: {why}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vibedata_protocol::ErrorCode;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        (dir, store)
    }

    #[test]
    fn an_intact_chain_verifies_and_any_edit_is_found() {
        let (_dir, store) = store();
        for i in 0..5 {
            append(
                &store,
                1_700_000_000 + i,
                "agent:build",
                "tool_executed",
                "write_file",
                &json!({"path": format!("m{i}.sql")}),
            )
            .unwrap();
        }
        assert_eq!(
            verify(&store).unwrap(),
            Verification {
                records: 5,
                broken: None
            }
        );
        // Someone with the file drops the guard and edits record 3.
        store
            .with(|c| {
                c.execute_batch("DROP TRIGGER audit_log_no_update;")?;
                c.execute(
                    "UPDATE audit_log SET detail = '{\"path\":\"evil.sql\"}' WHERE seq = 3",
                    [],
                )
            })
            .unwrap();
        let v = verify(&store).unwrap();
        assert_eq!(v.broken.as_ref().map(|b| b.0), Some(3), "{v:?}");
        assert!(explain(&v).unwrap_err().to_string().contains("record 3"));
    }

    #[test]
    fn updates_and_deletes_are_refused_and_a_removed_record_is_found() {
        let (_dir, store) = store();
        for _ in 0..3 {
            append(&store, 1, "person", "approved", "c1", &json!({})).unwrap();
        }
        let refused = store.with(|c| c.execute("DELETE FROM audit_log WHERE seq = 2", []));
        assert_eq!(
            refused.as_ref().map_err(|e| e.code()).err(),
            Some(ErrorCode::Store),
            "the trigger refuses deletes"
        );
        assert!(
            refused.unwrap_err().to_string().contains("append-only"),
            "the refusal is the trigger's"
        );
        store
            .with(|c| {
                c.execute_batch("DROP TRIGGER audit_log_no_delete;")?;
                c.execute("DELETE FROM audit_log WHERE seq = 2", [])
            })
            .unwrap();
        assert_eq!(verify(&store).unwrap().broken.map(|b| b.0), Some(2));
    }
}
