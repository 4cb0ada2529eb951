//! Commands about the app itself: where things live, the seeded skills.

use tauri::State;
use vibedata_protocol::{AppStatusDto, ErrorDto, SkillsDto};

use crate::state::AppState;

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatusDto, ErrorDto> {
    Ok(vibedata_core::app_status(&state.paths).await?)
}

#[tauri::command]
pub async fn list_skills(state: State<'_, AppState>) -> Result<SkillsDto, ErrorDto> {
    Ok(state.studio()?.skills().platform_skills().await?)
}
