//! Intents: their lifecycle steps, validation, plans (versions, variants, diffs) and agent
//! stages.

use super::{IntentIdArgs, Workspace, call, channel, channel_call};
use serde::Serialize;
use vibedata_protocol::{
    AgentStage, ErrorDto, IntentDto, IntentStep, MergedDto, PlansDto, SessionDto, SessionEventDto,
    ValidationDto,
};

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
    step: IntentStep,
}

pub async fn intent_step(intent_id: &str, step: IntentStep) -> Result<IntentDto, ErrorDto> {
    call("intent_step", &StepArgs { intent_id, step }).await
}

pub async fn validate_intent(intent_id: &str) -> Result<ValidationDto, ErrorDto> {
    call("validate_intent", &IntentIdArgs { intent_id }).await
}

pub async fn intent_plans(intent_id: &str) -> Result<PlansDto, ErrorDto> {
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
) -> Result<PlansDto, ErrorDto> {
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
    stage: AgentStage,
}

/// Runs an intent's agent stage; `on_event` receives its events.
pub async fn run_intent_stage(
    intent_id: &str,
    stage: AgentStage,
    on_event: impl Fn(SessionEventDto) + 'static,
) -> Result<SessionDto, ErrorDto> {
    channel_call(
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

/// Merges a Ready intent into the default branch here (its origin is not GitHub) and pushes it.
pub async fn merge_intent(intent_id: &str) -> Result<MergedDto, ErrorDto> {
    call("merge_intent", &IntentIdArgs { intent_id }).await
}

/// Abandons an intent: its records, worktree and branch go.
pub async fn abandon_intent(intent_id: &str) -> Result<(), ErrorDto> {
    call("abandon_intent", &IntentIdArgs { intent_id }).await
}

/// Stops a running validation of an intent.
pub async fn cancel_validation(intent_id: &str) -> Result<(), ErrorDto> {
    call("cancel_validation", &IntentIdArgs { intent_id }).await
}
