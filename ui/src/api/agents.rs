//! Agent sessions (start, approvals, cancel, look back, resume), their token usage, and the
//! platform skills the agents load.

use super::{NoArgs, Workspace, call, channel, channel_call};
use serde::Serialize;
use vibedata_protocol::{
    ErrorDto, ModelSettingsDto, SessionDto, SessionEventDto, SetModelDto, SkillsDto, TranscriptDto,
    UsageDto,
};

pub async fn list_skills() -> Result<SkillsDto, ErrorDto> {
    call("list_skills", &NoArgs {}).await
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
    channel_call(
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
    reason: Option<&'a str>,
}

/// A person's answer; a denial may say why (the agent is told).
pub async fn decide_approval(
    session_id: &str,
    call_id: &str,
    approved: bool,
    reason: Option<&str>,
) -> Result<(), ErrorDto> {
    call(
        "decide_approval",
        &DecideArgs {
            session_id,
            call_id,
            approved,
            reason,
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
    channel_call(
        "resume_session",
        &SessionArgs { session_id },
        "onEvent",
        channel(on_event),
    )
    .await
}

pub async fn model_settings() -> Result<ModelSettingsDto, ErrorDto> {
    call("model_settings", &NoArgs {}).await
}

#[derive(Serialize)]
struct SetModelArgs<'a> {
    settings: &'a SetModelDto,
}

pub async fn set_model_settings(settings: &SetModelDto) -> Result<(), ErrorDto> {
    call("set_model_settings", &SetModelArgs { settings }).await
}
