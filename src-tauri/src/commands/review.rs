//! Review commands: a branch of a domain reviewed against its default branch, or a pull request
//! from the synced inbox against its target branch.

use tauri::State;
use tauri::ipc::Channel;
use vibedata_protocol::inbox::{OutboxItemDto, ReviewEvent};
use vibedata_protocol::review::{
    DataDiffDto, ReviewCheckDto, ReviewDto, ReviewPullDto, ReviewSummaryDto,
};
use vibedata_protocol::{ErrorDto, SessionDto, SessionEventDto};

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

/// The data of `head`'s changed and impacted models against the default branch, both built on
/// the local DuckDB (slow: dbt runs on both sides).
#[tauri::command]
pub async fn data_diff_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
) -> Result<DataDiffDto, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .data_diff_branch(&workspace_id, head)
        .await?)
}

/// A person's review of the branch's pull request, through the outbox (summary comment kept
/// current, then the review). Never offered to agents.
#[tauri::command]
pub async fn post_review(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
    event: ReviewEvent,
    body: String,
) -> Result<Vec<OutboxItemDto>, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .post_review(&workspace_id, head, event, body)
        .await?)
}

/// Starts the reviewer advisor on `head` (its summary cites the review's facts); events stream
/// over `on_event`. It never posts, approves or merges.
#[tauri::command]
pub async fn advise_review(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state
        .studio()?
        .review()
        .advise(&workspace_id, head, forward)
        .await?)
}

/// The reviewer advisor's latest summary of `head`.
#[tauri::command]
pub async fn review_summary(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
) -> Result<Option<ReviewSummaryDto>, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .summary(&workspace_id, head)
        .await?)
}

/// The open pull requests of the workspace's GitHub repository in the synced inbox.
#[tauri::command]
pub async fn review_pulls(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<ReviewPullDto>, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .pull_requests(&workspace_id)
        .await?)
}

/// The latest result of each check of a branch.
#[tauri::command]
pub async fn review_checks(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
) -> Result<Vec<ReviewCheckDto>, ErrorDto> {
    Ok(state.studio()?.review().checks(&workspace_id, head).await?)
}

/// A query run on both built sides of the branch and compared, kept as a check.
#[tauri::command]
pub async fn query_diff(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
    name: String,
    sql: String,
) -> Result<ReviewCheckDto, ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .query_diff(&workspace_id, head, name, sql)
        .await?)
}

/// Stops the running data diff of a branch.
#[tauri::command]
pub async fn cancel_data_diff(
    state: State<'_, AppState>,
    workspace_id: String,
    head: String,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .review()
        .cancel_data_diff(&workspace_id, &head)?)
}
