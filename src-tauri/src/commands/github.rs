//! GitHub commands: the Inbox, the outbox, sign-in and the account a workspace acts as.

use tauri::State;
use tauri_plugin_opener::OpenerExt;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{
    GithubAccountDto, GithubStatusDto, InboxDto, InboxFilterDto, IssueDetailDto, OutboxItemDto,
    OutboxWriteDto, SignInDto, SyncResultDto, Triage,
};

use crate::state::AppState;

#[tauri::command]
pub async fn inbox(
    state: State<'_, AppState>,
    filter: InboxFilterDto,
) -> Result<InboxDto, ErrorDto> {
    Ok(state.studio()?.github().inbox(filter).await?)
}

#[tauri::command]
pub async fn inbox_follow(state: State<'_, AppState>, repo: String) -> Result<String, ErrorDto> {
    Ok(state.studio()?.github().inbox_follow(repo).await?)
}

/// Stops following a repository; its synced issues leave the store (GitHub is not touched).
#[tauri::command]
pub async fn inbox_unfollow(state: State<'_, AppState>, repo: String) -> Result<(), ErrorDto> {
    Ok(state.studio()?.github().inbox_unfollow(repo).await?)
}

/// Delivers the outbox, then syncs the followed repositories.
#[tauri::command]
pub async fn inbox_sync(state: State<'_, AppState>) -> Result<SyncResultDto, ErrorDto> {
    Ok(state.studio()?.github().inbox_sync().await?)
}

#[tauri::command]
pub async fn issue_detail(
    state: State<'_, AppState>,
    repo: String,
    number: u64,
) -> Result<IssueDetailDto, ErrorDto> {
    Ok(state.studio()?.github().issue_detail(repo, number).await?)
}

#[tauri::command]
pub async fn set_triage(
    state: State<'_, AppState>,
    repo: String,
    number: u64,
    triage: Triage,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .github()
        .set_triage(repo, number, triage)
        .await?)
}

#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>) -> Result<Vec<OutboxItemDto>, ErrorDto> {
    Ok(state.studio()?.github().outbox().await?)
}

/// Queues a write to GitHub (delivered by the next sync).
#[tauri::command]
pub async fn outbox_enqueue(
    state: State<'_, AppState>,
    repo: String,
    write: OutboxWriteDto,
) -> Result<OutboxItemDto, ErrorDto> {
    Ok(state.studio()?.github().outbox_enqueue(repo, write).await?)
}

#[tauri::command]
pub async fn outbox_retry(state: State<'_, AppState>, seq: i64) -> Result<(), ErrorDto> {
    Ok(state.studio()?.github().outbox_retry(seq).await?)
}

#[tauri::command]
pub async fn outbox_cancel(state: State<'_, AppState>, seq: i64) -> Result<(), ErrorDto> {
    Ok(state.studio()?.github().outbox_cancel(seq).await?)
}

#[tauri::command]
pub async fn github_status(state: State<'_, AppState>) -> Result<GithubStatusDto, ErrorDto> {
    Ok(state.studio()?.github().github_status().await?)
}

/// Starts the device flow and opens the verification page in the person's browser.
#[tauri::command]
pub async fn github_device_start(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<SignInDto, ErrorDto> {
    let started = state.studio()?.github().github_device_start().await?;
    if let Some(uri) = started
        .verification_uri
        .as_ref()
        .filter(|_| state.open_browser)
    {
        // Best effort: the page and the code are also shown in the window.
        if let Err(e) = app.opener().open_url(uri, None::<&str>) {
            tracing::warn!(error = %e, "could not open the browser");
        }
    }
    Ok(started)
}

/// Signs in with a personal access token (it goes to the OS keychain only).
#[tauri::command]
pub async fn github_sign_in_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<GithubAccountDto, ErrorDto> {
    let token = vibedata_secrets::Sensitive::new(token);
    Ok(state.studio()?.github().github_sign_in_token(token).await?)
}

#[tauri::command]
pub async fn github_sign_out(state: State<'_, AppState>, login: String) -> Result<bool, ErrorDto> {
    Ok(state.studio()?.github().github_sign_out(login).await?)
}

/// Chooses the GitHub account a workspace acts as (`None`: the default).
#[tauri::command]
pub async fn github_choose(
    state: State<'_, AppState>,
    workspace_id: String,
    login: Option<String>,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .github()
        .github_choose(workspace_id, login)
        .await?)
}
