//! The agent stages of an intent, each a session on the intent's branch: `requirements` (while
//! planning: reads the domain, writes `intent.md`, `plan.md`, `todo.json`), `variants` (up to five
//! alternative plans) and `build` (while building: models, tests, contract, a commit per step).
//! Sessions start through the agents' one creation path, so they are redacted like any other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use vibedata_agent::message::Message;

use crate::agents::runtime::{DEMO_INTENT_BUILD, DEMO_REQUIREMENTS, DEMO_VARIANTS, SessionStart};
use crate::intents::Intents;
use crate::intents::lifecycle::stage_needs;
use crate::intents::records::{folder, get};
use crate::platform::error::{CoreError, Result, blocking};
use vibedata_protocol::{AgentRole, AgentStage, SessionEventDto};

const REQUIREMENTS_PROMPT: &str = "You are the Requirements agent of Vibedata Studio. From the analyst's intent, the domain's \
dbt project and the bronze data in the local DuckDB, write intent.md (business context; success criteria as ```sql blocks \
that must return no rows), plan.md (models to add or change, columns, grain, tests, contract) and todo.json. Ask when \
something is unclear. You never approve the plan: the analyst does.";

const VARIANTS_PROMPT: &str = "You are the Requirements agent of Vibedata Studio. Propose up to five alternative plans for \
the intent, each written with write_intent_doc (name plan_md, a short variant name), from the smallest change to the \
richest. The analyst compares them and adopts one.";

const INTENT_BUILD_PROMPT: &str = "You are the Build agent of Vibedata Studio. Work through todo.json on the intent branch: \
dbt models, schema YAML with descriptions and data types, data tests, unit tests and an enforced contract. Mark to-dos \
done as you go and commit each step. Writes wait for the analyst's approval.";

impl Intents {
    /// Runs an agent stage of an intent on its branch: `requirements` (while planning: reads the
    /// domain and writes `intent.md`, `plan.md`, `todo.json`) or `build` (while building: writes
    /// the models, tests and contract, commits each step). Writes wait for the person's approval.
    pub async fn run_intent_stage(
        &self,
        intent_id: &str,
        stage: AgentStage,
        on_event: impl Fn(vibedata_protocol::SessionEventDto) + Send + Sync + 'static,
    ) -> Result<vibedata_protocol::SessionDto> {
        self.run_intent_stage_on(intent_id, stage, None, on_event)
            .await
    }

    /// [`Intents::run_intent_stage`] on a given provider (a recording, another endpoint); `None`
    /// chooses as the app does. The code path is the same whatever answers.
    pub async fn run_intent_stage_on(
        &self,
        intent_id: &str,
        stage: AgentStage,
        provider: Option<Arc<dyn vibedata_agent::provider::Provider>>,
        on_event: impl Fn(vibedata_protocol::SessionEventDto) + Send + Sync + 'static,
    ) -> Result<vibedata_protocol::SessionDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || get(&store, &id)).await?;
        let (replay, agent, prompt) = match stage {
            AgentStage::Requirements => (
                DEMO_REQUIREMENTS,
                AgentRole::Requirements,
                REQUIREMENTS_PROMPT,
            ),
            AgentStage::Build => (DEMO_INTENT_BUILD, AgentRole::Build, INTENT_BUILD_PROMPT),
            AgentStage::Variants => (DEMO_VARIANTS, AgentRole::Requirements, VARIANTS_PROMPT),
        };
        let needed = stage_needs(stage);
        if intent.state != needed {
            return Err(CoreError::InvalidInput(format!(
                "the {} agent works on an intent that is {}; this one is {}",
                stage.as_str(),
                needed.label(),
                intent.state.label()
            )));
        }
        let ws = self.intent_tree(&intent).await?;
        let dir = folder(&ws.path, &intent.id);
        let (branch, _) = crate::workspaces::registry::read_head(&ws.path)?;
        if branch.as_deref() != Some(intent.branch.as_str()) {
            crate::workspaces::git::switch_branch(&ws.path, &intent.branch)?;
        }
        let provider = match provider {
            Some(p) => p,
            None => self.agents.provider(replay, &ws).await?,
        };
        let (label, is_replay) = (provider.label(), provider.is_replay());
        // A build round after a failed validation starts from that report.
        let feedback = match std::fs::read_to_string(dir.join("validation.md")) {
            Ok(report) if stage == AgentStage::Build => {
                format!("\n\nThe last validation report (fix what failed):\n{report}")
            }
            _ => String::new(),
        };
        let context = format!(
            "Intent: {}\nBranch: {}\n\nCurrent intent.md:\n{}\n\nCurrent plan.md:\n{}{feedback}",
            intent.title,
            intent.branch,
            std::fs::read_to_string(dir.join("intent.md")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("plan.md")).unwrap_or_else(|_| "(none yet)".into())
        );
        let first = vec![Message::system(prompt), Message::user(context)];
        let tools: Vec<Arc<dyn vibedata_agent::tools::Tool>> =
            vec![Arc::new(crate::agents::tools::WriteIntentDoc {
                folder: dir.clone(),
            })];
        let start = SessionStart {
            workspace: ws,
            agent,
            first,
            provider,
            extra_tools: tools,
        };
        let (intent_id, branch, plan_version) = (
            intent.id.clone(),
            intent.branch.clone(),
            intent.plan_version,
        );
        // A Build stage's writes are checked against the plan the person approved.
        let plan = (stage == AgentStage::Build)
            .then(|| std::fs::read_to_string(dir.join("plan.md")).ok())
            .flatten();
        let on_event = mark_writes_outside(plan, on_event);
        self.agents
            .start(
                start,
                |session_id| {
                    let session_context = serde_json::json!({
                        "intent": intent_id,
                        "stage": stage.as_str(),
                        "session": session_id,
                        "branch": branch,
                        "plan_version": plan_version,
                        "provider": label,
                        "replay": is_replay,
                    });
                    std::fs::write(
                        dir.join("session_context.json"),
                        serde_json::to_string_pretty(&session_context)
                            .map_err(|e| CoreError::Internal(e.to_string()))?
                            + "\n",
                    )
                    .map_err(|e| CoreError::io("cannot write session_context.json", e))
                },
                on_event,
            )
            .await
    }
}

/// Wraps a session's event sink so that an approval for a `write_file` whose path `plan` does not
/// mention is marked `outside_plan` (no plan: nothing is marked).
fn mark_writes_outside(
    plan: Option<String>,
    on_event: impl Fn(SessionEventDto) + Send + Sync + 'static,
) -> impl Fn(SessionEventDto) + Send + Sync + 'static {
    let writes: Mutex<HashMap<String, String>> = Mutex::default();
    move |mut event| {
        if let Some(plan) = plan.as_deref() {
            match &mut event {
                SessionEventDto::ToolUse {
                    call_id,
                    tool,
                    arguments,
                } if tool == "write_file" => {
                    let path = serde_json::from_str::<serde_json::Value>(arguments)
                        .ok()
                        .and_then(|a| a["path"].as_str().map(str::to_owned));
                    if let (Some(path), Ok(mut writes)) = (path, writes.lock()) {
                        writes.insert(call_id.clone(), path);
                    }
                }
                SessionEventDto::ApprovalNeeded {
                    call_id,
                    outside_plan,
                    ..
                } => {
                    let path = writes.lock().ok().and_then(|w| w.get(call_id).cloned());
                    if let Some(path) = path {
                        *outside_plan = !in_plan(plan, &path);
                    }
                }
                _ => {}
            }
        }
        on_event(event)
    }
}

/// Whether a plan mentions a file: by its path, or by the name of the model it holds or documents
/// (`models/marts/_silver_customers.yml` is in a plan that names `silver_customers`).
fn in_plan(plan: &str, path: &str) -> bool {
    let path = path.trim_start_matches("./");
    if path.starts_with(".vibedata/") || plan.contains(path) {
        return true;
    }
    let stem = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().trim_start_matches('_').to_owned())
        .unwrap_or_default();
    !stem.is_empty() && plan.contains(&stem)
}

#[cfg(test)]
mod tests {
    use super::in_plan;

    #[test]
    fn a_write_is_in_the_plan_when_the_plan_names_its_file_or_model() {
        let plan = "# Plan\n\n- **Add** `models/marts/silver_customers.sql`: one row per account\n";
        assert!(in_plan(plan, "models/marts/silver_customers.sql"));
        assert!(in_plan(plan, "models/marts/_silver_customers.yml"));
        assert!(in_plan(plan, "./models/marts/silver_customers.sql"));
        assert!(in_plan(plan, ".vibedata/intents/x/todo.json"));
        assert!(!in_plan(plan, "models/marts/metricflow_time_spine.sql"));
        assert!(!in_plan(plan, "models/staging/stg_accounts.sql"));
        assert!(!in_plan(plan, "_.yml"));
    }
}
