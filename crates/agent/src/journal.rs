//! What the loop reports for safekeeping: every message, tool call, approval or denial, result and
//! usage record, already redacted. The core writes them to SQLite (transcripts, usage, the audit
//! log); tests and benchmarks may keep nothing.

use serde::{Deserialize, Serialize};

use crate::message::{Message, ToolCall, Usage};
use crate::policy::Scope;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A message appended to the conversation (content redacted).
    Message {
        message: Message,
    },
    ToolCall {
        call: ToolCall,
        scope: Scope,
    },
    /// A person is asked to approve a call (what will happen is in `preview`).
    ApprovalRequested {
        call: ToolCall,
        scope: Scope,
        preview: Option<String>,
    },
    /// A person approved (`approved`) or denied a call that needed approval.
    Approval {
        call_id: String,
        tool: String,
        approved: bool,
    },
    /// The policy refused the call without asking anyone.
    Refused {
        call_id: String,
        tool: String,
        reason: String,
    },
    ToolResult {
        call_id: String,
        tool: String,
        output: String,
        is_error: bool,
    },
    Usage {
        usage: Usage,
    },
}

pub trait Journal: Send + Sync {
    fn record(&self, entry: JournalEntry);
}

/// Keeps nothing.
pub struct NoJournal;

impl Journal for NoJournal {
    fn record(&self, _entry: JournalEntry) {}
}
