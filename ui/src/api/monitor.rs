//! The Monitor page's call.

use super::call;
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::monitor::MonitorDto;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceArgs<'a> {
    workspace_id: &'a str,
}

/// A workspace's incidents, runs, failing checks and scored metric series.
pub async fn monitor_overview(workspace_id: &str) -> Result<MonitorDto, ErrorDto> {
    call("monitor_overview", &WorkspaceArgs { workspace_id }).await
}
