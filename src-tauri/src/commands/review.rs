//! Review commands: a branch of a domain reviewed against its default branch.

use tauri::State;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::review::ReviewDto;

use crate::state::AppState;

/// What `head` changes in the workspace's dbt project (from both sides' indexes).
#[tauri::command]
pub async fn review_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
) -> Result<ReviewDto, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .review_branch(&workspace_id, head)
        .await?)
}
