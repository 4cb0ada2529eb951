//! Delivering the outbox: one write at a time, in order, exactly once (see [`super`] for how),
//! as one replayer per database.

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use vibedata_github::rest::{Client, GhError};
use vibedata_protocol::inbox::OutboxState;
use vibedata_secrets::Sensitive;

use super::{Write, kind, marker, with_marker};
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::store::{Store, named};

struct Row {
    seq: i64,
    key: String,
    repo: String,
    write: Write,
    state: OutboxState,
    attempts: i64,
    queued_at: String,
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
        Write::Review { number, .. } => {
            format!("/repos/{}/pulls/{number}/reviews?per_page=100", row.repo)
        }
        // An upsert finds its comment by its slot each time it is sent.
        Write::AddLabels { .. }
        | Write::SetState { .. }
        | Write::PushBranch { .. }
        | Write::UpsertComment { .. } => {
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
        Write::UpsertComment { number, slot, body } => {
            // Our comment in this slot, if there is one: edited; else created.
            let slot_marker = marker(&format!("slot:{slot}"));
            let text = format!("{body}\n\n{slot_marker}");
            let (comments, _) = client
                .get_all(&format!("/repos/{repo}/issues/{number}/comments?per_page=100"))
                .await?;
            match comments.iter().find(|c| {
                c["body"]
                    .as_str()
                    .is_some_and(|b| b.contains(&slot_marker))
            }) {
                Some(existing) => {
                    let id = existing["id"].as_u64().unwrap_or_default();
                    client
                        .send(
                            Method::PATCH,
                            &format!("/repos/{repo}/issues/comments/{id}"),
                            &json!({ "body": text }),
                        )
                        .await
                }
                None => {
                    client
                        .send(
                            Method::POST,
                            &format!("/repos/{repo}/issues/{number}/comments"),
                            &json!({ "body": text }),
                        )
                        .await
                }
            }
        }
        Write::Review {
            number,
            event,
            body,
        } => {
            client
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/pulls/{number}/reviews"),
                    &json!({"event": event, "body": with_marker(body, &row.key)}),
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

    #[test]
    fn the_since_of_a_check_is_a_day_early() {
        assert_eq!(since_for("2026-11-22T10:00:00Z"), "2026-11-21T00:00:00Z");
        assert_eq!(since_for("2026-11-01T10:00:00Z"), "2026-10-28T00:00:00Z");
        assert_eq!(since_for("2026-01-01T10:00:00Z"), "2025-12-28T00:00:00Z");
    }
}
