//! The outbox: writes to GitHub (create issue, comment, add labels, close/reopen, push a branch,
//! create a pull request) queued in the store and replayed in order when GitHub can be reached.
//!
//! **Exactly once.** Every write carries an idempotency key. Bodies that GitHub keeps (issues,
//! comments, pull requests) embed it as a hidden HTML comment. A write is marked `sending` (and its
//! attempt counted) in a committed transaction *before* it goes out, and `done` after GitHub
//! answers. A write found `sending`, or that was tried before, may have reached GitHub without its
//! answer reaching us (a crash, a connection reset after GitHub applied it), so before sending it
//! again the replay looks on GitHub for the key: found means delivered. Adding labels and setting
//! the state are idempotent by nature and are simply sent again.
//!
//! Network errors, timeouts, 5xx, malformed answers, rate limits and a refused token (until the
//! person signs in again) leave the write queued and stop the replay (order is kept); GitHub's
//! refusals of the write itself (validation, not found) mark it `failed` with GitHub's message,
//! to be retried or cancelled by a person. Branch pushes are queued too (naturally idempotent).
//! One replayer runs at a time (an OS file lock beside the database). This file holds the queue;
//! [`replay`] delivers it.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use vibedata_protocol::inbox::{IssueState, OutboxItemDto, OutboxKind, OutboxState};

use crate::platform::error::{CoreError, Result};
use crate::platform::store::{Store, named};

pub use replay::{ReplayReport, replay, replay_as};
pub use vibedata_protocol::inbox::OutboxWriteDto as Write;

pub mod replay;

pub(crate) fn kind(write: &Write) -> OutboxKind {
    match write {
        Write::CreateIssue { .. } => OutboxKind::CreateIssue,
        Write::Comment { .. } => OutboxKind::Comment,
        Write::AddLabels { .. } => OutboxKind::AddLabels,
        Write::SetState { .. } => OutboxKind::SetState,
        Write::CreatePr { .. } => OutboxKind::CreatePr,
        Write::PushBranch { .. } => OutboxKind::PushBranch,
        Write::UpsertComment { .. } => OutboxKind::UpsertComment,
        Write::Review { .. } => OutboxKind::Review,
    }
}

/// One line for the queue's view.
pub fn summary(write: &Write) -> String {
    let first_line = |s: &str| {
        s.lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect::<String>()
    };
    match write {
        Write::CreateIssue { title, .. } => format!("New issue “{}”", first_line(title)),
        Write::Comment { number, body } => {
            format!("Comment on #{number}: {}", first_line(body))
        }
        Write::AddLabels { number, labels } => {
            format!("Label #{number}: {}", labels.join(", "))
        }
        Write::SetState {
            number,
            state: IssueState::Closed,
        } => format!("Close #{number}"),
        Write::SetState { number, .. } => format!("Reopen #{number}"),
        Write::PushBranch { branch, .. } => format!("Push {branch}"),
        Write::UpsertComment { number, body, .. } => {
            format!("Summary on #{number}: {}", first_line(body))
        }
        Write::Review { number, event, .. } => format!("Review of #{number}: {}", event.label()),
        Write::CreatePr {
            title, head, base, ..
        } => {
            format!("Pull request {head} → {base}: {}", first_line(title))
        }
    }
}

fn check(write: &Write) -> Result<()> {
    let bad = |m: &str| Err(CoreError::InvalidInput(m.to_string()));
    match write {
        Write::CreateIssue { title, .. } if title.trim().is_empty() => {
            bad("an issue needs a title")
        }
        Write::Comment { body, .. } if body.trim().is_empty() => bad("the comment is empty"),
        Write::UpsertComment { body, .. } if body.trim().is_empty() => bad("the summary is empty"),
        Write::Review {
            event:
                vibedata_protocol::inbox::ReviewEvent::RequestChanges
                | vibedata_protocol::inbox::ReviewEvent::Comment,
            body,
            ..
        } if body.trim().is_empty() => {
            bad("say what should change (a review without approval needs words)")
        }
        Write::AddLabels { labels, .. } if labels.iter().all(|l| l.trim().is_empty()) => {
            bad("no label given")
        }
        Write::PushBranch { branch, .. } if branch.is_empty() => bad("no branch to push"),
        Write::CreatePr { head, base, .. } if head.is_empty() || base.is_empty() => {
            bad("a pull request needs a head and a base branch")
        }
        _ => Ok(()),
    }
}

/// The hidden marker carrying a write's idempotency key in the body GitHub stores.
pub fn marker(key: &str) -> String {
    format!("<!-- vibedata-outbox:{key} -->")
}

pub(crate) fn with_marker(body: &str, key: &str) -> String {
    format!("{body}\n\n{}", marker(key))
}

/// Queues a write for `repo` ("owner/name"). Blocking.
pub fn enqueue(store: &Store, repo: &str, write: &Write) -> Result<OutboxItemDto> {
    check(write)?;
    if repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
        return Err(CoreError::InvalidInput(format!(
            "“{repo}” is not a repository: expected owner/name"
        )));
    }
    let key = uuid::Uuid::new_v4().to_string();
    let payload = serde_json::to_string(write).map_err(|e| CoreError::Internal(e.to_string()))?;
    let seq = store.with(|c| {
        c.query_row(
            "INSERT INTO gh_outbox (key, repo, kind, payload, state, queued_at)
             VALUES (?1, ?2, ?3, ?4, 'queued', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) RETURNING seq",
            params![key, repo, kind(write).as_str(), payload],
            |r| r.get::<_, i64>(0),
        )
    })?;
    tracing::info!(seq, kind = kind(write).as_str(), repo, "outbox: queued");
    get(store, seq)?.ok_or_else(|| CoreError::Internal("the queued write vanished".into()))
}

/// [`enqueue`] under a key of the caller's (e.g. `incident:<workspace>:<id>:open`): queued once
/// whatever happens — a second call with the key finds the first write, so a caller that stops
/// between queueing and recording what it queued cannot queue it twice. Blocking.
pub fn enqueue_keyed(store: &Store, repo: &str, key: &str, write: &Write) -> Result<OutboxItemDto> {
    use sha2::Digest;
    check(write)?;
    if repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
        return Err(CoreError::InvalidInput(format!(
            "“{repo}” is not a repository: expected owner/name"
        )));
    }
    // The key travels in a hidden HTML comment: hashed, so nothing in it can end the comment.
    let key = format!("{:x}", sha2::Sha256::digest(key.as_bytes()));
    let payload = serde_json::to_string(write).map_err(|e| CoreError::Internal(e.to_string()))?;
    let seq = store.with(|c| {
        c.execute(
            "INSERT INTO gh_outbox (key, repo, kind, payload, state, queued_at)
             VALUES (?1, ?2, ?3, ?4, 'queued', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ON CONFLICT (key) DO NOTHING",
            params![key, repo, kind(write).as_str(), payload],
        )?;
        c.query_row("SELECT seq FROM gh_outbox WHERE key = ?1", [&key], |r| {
            r.get::<_, i64>(0)
        })
    })?;
    get(store, seq)?.ok_or_else(|| CoreError::Internal("the queued write vanished".into()))
}

/// The number of the issue (or pull request) a delivered write made.
pub fn made_number(store: &Store, seq: i64) -> Result<Option<u64>> {
    use rusqlite::OptionalExtension;
    let result: Option<Option<String>> = store.with(|c| {
        c.query_row(
            "SELECT result FROM gh_outbox WHERE seq = ?1 AND state = 'done'",
            [seq],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(result
        .flatten()
        .and_then(|j| serde_json::from_str::<Value>(&j).ok())
        .and_then(|v| v["number"].as_u64()))
}

fn dto(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItemDto> {
    let payload: String = r.get("payload")?;
    let result: Option<String> = r.get("result")?;
    let write: Option<Write> = serde_json::from_str(&payload).ok();
    Ok(OutboxItemDto {
        seq: r.get("seq")?,
        repo: r.get("repo")?,
        kind: named(r, 2, OutboxKind::parse)?,
        summary: write.as_ref().map(summary).unwrap_or_default(),
        issue_number: write.as_ref().and_then(|w| match w {
            Write::Comment { number, .. }
            | Write::AddLabels { number, .. }
            | Write::SetState { number, .. }
            | Write::UpsertComment { number, .. }
            | Write::Review { number, .. } => Some(*number),
            _ => None,
        }),
        body: write.and_then(|w| match w {
            Write::Comment { body, .. }
            | Write::UpsertComment { body, .. }
            | Write::Review { body, .. } => Some(body),
            _ => None,
        }),
        state: named(r, 4, OutboxState::parse)?,
        attempts: r.get("attempts")?,
        last_error: r.get("last_error")?,
        url: result
            .and_then(|j| serde_json::from_str::<Value>(&j).ok())
            .and_then(|v| v["html_url"].as_str().map(str::to_string)),
    })
}

const COLUMNS: &str = "seq, repo, kind, payload, state, attempts, last_error, result";

pub fn get(store: &Store, seq: i64) -> Result<Option<OutboxItemDto>> {
    store.with(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM gh_outbox WHERE seq = ?1"),
            [seq],
            dto,
        )
        .optional()
    })
}

/// The queue, oldest first: everything not yet delivered, then the last 50 delivered or cancelled.
pub fn list(store: &Store) -> Result<Vec<OutboxItemDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(&format!(
            "SELECT {COLUMNS} FROM gh_outbox WHERE state IN ('queued', 'sending', 'failed')
             UNION ALL
             SELECT * FROM (SELECT {COLUMNS} FROM gh_outbox WHERE state IN ('done', 'cancelled') ORDER BY seq DESC LIMIT 50)
             ORDER BY seq"
        ))?;
        stmt.query_map([], dto)?.collect()
    })
}

/// Puts a failed write back in the queue.
pub fn retry(store: &Store, seq: i64) -> Result<()> {
    let changed = store.with(|c| {
        c.execute(
            "UPDATE gh_outbox SET state = 'queued' WHERE seq = ?1 AND state = 'failed'",
            [seq],
        )
    })?;
    if changed == 0 {
        return Err(CoreError::InvalidInput(format!(
            "write {seq} is not failed, so there is nothing to retry"
        )));
    }
    Ok(())
}

/// Cancels a write that has not been delivered. A write that was tried may have reached GitHub
/// anyway; the message says so.
pub fn cancel(store: &Store, seq: i64) -> Result<()> {
    let changed = store.with(|c| {
        c.execute(
            "UPDATE gh_outbox SET state = 'cancelled', done_at = unixepoch() WHERE seq = ?1 AND state IN ('queued', 'failed')",
            [seq],
        )
    })?;
    if changed == 0 {
        return Err(CoreError::InvalidInput(format!(
            "write {seq} is being sent or was already delivered; it cannot be cancelled"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn writes_are_checked_before_they_are_queued() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let empty = Write::Comment {
            number: 1,
            body: "  ".into(),
        };
        assert_eq!(
            enqueue(&store, "acme/x", &empty)
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::InvalidInput),
            "an empty comment is refused"
        );
        let ok = Write::Comment {
            number: 1,
            body: "seen".into(),
        };
        assert_eq!(
            enqueue(&store, "not-a-repo", &ok)
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::InvalidInput),
            "a repository is owner/name"
        );
        let item = enqueue(&store, "acme/x", &ok).unwrap();
        assert_eq!(
            (item.state, item.summary.as_str()),
            (OutboxState::Queued, "Comment on #1: seen")
        );
        cancel(&store, item.seq).unwrap();
        assert_eq!(
            cancel(&store, item.seq).map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "cancelled once"
        );
        assert_eq!(
            retry(&store, item.seq).map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "only failed writes are retried"
        );
        assert_eq!(list(&store).unwrap()[0].state, OutboxState::Cancelled);
    }

    #[test]
    fn the_marker_is_an_html_comment() {
        let body = with_marker("hello", "k-1");
        assert!(body.starts_with("hello\n\n<!--") && body.ends_with("-->"));
        assert!(body.contains(&marker("k-1")));
    }
}
