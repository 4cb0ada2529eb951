//! Monitor commands: what the Monitor page shows of a workspace.

use tauri::State;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::monitor::{IncidentDetailDto, MonitorDto};

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
