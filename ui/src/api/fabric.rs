//! Fabric: settings, the Entra sign-in, workspaces, a domain's link, ephemeral workspaces,
//! orphans, Check on Spark.

use super::{NoArgs, call};
use serde::Serialize;
use vibedata_protocol::fabric::{
    DeployPreviewDto, DeployedDto, EphemeralDto, FabricLinkDto, FabricLinkRequestDto,
    FabricSettingsDto, FabricSignInDto, FabricStatusDto, FabricWorkspacesDto, OrphanDto,
};
use vibedata_protocol::{ErrorDto, SparkCheckDto};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentIdArgs<'a> {
    intent_id: &'a str,
}

pub async fn fabric_status() -> Result<FabricStatusDto, ErrorDto> {
    call("fabric_status", &NoArgs {}).await
}

#[derive(Serialize)]
struct SettingsArgs<'a> {
    settings: &'a FabricSettingsDto,
}

pub async fn fabric_save_settings(
    settings: &FabricSettingsDto,
) -> Result<FabricStatusDto, ErrorDto> {
    call("fabric_save_settings", &SettingsArgs { settings }).await
}

/// Starts the sign-in (the shell opens the browser); the page to show.
pub async fn fabric_sign_in() -> Result<FabricSignInDto, ErrorDto> {
    call("fabric_sign_in", &NoArgs {}).await
}

/// Resolves when the browser came back and the tokens are in the keychain.
pub async fn fabric_sign_in_wait() -> Result<FabricStatusDto, ErrorDto> {
    call("fabric_sign_in_wait", &NoArgs {}).await
}

pub async fn fabric_sign_out() -> Result<FabricStatusDto, ErrorDto> {
    call("fabric_sign_out", &NoArgs {}).await
}

pub async fn fabric_workspaces() -> Result<FabricWorkspacesDto, ErrorDto> {
    call("fabric_workspaces", &NoArgs {}).await
}

#[derive(Serialize)]
struct LinkArgs<'a> {
    link: &'a FabricLinkRequestDto,
}

pub async fn fabric_link(link: &FabricLinkRequestDto) -> Result<FabricLinkDto, ErrorDto> {
    call("fabric_link", &LinkArgs { link }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceArgs<'a> {
    workspace_id: &'a str,
}

pub async fn fabric_link_of(workspace_id: &str) -> Result<Option<FabricLinkDto>, ErrorDto> {
    call("fabric_link_of", &WorkspaceArgs { workspace_id }).await
}

pub async fn ephemeral_up(intent_id: &str) -> Result<EphemeralDto, ErrorDto> {
    call("ephemeral_up", &IntentIdArgs { intent_id }).await
}

pub async fn ephemeral_down(intent_id: &str) -> Result<EphemeralDto, ErrorDto> {
    call("ephemeral_down", &IntentIdArgs { intent_id }).await
}

pub async fn ephemeral_of(intent_id: &str) -> Result<Option<EphemeralDto>, ErrorDto> {
    call("ephemeral_of", &IntentIdArgs { intent_id }).await
}

pub async fn fabric_orphans() -> Result<Vec<OrphanDto>, ErrorDto> {
    call("fabric_orphans", &NoArgs {}).await
}

#[derive(Serialize)]
struct IdArgs<'a> {
    id: &'a str,
}

pub async fn delete_orphan(id: &str) -> Result<(), ErrorDto> {
    call("delete_orphan", &IdArgs { id }).await
}

pub async fn check_on_spark(intent_id: &str) -> Result<SparkCheckDto, ErrorDto> {
    call("check_on_spark", &IntentIdArgs { intent_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BranchArgs<'a> {
    workspace_id: &'a str,
    branch: &'a str,
}

/// The ephemeral workspace of a domain's branch (the Review page).
pub async fn ephemeral_of_branch(
    workspace_id: &str,
    branch: &str,
) -> Result<Option<EphemeralDto>, ErrorDto> {
    call(
        "ephemeral_of_branch",
        &BranchArgs {
            workspace_id,
            branch,
        },
    )
    .await
}

pub async fn deploy_preview(workspace_id: &str) -> Result<DeployPreviewDto, ErrorDto> {
    call("deploy_preview", &WorkspaceArgs { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PromoteArgs<'a> {
    workspace_id: &'a str,
    to_commit: &'a str,
}

/// The person's approval of the previewed commit.
pub async fn promote_to_production(
    workspace_id: &str,
    to_commit: &str,
) -> Result<DeployedDto, ErrorDto> {
    call(
        "promote_to_production",
        &PromoteArgs {
            workspace_id,
            to_commit,
        },
    )
    .await
}

/// The review's data diff in Fabric (the branch's ephemeral workspace against production).
pub async fn fabric_data_diff(
    workspace_id: &str,
    branch: &str,
) -> Result<vibedata_protocol::review::DataDiffDto, ErrorDto> {
    call(
        "fabric_data_diff",
        &BranchArgs {
            workspace_id,
            branch,
        },
    )
    .await
}

/// The latest promotion runs of the repository's Fabric workflow.
pub async fn promotion_runs(
    workspace_id: &str,
) -> Result<Vec<vibedata_protocol::fabric::PromotionRunDto>, ErrorDto> {
    call("promotion_runs", &WorkspaceArgs { workspace_id }).await
}
