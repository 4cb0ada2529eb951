//! Fabric commands: the organisation's settings, the person's Entra sign-in (the system browser
//! opened on the authorize page), workspaces, a domain's link, an intent's ephemeral workspace,
//! orphans, and Check on Spark.

use tauri::State;
use tauri_plugin_opener::OpenerExt;
use vibedata_protocol::fabric::{
    DeployPreviewDto, DeployedDto, EphemeralDto, FabricLinkDto, FabricLinkRequestDto,
    FabricSettingsDto, FabricSignInDto, FabricStatusDto, FabricWorkspacesDto, OrphanDto,
};
use vibedata_protocol::{ErrorDto, SparkCheckDto};

use crate::state::AppState;

#[tauri::command]
pub async fn fabric_status(state: State<'_, AppState>) -> Result<FabricStatusDto, ErrorDto> {
    Ok(state.studio()?.fabric().status().await?)
}

#[tauri::command]
pub async fn fabric_save_settings(
    state: State<'_, AppState>,
    settings: FabricSettingsDto,
) -> Result<FabricStatusDto, ErrorDto> {
    Ok(state.studio()?.fabric().save_settings(settings).await?)
}

/// Starts the sign-in and opens the authorize page in the person's browser (the page is also
/// returned, to show in the window).
#[tauri::command]
pub async fn fabric_sign_in(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<FabricSignInDto, ErrorDto> {
    let started = state.studio()?.fabric().begin_sign_in().await?;
    if state.open_browser
        && let Err(e) = app.opener().open_url(&started.authorize_url, None::<&str>)
    {
        tracing::warn!(error = %e, "could not open the browser");
    }
    Ok(started)
}

/// Waits for the browser to come back and keeps the tokens in the keychain.
#[tauri::command]
pub async fn fabric_sign_in_wait(state: State<'_, AppState>) -> Result<FabricStatusDto, ErrorDto> {
    Ok(state.studio()?.fabric().finish_sign_in().await?)
}

#[tauri::command]
pub async fn fabric_sign_out(state: State<'_, AppState>) -> Result<FabricStatusDto, ErrorDto> {
    Ok(state.studio()?.fabric().sign_out().await?)
}

/// Workspaces and their items (the cache when Fabric cannot be reached).
#[tauri::command]
pub async fn fabric_workspaces(
    state: State<'_, AppState>,
) -> Result<FabricWorkspacesDto, ErrorDto> {
    Ok(state.studio()?.fabric().workspaces().await?)
}

#[tauri::command]
pub async fn fabric_link(
    state: State<'_, AppState>,
    link: FabricLinkRequestDto,
) -> Result<FabricLinkDto, ErrorDto> {
    Ok(state.studio()?.fabric().link(link).await?)
}

#[tauri::command]
pub async fn fabric_link_of(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Option<FabricLinkDto>, ErrorDto> {
    Ok(state.studio()?.fabric().link_of(&workspace_id).await?)
}

/// Creates (or resumes, or refreshes) an intent's ephemeral workspace; the UI reads its progress
/// with `ephemeral_of` meanwhile.
#[tauri::command]
pub async fn ephemeral_up(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<EphemeralDto, ErrorDto> {
    Ok(state
        .studio()?
        .fabric()
        .ephemeral_up(&intent_id, &mut |_| {})
        .await?)
}

#[tauri::command]
pub async fn ephemeral_down(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<EphemeralDto, ErrorDto> {
    Ok(state.studio()?.fabric().ephemeral_down(&intent_id).await?)
}

#[tauri::command]
pub async fn ephemeral_of(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<Option<EphemeralDto>, ErrorDto> {
    Ok(state.studio()?.fabric().ephemeral(&intent_id).await?)
}

/// The ephemeral workspace of a domain's branch (the Review page).
#[tauri::command]
pub async fn ephemeral_of_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    branch: String,
) -> Result<Option<EphemeralDto>, ErrorDto> {
    Ok(state
        .studio()?
        .fabric()
        .ephemeral_of_branch(&workspace_id, &branch)
        .await?)
}

#[tauri::command]
pub async fn fabric_orphans(state: State<'_, AppState>) -> Result<Vec<OrphanDto>, ErrorDto> {
    Ok(state.studio()?.fabric().orphans().await?)
}

/// Deletes an orphaned ephemeral workspace (only one named like ours that nothing owns).
#[tauri::command]
pub async fn delete_orphan(state: State<'_, AppState>, id: String) -> Result<(), ErrorDto> {
    Ok(state.studio()?.fabric().delete_orphan(&id).await?)
}

/// Builds an intent's touched models on Apache Spark in local mode.
#[tauri::command]
pub async fn check_on_spark(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<SparkCheckDto, ErrorDto> {
    Ok(state.studio()?.intents().check_on_spark(&intent_id).await?)
}

/// What promoting the domain's main to production would change.
#[tauri::command]
pub async fn deploy_preview(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<DeployPreviewDto, ErrorDto> {
    Ok(state
        .studio()?
        .fabric()
        .deploy_preview(&workspace_id)
        .await?)
}

/// The person approves the previewed commit; their GitHub role on the repository must allow it.
#[tauri::command]
pub async fn promote_to_production(
    state: State<'_, AppState>,
    workspace_id: String,
    to_commit: String,
) -> Result<DeployedDto, ErrorDto> {
    let studio = state.studio()?;
    Ok(studio
        .fabric()
        .promote(studio.github(), &workspace_id, &to_commit)
        .await?)
}

/// The review's data diff in Fabric: the branch's ephemeral workspace against production.
#[tauri::command]
pub async fn fabric_data_diff(
    state: State<'_, AppState>,
    workspace_id: String,
    branch: String,
) -> Result<vibedata_protocol::review::DataDiffDto, ErrorDto> {
    Ok(state
        .studio()?
        .fabric()
        .data_diff(&workspace_id, &branch)
        .await?)
}

/// The latest runs of the repository's Fabric workflow on main (a successful one marks the
/// intents it deployed).
#[tauri::command]
pub async fn promotion_runs(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<vibedata_protocol::fabric::PromotionRunDto>, ErrorDto> {
    let studio = state.studio()?;
    Ok(studio
        .fabric()
        .promotion_runs(studio.github(), &workspace_id)
        .await?)
}
