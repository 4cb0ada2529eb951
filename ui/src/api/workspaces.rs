//! Registered workspaces (the clones of the team's repositories), their git workflow and the
//! identity commits are made as.

use super::{NoArgs, Workspace, call, channel, channel_call};
use serde::Serialize;
use vibedata_protocol::{
    AddWorkspaceDto, BranchDiffDto, CloneProgressDto, ErrorDto, GitStateDto, IdentityDto,
    WorkspaceDto,
};

pub async fn list_workspaces() -> Result<Vec<WorkspaceDto>, ErrorDto> {
    call("list_workspaces", &NoArgs {}).await
}

#[derive(Serialize)]
struct AddArgs<'a> {
    request: &'a AddWorkspaceDto,
}

/// Registers a repository; `on_progress` follows a clone.
pub async fn add_workspace(
    request: &AddWorkspaceDto,
    on_progress: impl Fn(CloneProgressDto) + 'static,
) -> Result<WorkspaceDto, ErrorDto> {
    channel_call(
        "add_workspace",
        &AddArgs { request },
        "onProgress",
        channel(on_progress),
    )
    .await
}

pub async fn git_state(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("git_state", &Workspace { workspace_id }).await
}

pub async fn fetch_workspace(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("fetch_workspace", &Workspace { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SlugArgs<'a> {
    workspace_id: &'a str,
    slug: &'a str,
}

pub async fn create_intent_branch(workspace_id: &str, slug: &str) -> Result<GitStateDto, ErrorDto> {
    call("create_intent_branch", &SlugArgs { workspace_id, slug }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BranchArgs<'a> {
    workspace_id: &'a str,
    branch: &'a str,
}

pub async fn switch_branch(workspace_id: &str, branch: &str) -> Result<GitStateDto, ErrorDto> {
    call(
        "switch_branch",
        &BranchArgs {
            workspace_id,
            branch,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffArgs<'a> {
    workspace_id: &'a str,
    base: &'a str,
    head: &'a str,
}

pub async fn branch_diff(
    workspace_id: &str,
    base: &str,
    head: &str,
) -> Result<BranchDiffDto, ErrorDto> {
    call(
        "branch_diff",
        &DiffArgs {
            workspace_id,
            base,
            head,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitArgs<'a> {
    workspace_id: &'a str,
    message: &'a str,
}

pub async fn commit_workspace(workspace_id: &str, message: &str) -> Result<GitStateDto, ErrorDto> {
    call(
        "commit_workspace",
        &CommitArgs {
            workspace_id,
            message,
        },
    )
    .await
}

pub async fn push_workspace(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("push_workspace", &Workspace { workspace_id }).await
}

pub async fn get_identity() -> Result<Option<IdentityDto>, ErrorDto> {
    call("get_identity", &NoArgs {}).await
}

#[derive(Serialize)]
struct IdentityArgs<'a> {
    identity: &'a IdentityDto,
}

pub async fn set_identity(identity: &IdentityDto) -> Result<(), ErrorDto> {
    call("set_identity", &IdentityArgs { identity }).await
}

/// Unregisters a workspace (its folder stays on disk).
pub async fn remove_workspace(workspace_id: &str) -> Result<(), ErrorDto> {
    call("remove_workspace", &Workspace { workspace_id }).await
}
