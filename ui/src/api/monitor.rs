//! The Monitor page's call.

use super::call;
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::monitor::{IncidentDetailDto, MonitorDto, NewSilenceDto};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceArgs<'a> {
    workspace_id: &'a str,
}

/// A workspace's incidents, runs, failing checks and scored metric series.
pub async fn monitor_overview(workspace_id: &str) -> Result<MonitorDto, ErrorDto> {
    call("monitor_overview", &WorkspaceArgs { workspace_id }).await
}

#[derive(Serialize)]
struct IssueArgs<'a> {
    repo: &'a str,
    number: u64,
}

/// The incident a GitHub issue was raised for, with its signals.
pub async fn incident_of_issue(
    repo: &str,
    number: u64,
) -> Result<Option<IncidentDetailDto>, ErrorDto> {
    call("incident_of_issue", &IssueArgs { repo, number }).await
}

#[derive(Serialize)]
struct SilenceArgs<'a> {
    silence: &'a NewSilenceDto,
}

/// A person's silence on a workspace.
pub async fn create_silence(silence: &NewSilenceDto) -> Result<(), ErrorDto> {
    call("create_silence", &SilenceArgs { silence }).await
}

#[derive(Serialize)]
struct IdArgs<'a> {
    id: &'a str,
}

/// Ends a silence now.
pub async fn expire_silence(id: &str) -> Result<(), ErrorDto> {
    call("expire_silence", &IdArgs { id }).await
}
