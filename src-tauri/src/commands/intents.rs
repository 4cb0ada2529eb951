//! Intent commands: an intent from creation through its stages and validation to its pull request.

use tauri::State;
use tauri::ipc::Channel;
use vibedata_protocol::inbox::PullRequestDto;
use vibedata_protocol::{
    AgentStage, ErrorDto, IntentDto, IntentStep, MergedDto, PlansDto, SessionDto, SessionEventDto,
    ValidationDto,
};

use crate::state::AppState;

#[tauri::command]
pub async fn create_intent(
    state: State<'_, AppState>,
    workspace_id: String,
    title: String,
) -> Result<IntentDto, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .create_intent(&workspace_id, title)
        .await?)
}

#[tauri::command]
pub async fn list_intents(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<IntentDto>, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .list_intents(&workspace_id)
        .await?)
}

/// A person's lifecycle step (the window only ever speaks for the person using it).
#[tauri::command]
pub async fn intent_step(
    state: State<'_, AppState>,
    intent_id: String,
    step: IntentStep,
) -> Result<IntentDto, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .intent_step(&intent_id, step)
        .await?)
}

/// Validates a building intent on the local warehouse and commits the report.
#[tauri::command]
pub async fn validate_intent(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<ValidationDto, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .validate_intent(&intent_id)
        .await?)
}

#[tauri::command]
pub async fn intent_plans(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PlansDto, ErrorDto> {
    Ok(state.studio()?.intents().plans(&intent_id).await?)
}

#[tauri::command]
pub async fn plan_diff(
    state: State<'_, AppState>,
    intent_id: String,
    from: u32,
    to: u32,
) -> Result<String, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .plan_diff(&intent_id, from, to)
        .await?)
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
        .intents()
        .replace_plan(&intent_id, version, variant)
        .await?)
}

/// Runs an intent's agent stage (`requirements` or `build`); events stream over `on_event`.
#[tauri::command]
pub async fn run_intent_stage(
    state: State<'_, AppState>,
    intent_id: String,
    stage: AgentStage,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state
        .studio()?
        .intents()
        .run_intent_stage(&intent_id, stage, forward)
        .await?)
}

#[tauri::command]
pub async fn variant_diff(
    state: State<'_, AppState>,
    intent_id: String,
    variant: String,
) -> Result<String, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .variant_diff(&intent_id, variant)
        .await?)
}

/// Stops a running validation (its dbt build is killed; the validation ends failed).
#[tauri::command]
pub async fn cancel_validation(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.intents().cancel_validation(&intent_id)?)
}

/// Abandons an intent: its records, worktree and branch go (a person's act, audited).
#[tauri::command]
pub async fn abandon_intent(state: State<'_, AppState>, intent_id: String) -> Result<(), ErrorDto> {
    Ok(state.studio()?.intents().abandon_intent(&intent_id).await?)
}

/// Merges a Ready intent into the default branch here and pushes it (a person's act; for a
/// repository whose origin has no pull requests).
#[tauri::command]
pub async fn merge_intent(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<MergedDto, ErrorDto> {
    Ok(state.studio()?.intents().merge_locally(&intent_id).await?)
}

/// Pushes an intent's branch and opens its pull request (a person's act).
#[tauri::command]
pub async fn open_pull_request(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PullRequestDto, ErrorDto> {
    Ok(state
        .studio()?
        .intents()
        .open_pull_request(&intent_id)
        .await?)
}

#[tauri::command]
pub async fn pull_request(
    state: State<'_, AppState>,
    intent_id: String,
) -> Result<PullRequestDto, ErrorDto> {
    Ok(state.studio()?.intents().pull_request(&intent_id).await?)
}
