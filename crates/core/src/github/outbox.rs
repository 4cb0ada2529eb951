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
//! One replayer runs at a time (an OS file lock beside the database).

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use vibedata_github::rest::{Client, GhError};
use vibedata_protocol::inbox::{IssueState, OutboxItemDto, OutboxKind, OutboxState};
use vibedata_secrets::Sensitive;

use crate::platform::error::blocking;
use crate::platform::store::{Store, named};
use crate::{CoreError, Result};

pub use vibedata_protocol::inbox::OutboxWriteDto as Write;

fn kind(write: &Write) -> OutboxKind {
    match write {
        Write::CreateIssue { .. } => OutboxKind::CreateIssue,
        Write::Comment { .. } => OutboxKind::Comment,
        Write::AddLabels { .. } => OutboxKind::AddLabels,
        Write::SetState { .. } => OutboxKind::SetState,
        Write::CreatePr { .. } => OutboxKind::CreatePr,
        Write::PushBranch { .. } => OutboxKind::PushBranch,
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

fn with_marker(body: &str, key: &str) -> String {
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

struct Row {
    seq: i64,
    key: String,
    repo: String,
    write: Write,
    state: OutboxState,
    attempts: i64,
    queued_at: String,
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
            | Write::SetState { number, .. } => Some(*number),
            _ => None,
        }),
        body: write.and_then(|w| match w {
            Write::Comment { body, .. } => Some(body),
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

/// What one replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    pub delivered: usize,
    /// Found already on GitHub (an earlier attempt had reached it).
    pub found_delivered: usize,
    pub failed: usize,
    /// Still queued (the replay stopped at a network error, or was not needed).
    pub remaining: usize,
    pub stopped_by: Option<String>,
}

fn next_row(store: &Store) -> Result<Option<Row>> {
    store.with(|c| {
        c.query_row(
            "SELECT seq, key, repo, payload, state, attempts, queued_at FROM gh_outbox
             WHERE state IN ('queued', 'sending') ORDER BY seq LIMIT 1",
            [],
            |r| {
                let payload: String = r.get(3)?;
                let write = serde_json::from_str(&payload).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?;
                Ok(Row {
                    seq: r.get(0)?,
                    key: r.get(1)?,
                    repo: r.get(2)?,
                    write,
                    state: named(r, 4, OutboxState::parse)?,
                    attempts: r.get(5)?,
                    queued_at: r.get(6)?,
                })
            },
        )
        .optional()
    })
}

fn remaining(store: &Store) -> Result<usize> {
    store
        .with(|c| {
            c.query_row(
                "SELECT count(*) FROM gh_outbox WHERE state IN ('queued', 'sending')",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|n| n as usize)
}

/// A day before `queued_at`: GitHub's clock and the laptop's may disagree.
fn since_for(queued_at: &str) -> String {
    // Only the date matters with a day of margin; `YYYY-MM-DD` sorts and GitHub accepts it.
    let date = queued_at.get(..10).unwrap_or(queued_at);
    let mut parts = date.split('-').filter_map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (
        parts.next().unwrap_or(1970),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(2),
    );
    let (y, m, d) = if d > 1 {
        (y, m, d - 1)
    } else if m > 1 {
        (y, m - 1, 28)
    } else {
        (y - 1, 12, 28)
    };
    format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
}

/// Looks on GitHub for an earlier delivery of `row`: the marker in a body we wrote.
async fn find_delivered(
    client: &Client,
    login: &str,
    row: &Row,
) -> std::result::Result<Option<Value>, GhError> {
    let marker = marker(&row.key);
    let since = since_for(&row.queued_at);
    let path = match &row.write {
        Write::CreateIssue { .. } => format!(
            "/repos/{}/issues?creator={login}&state=all&since={since}&per_page=100",
            row.repo
        ),
        Write::Comment { number, .. } => {
            format!(
                "/repos/{}/issues/{number}/comments?since={since}&per_page=100",
                row.repo
            )
        }
        Write::CreatePr { head, .. } => {
            let owner = row.repo.split('/').next().unwrap_or_default();
            format!(
                "/repos/{}/pulls?head={owner}:{head}&state=all&per_page=100",
                row.repo
            )
        }
        Write::AddLabels { .. } | Write::SetState { .. } | Write::PushBranch { .. } => {
            return Ok(None);
        }
    };
    let (items, _) = client.get_all(&path).await?;
    Ok(items
        .into_iter()
        .find(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker))))
}

async fn send(client: &Client, row: &Row) -> std::result::Result<Value, GhError> {
    use vibedata_github::rest::Method;
    let repo = &row.repo;
    match &row.write {
        Write::CreateIssue { title, body, labels } => {
            client
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/issues"),
                    &json!({"title": title, "body": with_marker(body, &row.key), "labels": labels}),
                )
                .await
        }
        Write::Comment { number, body } => {
            client
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/issues/{number}/comments"),
                    &json!({"body": with_marker(body, &row.key)}),
                )
                .await
        }
        Write::AddLabels { number, labels } => {
            client
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/issues/{number}/labels"),
                    &json!({ "labels": labels }),
                )
                .await
        }
        Write::SetState { number, state } => {
            client
                .send(
                    Method::PATCH,
                    &format!("/repos/{repo}/issues/{number}"),
                    &json!({ "state": state }),
                )
                .await
        }
        Write::PushBranch { .. } => Err(GhError::Protocol(
            "a push is not a REST call (replayed by `push`)".into(),
        )),
        Write::CreatePr { title, body, head, base } => {
            client
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/pulls"),
                    &json!({"title": title, "body": with_marker(body, &row.key), "head": head, "base": base}),
                )
                .await
        }
    }
}

/// Pushes a workspace's branch with the token. A refusal by the remote (not a fast-forward, no
/// access) is GitHub refusing; anything else (offline, say) may pass later.
async fn push(
    store: Arc<Store>,
    token: Sensitive<String>,
    workspace_id: &str,
    branch: &str,
) -> std::result::Result<Value, GhError> {
    let (id, branch2) = (workspace_id.to_string(), branch.to_string());
    let outcome = blocking(move || {
        let ws = crate::workspaces::registry::find_by_id(&store, &id)?.ok_or_else(|| {
            CoreError::NotFound(format!("the workspace {id} is no longer registered"))
        })?;
        crate::workspaces::git::push_as(&ws.path, &branch2, Some(token.expose()))
    })
    .await;
    match outcome {
        Ok(()) => Ok(json!({ "pushed": branch })),
        Err(CoreError::NotFound(m)) => Err(GhError::NotFound(m)),
        Err(e) => {
            let message = e.to_string();
            if message.contains("refused") || message.contains("rejected") {
                Err(GhError::Validation(message))
            } else {
                Err(GhError::Network(message))
            }
        }
    }
}

/// Retryable: the write may go through later as it is.
fn transient(e: &GhError) -> bool {
    matches!(
        e,
        GhError::Network(_)
            | GhError::Server(_)
            | GhError::RateLimited(_)
            | GhError::Protocol(_)
            | GhError::Auth
    )
}

fn finish(
    store: &Store,
    seq: i64,
    state: OutboxState,
    error: Option<String>,
    result: Option<&Value>,
) -> Result<()> {
    store.with(|c| {
        c.execute(
            "UPDATE gh_outbox SET state = ?2, last_error = ?3, result = coalesce(?4, result),
                 done_at = CASE WHEN ?2 = 'done' THEN unixepoch() ELSE done_at END
             WHERE seq = ?1",
            params![seq, state.as_str(), error, result.map(Value::to_string)],
        )
    })?;
    Ok(())
}

/// Holds the queue for one replayer: an exclusive lock on `outbox.lock` beside the database, which
/// the OS releases when its holder ends, however it ends. Two replayers — the background sync and a
/// pull request in the app, or the app and `vibedata outbox replay` — would otherwise both see
/// a write as not yet delivered and both send it.
async fn hold_queue(store: &Store) -> Result<std::fs::File> {
    let path = store.path().with_file_name("outbox.lock");
    blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?;
        file.lock()
            .map_err(|e| CoreError::io(format!("locking {}", path.display()), e))?;
        Ok(file)
    })
    .await
}

/// Replays the queue in order as `login`, until it is empty or GitHub cannot be reached. One
/// replayer at a time: a second waits for the first to finish (see [`hold_queue`]).
pub async fn replay(
    store: Arc<Store>,
    client: &Client,
    login: &str,
    token: &Sensitive<String>,
) -> Result<ReplayReport> {
    let _queue = hold_queue(&store).await?;
    let mut report = ReplayReport::default();
    loop {
        let row = {
            let store = store.clone();
            blocking(move || next_row(&store)).await?
        };
        let Some(row) = row else { break };
        // Tried before (or interrupted mid-send): it may be on GitHub already.
        if row.state == OutboxState::Sending || row.attempts > 0 {
            match find_delivered(client, login, &row).await {
                Ok(Some(found)) => {
                    let store2 = store.clone();
                    blocking(move || {
                        finish(&store2, row.seq, OutboxState::Done, None, Some(&found))
                    })
                    .await?;
                    tracing::info!(
                        seq = row.seq,
                        "outbox: found delivered by an earlier attempt"
                    );
                    report.found_delivered += 1;
                    continue;
                }
                Ok(None) => {}
                Err(e) if transient(&e) => {
                    let message = e.to_string();
                    let store2 = store.clone();
                    blocking(move || {
                        finish(&store2, row.seq, OutboxState::Queued, Some(message), None)
                    })
                    .await?;
                    report.stopped_by = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    let message = e.to_string();
                    let store2 = store.clone();
                    blocking(move || {
                        finish(&store2, row.seq, OutboxState::Failed, Some(message), None)
                    })
                    .await?;
                    report.failed += 1;
                    continue;
                }
            }
        }
        {
            let (store, seq) = (store.clone(), row.seq);
            blocking(move || {
                store.with(|c| {
                    c.execute(
                        "UPDATE gh_outbox SET state = 'sending', attempts = attempts + 1 WHERE seq = ?1",
                        [seq],
                    )
                })
            })
            .await?;
        }
        let outcome = match &row.write {
            Write::PushBranch {
                workspace_id,
                branch,
            } => push(store.clone(), token.clone(), workspace_id, branch).await,
            _ => send(client, &row).await,
        };
        match outcome {
            Ok(made) => {
                let store2 = store.clone();
                blocking(move || finish(&store2, row.seq, OutboxState::Done, None, Some(&made)))
                    .await?;
                tracing::info!(
                    seq = row.seq,
                    kind = kind(&row.write).as_str(),
                    "outbox: delivered"
                );
                report.delivered += 1;
            }
            Err(e) if transient(&e) => {
                let message = e.to_string();
                let store2 = store.clone();
                blocking(move || {
                    finish(&store2, row.seq, OutboxState::Queued, Some(message), None)
                })
                .await?;
                tracing::warn!(seq = row.seq, error = %e, "outbox: will retry");
                report.stopped_by = Some(e.to_string());
                break;
            }
            Err(e) => {
                let message = e.to_string();
                let store2 = store.clone();
                blocking(move || {
                    finish(&store2, row.seq, OutboxState::Failed, Some(message), None)
                })
                .await?;
                tracing::warn!(seq = row.seq, error = %e, "outbox: refused by GitHub");
                report.failed += 1;
            }
        }
    }
    report.remaining = {
        let store = store.clone();
        blocking(move || remaining(&store)).await?
    };
    Ok(report)
}

/// Replays the queue as `active` (see [`crate::github::accounts::active`]). Without an identity,
/// nothing is sent and the writes stay queued.
pub async fn replay_as(
    store: Arc<Store>,
    active: Option<crate::github::accounts::Active>,
) -> Result<ReplayReport> {
    let Some(active) = active else {
        let store2 = store.clone();
        return Ok(ReplayReport {
            remaining: blocking(move || remaining(&store2)).await?,
            stopped_by: Some("nobody is signed in to GitHub".into()),
            ..ReplayReport::default()
        });
    };
    let client = active.client()?;
    let login = match crate::github::accounts::resolve_login(store.clone(), &active).await {
        Ok(login) => login,
        Err(e) => {
            let store2 = store.clone();
            return Ok(ReplayReport {
                remaining: blocking(move || remaining(&store2)).await?,
                stopped_by: Some(e.to_string()),
                ..ReplayReport::default()
            });
        }
    };
    replay(store, &client, &login, &active.token).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn the_since_of_a_check_is_a_day_early() {
        assert_eq!(since_for("2026-11-22T10:00:00Z"), "2026-11-21T00:00:00Z");
        assert_eq!(since_for("2026-11-01T10:00:00Z"), "2026-10-28T00:00:00Z");
        assert_eq!(since_for("2026-01-01T10:00:00Z"), "2025-12-28T00:00:00Z");
    }

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
