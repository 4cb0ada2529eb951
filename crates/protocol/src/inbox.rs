//! The issue inbox and the outbox of writes to GitHub.

use serde::{Deserialize, Serialize};

/// One issue in the inbox list. Titles and bodies are untrusted text from GitHub: the UI shows
/// them as text, never as markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRowDto {
    pub repo: String,
    pub number: u64,
    pub title: String,
    /// `open` or `closed` on GitHub.
    pub state: String,
    pub author: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: u64,
    pub updated_at: String,
    pub is_pr: bool,
    /// Local triage: `new`, `acknowledged`, `investigating` or `resolved`.
    pub triage: String,
    /// Changed on GitHub since the person last opened it.
    pub unread: bool,
}

/// The inbox's filters. Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxFilterDto {
    pub repo: String,
    pub label: String,
    /// `open`, `closed` or empty.
    pub state: String,
    pub assignee: String,
    pub triage: String,
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
    /// Who the app acts as on GitHub, when someone is signed in.
    pub signed_in_as: Option<String>,
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
    pub kind: String,
    pub summary: String,
    pub issue_number: Option<u64>,
    /// A comment's text (shown under its issue while pending).
    pub body: Option<String>,
    /// `queued`, `sending`, `done`, `failed` or `cancelled`.
    pub state: String,
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
        /// `open` or `closed`.
        state: String,
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
}

/// A check run on a pull request's head commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunDto {
    pub name: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// `success`, `failure`, … once completed.
    pub conclusion: Option<String>,
}

/// An intent's pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestDto {
    pub intent_id: String,
    pub repo: String,
    /// The outbox state of its creation: `queued`, `sending`, `done` (open on GitHub), `failed`.
    pub state: String,
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
    /// `device` or `pat`.
    pub kind: String,
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
    /// `idle`, `waiting` (the person enters the code), `signed_in` or `failed`.
    pub state: String,
    pub user_code: Option<String>,
    pub verification_uri: Option<String>,
    pub login: Option<String>,
    pub error: Option<String>,
}
