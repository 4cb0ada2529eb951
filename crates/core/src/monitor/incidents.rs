//! A workspace's signals and incidents in the store, and each incident told to GitHub as **one
//! issue** through the outbox: opened when the engine announces it (labels `incident`,
//! `severity:<s>`, `kind:<k>`; the evidence in the body), later signals as comments, its
//! resolution as a comment and closing the issue. Every write is queued under a key derived
//! from the incident (`enqueue_keyed`), so a run that stops half-way and runs again cannot queue
//! it twice; the outbox delivers each exactly once. A write that needs the issue's number waits
//! until the issue exists (the next run). Blocking.

use rusqlite::{OptionalExtension, params};
use vibedata_monitor::alerts::{Grouped, IncidentOut, IncidentState};
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::{self, Millis};
use vibedata_protocol::inbox::{IssueState, OutboxWriteDto as Write};

use crate::github::outbox;
use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// Keeps signals (one already kept, by id, is left as it was); returns how many were new.
pub fn keep_signals(store: &Store, workspace_id: &str, signals: &[Signal]) -> Result<usize> {
    let now = crate::platform::clock::now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT OR IGNORE INTO monitor_signals (id, workspace_id, at, kind, node, column_name,
                   severity, message, correlation_id, failures, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for s in signals {
                added += stmt.execute(params![
                    s.id,
                    workspace_id,
                    s.at,
                    s.kind,
                    s.node,
                    s.column,
                    s.severity.as_str(),
                    s.message,
                    s.correlation_id,
                    s.failures.map(|f| f as i64),
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(added)
    })
}

/// When the oldest incident still open (pending or firing) opened.
pub fn oldest_open(store: &Store, workspace_id: &str) -> Result<Option<Millis>> {
    store.with(|c| {
        c.query_row(
            "SELECT min(opened_at) FROM monitor_incidents WHERE workspace_id = ?1 AND state != 'resolved'",
            [workspace_id],
            |r| r.get(0),
        )
    })
}

/// Whether a run (its correlation id) has been read before.
pub fn run_known(store: &Store, workspace_id: &str, run: &str) -> Result<bool> {
    store.with(|c| {
        c.query_row(
            "SELECT EXISTS (SELECT 1 FROM monitor_signals WHERE workspace_id = ?1 AND correlation_id = ?2)",
            [workspace_id, run],
            |r| r.get(0),
        )
    })
}

/// A signal from a `monitor_signals` row (id, at, kind, node, column_name, severity, message,
/// correlation_id, failures).
fn signal_row(r: &rusqlite::Row<'_>, workspace_id: &str) -> rusqlite::Result<Signal> {
    let severity: String = r.get(5)?;
    Ok(Signal {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        node: r.get(3)?,
        column: r.get(4)?,
        workspace: Some(workspace_id.to_string()),
        severity: Severity::parse(&severity).unwrap_or(Severity::Error),
        message: r.get(6)?,
        correlation_id: r.get(7)?,
        failures: r.get::<_, Option<i64>>(8)?.map(|f| f as u64),
    })
}

/// The workspace's signals since `since`.
pub fn signals_since(store: &Store, workspace_id: &str, since: Millis) -> Result<Vec<Signal>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, at, kind, node, column_name, severity, message, correlation_id, failures
               FROM monitor_signals WHERE workspace_id = ?1 AND at >= ?2 ORDER BY at, id",
        )?;
        let rows = stmt.query_map(params![workspace_id, since], |r| {
            signal_row(r, workspace_id)
        })?;
        rows.collect()
    })
}

/// The workspace's signals with these ids (at most 500: an incident's evidence, not a dump).
pub fn signals_by_id(store: &Store, workspace_id: &str, ids: &[String]) -> Result<Vec<Signal>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, at, kind, node, column_name, severity, message, correlation_id, failures
               FROM monitor_signals WHERE workspace_id = ?1 AND id = ?2",
        )?;
        let mut out = Vec::new();
        for id in ids.iter().take(500) {
            let found = stmt
                .query_row(params![workspace_id, id], |r| signal_row(r, workspace_id))
                .optional()?;
            out.extend(found);
        }
        Ok(out)
    })
}

/// What a run did with one incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Told {
    pub incident: String,
    pub state: String,
    /// Outbox writes queued for it by this run (`open`, `comment`, `close`).
    pub queued: Vec<String>,
    /// Its issue, once GitHub made it.
    pub issue_number: Option<u64>,
    /// Why nothing was queued although something is to be said.
    pub waiting: Option<String>,
}

fn state_str(s: IncidentState) -> &'static str {
    match s {
        IncidentState::Pending => "pending",
        IncidentState::Firing => "firing",
        IncidentState::Resolved => "resolved",
    }
}

/// One cell of a Markdown table: repository text kept on one line, its pipes escaped.
fn cell(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one.chars().take(200).collect();
    short.replace('|', "\\|")
}

fn evidence(i: &IncidentOut, signals: &[Signal]) -> String {
    let mut out = String::from(
        "| when (UTC) | node | what | failing rows | message |\n|---|---|---|---:|---|\n",
    );
    for id in i.events.iter().take(50) {
        if let Some(s) = signals.iter().find(|s| &s.id == id) {
            let note = if i.suppressed.contains(id) {
                " (suppressed: explained upstream)"
            } else {
                ""
            };
            out.push_str(&format!(
                "| {} | `{}` | {}{note} | {} | {} |\n",
                time::format(s.at),
                cell(&s.node),
                s.kind,
                s.failures.map(|f| f.to_string()).unwrap_or_default(),
                cell(&s.message)
            ));
        }
    }
    if i.events.len() > 50 {
        out.push_str(&format!("\n…and {} more signals.\n", i.events.len() - 50));
    }
    out
}

fn body(i: &IncidentOut, signals: &[Signal]) -> String {
    let mut out = format!(
        "**{}** failing since {} — {} signals ({} explained by a failing upstream).\n\n",
        i.root,
        i.opened_at,
        i.events.len(),
        i.suppressed.len()
    );
    if i.subjects.len() > 1 {
        out.push_str(&format!(
            "Also reached downstream: {}.\n\n",
            i.subjects
                .iter()
                .filter(|s| **s != i.root)
                .map(|s| format!("`{}`", cell(s)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str(&evidence(i, signals));
    out.push_str(
        "\n_Raised by the Vibedata alert engine; it closes this issue when the checks pass again._",
    );
    out
}

/// Records the engine's incidents and queues what GitHub must be told (nothing when `repo` is
/// `None`: the incidents are kept here only).
pub fn tell(
    store: &Store,
    workspace_id: &str,
    repo: Option<&str>,
    grouped: &Grouped,
    signals: &[Signal],
) -> Result<Vec<Told>> {
    let mut out = Vec::new();
    for i in &grouped.incidents {
        let detail = serde_json::to_string(i).map_err(|e| CoreError::Internal(e.to_string()))?;
        let opened = time::parse_text(&i.opened_at).unwrap_or_default();
        let last = time::parse_text(&i.last_at).unwrap_or_default();
        let row: Option<(i64, Option<i64>, Option<i64>)> = store.with(|c| {
            c.query_row(
                "SELECT said_events, open_seq, close_seq FROM monitor_incidents
                  WHERE workspace_id = ?1 AND id = ?2",
                [workspace_id, &i.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        let (mut said, mut open_seq, mut close_seq) = row.unwrap_or((0, None, None));
        store.with(|c| {
            c.execute(
                "INSERT INTO monitor_incidents (workspace_id, id, repo, root, state, severity, opened_at, last_at, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (workspace_id, id) DO UPDATE SET repo = coalesce(excluded.repo, repo),
                   state = excluded.state, severity = excluded.severity, last_at = excluded.last_at,
                   detail = excluded.detail",
                params![
                    workspace_id,
                    i.id,
                    repo,
                    i.root,
                    state_str(i.state),
                    i.severity.as_str(),
                    opened,
                    last,
                    detail
                ],
            )
            .map(|_| ())
        })?;
        let mut told = Told {
            incident: i.id.clone(),
            state: state_str(i.state).into(),
            queued: Vec::new(),
            issue_number: None,
            waiting: None,
        };
        // Only what the engine would announce goes to GitHub: an incident with a signal of its
        // own (neither silenced nor explained upstream); one already over before it had an
        // issue is not opened only to be closed.
        let announced = i
            .events
            .iter()
            .any(|e| !i.silenced.contains(e) && !i.suppressed.contains(e));
        let over_unannounced = open_seq.is_none() && i.state == IncidentState::Resolved;
        // Later writes go where the issue was opened, whatever this run was told.
        let opened_on = match open_seq {
            Some(seq) => outbox::get(store, seq)?.map(|item| item.repo),
            None => None,
        };
        let Some(repo) = opened_on
            .as_deref()
            .or(repo)
            .filter(|_| announced && !over_unannounced)
        else {
            out.push(told);
            continue;
        };
        let key = |what: &str| format!("incident:{workspace_id}:{}:{what}", i.id);
        if open_seq.is_none() {
            let mut labels = vec![
                "incident".to_string(),
                format!("severity:{}", i.severity.as_str()),
            ];
            labels.extend(i.kinds.iter().take(3).map(|k| format!("kind:{k}")));
            let title = format!(
                "[incident] {}: {}",
                i.root.rsplit('.').next().unwrap_or(&i.root),
                i.kinds.join(", ")
            );
            let item = outbox::enqueue_keyed(
                store,
                repo,
                &key("open"),
                &Write::CreateIssue {
                    title,
                    body: body(i, signals),
                    labels,
                },
            )?;
            open_seq = Some(item.seq);
            said = i.events.len() as i64;
            told.queued.push("open".into());
        }
        let number = match open_seq {
            Some(seq) => outbox::made_number(store, seq)?,
            None => None,
        };
        told.issue_number = number;
        let news = (i.events.len() as i64) > said;
        let closing = i.state == IncidentState::Resolved && close_seq.is_none();
        match number {
            Some(number) => {
                if news {
                    let fresh: Vec<String> = i.events[said as usize..].to_vec();
                    let mut news_body =
                        format!("{} more signals since the last update:\n\n", fresh.len());
                    let partial = IncidentOut {
                        events: fresh,
                        ..i.clone()
                    };
                    news_body.push_str(&evidence(&partial, signals));
                    outbox::enqueue_keyed(
                        store,
                        repo,
                        &key(&format!("comment:{}", i.events.len())),
                        &Write::Comment {
                            number,
                            body: news_body,
                        },
                    )?;
                    said = i.events.len() as i64;
                    told.queued.push("comment".into());
                }
                if closing {
                    let why = if i.resolved_by.is_empty() {
                        "no failing signal since, for longer than the resolve time".to_string()
                    } else {
                        format!("{} checks passed again", i.resolved_by.len())
                    };
                    outbox::enqueue_keyed(
                        store,
                        repo,
                        &key("resolved"),
                        &Write::Comment {
                            number,
                            body: format!("Resolved at {}: {why}.", i.last_at),
                        },
                    )?;
                    let item = outbox::enqueue_keyed(
                        store,
                        repo,
                        &key("close"),
                        &Write::SetState {
                            number,
                            state: IssueState::Closed,
                        },
                    )?;
                    close_seq = Some(item.seq);
                    told.queued.push("close".into());
                }
            }
            None if news || closing => {
                told.waiting = Some(
                    "its issue is not made yet (the outbox delivers it when GitHub can be reached); the next run tells it".into(),
                );
            }
            None => {}
        }
        store.with(|c| {
            c.execute(
                "UPDATE monitor_incidents SET said_events = ?3, open_seq = ?4, close_seq = ?5
                  WHERE workspace_id = ?1 AND id = ?2",
                params![workspace_id, i.id, said, open_seq, close_seq],
            )
            .map(|_| ())
        })?;
        out.push(told);
    }
    Ok(out)
}
