//! The Review page's call: a branch of a domain against its default branch.

use super::call;
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::review::ReviewDto;

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
