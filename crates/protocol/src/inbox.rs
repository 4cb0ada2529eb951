//! The issue inbox and the outbox of writes to GitHub.

use serde::{Deserialize, Serialize};

/// An issue's state on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<IssueState> {
        match s {
            "open" => Some(IssueState::Open),
            "closed" => Some(IssueState::Closed),
            _ => None,
        }
    }
}

/// The person's own triage of an issue, in its order on the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    #[default]
    New,
    Acknowledged,
    Investigating,
    Resolved,
}

impl Triage {
    pub const ALL: [Triage; 4] = [
        Triage::New,
        Triage::Acknowledged,
        Triage::Investigating,
        Triage::Resolved,
    ];

    /// The wire name, also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Triage::New => "new",
            Triage::Acknowledged => "acknowledged",
            Triage::Investigating => "investigating",
            Triage::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Triage> {
        Triage::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a queued write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    CreateIssue,
    Comment,
    AddLabels,
    SetState,
    CreatePr,
    PushBranch,
    UpsertComment,
    Review,
}

impl OutboxKind {
    pub const ALL: [OutboxKind; 8] = [
        OutboxKind::CreateIssue,
        OutboxKind::Comment,
        OutboxKind::AddLabels,
        OutboxKind::SetState,
        OutboxKind::CreatePr,
        OutboxKind::PushBranch,
        OutboxKind::UpsertComment,
        OutboxKind::Review,
    ];

    /// The wire name, also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::CreateIssue => "create_issue",
            OutboxKind::Comment => "comment",
            OutboxKind::AddLabels => "add_labels",
            OutboxKind::SetState => "set_state",
            OutboxKind::CreatePr => "create_pr",
            OutboxKind::PushBranch => "push_branch",
            OutboxKind::UpsertComment => "upsert_comment",
            OutboxKind::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxKind> {
        OutboxKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a queued write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Queued,
    Sending,
    Done,
    Failed,
    Cancelled,
}

impl OutboxState {
    pub const ALL: [OutboxState; 5] = [
        OutboxState::Queued,
        OutboxState::Sending,
        OutboxState::Done,
        OutboxState::Failed,
        OutboxState::Cancelled,
    ];

    /// The wire name, also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Done => "done",
            OutboxState::Failed => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A check run's progress, as GitHub reports it (states GitHub adds later read as `other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Queued,
    InProgress,
    Completed,
    Waiting,
    Requested,
    Pending,
    #[serde(other)]
    Other,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Queued => "queued",
            CheckStatus::InProgress => "in_progress",
            CheckStatus::Completed => "completed",
            CheckStatus::Waiting => "waiting",
            CheckStatus::Requested => "requested",
            CheckStatus::Pending => "pending",
            CheckStatus::Other => "other",
        }
    }
}

/// A completed check run's outcome, as GitHub reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckConclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired,
    Stale,
    #[serde(other)]
    Other,
}

impl CheckConclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckConclusion::Success => "success",
            CheckConclusion::Failure => "failure",
            CheckConclusion::Neutral => "neutral",
            CheckConclusion::Cancelled => "cancelled",
            CheckConclusion::Skipped => "skipped",
            CheckConclusion::TimedOut => "timed_out",
            CheckConclusion::ActionRequired => "action_required",
            CheckConclusion::Stale => "stale",
            CheckConclusion::Other => "other",
        }
    }
}

/// How an account signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// The OAuth device flow (tokens may expire and refresh).
    Device,
    /// A personal access token.
    Pat,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Device => "device",
            AccountKind::Pat => "pat",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        match s {
            "device" => Some(AccountKind::Device),
            "pat" => Some(AccountKind::Pat),
            _ => None,
        }
    }
}

/// Where a device-flow sign-in stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInState {
    #[default]
    Idle,
    /// The person enters the code on GitHub.
    Waiting,
    SignedIn,
    Failed,
}

impl SignInState {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInState::Idle => "idle",
            SignInState::Waiting => "waiting",
            SignInState::SignedIn => "signed_in",
            SignInState::Failed => "failed",
        }
    }
}

/// One issue in the inbox list. Titles and bodies are untrusted text from GitHub: the UI shows
/// them as text, never as markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRowDto {
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub state: IssueState,
    pub author: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: u64,
    pub updated_at: String,
    pub is_pr: bool,
    /// Local triage (the person's own, never sent to GitHub).
    pub triage: Triage,
    /// Changed on GitHub since the person last opened it.
    pub unread: bool,
}

/// The inbox's filters. Empty strings and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxFilterDto {
    pub repo: String,
    pub label: String,
    pub state: Option<IssueState>,
    pub assignee: String,
    pub triage: Option<Triage>,
    /// Only issues assigned to the signed-in person.
    pub mine: bool,
    /// Full-text search over titles, bodies and comments.
    pub query: String,
}

/// A followed repository and how its sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRepoDto {
    pub repo: String,
    pub issues: u64,
    /// Unix seconds of the last complete sync.
    pub synced_at: Option<i64>,
    pub last_error: Option<String>,
    /// The names this repository had before GitHub renamed or transferred it ("owner/name", comma
    /// separated), when a sync found out.
    pub renamed_from: Option<String>,
    /// The last sync failed because GitHub refused the token: the person must sign in again.
    pub sign_in_needed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxDto {
    pub repos: Vec<InboxRepoDto>,
    pub issues: Vec<IssueRowDto>,
    /// How many issues match (the list holds at most the first 500).
    pub total: u64,
    /// Labels and assignees present, for the filter menus.
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// Who the app acts as on GitHub, when someone is signed in and GitHub has said who.
    pub signed_in_as: Option<String>,
    /// The app has a GitHub identity (a signed-in account or a given token), accepted or not.
    pub signed_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentDto {
    pub author: String,
    pub body: String,
    pub created_at: String,
    /// Written here and still in the outbox (not yet on GitHub).
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueDetailDto {
    pub issue: IssueRowDto,
    pub body: String,
    pub comments: Vec<CommentDto>,
    pub html_url: String,
}

/// A queued write to GitHub as the outbox view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItemDto {
    pub seq: i64,
    pub repo: String,
    pub kind: OutboxKind,
    pub summary: String,
    pub issue_number: Option<u64>,
    /// A comment's text (shown under its issue while pending).
    pub body: Option<String>,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// What GitHub made, once delivered.
    pub url: Option<String>,
}

/// What a sync of the followed repositories did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResultDto {
    pub repos: u64,
    pub issues: u64,
    pub comments: u64,
    pub errors: Vec<String>,
    /// Things the person should know that are not failures (a repository renamed on GitHub).
    pub notices: Vec<String>,
    /// Nobody is signed in, or GitHub refused the token: the person must sign in again.
    pub sign_in_needed: bool,
    /// Writes delivered from the outbox in the same pass.
    pub delivered: u64,
}

/// A write to GitHub, as queued in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxWriteDto {
    CreateIssue {
        title: String,
        body: String,
        #[serde(default)]
        labels: Vec<String>,
    },
    Comment {
        number: u64,
        body: String,
    },
    AddLabels {
        number: u64,
        labels: Vec<String>,
    },
    SetState {
        number: u64,
        state: IssueState,
    },
    CreatePr {
        title: String,
        body: String,
        head: String,
        base: String,
    },
    /// Push a workspace's branch to its origin (naturally idempotent).
    PushBranch {
        workspace_id: String,
        branch: String,
    },
    /// One comment of ours on an issue or pull request, found by `slot` (a hidden marker) and
    /// edited, or created when there is none: a summary kept current (naturally idempotent).
    UpsertComment {
        number: u64,
        slot: String,
        body: String,
    },
    /// A pull request review: approve, request changes, or comment — a person's act.
    Review {
        number: u64,
        event: ReviewEvent,
        body: String,
    },
}

/// What a pull request review says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewEvent {
    Approve,
    RequestChanges,
    Comment,
}

impl ReviewEvent {
    pub fn label(self) -> &'static str {
        match self {
            ReviewEvent::Approve => "approve",
            ReviewEvent::RequestChanges => "request changes",
            ReviewEvent::Comment => "comment",
        }
    }
}

/// A check run on a pull request's head commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunDto {
    pub name: String,
    pub status: CheckStatus,
    /// Once completed.
    pub conclusion: Option<CheckConclusion>,
}

/// An intent's pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestDto {
    pub intent_id: String,
    pub repo: String,
    /// The outbox state of its creation (`done`: open on GitHub).
    pub state: OutboxState,
    pub url: Option<String>,
    pub last_error: Option<String>,
    pub checks: Vec<CheckRunDto>,
    /// Why the checks could not be read (offline, say).
    pub checks_error: Option<String>,
}

/// A signed-in GitHub account (never with its tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubAccountDto {
    pub login: String,
    pub base_url: String,
    pub kind: AccountKind,
}

/// GitHub sign-in as the Settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubStatusDto {
    pub accounts: Vec<GithubAccountDto>,
    /// `VIBEDATA_GITHUB_TOKEN` is set: the app acts with it, whoever is signed in.
    pub env_token: bool,
    /// Why the device flow cannot start here (no OAuth app client id configured), if it cannot.
    pub device_unavailable: Option<String>,
    /// The device flow under way or just finished.
    pub sign_in: SignInDto,
    /// Which account each workspace acts as.
    pub workspaces: Vec<WorkspaceAccountDto>,
}

/// The GitHub account a workspace acts as (`None`: the default, the first signed-in account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceAccountDto {
    pub workspace_id: String,
    pub name: String,
    pub login: Option<String>,
}

/// Where a device-flow sign-in stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInDto {
    pub state: SignInState,
    pub user_code: Option<String>,
    pub verification_uri: Option<String>,
    pub login: Option<String>,
    pub error: Option<String>,
}
