//! GitHub: accounts and sign-in, the issue inbox (read from the local store), the outbox of
//! writes waiting for GitHub, and an intent's pull request.

use super::{IntentIdArgs, NoArgs, call};
use serde::Serialize;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{
    GithubAccountDto, GithubStatusDto, InboxDto, InboxFilterDto, IssueDetailDto, OutboxItemDto,
    OutboxWriteDto, PullRequestDto, SignInDto, SyncResultDto, Triage,
};

#[derive(Serialize)]
struct FilterArgs<'a> {
    filter: &'a InboxFilterDto,
}

pub async fn inbox(filter: &InboxFilterDto) -> Result<InboxDto, ErrorDto> {
    call("inbox", &FilterArgs { filter }).await
}

#[derive(Serialize)]
struct RepoArgs<'a> {
    repo: &'a str,
}

pub async fn inbox_follow(repo: &str) -> Result<String, ErrorDto> {
    call("inbox_follow", &RepoArgs { repo }).await
}

pub async fn inbox_sync() -> Result<SyncResultDto, ErrorDto> {
    call("inbox_sync", &NoArgs {}).await
}

#[derive(Serialize)]
struct IssueArgs<'a> {
    repo: &'a str,
    number: u64,
}

pub async fn issue_detail(repo: &str, number: u64) -> Result<IssueDetailDto, ErrorDto> {
    call("issue_detail", &IssueArgs { repo, number }).await
}

#[derive(Serialize)]
struct TriageArgs<'a> {
    repo: &'a str,
    number: u64,
    triage: Triage,
}

pub async fn set_triage(repo: &str, number: u64, triage: Triage) -> Result<(), ErrorDto> {
    call(
        "set_triage",
        &TriageArgs {
            repo,
            number,
            triage,
        },
    )
    .await
}

pub async fn outbox_list() -> Result<Vec<OutboxItemDto>, ErrorDto> {
    call("outbox_list", &NoArgs {}).await
}

#[derive(Serialize)]
struct EnqueueArgs<'a> {
    repo: &'a str,
    write: &'a OutboxWriteDto,
}

pub async fn outbox_enqueue(repo: &str, write: &OutboxWriteDto) -> Result<OutboxItemDto, ErrorDto> {
    call("outbox_enqueue", &EnqueueArgs { repo, write }).await
}

#[derive(Serialize)]
struct SeqArgs {
    seq: i64,
}

pub async fn outbox_retry(seq: i64) -> Result<(), ErrorDto> {
    call("outbox_retry", &SeqArgs { seq }).await
}

pub async fn outbox_cancel(seq: i64) -> Result<(), ErrorDto> {
    call("outbox_cancel", &SeqArgs { seq }).await
}

pub async fn open_pull_request(intent_id: &str) -> Result<PullRequestDto, ErrorDto> {
    call("open_pull_request", &IntentIdArgs { intent_id }).await
}

pub async fn pull_request(intent_id: &str) -> Result<PullRequestDto, ErrorDto> {
    call("pull_request", &IntentIdArgs { intent_id }).await
}

pub async fn github_status() -> Result<GithubStatusDto, ErrorDto> {
    call("github_status", &NoArgs {}).await
}

pub async fn github_device_start() -> Result<SignInDto, ErrorDto> {
    call("github_device_start", &NoArgs {}).await
}

#[derive(Serialize)]
struct TokenArgs<'a> {
    token: &'a str,
}

pub async fn github_sign_in_token(token: &str) -> Result<GithubAccountDto, ErrorDto> {
    call("github_sign_in_token", &TokenArgs { token }).await
}

#[derive(Serialize)]
struct LoginArgs<'a> {
    login: &'a str,
}

pub async fn github_sign_out(login: &str) -> Result<bool, ErrorDto> {
    call("github_sign_out", &LoginArgs { login }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChooseArgs<'a> {
    workspace_id: &'a str,
    login: Option<&'a str>,
}

pub async fn github_choose(workspace_id: &str, login: Option<&str>) -> Result<(), ErrorDto> {
    call(
        "github_choose",
        &ChooseArgs {
            workspace_id,
            login,
        },
    )
    .await
}

/// Stops following a repository; its synced issues leave the store.
pub async fn inbox_unfollow(repo: &str) -> Result<(), ErrorDto> {
    call("inbox_unfollow", &RepoArgs { repo }).await
}
