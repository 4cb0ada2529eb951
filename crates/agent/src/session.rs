//! The loop, in small named steps: check cancellation → check the budget → stream the model's
//! answer → collect its tool calls → check each against the policy (asking a person when needed)
//! → run → append the results → repeat, up to a number of turns. Everything sent to the model is
//! redacted first; denials and failures go back to the model as tool results.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::budget::Budget;
use crate::journal::{Journal, JournalEntry, NoJournal};
use crate::message::{ChatRequest, Message, ToolCall, Usage};
use crate::policy::Scope;
use crate::policy::{Decision, Policy};
use crate::provider::{Completion, Provider, ProviderError, ProviderEvent};
use crate::redact::Redactor;
use crate::tools::{Tool, ToolContext, ToolNote};

/// What a person is asked to approve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRequest {
    pub call: ToolCall,
    pub scope: Scope,
    /// What will happen (for writes, the diff).
    pub preview: Option<String>,
}

/// A person's answer to an approval: yes, or no with an optional reason the agent is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub approved: bool,
    pub reason: Option<String>,
}

impl From<bool> for Answer {
    fn from(approved: bool) -> Self {
        Answer {
            approved,
            reason: None,
        }
    }
}

/// The person's side of approvals (the UI's approval cards; scripted in tests).
pub trait Approver: Send + Sync {
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, Answer>;
}

/// Streamed to the UI as the session runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionEvent {
    Delta {
        text: String,
    },
    ToolUse {
        call: ToolCall,
    },
    ApprovalNeeded {
        request: ApprovalRequest,
    },
    ToolResult {
        call_id: String,
        output: String,
        is_error: bool,
    },
    Usage {
        turn: Usage,
        total: Usage,
    },
    Error {
        message: String,
    },
    /// What a tool produced: an artifact, a commit, a to-do item.
    Note {
        note: ToolNote,
    },
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The model answered without asking for tools.
    Completed {
        text: String,
    },
    Cancelled,
    BudgetExceeded(String),
    MaxTurns(u32),
    Failed(ProviderError),
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub workspace: PathBuf,
    pub max_turns: u32,
    /// Tool output beyond this many characters is cut, with a marker.
    pub max_tool_output: usize,
    pub budget: Budget,
}

impl SessionConfig {
    pub fn new(workspace: PathBuf) -> Self {
        SessionConfig {
            workspace,
            max_turns: 25,
            max_tool_output: 20_000,
            budget: Budget::default(),
        }
    }
}

pub struct Session {
    provider: Arc<dyn Provider>,
    tools: Vec<Arc<dyn Tool>>,
    policy: Arc<RwLock<Policy>>,
    approver: Arc<dyn Approver>,
    redactor: Redactor,
    config: SessionConfig,
    cancel: CancellationToken,
    events: UnboundedSender<SessionEvent>,
    journal: Arc<dyn Journal>,
    /// The conversation so far (as the runtime keeps it; what is sent is redacted).
    pub messages: Vec<Message>,
    pub usage: Usage,
    pub turns: u32,
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        provider: Arc<dyn Provider>,
        tools: Vec<Arc<dyn Tool>>,
        policy: Arc<RwLock<Policy>>,
        approver: Arc<dyn Approver>,
        redactor: Redactor,
        config: SessionConfig,
        cancel: CancellationToken,
        events: UnboundedSender<SessionEvent>,
        messages: Vec<Message>,
    ) -> Self {
        Session {
            provider,
            tools,
            policy,
            approver,
            redactor,
            config,
            cancel,
            events,
            journal: Arc::new(NoJournal),
            messages,
            usage: Usage::default(),
            turns: 0,
        }
    }

    /// Where everything that happens is recorded (redacted).
    pub fn set_journal(&mut self, journal: Arc<dyn Journal>) {
        self.journal = journal;
    }

    /// Usage already spent (a resumed session keeps counting against its budget).
    pub fn set_usage(&mut self, usage: Usage) {
        self.usage = usage;
    }

    pub fn set_budget(&mut self, budget: Budget) {
        self.config.budget = budget;
    }

    pub fn set_max_turns(&mut self, max_turns: u32) {
        self.config.max_turns = max_turns;
    }

    /// Runs until the model stops asking for tools, or something ends the session.
    pub async fn run(&mut self) -> Outcome {
        // A session resumed after a restart may stop between a tool request and its results.
        for call in self.pending_calls() {
            if self.cancel.is_cancelled() {
                return Outcome::Cancelled;
            }
            let Some(result) = self.handle_call(&call).await else {
                return Outcome::Cancelled;
            };
            self.push(Message::tool_result(&call.id, result));
        }
        loop {
            if let Some(outcome) = self
                .check_cancel()
                .or_else(|| self.check_budget())
                .or_else(|| self.check_turns())
            {
                return outcome;
            }
            let completion = match self.stream_turn().await {
                Ok(c) => c,
                Err(outcome) => return outcome,
            };
            self.turns += 1;
            let calls = completion.tool_calls.clone();
            self.push(Message::assistant(completion.text.clone(), calls.clone()));
            if calls.is_empty() {
                return Outcome::Completed {
                    text: completion.text,
                };
            }
            for call in &calls {
                if self.cancel.is_cancelled() {
                    return Outcome::Cancelled;
                }
                let Some(result) = self.handle_call(call).await else {
                    return Outcome::Cancelled;
                };
                self.push(Message::tool_result(&call.id, result));
            }
        }
    }

    /// Tool calls of the last assistant message that have no result yet.
    fn pending_calls(&self) -> Vec<ToolCall> {
        let Some(at) = self
            .messages
            .iter()
            .rposition(|m| m.role == crate::message::Role::Assistant)
        else {
            return Vec::new();
        };
        let answered: Vec<&str> = self.messages[at + 1..]
            .iter()
            .filter_map(|m| m.tool_call_id.as_deref())
            .collect();
        self.messages[at]
            .tool_calls
            .iter()
            .filter(|c| !answered.contains(&c.id.as_str()))
            .cloned()
            .collect()
    }

    /// Appends to the conversation and the journal (redacted there).
    fn push(&mut self, message: Message) {
        self.journal.record(JournalEntry::Message {
            message: self.redacted(&message),
        });
        self.messages.push(message);
    }

    fn redacted(&self, message: &Message) -> Message {
        let mut m = message.clone();
        m.content = self.redactor.redact(&m.content);
        for call in &mut m.tool_calls {
            call.arguments = self.redactor.redact(&call.arguments);
        }
        m
    }

    fn emit(&self, event: SessionEvent) {
        let _ = self.events.send(event);
    }

    fn check_cancel(&self) -> Option<Outcome> {
        self.cancel.is_cancelled().then_some(Outcome::Cancelled)
    }

    fn check_budget(&self) -> Option<Outcome> {
        self.config.budget.exceeded(&self.usage).map(|why| {
            self.emit(SessionEvent::Error {
                message: format!("stopped: {why}"),
            });
            Outcome::BudgetExceeded(why)
        })
    }

    fn check_turns(&self) -> Option<Outcome> {
        (self.turns >= self.config.max_turns).then(|| {
            self.emit(SessionEvent::Error {
                message: format!("stopped after {} model turns", self.turns),
            });
            Outcome::MaxTurns(self.turns)
        })
    }

    /// The request as it leaves the machine: every text redacted.
    fn request(&self) -> ChatRequest {
        let messages = self.messages.iter().map(|m| self.redacted(m)).collect();
        ChatRequest {
            messages,
            tools: self.tools.iter().map(|t| t.spec()).collect(),
            max_tokens: None,
        }
    }

    /// Streams one answer, forwarding deltas, counting usage; cancellable at any point.
    async fn stream_turn(&mut self) -> Result<Completion, Outcome> {
        let request = self.request();
        let mut completion = Completion::default();
        let mut stream = self.provider.stream(&request);
        loop {
            let next = tokio::select! {
                _ = self.cancel.cancelled() => return Err(Outcome::Cancelled),
                next = stream.next() => next,
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    self.emit(SessionEvent::Error {
                        message: e.to_string(),
                    });
                    return Err(Outcome::Failed(e));
                }
                Some(Ok(event)) => {
                    match &event {
                        ProviderEvent::TextDelta { text } => {
                            self.emit(SessionEvent::Delta { text: text.clone() })
                        }
                        ProviderEvent::Usage { usage } => {
                            self.usage.prompt_tokens += usage.prompt_tokens;
                            self.usage.completion_tokens += usage.completion_tokens;
                            self.emit(SessionEvent::Usage {
                                turn: *usage,
                                total: self.usage,
                            });
                            self.journal.record(JournalEntry::Usage { usage: *usage });
                        }
                        _ => {}
                    }
                    completion.absorb(&event);
                }
            }
        }
        Ok(completion)
    }

    /// One tool call, from lookup to result text (errors and denials included).
    /// One tool call, from lookup to result text (errors and denials included); `None` when
    /// cancellation interrupted it (no result is recorded, so a resumed session asks again).
    async fn handle_call(&mut self, call: &ToolCall) -> Option<String> {
        self.emit(SessionEvent::ToolUse { call: call.clone() });
        let (text, is_error) = match self.permit_and_run(call).await {
            Ok(output) => (
                self.redactor
                    .redact(&truncate(&output, self.config.max_tool_output)),
                false,
            ),
            Err(message) if message == CANCELLED && self.cancel.is_cancelled() => return None,
            Err(message) => (self.redactor.redact(&message), true),
        };
        self.emit(SessionEvent::ToolResult {
            call_id: call.id.clone(),
            output: text.clone(),
            is_error,
        });
        self.journal.record(JournalEntry::ToolResult {
            call_id: call.id.clone(),
            tool: call.name.clone(),
            output: text.clone(),
            is_error,
        });
        Some(if is_error {
            format!("error: {text}")
        } else {
            text
        })
    }

    async fn permit_and_run(&self, call: &ToolCall) -> Result<String, String> {
        let Some(tool) = self
            .tools
            .iter()
            .find(|t| t.spec().name == call.name)
            .cloned()
        else {
            let names: Vec<String> = self.tools.iter().map(|t| t.spec().name).collect();
            return Err(format!(
                "there is no tool `{}`; the tools are: {}",
                call.name,
                names.join(", ")
            ));
        };
        let arguments: serde_json::Value = if call.arguments.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&call.arguments).map_err(|e| {
                format!("the arguments are not valid JSON ({e}); send a JSON object")
            })?
        };
        let events = self.events.clone();
        let ctx = ToolContext {
            workspace: self.config.workspace.clone(),
            policy: self.policy.clone(),
            notes: Some(Arc::new(move |note| {
                let _ = events.send(SessionEvent::Note { note });
            })),
        };
        let decision = self
            .policy
            .read()
            .map_err(|_| "the policy is unavailable".to_string())?
            .decide(&ctx.workspace, &call.name, tool.scope());
        self.journal.record(JournalEntry::ToolCall {
            call: self.redacted_call(call),
            scope: tool.scope(),
        });
        match decision {
            Decision::Deny(why) => {
                self.journal.record(JournalEntry::Refused {
                    call_id: call.id.clone(),
                    tool: call.name.clone(),
                    reason: why.clone(),
                });
                return Err(format!("denied: {why}"));
            }
            Decision::Ask => {
                let request = ApprovalRequest {
                    call: call.clone(),
                    scope: tool.scope(),
                    preview: tool.preview(&ctx, &arguments),
                };
                self.journal.record(JournalEntry::ApprovalRequested {
                    call: self.redacted_call(call),
                    scope: tool.scope(),
                    preview: request.preview.as_deref().map(|p| self.redactor.redact(p)),
                });
                self.emit(SessionEvent::ApprovalNeeded {
                    request: request.clone(),
                });
                let answer = tokio::select! {
                    _ = self.cancel.cancelled() => return Err(CANCELLED.into()),
                    answer = self.approver.decide(&request) => answer,
                };
                self.journal.record(JournalEntry::Approval {
                    call_id: call.id.clone(),
                    tool: call.name.clone(),
                    approved: answer.approved,
                });
                if !answer.approved {
                    return Err(match answer.reason.as_deref().map(str::trim) {
                        Some(why) if !why.is_empty() => format!(
                            "denied: the person did not approve this call; their reason: {}",
                            self.redactor.redact(why)
                        ),
                        _ => "denied: the person did not approve this call".into(),
                    });
                }
            }
            Decision::Allow => {}
        }
        tokio::select! {
            _ = self.cancel.cancelled() => Err(CANCELLED.into()),
            result = tool.call(&ctx, arguments) => result,
        }
    }
}

impl Session {
    fn redacted_call(&self, call: &ToolCall) -> ToolCall {
        ToolCall {
            arguments: self.redactor.redact(&call.arguments),
            ..call.clone()
        }
    }
}

/// The error text of a call interrupted by cancellation: such a call gets no result, so a resumed
/// session asks for it again.
const CANCELLED: &str = "cancelled";

/// Cuts `text` to `max` characters, saying so.
pub fn truncate(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}\n… [output truncated: {max} of {count} characters shown]")
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn huge_output_is_cut_with_a_marker() {
        let out = truncate(&"é".repeat(50), 10);
        assert!(out.starts_with(&"é".repeat(10)) && out.contains("10 of 50 characters"));
        assert_eq!(truncate("short", 10), "short");
    }
}
