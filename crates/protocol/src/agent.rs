//! Agent sessions as the UI sees them: the session, its streamed events, approval decisions and
//! usage.

use serde::{Deserialize, Serialize};

/// A started (or reopened) agent session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDto {
    pub id: String,
    pub agent: AgentRole,
    /// "Azure AI Foundry gpt-4o", "replay of …".
    pub provider: String,
    /// Answers come from a recording: the UI says so on the session.
    pub is_replay: bool,
    pub status: SessionStatus,
}

/// Which agent a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// Reads the domain and writes an intent's requirements and plan.
    Requirements,
    /// Writes models, tests and contracts.
    Build,
    /// Reads a review's facts and writes a summary whose every claim cites one (never posts,
    /// approves or merges).
    Reviewer,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Requirements => "requirements",
            AgentRole::Build => "build",
            AgentRole::Reviewer => "reviewer",
        }
    }

    pub fn parse(s: &str) -> Option<AgentRole> {
        [
            AgentRole::Requirements,
            AgentRole::Build,
            AgentRole::Reviewer,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Running,
    Completed,
    Cancelled,
    /// A token or cost ceiling stopped it.
    BudgetExceeded,
    /// It ran out of model turns.
    MaxTurns,
    Failed,
    /// The app stopped while it ran; it can be resumed.
    Interrupted,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 7] = [
        SessionStatus::Running,
        SessionStatus::Completed,
        SessionStatus::Cancelled,
        SessionStatus::BudgetExceeded,
        SessionStatus::MaxTurns,
        SessionStatus::Failed,
        SessionStatus::Interrupted,
    ];

    /// The wire name, also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Running => "running",
            SessionStatus::Completed => "completed",
            SessionStatus::Cancelled => "cancelled",
            SessionStatus::BudgetExceeded => "budget_exceeded",
            SessionStatus::MaxTurns => "max_turns",
            SessionStatus::Failed => "failed",
            SessionStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        SessionStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Interrupted and cancelled sessions can be continued.
    pub fn resumable(self) -> bool {
        matches!(self, SessionStatus::Interrupted | SessionStatus::Cancelled)
    }
}

/// How the model endpoint's URLs are built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelApiStyle {
    /// Azure AI Foundry's v1 API: `/openai/v1/chat/completions`, the deployment as `model`.
    #[default]
    V1,
    /// Azure OpenAI's classic API: `/openai/deployments/{deployment}/…?api-version=…`.
    Classic,
    /// Any OpenAI-compatible base URL (a local runtime, say).
    OpenaiCompatible,
}

/// The model agents run on, as Settings shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSettingsDto {
    /// The endpoint's base URL; `None`: no model (agents run only as replays on the demo domain).
    pub endpoint: Option<String>,
    pub deployment: String,
    pub style: ModelApiStyle,
    /// For the classic style.
    pub api_version: Option<String>,
    /// The API key is in the OS keychain (it is never shown or sent to the UI).
    pub key_stored: bool,
    /// The environment sets the endpoint (`VIBEDATA_FOUNDRY_ENDPOINT`): it wins over Settings.
    pub from_environment: bool,
}

/// What a person saves in Settings. An empty `endpoint` removes the model; `key`, when given, goes
/// to the OS keychain only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetModelDto {
    pub endpoint: String,
    pub deployment: String,
    pub style: ModelApiStyle,
    pub api_version: Option<String>,
    pub key: Option<String>,
}

/// What a tool may touch: the policy's and the person's basis for an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolScope {
    Read,
    Write,
    Execute,
    Network,
    Privileged,
}

impl ToolScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolScope::Read => "read",
            ToolScope::Write => "write",
            ToolScope::Execute => "execute",
            ToolScope::Network => "network",
            ToolScope::Privileged => "privileged",
        }
    }
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
        scope: ToolScope,
        preview: Option<String>,
        /// A Build stage writing a file its intent's approved plan does not mention.
        #[serde(default)]
        outside_plan: bool,
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
    /// The session ended (never `running`).
    Finished {
        status: SessionStatus,
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
