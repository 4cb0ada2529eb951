//! Monitor commands: what the Monitor page shows of a workspace.

use tauri::State;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::monitor::MonitorDto;

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
