//! The one binding to the shell: `invoke` from Tauri's global API, wrapped so every command is a
//! typed async function returning `Result<Dto, ErrorDto>`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use vibedata_protocol::inbox::{
    GithubAccountDto, GithubStatusDto, InboxDto, InboxFilterDto, IssueDetailDto, OutboxItemDto,
    OutboxWriteDto, PullRequestDto, SignInDto, SyncResultDto,
};
use vibedata_protocol::{
    AddWorkspaceDto, AppStatusDto, BranchDiffDto, CloneProgressDto, ErrorCode, ErrorDto, FileDto,
    GitStateDto, IdentityDto, IndexChangedDto, IndexSummaryDto, IntentDto, LineageDto,
    NodeDetailDto, NodeRowDto, SessionDto, SessionEventDto, SkillsDto, TranscriptDto, UsageDto,
    WorkspaceDto,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// Tauri's IPC channel: the shell streams messages into `onmessage`.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = Channel)]
    type TauriChannel;
    #[wasm_bindgen(constructor, js_namespace = ["window", "__TAURI__", "core"], js_class = "Channel")]
    fn new() -> TauriChannel;
    #[wasm_bindgen(method, setter = onmessage, js_class = "Channel")]
    fn set_onmessage(this: &TauriChannel, handler: &js_sys::Function);
}

async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, ErrorDto> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&serializer)
        .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}: {e}")))?;
    call_js(cmd, args).await
}

async fn call_js<T: DeserializeOwned>(cmd: &str, args: JsValue) -> Result<T, ErrorDto> {
    match invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("unexpected reply to {cmd}: {e}"))),
        Err(raised) => Err(serde_wasm_bindgen::from_value::<ErrorDto>(raised.clone())
            .unwrap_or_else(|_| {
                let text = raised
                    .as_string()
                    .or_else(|| js_sys::JSON::stringify(&raised).ok().map(String::from))
                    .unwrap_or_else(|| "unknown error".into());
                ErrorDto::new(
                    ErrorCode::Ipc,
                    format!("{cmd} failed outside the app's error model: {text}"),
                )
            })),
    }
}

#[derive(Serialize)]
struct NoArgs {}

pub async fn app_status() -> Result<AppStatusDto, ErrorDto> {
    call("app_status", &NoArgs {}).await
}

pub async fn list_workspaces() -> Result<Vec<WorkspaceDto>, ErrorDto> {
    call("list_workspaces", &NoArgs {}).await
}

pub async fn list_skills() -> Result<SkillsDto, ErrorDto> {
    call("list_skills", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workspace<'a> {
    workspace_id: &'a str,
}

/// A Tauri channel whose messages, decoded as `T`, go to `handler` for the life of the window.
fn channel<T: DeserializeOwned + 'static>(handler: impl Fn(T) + 'static) -> TauriChannel {
    let channel = TauriChannel::new();
    let closure = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        if let Ok(value) = serde_wasm_bindgen::from_value::<T>(message) {
            handler(value);
        }
    });
    channel.set_onmessage(closure.as_ref().unchecked_ref());
    // The shell may send at any time while the window lives.
    closure.forget();
    channel
}

/// Invokes `cmd` with JSON-able `args` plus a channel under `channel_key`.
async fn call_with_channel<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
    channel_key: &str,
    channel: TauriChannel,
) -> Result<T, ErrorDto> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = args
        .serialize(&serializer)
        .map_err(|e| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}: {e}")))?;
    js_sys::Reflect::set(&value, &JsValue::from_str(channel_key), &channel)
        .map_err(|_| ErrorDto::new(ErrorCode::Ipc, format!("cannot encode {cmd}")))?;
    call_js(cmd, value).await
}

#[derive(Serialize)]
struct AddArgs<'a> {
    request: &'a AddWorkspaceDto,
}

/// Registers a repository; `on_progress` follows a clone.
pub async fn add_workspace(
    request: &AddWorkspaceDto,
    on_progress: impl Fn(CloneProgressDto) + 'static,
) -> Result<WorkspaceDto, ErrorDto> {
    call_with_channel(
        "add_workspace",
        &AddArgs { request },
        "onProgress",
        channel(on_progress),
    )
    .await
}

/// Opens a workspace's dbt index; `on_change` runs on every revision the file watcher applies.
pub async fn open_domain(
    workspace_id: &str,
    on_change: impl Fn(IndexChangedDto) + 'static,
) -> Result<IndexSummaryDto, ErrorDto> {
    call_with_channel(
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
    depth: u32,
}

pub async fn lineage(
    workspace_id: &str,
    unique_id: &str,
    depth: u32,
) -> Result<LineageDto, ErrorDto> {
    call(
        "lineage",
        &LineageArgs {
            workspace_id,
            unique_id,
            depth,
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

pub async fn git_state(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("git_state", &Workspace { workspace_id }).await
}

pub async fn fetch_workspace(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("fetch_workspace", &Workspace { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SlugArgs<'a> {
    workspace_id: &'a str,
    slug: &'a str,
}

pub async fn create_intent_branch(workspace_id: &str, slug: &str) -> Result<GitStateDto, ErrorDto> {
    call("create_intent_branch", &SlugArgs { workspace_id, slug }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BranchArgs<'a> {
    workspace_id: &'a str,
    branch: &'a str,
}

pub async fn switch_branch(workspace_id: &str, branch: &str) -> Result<GitStateDto, ErrorDto> {
    call(
        "switch_branch",
        &BranchArgs {
            workspace_id,
            branch,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffArgs<'a> {
    workspace_id: &'a str,
    base: &'a str,
    head: &'a str,
}

pub async fn branch_diff(
    workspace_id: &str,
    base: &str,
    head: &str,
) -> Result<BranchDiffDto, ErrorDto> {
    call(
        "branch_diff",
        &DiffArgs {
            workspace_id,
            base,
            head,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitArgs<'a> {
    workspace_id: &'a str,
    message: &'a str,
}

pub async fn commit_workspace(workspace_id: &str, message: &str) -> Result<GitStateDto, ErrorDto> {
    call(
        "commit_workspace",
        &CommitArgs {
            workspace_id,
            message,
        },
    )
    .await
}

pub async fn push_workspace(workspace_id: &str) -> Result<GitStateDto, ErrorDto> {
    call("push_workspace", &Workspace { workspace_id }).await
}

pub async fn get_identity() -> Result<Option<IdentityDto>, ErrorDto> {
    call("get_identity", &NoArgs {}).await
}

#[derive(Serialize)]
struct IdentityArgs<'a> {
    identity: &'a IdentityDto,
}

pub async fn set_identity(identity: &IdentityDto) -> Result<(), ErrorDto> {
    call("set_identity", &IdentityArgs { identity }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartArgs<'a> {
    workspace_id: &'a str,
    prompt: &'a str,
}

/// Starts the build agent; `on_event` receives its events as they happen.
pub async fn start_session(
    workspace_id: &str,
    prompt: &str,
    on_event: impl Fn(SessionEventDto) + 'static,
) -> Result<SessionDto, ErrorDto> {
    call_with_channel(
        "start_session",
        &StartArgs {
            workspace_id,
            prompt,
        },
        "onEvent",
        channel(on_event),
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecideArgs<'a> {
    session_id: &'a str,
    call_id: &'a str,
    approved: bool,
}

pub async fn decide_approval(
    session_id: &str,
    call_id: &str,
    approved: bool,
) -> Result<(), ErrorDto> {
    call(
        "decide_approval",
        &DecideArgs {
            session_id,
            call_id,
            approved,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionArgs<'a> {
    session_id: &'a str,
}

pub async fn cancel_session(session_id: &str) -> Result<(), ErrorDto> {
    call("cancel_session", &SessionArgs { session_id }).await
}

pub async fn agent_usage() -> Result<UsageDto, ErrorDto> {
    call("agent_usage", &NoArgs {}).await
}

pub async fn list_sessions(workspace_id: &str) -> Result<Vec<SessionDto>, ErrorDto> {
    call("list_sessions", &Workspace { workspace_id }).await
}

/// A stored session with its transcript.
pub async fn session_transcript(session_id: &str) -> Result<TranscriptDto, ErrorDto> {
    call("session_transcript", &SessionArgs { session_id }).await
}

/// Continues an interrupted or cancelled session; `on_event` receives its events.
pub async fn resume_session(
    session_id: &str,
    on_event: impl Fn(SessionEventDto) + 'static,
) -> Result<SessionDto, ErrorDto> {
    call_with_channel(
        "resume_session",
        &SessionArgs { session_id },
        "onEvent",
        channel(on_event),
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentArgs<'a> {
    workspace_id: &'a str,
    title: &'a str,
}

pub async fn create_intent(workspace_id: &str, title: &str) -> Result<IntentDto, ErrorDto> {
    call(
        "create_intent",
        &IntentArgs {
            workspace_id,
            title,
        },
    )
    .await
}

pub async fn list_intents(workspace_id: &str) -> Result<Vec<IntentDto>, ErrorDto> {
    call("list_intents", &Workspace { workspace_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepArgs<'a> {
    intent_id: &'a str,
    step: &'a str,
}

pub async fn intent_step(intent_id: &str, step: &str) -> Result<IntentDto, ErrorDto> {
    call("intent_step", &StepArgs { intent_id, step }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentIdArgs<'a> {
    intent_id: &'a str,
}

pub async fn validate_intent(
    intent_id: &str,
) -> Result<vibedata_protocol::ValidationDto, ErrorDto> {
    call("validate_intent", &IntentIdArgs { intent_id }).await
}

pub async fn intent_plans(intent_id: &str) -> Result<vibedata_protocol::PlansDto, ErrorDto> {
    call("intent_plans", &IntentIdArgs { intent_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanDiffArgs<'a> {
    intent_id: &'a str,
    from: u32,
    to: u32,
}

pub async fn plan_diff(intent_id: &str, from: u32, to: u32) -> Result<String, ErrorDto> {
    call(
        "plan_diff",
        &PlanDiffArgs {
            intent_id,
            from,
            to,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplacePlanArgs<'a> {
    intent_id: &'a str,
    version: Option<u32>,
    variant: Option<&'a str>,
}

pub async fn replace_plan(
    intent_id: &str,
    version: Option<u32>,
    variant: Option<&str>,
) -> Result<vibedata_protocol::PlansDto, ErrorDto> {
    call(
        "replace_plan",
        &ReplacePlanArgs {
            intent_id,
            version,
            variant,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StageArgs<'a> {
    intent_id: &'a str,
    stage: &'a str,
}

/// Runs an intent's agent stage; `on_event` receives its events.
pub async fn run_intent_stage(
    intent_id: &str,
    stage: &str,
    on_event: impl Fn(SessionEventDto) + 'static,
) -> Result<SessionDto, ErrorDto> {
    call_with_channel(
        "run_intent_stage",
        &StageArgs { intent_id, stage },
        "onEvent",
        channel(on_event),
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VariantArgs<'a> {
    intent_id: &'a str,
    variant: &'a str,
}

pub async fn variant_diff(intent_id: &str, variant: &str) -> Result<String, ErrorDto> {
    call("variant_diff", &VariantArgs { intent_id, variant }).await
}

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
    triage: &'a str,
}

pub async fn set_triage(repo: &str, number: u64, triage: &str) -> Result<(), ErrorDto> {
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
