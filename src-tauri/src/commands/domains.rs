//! Domain commands: a workspace's dbt index, its lineage and files.

use tauri::State;
use tauri::ipc::Channel;
use tauri_plugin_opener::OpenerExt;
use vibedata_protocol::{
    ErrorCode, ErrorDto, FileDto, IndexChangedDto, IndexSummaryDto, LineageDto, NodeDetailDto,
    NodeRowDto, WorkspaceDto,
};

use crate::state::AppState;

/// Loads (once) and watches a workspace's dbt project; `on_change` receives each new revision.
#[tauri::command]
pub async fn open_domain(
    state: State<'_, AppState>,
    workspace_id: String,
    on_change: Channel<IndexChangedDto>,
) -> Result<IndexSummaryDto, ErrorDto> {
    let forward = move |event: IndexChangedDto| on_change.send(event).is_ok();
    Ok(state
        .studio()?
        .domains()
        .open_domain(&workspace_id, forward)
        .await?)
}

#[tauri::command]
pub async fn domain_summary(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<IndexSummaryDto, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .domain_summary(&workspace_id)
        .await?)
}

#[tauri::command]
pub async fn search_nodes(
    state: State<'_, AppState>,
    workspace_id: String,
    query: String,
) -> Result<Vec<NodeRowDto>, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .search_nodes(&workspace_id, query)
        .await?)
}

#[tauri::command]
pub async fn node_detail(
    state: State<'_, AppState>,
    workspace_id: String,
    unique_id: String,
) -> Result<NodeDetailDto, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .node_detail(&workspace_id, unique_id)
        .await?)
}

#[tauri::command]
pub async fn lineage(
    state: State<'_, AppState>,
    workspace_id: String,
    unique_id: String,
    upstream: u32,
    downstream: u32,
) -> Result<LineageDto, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .lineage(&workspace_id, unique_id, upstream, downstream)
        .await?)
}

#[tauri::command]
pub async fn domain_file(
    state: State<'_, AppState>,
    workspace_id: String,
    path: String,
) -> Result<FileDto, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .domain_file(&workspace_id, path)
        .await?)
}

/// Opens a project file in the person's own editor (the system's handler for its type);
/// answers with where the file is.
#[tauri::command]
pub async fn open_in_editor(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    workspace_id: String,
    path: String,
) -> Result<String, ErrorDto> {
    let full = state
        .studio()?
        .domains()
        .file_on_disk(&workspace_id, path)
        .await?;
    let shown = full.to_string_lossy().into_owned();
    if state.open_browser {
        app.opener()
            .open_path(shown.clone(), None::<&str>)
            .map_err(|e| ErrorDto::new(ErrorCode::Io, format!("cannot open {shown}: {e}")))?;
    }
    Ok(shown)
}

/// Points a workspace at the dbt project folder inside it (empty: found on its own); the page
/// opens the domain again to read it from there.
#[tauri::command]
pub async fn set_project_dir(
    state: State<'_, AppState>,
    workspace_id: String,
    dir: String,
) -> Result<WorkspaceDto, ErrorDto> {
    Ok(state
        .studio()?
        .domains()
        .set_project_dir(&workspace_id, &dir)
        .await?)
}
