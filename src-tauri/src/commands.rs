//! The IPC surface. Each command is registered in `build.rs` and granted in
//! `capabilities/default.json`; keep the three lists in step.

use crate::state::AppState;
use tauri::State;
use tauri::ipc::Channel;
use vibedata_protocol::inbox::{
    GithubAccountDto, GithubStatusDto, InboxDto, InboxFilterDto, IssueDetailDto, OutboxItemDto,
    OutboxWriteDto, PullRequestDto, SignInDto, SyncResultDto,
};
use vibedata_protocol::{
    AddWorkspaceDto, AppStatusDto, BranchDiffDto, CloneProgressDto, ErrorDto, FileDto, GitStateDto,
    IdentityDto, IndexChangedDto, IndexSummaryDto, IntentDto, LineageDto, NodeDetailDto,
    NodeRowDto, PlansDto, SessionDto, SessionEventDto, SkillsDto, TranscriptDto, UsageDto,
    ValidationDto, WorkspaceDto,
};

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatusDto, ErrorDto> {
    Ok(vibedata_core::app_status(&state.paths).await?)
}

#[tauri::command]
pub async fn list_workspaces(state: State<'_, AppState>) -> Result<Vec<WorkspaceDto>, ErrorDto> {
    Ok(state.studio()?.list_workspaces().await?)
}

#[tauri::command]
pub async fn list_skills(state: State<'_, AppState>) -> Result<SkillsDto, ErrorDto> {
    Ok(state.studio()?.skills().await?)
}

/// Loads (once) and watches a workspace's dbt project; `on_change` receives each new revision.
#[tauri::command]
pub async fn open_domain(
    state: State<'_, AppState>,
    workspace_id: String,
    on_change: Channel<IndexChangedDto>,
) -> Result<IndexSummaryDto, ErrorDto> {
    let forward = move |event: IndexChangedDto| on_change.send(event).is_ok();
    Ok(state.studio()?.open_domain(&workspace_id, forward).await?)
}

#[tauri::command]
pub async fn domain_summary(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<IndexSummaryDto, ErrorDto> {
    Ok(state.studio()?.domain_summary(&workspace_id).await?)
}

#[tauri::command]
pub async fn search_nodes(
    state: State<'_, AppState>,
    workspace_id: String,
    query: String,
) -> Result<Vec<NodeRowDto>, ErrorDto> {
    Ok(state.studio()?.search_nodes(&workspace_id, query).await?)
}

#[tauri::command]
pub async fn node_detail(
    state: State<'_, AppState>,
    workspace_id: String,
    unique_id: String,
) -> Result<NodeDetailDto, ErrorDto> {
    Ok(state
        .studio()?
        .node_detail(&workspace_id, unique_id)
        .await?)
}

#[tauri::command]
pub async fn lineage(
    state: State<'_, AppState>,
    workspace_id: String,
    unique_id: String,
    depth: u32,
) -> Result<LineageDto, ErrorDto> {
    Ok(state
        .studio()?
        .lineage(&workspace_id, unique_id, depth)
        .await?)
}

#[tauri::command]
pub async fn domain_file(
    state: State<'_, AppState>,
    workspace_id: String,
    path: String,
) -> Result<FileDto, ErrorDto> {
    Ok(state.studio()?.domain_file(&workspace_id, path).await?)
}

/// Registers a repository; `on_progress` receives clone progress for remote URLs.
#[tauri::command]
pub async fn add_workspace(
    state: State<'_, AppState>,
    request: AddWorkspaceDto,
    on_progress: Channel<CloneProgressDto>,
) -> Result<WorkspaceDto, ErrorDto> {
    let forward = move |p: CloneProgressDto| drop(on_progress.send(p));
    Ok(state.studio()?.add_workspace(request, forward).await?)
}

#[tauri::command]
pub async fn git_state(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state.studio()?.git_state(&workspace_id).await?)
}

#[tauri::command]
pub async fn fetch_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state.studio()?.fetch_workspace(&workspace_id).await?)
}

#[tauri::command]
pub async fn create_intent_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    slug: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .create_intent_branch(&workspace_id, slug)
        .await?)
}

#[tauri::command]
pub async fn switch_branch(
    state: State<'_, AppState>,
    workspace_id: String,
    branch: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state.studio()?.switch_branch(&workspace_id, branch).await?)
}

#[tauri::command]
pub async fn branch_diff(
    state: State<'_, AppState>,
    workspace_id: String,
    base: String,
    head: String,
) -> Result<BranchDiffDto, ErrorDto> {
    Ok(state
        .studio()?
        .branch_diff(&workspace_id, base, head)
        .await?)
}

#[tauri::command]
pub async fn commit_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
    message: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state
        .studio()?
        .commit_workspace(&workspace_id, message)
        .await?)
}

#[tauri::command]
pub async fn push_workspace(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<GitStateDto, ErrorDto> {
    Ok(state.studio()?.push_workspace(&workspace_id).await?)
}

#[tauri::command]
pub async fn get_identity(state: State<'_, AppState>) -> Result<Option<IdentityDto>, ErrorDto> {
    Ok(state.studio()?.identity().await?)
}

#[tauri::command]
pub async fn set_identity(
    state: State<'_, AppState>,
    identity: IdentityDto,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.set_identity(identity).await?)
}

/// Starts the build agent on a workspace; its events stream over `on_event`.
#[tauri::command]
pub async fn start_session(
    state: State<'_, AppState>,
    workspace_id: String,
    prompt: String,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state
        .studio()?
        .start_session(&workspace_id, prompt, forward)
        .await?)
}

/// A person's answer to a pending approval (the only way an approval is given).
#[tauri::command]
pub async fn decide_approval(
    state: State<'_, AppState>,
    session_id: String,
    call_id: String,
    approved: bool,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .decide_approval(&session_id, &call_id, approved)?)
}

#[tauri::command]
pub async fn cancel_session(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.cancel_session(&session_id)?)
}

#[tauri::command]
pub async fn agent_usage(state: State<'_, AppState>) -> Result<UsageDto, ErrorDto> {
    Ok(state.studio()?.usage().await?)
}

#[tauri::command]
pub async fn list_sessions(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<SessionDto>, ErrorDto> {
    Ok(state.studio()?.list_sessions(&workspace_id).await?)
}

/// A stored session with its transcript, to look back at.
#[tauri::command]
pub async fn session_transcript(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<TranscriptDto, ErrorDto> {
    Ok(state.studio()?.session_transcript(&session_id).await?)
}

/// Continues an interrupted or cancelled session; its events stream over `on_event`.
#[tauri::command]
pub async fn resume_session(
    state: State<'_, AppState>,
    session_id: String,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state.studio()?.resume_session(&session_id, forward).await?)
}

#[tauri::command]
pub async fn create_intent(
    state: State<'_, AppState>,
    workspace_id: String,
    title: String,
) -> Result<IntentDto, ErrorDto> {
    Ok(state.studio()?.create_intent(&workspace_id, title).await?)
}

#[tauri::command]
pub async fn list_intents(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<IntentDto>, ErrorDto> {
    Ok(state.studio()?.list_intents(&workspace_id).await?)
}

/// A person's lifecycle step (the window only ever speaks for the person using it).
#[tauri::command]
pub async fn intent_step(
    state: State<'_, AppState>,
    intent_id: String,
    step: String,
) -> Result<IntentDto, ErrorDto> {
    Ok(state.studio()?.intent_step(&intent_id, &step).await?)
}

/// Validates a building intent on the local warehouse and commits the report.
#[tauri::command]
pub async fn validate_intent(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<ValidationDto, ErrorDto> {
    Ok(state.studio()?.validate_intent(&intent_id).await?)
}

#[tauri::command]
pub async fn intent_plans(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PlansDto, ErrorDto> {
    Ok(state.studio()?.plans(&intent_id).await?)
}

#[tauri::command]
pub async fn plan_diff(
    state: State<'_, AppState>,
    intent_id: String,
    from: u32,
    to: u32,
) -> Result<String, ErrorDto> {
    Ok(state.studio()?.plan_diff(&intent_id, from, to).await?)
}

/// Restores a plan version or adopts a variant (a person's choice, while planning).
#[tauri::command]
pub async fn replace_plan(
    state: State<'_, AppState>,
    intent_id: String,
    version: Option<u32>,
    variant: Option<String>,
) -> Result<PlansDto, ErrorDto> {
    Ok(state
        .studio()?
        .replace_plan(&intent_id, version, variant)
        .await?)
}

/// Runs an intent's agent stage (`requirements` or `build`); events stream over `on_event`.
#[tauri::command]
pub async fn run_intent_stage(
    state: State<'_, AppState>,
    intent_id: String,
    stage: String,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state
        .studio()?
        .run_intent_stage(&intent_id, &stage, forward)
        .await?)
}

#[tauri::command]
pub async fn variant_diff(
    state: State<'_, AppState>,
    intent_id: String,
    variant: String,
) -> Result<String, ErrorDto> {
    Ok(state.studio()?.variant_diff(&intent_id, variant).await?)
}

#[tauri::command]
pub async fn inbox(
    state: State<'_, AppState>,
    filter: InboxFilterDto,
) -> Result<InboxDto, ErrorDto> {
    Ok(state.studio()?.inbox(filter).await?)
}

#[tauri::command]
pub async fn inbox_follow(state: State<'_, AppState>, repo: String) -> Result<String, ErrorDto> {
    Ok(state.studio()?.inbox_follow(repo).await?)
}

/// Delivers the outbox, then syncs the followed repositories.
#[tauri::command]
pub async fn inbox_sync(state: State<'_, AppState>) -> Result<SyncResultDto, ErrorDto> {
    Ok(state.studio()?.inbox_sync().await?)
}

#[tauri::command]
pub async fn issue_detail(
    state: State<'_, AppState>,
    repo: String,
    number: u64,
) -> Result<IssueDetailDto, ErrorDto> {
    Ok(state.studio()?.issue_detail(repo, number).await?)
}

#[tauri::command]
pub async fn set_triage(
    state: State<'_, AppState>,
    repo: String,
    number: u64,
    triage: String,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.set_triage(repo, number, triage).await?)
}

#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>) -> Result<Vec<OutboxItemDto>, ErrorDto> {
    Ok(state.studio()?.outbox().await?)
}

/// Queues a write to GitHub (delivered by the next sync).
#[tauri::command]
pub async fn outbox_enqueue(
    state: State<'_, AppState>,
    repo: String,
    write: OutboxWriteDto,
) -> Result<OutboxItemDto, ErrorDto> {
    Ok(state.studio()?.outbox_enqueue(repo, write).await?)
}

#[tauri::command]
pub async fn outbox_retry(state: State<'_, AppState>, seq: i64) -> Result<(), ErrorDto> {
    Ok(state.studio()?.outbox_retry(seq).await?)
}

#[tauri::command]
pub async fn outbox_cancel(state: State<'_, AppState>, seq: i64) -> Result<(), ErrorDto> {
    Ok(state.studio()?.outbox_cancel(seq).await?)
}

/// Pushes an intent's branch and opens its pull request (a person's act).
#[tauri::command]
pub async fn open_pull_request(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PullRequestDto, ErrorDto> {
    Ok(state.studio()?.open_pull_request(&intent_id).await?)
}

#[tauri::command]
pub async fn pull_request(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PullRequestDto, ErrorDto> {
    Ok(state.studio()?.pull_request(&intent_id).await?)
}

#[tauri::command]
pub async fn github_status(state: State<'_, AppState>) -> Result<GithubStatusDto, ErrorDto> {
    Ok(state.studio()?.github_status().await?)
}

/// Starts the device flow and opens the verification page in the person's browser.
#[tauri::command]
pub async fn github_device_start(state: State<'_, AppState>) -> Result<SignInDto, ErrorDto> {
    let started = state.studio()?.github_device_start().await?;
    let no_browser = std::env::var_os("VIBEDATA_NO_BROWSER").is_some();
    if let Some(uri) = started.verification_uri.as_ref().filter(|_| !no_browser) {
        // Best effort: the page and the code are also shown in the window.
        let _ = std::process::Command::new("xdg-open").arg(uri).spawn();
    }
    Ok(started)
}

/// Signs in with a personal access token (it goes to the OS keychain only).
#[tauri::command]
pub async fn github_sign_in_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<GithubAccountDto, ErrorDto> {
    let token = vibedata_agent::redact::Sensitive::new(token);
    Ok(state.studio()?.github_sign_in_token(token).await?)
}

#[tauri::command]
pub async fn github_sign_out(state: State<'_, AppState>, login: String) -> Result<bool, ErrorDto> {
    Ok(state.studio()?.github_sign_out(login).await?)
}

/// Chooses the GitHub account a workspace acts as (`None`: the default).
#[tauri::command]
pub async fn github_choose(
    state: State<'_, AppState>,
    workspace_id: String,
    login: Option<String>,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.github_choose(workspace_id, login).await?)
}
