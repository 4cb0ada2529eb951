//! Workspace commands: the registered clones, registering one, and the person's git workflow.

use tauri::State;
use tauri::ipc::Channel;
use vibedata_protocol::{
    AddWorkspaceDto, BranchDiffDto, CloneProgressDto, ErrorDto, GitStateDto, IdentityDto,
    WorkspaceDto,
};

use crate::state::AppState;

#[tauri::command]
pub async fn list_workspaces(state: State<'_, AppState>) -> Result<Vec<WorkspaceDto>, ErrorDto> {
    Ok(state.studio()?.workspaces().list_workspaces().await?)
}

/// Unregisters a workspace (its folder stays on disk) and closes its index.
#[tauri::command]
pub async fn remove_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<(), ErrorDto> {
    let studio = state.studio()?;
    studio.workspaces().remove_workspace(&workspace_id).await?;
    studio.domains().close(&workspace_id).await;
    Ok(())
}

/// Registers a repository; `on_progress` receives clone progress for remote URLs.
#[tauri::command]
pub async fn add_workspace(
    state: State<'_, AppState>,
    request: AddWorkspaceDto,
    on_progress: Channel<CloneProgressDto>,
) -> Result<WorkspaceDto, ErrorDto> {
    let forward = move |p: CloneProgressDto| drop(on_progress.send(p));
    Ok(state
        .studio()?
        .workspaces()
        .add_workspace(request, forward)
        .await?)
}

#[tauri::command]
pub async fn git_state(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .git_state(&workspace_id)
        .await?)
}

#[tauri::command]
pub async fn fetch_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .fetch_workspace(&workspace_id)
        .await?)
}

#[tauri::command]
pub async fn create_intent_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    slug: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .create_intent_branch(&workspace_id, slug)
        .await?)
}

#[tauri::command]
pub async fn switch_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    branch: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .switch_branch(&workspace_id, branch)
        .await?)
}

#[tauri::command]
pub async fn branch_diff(
    state: State<'_, AppState>,
    workspace_id: String,
    base: String,
    head: String,
) -> Result<BranchDiffDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .branch_diff(&workspace_id, base, head)
        .await?)
}

#[tauri::command]
pub async fn commit_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
    message: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .commit_workspace(&workspace_id, message)
        .await?)
}

#[tauri::command]
pub async fn push_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .workspaces()
        .push_workspace(&workspace_id)
        .await?)
}

#[tauri::command]
pub async fn get_identity(state: State<'_, AppState>) -> Result<Option<IdentityDto>, ErrorDto> {
    Ok(state.studio()?.workspaces().identity().await?)
}

#[tauri::command]
pub async fn set_identity(
    state: State<'_, AppState>,
    identity: IdentityDto,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.workspaces().set_identity(identity).await?)
}
