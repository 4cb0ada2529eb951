//! The IPC surface. Each command is registered in `build.rs` and granted in
//! `capabilities/default.json`; keep the three lists in step.

use crate::state::AppState;
use tauri::State;
use vibedata_protocol::{AppStatusDto, ErrorDto, SkillsDto, WorkspaceDto};

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatusDto, ErrorDto> {
    Ok(vibedata_core::app_status(&state.paths).await?)
}

#[tauri::command]
pub async fn list_workspaces(state: State<'_, AppState>) -> Result<Vec<WorkspaceDto>, ErrorDto> {
    Ok(state.studio()?.list_workspaces().await?)
}

#[tauri::command]
pub async fn list_skills(state: State<'_, AppState>) -> Result<SkillsDto, ErrorDto> {
    Ok(state.studio()?.skills().await?)
}
