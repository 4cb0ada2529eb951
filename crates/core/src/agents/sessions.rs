//! Agent sessions in the store: the transcript (messages), the events (tool calls, approvals,
//! refusals, results, usage), the session's status and token totals, and audit records for what
//! must be accountable. Everything arrives already redacted from the runtime's journal.
//!
//! The journal writes on its own thread, in order, so the agent loop never waits on SQLite;
//! [`SqliteJournal::flush`] waits for what was sent. Blocking (rusqlite): the other functions are
//! for blocking threads.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use rusqlite::{OptionalExtension, params};
use serde_json::json;
use vibedata_agent::journal::{Journal, JournalEntry};
use vibedata_agent::message::{Message, Role, ToolCall, Usage};
use vibedata_protocol::{AgentRole, SessionEventDto, SessionStatus};

use crate::governance::audit;
use crate::platform::error::{CoreError, Result};
use crate::platform::store::{Store, named};

use crate::platform::clock::now;

fn role_str(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn role_of(s: &str) -> Role {
    match s {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}

/// Who the audit log names for a session's actions.
pub fn actor(agent: &str) -> String {
    format!("agent:{agent}")
}

/// Starts a session with its first (already redacted) messages.
pub fn create(
    store: &Store,
    workspace_id: Option<&str>,
    agent: AgentRole,
    provider: &str,
    is_replay: bool,
    first: &[Message],
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let at = now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO agent_sessions (id, workspace_id, agent, provider, is_replay, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?6)",
            params![id, workspace_id, agent.as_str(), provider, is_replay, at],
        )?;
        for (seq, m) in first.iter().enumerate() {
            insert_message(&tx, &id, seq as i64, m)?;
        }
        audit::append_on(&tx, at, &actor(agent.as_str()), "session_started", &id, &json!({"provider": provider, "replay": is_replay}))?;
        tx.commit()
    })?;
    Ok(id)
}

fn insert_message(
    c: &rusqlite::Connection,
    session: &str,
    seq: i64,
    m: &Message,
) -> rusqlite::Result<()> {
    let calls = serde_json::to_string(&m.tool_calls).unwrap_or_else(|_| "[]".into());
    c.execute(
        "INSERT INTO agent_messages (session_id, seq, role, content, tool_calls, tool_call_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![session, seq, role_str(m.role), m.content, calls, m.tool_call_id],
    )?;
    Ok(())
}

/// A session read back, to show it or to resume it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub id: String,
    pub agent: AgentRole,
    pub provider: String,
    pub is_replay: bool,
    pub status: SessionStatus,
    pub messages: Vec<Message>,
    pub usage: Usage,
}

pub fn load(store: &Store, id: &str) -> Result<Loaded> {
    store.with(|c| {
        let head = c
            .query_row(
                "SELECT agent, provider, is_replay, status, prompt_tokens, completion_tokens FROM agent_sessions WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        named(r, 0, AgentRole::parse)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        named(r, 3, SessionStatus::parse)?,
                        Usage { prompt_tokens: r.get::<_, i64>(4)? as u64, completion_tokens: r.get::<_, i64>(5)? as u64 },
                    ))
                },
            )
            .optional()?;
        let Some((agent, provider, is_replay, status, usage)) = head else { return Ok(None) };
        let mut stmt = c.prepare("SELECT role, content, tool_calls, tool_call_id FROM agent_messages WHERE session_id = ?1 ORDER BY seq")?;
        let messages = stmt
            .query_map([id], |r| {
                let calls: String = r.get(2)?;
                Ok(Message {
                    role: role_of(&r.get::<_, String>(0)?),
                    content: r.get(1)?,
                    tool_calls: serde_json::from_str::<Vec<ToolCall>>(&calls).unwrap_or_default(),
                    tool_call_id: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(Loaded { id: id.to_string(), agent, provider, is_replay, status, messages, usage }))
    })?
    .ok_or_else(|| CoreError::NotFound(format!("no agent session {id}")))
}

/// A stored session as the panel shows it: what was asked, the agent's text, each tool call with
/// its result, the tokens used and how it ended — read from the transcript, so it works for
/// sessions of earlier runs of the app. System instructions are not shown.
pub fn transcript(
    store: &Store,
    id: &str,
) -> Result<(vibedata_protocol::SessionDto, Vec<SessionEventDto>)> {
    let loaded = load(store, id)?;
    // Whether each tool result was an error is in the journal, not in the conversation.
    let failed: std::collections::HashSet<String> = store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT payload FROM agent_events WHERE session_id = ?1 AND kind = 'tool_result'",
        )?;
        let rows = stmt.query_map([id], |r| r.get::<_, String>(0))?;
        let mut failed = std::collections::HashSet::new();
        for payload in rows {
            let v: serde_json::Value = serde_json::from_str(&payload?).unwrap_or_default();
            if v["is_error"].as_bool() == Some(true) {
                failed.insert(v["call_id"].as_str().unwrap_or_default().to_string());
            }
        }
        Ok(failed)
    })?;
    let mut events = Vec::new();
    for m in loaded.messages {
        match m.role {
            Role::System => {}
            Role::User => events.push(SessionEventDto::Prompt { text: m.content }),
            Role::Assistant => {
                if !m.content.trim().is_empty() {
                    events.push(SessionEventDto::Delta { text: m.content });
                }
                events.extend(
                    m.tool_calls
                        .into_iter()
                        .map(|call| SessionEventDto::ToolUse {
                            call_id: call.id,
                            tool: call.name,
                            arguments: call.arguments,
                        }),
                );
            }
            Role::Tool => {
                let call_id = m.tool_call_id.unwrap_or_default();
                events.push(SessionEventDto::ToolResult {
                    is_error: failed.contains(&call_id),
                    call_id,
                    output: m.content,
                });
            }
        }
    }
    events.push(SessionEventDto::Usage {
        prompt_tokens: loaded.usage.prompt_tokens,
        completion_tokens: loaded.usage.completion_tokens,
    });
    events.push(SessionEventDto::Finished {
        status: loaded.status,
        message: None,
    });
    let session = vibedata_protocol::SessionDto {
        id: loaded.id,
        agent: loaded.agent,
        provider: loaded.provider,
        is_replay: loaded.is_replay,
        status: loaded.status,
    };
    Ok((session, events))
}

/// The workspace a session works on.
pub fn workspace_of(store: &Store, id: &str) -> Result<Option<String>> {
    store.with(|c| {
        c.query_row(
            "SELECT workspace_id FROM agent_sessions WHERE id = ?1",
            [id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()
        .map(Option::flatten)
    })
}

/// Sessions of a workspace, newest first.
pub fn list(store: &Store, workspace_id: &str) -> Result<Vec<vibedata_protocol::SessionDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, agent, provider, is_replay, status FROM agent_sessions WHERE workspace_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 50",
        )?;
        stmt.query_map([workspace_id], |r| {
            Ok(vibedata_protocol::SessionDto {
                id: r.get(0)?,
                agent: named(r, 1, AgentRole::parse)?,
                provider: r.get(2)?,
                is_replay: r.get(3)?,
                status: named(r, 4, SessionStatus::parse)?,
            })
        })?
        .collect()
    })
}

pub fn set_status(store: &Store, id: &str, status: SessionStatus) -> Result<()> {
    store.with(|c| {
        c.execute(
            "UPDATE agent_sessions SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), now()],
        )
        .map(|_| ())
    })
}

/// Sessions that were running when the app stopped are marked interrupted (they can be resumed).
pub fn mark_interrupted(store: &Store) -> Result<usize> {
    store.with(|c| {
        c.execute(
            "UPDATE agent_sessions SET status = 'interrupted' WHERE status = 'running'",
            [],
        )
    })
}

/// Tokens per session and in total.
/// Tokens per session and in total, of sessions a model answered (replays are left out).
pub fn usage(store: &Store) -> Result<(Vec<(String, Usage)>, Usage)> {
    let per: Vec<(String, Usage)> = store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, prompt_tokens, completion_tokens FROM agent_sessions WHERE is_replay = 0 ORDER BY created_at",
        )?;
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                Usage {
                    prompt_tokens: r.get::<_, i64>(1)? as u64,
                    completion_tokens: r.get::<_, i64>(2)? as u64,
                },
            ))
        })?
        .collect()
    })?;
    let total = per.iter().fold(Usage::default(), |t, (_, u)| Usage {
        prompt_tokens: t.prompt_tokens + u.prompt_tokens,
        completion_tokens: t.completion_tokens + u.completion_tokens,
    });
    Ok((per, total))
}

enum Write {
    Entry(JournalEntry),
    Flush(Sender<()>),
}

/// The runtime's journal, written to the store on a thread of its own.
pub struct SqliteJournal {
    tx: std::sync::Mutex<Sender<Write>>,
}

impl SqliteJournal {
    pub fn start(store: Arc<Store>, session_id: String, agent: String) -> Result<Arc<Self>> {
        let next_message: i64 = store.with(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM agent_messages WHERE session_id = ?1",
                [&session_id],
                |r| r.get(0),
            )
        })?;
        let next_event: i64 = store.with(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM agent_events WHERE session_id = ?1",
                [&session_id],
                |r| r.get(0),
            )
        })?;
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("agent-journal".into())
            .spawn(move || {
                writer(
                    rx,
                    store,
                    session_id,
                    actor(&agent),
                    next_message,
                    next_event,
                )
            })
            .map_err(|e| CoreError::io("cannot start the session journal", e))?;
        Ok(Arc::new(SqliteJournal {
            tx: std::sync::Mutex::new(tx),
        }))
    }

    /// Waits until everything recorded so far is in the store. Blocking.
    pub fn flush(&self) {
        let (done, wait) = channel();
        if self.send(Write::Flush(done)) {
            let _ = wait.recv();
        }
    }

    fn send(&self, w: Write) -> bool {
        self.tx.lock().map(|tx| tx.send(w).is_ok()).unwrap_or(false)
    }
}

impl Journal for SqliteJournal {
    fn record(&self, entry: JournalEntry) {
        self.send(Write::Entry(entry));
    }
}

fn writer(
    rx: Receiver<Write>,
    store: Arc<Store>,
    session: String,
    actor: String,
    mut next_message: i64,
    mut next_event: i64,
) {
    while let Ok(w) = rx.recv() {
        let entry = match w {
            Write::Flush(done) => {
                let _ = done.send(());
                continue;
            }
            Write::Entry(entry) => entry,
        };
        let at = now();
        let written = store.with(|c| {
            let tx = c.unchecked_transaction()?;
            match &entry {
                JournalEntry::Message { message } => {
                    insert_message(&tx, &session, next_message, message)?;
                    next_message += 1;
                }
                other => {
                    let payload = serde_json::to_value(other).unwrap_or_default();
                    let kind = payload["kind"].as_str().unwrap_or("event").to_string();
                    tx.execute(
                        "INSERT INTO agent_events (session_id, seq, at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![session, next_event, at, kind, payload.to_string()],
                    )?;
                    next_event += 1;
                    match other {
                        JournalEntry::Usage { usage } => {
                            tx.execute(
                                "UPDATE agent_sessions SET prompt_tokens = prompt_tokens + ?2, completion_tokens = completion_tokens + ?3, updated_at = ?4 WHERE id = ?1",
                                params![session, usage.prompt_tokens as i64, usage.completion_tokens as i64, at],
                            )?;
                        }
                        JournalEntry::ToolResult { call_id, tool, is_error, .. } => {
                            let action = if *is_error { "tool_failed" } else { "tool_executed" };
                            audit::append_on(&tx, at, &actor, action, tool, &json!({"session": session, "call": call_id}))?;
                        }
                        JournalEntry::Approval { call_id, tool, approved } => {
                            let action = if *approved { "approved" } else { "denied" };
                            audit::append_on(&tx, at, "person", action, tool, &json!({"session": session, "call": call_id}))?;
                        }
                        JournalEntry::Refused { call_id, tool, reason } => {
                            audit::append_on(&tx, at, &actor, "refused_by_guard", tool, &json!({"session": session, "call": call_id, "reason": reason}))?;
                        }
                        _ => {}
                    }
                }
            }
            tx.commit()
        });
        if let Err(e) = written {
            tracing::error!(session_id = %session, error = %e, "cannot write the session journal");
        }
    }
}
