//! The Review page's call: a branch of a domain against its default branch.

use super::call;
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{OutboxItemDto, ReviewEvent};
use vibedata_protocol::review::{DataDiffDto, ReviewDto};

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
