//! The Review page's call: a branch of a domain against its default branch.

use super::{call, channel, channel_call};
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{OutboxItemDto, ReviewEvent};
use vibedata_protocol::review::{
    DataDiffDto, ReviewCheckDto, ReviewDto, ReviewPullDto, ReviewSummaryDto,
};
use vibedata_protocol::{SessionDto, SessionEventDto};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewArgs<'a> {
    workspace_id: &'a str,
    head: &'a str,
}

/// What `head` changes in the workspace's dbt project.
pub async fn review_branch(workspace_id: &str, head: &str) -> Result<ReviewDto, ErrorDto> {
    call("review_branch", &ReviewArgs { workspace_id, head }).await
}

/// The data diff of `head`'s changed and impacted models (both sides built on DuckDB).
pub async fn data_diff_branch(workspace_id: &str, head: &str) -> Result<DataDiffDto, ErrorDto> {
    call("data_diff_branch", &ReviewArgs { workspace_id, head }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostReviewArgs<'a> {
    workspace_id: &'a str,
    head: &'a str,
    event: ReviewEvent,
    body: &'a str,
}

/// A person's review of the branch's pull request, queued in the outbox.
pub async fn post_review(
    workspace_id: &str,
    head: &str,
    event: ReviewEvent,
    body: &str,
) -> Result<Vec<OutboxItemDto>, ErrorDto> {
    call(
        "post_review",
        &PostReviewArgs {
            workspace_id,
            head,
            event,
            body,
        },
    )
    .await
}

/// The latest result of each check of a branch.
pub async fn review_checks(
    workspace_id: &str,
    head: &str,
) -> Result<Vec<ReviewCheckDto>, ErrorDto> {
    call("review_checks", &ReviewArgs { workspace_id, head }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryDiffArgs<'a> {
    workspace_id: &'a str,
    head: &'a str,
    name: &'a str,
    sql: &'a str,
}

/// A query run on both built sides and compared, kept as a check.
pub async fn query_diff(
    workspace_id: &str,
    head: &str,
    name: &str,
    sql: &str,
) -> Result<ReviewCheckDto, ErrorDto> {
    call(
        "query_diff",
        &QueryDiffArgs {
            workspace_id,
            head,
            name,
            sql,
        },
    )
    .await
}

/// Stops the running data diff of a branch.
pub async fn cancel_data_diff(workspace_id: &str, head: &str) -> Result<(), ErrorDto> {
    call("cancel_data_diff", &ReviewArgs { workspace_id, head }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceArgs<'a> {
    workspace_id: &'a str,
}

/// The open pull requests of the workspace's GitHub repository (from the synced inbox).
pub async fn review_pulls(workspace_id: &str) -> Result<Vec<ReviewPullDto>, ErrorDto> {
    call("review_pulls", &WorkspaceArgs { workspace_id }).await
}

/// Starts the reviewer advisor on `head`; its events arrive through `on_event`.
pub async fn advise_review(
    workspace_id: &str,
    head: &str,
    on_event: impl Fn(SessionEventDto) + 'static,
) -> Result<SessionDto, ErrorDto> {
    channel_call(
        "advise_review",
        &ReviewArgs { workspace_id, head },
        "onEvent",
        channel(on_event),
    )
    .await
}

/// The reviewer advisor's latest summary of `head`.
pub async fn review_summary(
    workspace_id: &str,
    head: &str,
) -> Result<Option<ReviewSummaryDto>, ErrorDto> {
    call("review_summary", &ReviewArgs { workspace_id, head }).await
}
