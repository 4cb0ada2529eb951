//! Microsoft Fabric as the UI and the CLI see it: the person's Entra sign-in and the organisation's
//! settings, workspaces and their items (cached, so they read offline), a domain's link to its
//! production workspace, and each intent branch's ephemeral workspace with the step it is at.

use serde::{Deserialize, Serialize};

/// The organisation's Fabric settings and the person's sign-in (never a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FabricStatusDto {
    /// The Entra tenant (`contoso.onmicrosoft.com` or its id); empty until set.
    pub tenant: String,
    /// The organisation's app registration (a public client).
    pub client_id: String,
    /// The capacity ephemeral workspaces are assigned to (empty: the production workspace's).
    pub capacity_id: String,
    /// The Fabric connection holding the organisation's GitHub credentials.
    pub connection_id: String,
    pub signed_in: bool,
    /// When the person signed in (unix seconds), if they did.
    pub signed_in_at: Option<i64>,
    /// Whether a Foundry token is held beside the Fabric one (the model provider can use it).
    pub foundry_token: bool,
    /// Where the API and the sign-in go (a fake in tests).
    pub api_url: String,
    pub authority: String,
}

/// What Settings saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FabricSettingsDto {
    pub tenant: String,
    pub client_id: String,
    pub capacity_id: String,
    pub connection_id: String,
}

/// A sign-in waiting for the browser: the page to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricSignInDto {
    pub authorize_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricItemDto {
    pub id: String,
    pub name: String,
    /// `Lakehouse`, `Notebook`, `DataBuildToolJob`…
    pub kind: String,
}

/// A workspace as browsed (from Fabric, or from the cache when offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricWorkspaceDto {
    pub id: String,
    pub name: String,
    pub capacity_id: Option<String>,
    pub items: Vec<FabricItemDto>,
    /// When this was read from Fabric (unix seconds).
    pub fetched_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricWorkspacesDto {
    pub workspaces: Vec<FabricWorkspaceDto>,
    /// False when Fabric could not be reached and the cache answered.
    pub live: bool,
    /// Why Fabric could not be reached, when it could not.
    pub problem: Option<String>,
}

/// A domain's production workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricLinkDto {
    /// The domain (a Studio workspace id).
    pub workspace_id: String,
    pub fabric_workspace_id: String,
    pub fabric_workspace_name: String,
    pub lakehouse_id: Option<String>,
    pub lakehouse_name: Option<String>,
    /// The GitHub repository Fabric syncs (`owner/name`).
    pub repository: String,
    /// The dbt project's folder in it (`/` for the root).
    pub directory: String,
    pub linked_at: i64,
}

/// What the link form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FabricLinkRequestDto {
    pub workspace_id: String,
    pub fabric_workspace_id: String,
    pub lakehouse_id: Option<String>,
    /// `owner/name`; empty: read from the domain's GitHub remote.
    pub repository: String,
}

/// An intent branch's ephemeral Fabric workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EphemeralDto {
    pub intent_id: String,
    pub workspace_id: String,
    pub branch: String,
    /// The Fabric workspace's name (from the domain and the branch).
    pub name: String,
    pub fabric_workspace_id: Option<String>,
    /// The step it is at or failed at: create, assign, connect, initialize, update, run, ready,
    /// teardown, gone.
    pub step: String,
    /// `working`, `ready`, `failed`, `tearing_down`, `torn_down`.
    pub state: String,
    /// The commit the workspace was updated to.
    pub commit: Option<String>,
    /// The dbt job's run there: NotStarted, InProgress, Completed, Failed…
    pub job_status: Option<String>,
    /// What went wrong (the job's log when it failed), or what is happening.
    pub message: Option<String>,
    pub updated_at: i64,
}

/// A Fabric workspace named like an ephemeral one that nothing live in the Studio owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanDto {
    pub fabric_workspace_id: String,
    pub name: String,
    /// Why it is an orphan (its intent merged or abandoned, or unknown here).
    pub reason: String,
}

/// One item a deployment changes in the production workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployChangeDto {
    pub name: String,
    pub kind: String,
    /// `Added`, `Modified` or `Deleted` (from git, as Fabric compares).
    pub change: String,
}

/// Exactly what promoting `main` to production would change, in dependency order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployPreviewDto {
    pub workspace_id: String,
    pub fabric_workspace_id: String,
    pub fabric_workspace_name: String,
    /// The commit production runs now (empty before its first deployment).
    pub from_commit: String,
    /// The commit of `main` it would move to.
    pub to_commit: String,
    pub changes: Vec<DeployChangeDto>,
}

/// A promotion done: who approved it (their GitHub role), what changed, the intents deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedDto {
    pub preview: DeployPreviewDto,
    pub approved_by: String,
    pub role: String,
    pub deployed_intents: Vec<String>,
}

/// A run of the repository's Fabric workflow on `main` (a promotion), as GitHub reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionRunDto {
    /// `queued`, `in_progress`, `waiting` (for the production environment's reviewers), `completed`…
    pub status: String,
    /// When completed: `success`, `failure`, `cancelled`…
    pub conclusion: Option<String>,
    pub head_sha: String,
    pub url: String,
    pub created_at: String,
}
