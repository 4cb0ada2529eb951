//! An open workspace's dbt project, from the native index: summary, search, a node with its
//! lineage, a file.

use super::{Workspace, call, channel, channel_call};
use serde::Serialize;
use vibedata_protocol::{
    ErrorDto, FileDto, IndexChangedDto, IndexSummaryDto, LineageDto, NodeDetailDto, NodeRowDto,
    WorkspaceDto,
};

/// Opens a workspace's dbt index; `on_change` runs on every revision the file watcher applies.
pub async fn open_domain(
    workspace_id: &str,
    on_change: impl Fn(IndexChangedDto) + 'static,
) -> Result<IndexSummaryDto, ErrorDto> {
    channel_call(
        "open_domain",
        &Workspace { workspace_id },
        "onChange",
        channel(on_change),
    )
    .await
}

pub async fn domain_summary(workspace_id: &str) -> Result<IndexSummaryDto, ErrorDto> {
    call("domain_summary", &Workspace { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Search<'a> {
    workspace_id: &'a str,
    query: &'a str,
}

pub async fn search_nodes(workspace_id: &str, query: &str) -> Result<Vec<NodeRowDto>, ErrorDto> {
    call(
        "search_nodes",
        &Search {
            workspace_id,
            query,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeArgs<'a> {
    workspace_id: &'a str,
    unique_id: &'a str,
}

pub async fn node_detail(workspace_id: &str, unique_id: &str) -> Result<NodeDetailDto, ErrorDto> {
    call(
        "node_detail",
        &NodeArgs {
            workspace_id,
            unique_id,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineageArgs<'a> {
    workspace_id: &'a str,
    unique_id: &'a str,
    upstream: u32,
    downstream: u32,
}

/// A node's lineage `upstream` levels up and `downstream` levels down (dbt's `2+model+1`).
pub async fn lineage(
    workspace_id: &str,
    unique_id: &str,
    upstream: u32,
    downstream: u32,
) -> Result<LineageDto, ErrorDto> {
    call(
        "lineage",
        &LineageArgs {
            workspace_id,
            unique_id,
            upstream,
            downstream,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileArgs<'a> {
    workspace_id: &'a str,
    path: &'a str,
}

pub async fn domain_file(workspace_id: &str, path: &str) -> Result<FileDto, ErrorDto> {
    call("domain_file", &FileArgs { workspace_id, path }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EditorArgs<'a> {
    workspace_id: &'a str,
    path: &'a str,
}

/// Opens a project file in the person's editor; answers with where it is.
pub async fn open_in_editor(workspace_id: &str, path: &str) -> Result<String, ErrorDto> {
    call("open_in_editor", &EditorArgs { workspace_id, path }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectDirArgs<'a> {
    workspace_id: &'a str,
    dir: &'a str,
}

/// Points a workspace at the dbt project folder inside it (empty: found on its own).
pub async fn set_project_dir(workspace_id: &str, dir: &str) -> Result<WorkspaceDto, ErrorDto> {
    call("set_project_dir", &ProjectDirArgs { workspace_id, dir }).await
}
