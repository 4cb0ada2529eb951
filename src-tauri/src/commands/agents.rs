//! Agent commands: sessions started, resumed, approved, cancelled; transcripts and usage.

use tauri::State;
use tauri::ipc::Channel;
use vibedata_protocol::{
    ErrorDto, ModelSettingsDto, SessionDto, SessionEventDto, SetModelDto, TranscriptDto, UsageDto,
};

use crate::state::AppState;

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
        .agents()
        .start_session(&workspace_id, prompt, forward)
        .await?)
}

/// A person's answer to a pending approval (the only way an approval is given); a denial may
/// say why, and the agent is told.
#[tauri::command]
pub async fn decide_approval(
    state: State<'_, AppState>,
    session_id: String,
    call_id: String,
    approved: bool,
    reason: Option<String>,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .agents()
        .decide_approval(&session_id, &call_id, approved, reason)?)
}

#[tauri::command]
pub async fn cancel_session(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<(), ErrorDto> {
    Ok(state.studio()?.agents().cancel_session(&session_id)?)
}

#[tauri::command]
pub async fn agent_usage(state: State<'_, AppState>) -> Result<UsageDto, ErrorDto> {
    Ok(state.studio()?.agents().usage().await?)
}

#[tauri::command]
pub async fn list_sessions(
    state: State<'_, AppState>,
    workspace_id: String,
) -> Result<Vec<SessionDto>, ErrorDto> {
    Ok(state
        .studio()?
        .agents()
        .list_sessions(&workspace_id)
        .await?)
}

/// A stored session with its transcript, to look back at.
#[tauri::command]
pub async fn session_transcript(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<TranscriptDto, ErrorDto> {
    Ok(state
        .studio()?
        .agents()
        .session_transcript(&session_id)
        .await?)
}

/// Continues an interrupted or cancelled session; its events stream over `on_event`.
#[tauri::command]
pub async fn resume_session(
    state: State<'_, AppState>,
    session_id: String,
    on_event: Channel<SessionEventDto>,
) -> Result<SessionDto, ErrorDto> {
    let forward = move |event: SessionEventDto| drop(on_event.send(event));
    Ok(state
        .studio()?
        .agents()
        .resume_session(&session_id, forward)
        .await?)
}

/// The model agents run on (never its key).
#[tauri::command]
pub async fn model_settings(state: State<'_, AppState>) -> Result<ModelSettingsDto, ErrorDto> {
    Ok(state.studio()?.agents().model_settings().await?)
}

/// A person saves the model endpoint; a key given goes to the OS keychain only.
#[tauri::command]
pub async fn set_model_settings(
    state: State<'_, AppState>,
    settings: SetModelDto,
) -> Result<(), ErrorDto> {
    Ok(state
        .studio()?
        .agents()
        .set_model_settings(settings)
        .await?)
}
