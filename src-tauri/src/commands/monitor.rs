//! Monitor commands: what the Monitor page shows of a workspace.

use tauri::State;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::monitor::{IncidentDetailDto, MonitorDto, NewSilenceDto};

use crate::state::AppState;

/// A workspace's incidents, runs, failing checks and scored metric series (the demo's history
/// generated on first look).
#[tauri::command]
pub async fn monitor_overview(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<MonitorDto, ErrorDto> {
    Ok(state.studio()?.monitor().overview(&workspace_id).await?)
}

/// The incident a GitHub issue was raised for, with its signals (the Inbox's issue view).
#[tauri::command]
pub async fn incident_of_issue(
    state: State<'_, AppState>,
    repo: String,
    number: u64,
) -> Result<Option<IncidentDetailDto>, ErrorDto> {
    Ok(state
        .studio()?
        .monitor()
        .incident_of_issue(repo, number)
        .await?)
}

/// A person's silence on a workspace (audited, under their git identity's name).
#[tauri::command]
pub async fn create_silence(
    state: State<'_, AppState>,
    silence: NewSilenceDto,
) -> Result<(), ErrorDto> {
    let studio = state.studio()?;
    let by = person(&studio).await;
    studio
        .monitor()
        .silence(
            Some(silence.workspace_id),
            silence.matchers,
            silence.hours,
            by,
            silence.comment,
        )
        .await?;
    Ok(())
}

/// Ends a silence now (audited).
#[tauri::command]
pub async fn expire_silence(state: State<'_, AppState>, id: String) -> Result<(), ErrorDto> {
    let studio = state.studio()?;
    let by = person(&studio).await;
    Ok(studio.monitor().expire_silence(id, by).await?)
}

/// Who acts: the git identity's name, else "person".
async fn person(studio: &vibedata_core::Studio) -> String {
    studio
        .workspaces()
        .identity()
        .await
        .ok()
        .flatten()
        .map(|i| i.name)
        .unwrap_or_else(|| "person".into())
}
