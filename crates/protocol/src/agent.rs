//! Agent sessions as the UI sees them: the session, its streamed events, approval decisions and
//! usage.

use serde::{Deserialize, Serialize};

/// A started (or reopened) agent session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    pub id: String,
    pub agent: String,
    /// "Azure AI Foundry gpt-4o", "replay of …".
    pub provider: String,
    /// Answers come from a recording: the UI says so on the session.
    pub is_replay: bool,
    pub status: String,
}

/// Something that happened in a running session, streamed over a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionEventDto {
    /// What the person (or the stage's context) asked; sent when a stored transcript is shown.
    Prompt {
        text: String,
    },
    Delta {
        text: String,
    },
    ToolUse {
        call_id: String,
        tool: String,
        arguments: String,
    },
    ApprovalNeeded {
        call_id: String,
        tool: String,
        scope: String,
        preview: Option<String>,
    },
    ToolResult {
        call_id: String,
        output: String,
        is_error: bool,
    },
    Usage {
        prompt_tokens: u64,
        completion_tokens: u64,
    },
    Error {
        message: String,
    },
    /// A file the agent created or changed.
    Artifact {
        path: String,
    },
    GitCommit {
        id: String,
        branch: String,
        message: String,
    },
    TodoAdd {
        id: u32,
        text: String,
    },
    TodoUpdate {
        id: u32,
        done: bool,
    },
    /// The session ended: `completed`, `cancelled`, `budget_exceeded`, `max_turns`, `failed`.
    Finished {
        status: String,
        message: Option<String>,
    },
}

/// A stored session with its transcript as the panel's events (to look back at a finished one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptDto {
    pub session: SessionDto,
    pub events: Vec<SessionEventDto>,
}

/// Tokens used, per session and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDto {
    pub sessions: Vec<SessionUsageDto>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUsageDto {
    pub session_id: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}
