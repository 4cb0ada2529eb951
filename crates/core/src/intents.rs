//! Intents in the store and on their branch: creating one makes `intent/<slug>` from the default
//! branch and commits its folder `.vibedata/intents/<id>/` (`intent.md`, `progress.json`); steps
//! go through [`crate::intent::next`] with guards read from that folder, are logged in order, and
//! a person's approvals are audited. Blocking (rusqlite, git2): call from a blocking thread.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Row, params};
use serde_json::json;
use vibedata_protocol::IntentDto;

use crate::git::{self, INTENT_PREFIX, Identity};
use crate::intent::{Actor, Guards, IntentState, Step, next};
use crate::store::Store;
use crate::workspace::Workspace;
use crate::{CoreError, Result, agent_sessions, audit};

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

/// Build rounds allowed per plan version before the plan must be revised.
pub const MAX_BUILD_ROUNDS: u32 = 3;

/// The intent's folder inside the clone.
pub fn folder(workspace: &Path, intent_id: &str) -> PathBuf {
    workspace.join(".vibedata/intents").join(intent_id)
}

/// A branch-safe slug from a title: lower-case words joined by `-`, at most 60 characters.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        if slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    slug
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<IntentDto> {
    let slug: String = r.get("slug")?;
    Ok(IntentDto {
        id: r.get("id")?,
        workspace_id: r.get("workspace_id")?,
        branch: format!("{INTENT_PREFIX}{slug}"),
        slug,
        title: r.get("title")?,
        state: r.get("state")?,
        plan_version: r.get::<_, i64>("plan_version")? as u32,
        build_rounds: r.get::<_, i64>("build_rounds")? as u32,
    })
}

const COLUMNS: &str = "id, workspace_id, slug, title, state, plan_version, build_rounds";

pub fn get(store: &Store, id: &str) -> Result<IntentDto> {
    store
        .with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM intents WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
        })?
        .ok_or_else(|| CoreError::NotFound(format!("no intent {id}")))
}

pub fn list(store: &Store, workspace_id: &str) -> Result<Vec<IntentDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM intents WHERE workspace_id = ?1 ORDER BY created_at DESC, rowid DESC"))?;
        stmt.query_map([workspace_id], from_row)?.collect()
    })
}

fn write_progress(ws: &Path, intent: &IntentDto) -> Result<()> {
    let dir = folder(ws, &intent.id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let progress = json!({"state": intent.state, "plan_version": intent.plan_version, "build_rounds": intent.build_rounds});
    let text =
        serde_json::to_string_pretty(&progress).map_err(|e| CoreError::Internal(e.to_string()))?;
    std::fs::write(dir.join("progress.json"), format!("{text}\n"))
        .map_err(|e| CoreError::io("cannot write progress.json", e))
}

/// Starts an intent: its branch from the default branch (the tree must be clean), its folder,
/// and a first commit by `author`.
pub fn create(store: &Store, ws: &Workspace, title: &str, author: &Identity) -> Result<IntentDto> {
    let title = title.trim();
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(CoreError::InvalidInput(
            "give the intent a title with some letters or digits".into(),
        ));
    }
    let taken: bool = store.with(|c| {
        c.query_row(
            "SELECT 1 FROM intents WHERE workspace_id = ?1 AND slug = ?2",
            params![ws.id, slug],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
    })?;
    if taken {
        return Err(CoreError::InvalidInput(format!(
            "an intent `{slug}` already exists in {}; choose another title",
            ws.name
        )));
    }
    let branch = git::create_intent_branch(&ws.path, &slug)?;
    let id = uuid::Uuid::new_v4().to_string();
    let intent = IntentDto {
        id: id.clone(),
        workspace_id: ws.id.clone(),
        slug: slug.clone(),
        title: title.to_string(),
        state: IntentState::Draft.as_str().into(),
        branch,
        plan_version: 0,
        build_rounds: 0,
    };
    let dir = folder(&ws.path, &id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let intent_md = format!(
        "# {title}\n\n## Business context\n\n_The Requirements agent writes this from the conversation._\n\n## Success criteria\n\n_Checks the validation must pass._\n"
    );
    std::fs::write(dir.join("intent.md"), intent_md)
        .map_err(|e| CoreError::io("cannot write intent.md", e))?;
    write_progress(&ws.path, &intent)?;
    git::commit_all(&ws.path, &format!("Start intent: {title}"), author)?;
    let at = agent_sessions::now();
    store.with(|c| {
        c.execute(
            "INSERT INTO intents (id, workspace_id, slug, title, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?5)",
            params![id, ws.id, slug, title, at],
        )
        .map(|_| ())
    })?;
    tracing::info!(intent_id = %id, workspace_id = %ws.id, slug = %slug, "intent created");
    Ok(intent)
}

/// Takes `step` for `actor`, if the lifecycle allows it.
pub fn apply(
    store: &Store,
    ws: &Workspace,
    intent_id: &str,
    step: Step,
    actor: &Actor,
) -> Result<IntentDto> {
    let mut intent = get(store, intent_id)?;
    let from = IntentState::parse(&intent.state)
        .ok_or_else(|| CoreError::Internal(format!("intent {intent_id} has an unknown state")))?;
    let guards = Guards {
        plan_written: folder(&ws.path, intent_id).join("plan.md").is_file(),
        build_rounds: intent.build_rounds,
        max_build_rounds: MAX_BUILD_ROUNDS,
    };
    let to = next(from, step, actor, guards).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    match step {
        Step::RevisePlan => {
            intent.plan_version += 1;
            intent.build_rounds = 0;
        }
        Step::StartBuild | Step::RetryBuild => intent.build_rounds += 1,
        _ => {}
    }
    intent.state = to.as_str().into();
    let actor_name = match actor {
        Actor::Person => "person".to_string(),
        Actor::Agent(name) => format!("agent:{name}"),
    };
    let at = agent_sessions::now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "UPDATE intents SET state = ?2, plan_version = ?3, build_rounds = ?4, updated_at = ?5 WHERE id = ?1",
            params![intent.id, intent.state, intent.plan_version as i64, intent.build_rounds as i64, at],
        )?;
        let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM intent_transitions WHERE intent_id = ?1", [&intent.id], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO intent_transitions (intent_id, seq, at, actor, step, from_state, to_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![intent.id, seq, at, actor_name, step.as_str(), from.as_str(), to.as_str()],
        )?;
        if step.is_human_only() || step == Step::RevisePlan {
            audit::append_on(&tx, at, &actor_name, step.as_str(), &intent.id, &json!({"from": from.as_str(), "to": to.as_str(), "plan_version": intent.plan_version}))?;
        }
        tx.commit()
    })?;
    if step == Step::ApprovePlan {
        crate::plans::keep(&folder(&ws.path, intent_id), intent.plan_version)?;
    }
    write_progress(&ws.path, &intent)?;
    Ok(intent)
}

/// Restores an older plan version, or adopts a variant, as the current plan; only while planning
/// (after "revise plan"), so the result is approved as a new version.
pub fn replace_plan(
    store: &Store,
    ws: &Workspace,
    intent_id: &str,
    source: PlanSource<'_>,
) -> Result<()> {
    let intent = get(store, intent_id)?;
    if intent.state != IntentState::Planning.as_str() {
        return Err(CoreError::InvalidInput(format!(
            "the plan can be replaced only while planning (this intent is {}); revise the plan first",
            intent.state
        )));
    }
    let dir = folder(&ws.path, intent_id);
    match source {
        PlanSource::Version(v) => crate::plans::restore(&dir, v),
        PlanSource::Variant(name) => crate::plans::adopt(&dir, name),
    }
}

/// Where a replacement plan comes from.
#[derive(Debug, Clone, Copy)]
pub enum PlanSource<'a> {
    Version(u32),
    Variant(&'a str),
}

impl crate::studio::Studio {
    async fn intent_workspace(&self, workspace_id: &str) -> Result<Workspace> {
        let (store, id) = (self.store.clone(), workspace_id.to_owned());
        crate::error::blocking(move || {
            crate::workspace::find_by_id(&store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
        })
        .await
    }

    /// Starts an intent on a workspace (branch, folder, first commit as the configured identity).
    pub async fn create_intent(&self, workspace_id: &str, title: String) -> Result<IntentDto> {
        let ws = self.intent_workspace(workspace_id).await?;
        let store = self.store.clone();
        crate::error::blocking(move || {
            let author = crate::identity::for_commit(&store, &ws.path)?;
            create(&store, &ws, &title, &author)
        })
        .await
    }

    pub async fn list_intents(&self, workspace_id: &str) -> Result<Vec<IntentDto>> {
        let (store, id) = (self.store.clone(), workspace_id.to_owned());
        crate::error::blocking(move || list(&store, &id)).await
    }

    /// Validates a building intent on the local warehouse (dbt build of the touched models and
    /// downstream, golden data, success criteria), commits the report on its branch and moves it to
    /// Ready or ValidationFailed.
    pub async fn validate_intent(
        &self,
        intent_id: &str,
    ) -> Result<vibedata_protocol::ValidationDto> {
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let (store, venv, id) = (
            self.store.clone(),
            crate::venv::Venv::new(&self.paths.venv),
            intent_id.to_owned(),
        );
        crate::error::blocking(move || {
            let validator = Actor::Agent("validation".into());
            apply(&store, &ws, &id, Step::StartValidation, &validator)?;
            let dir = folder(&ws.path, &id);
            let outcome = crate::validation::validate(&venv, &ws.path, &dir);
            let report = match outcome {
                Ok(report) => report,
                Err(e) => crate::validation::Report {
                    passed: false,
                    touched_models: Vec::new(),
                    checks: vec![crate::validation::Check {
                        name: "environment".into(),
                        passed: false,
                        summary: e.to_string(),
                        numbers: serde_json::Value::Null,
                        samples: Vec::new(),
                    }],
                },
            };
            let markdown = report.markdown(&intent.title);
            std::fs::write(dir.join("validation.md"), &markdown)
                .map_err(|e| CoreError::io("cannot write validation.md", e))?;
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            std::fs::write(dir.join("validation.json"), json)
                .map_err(|e| CoreError::io("cannot write validation.json", e))?;
            let step = if report.passed {
                Step::ValidationPassed
            } else {
                Step::ValidationFailed
            };
            let intent = apply(&store, &ws, &id, step, &validator)?;
            let author = crate::identity::for_commit(&store, &ws.path)?;
            let verdict = if report.passed { "passed" } else { "failed" };
            git::commit_all(
                &ws.path,
                &format!("Validation {verdict}: {}", intent.title),
                &author,
            )?;
            Ok(vibedata_protocol::ValidationDto {
                intent,
                passed: report.passed,
                checks: report
                    .checks
                    .iter()
                    .map(|c| vibedata_protocol::ValidationCheckDto {
                        name: c.name.clone(),
                        passed: c.passed,
                        summary: c.summary.clone(),
                    })
                    .collect(),
                markdown,
            })
        })
        .await
    }

    /// Runs an agent stage of an intent on its branch: `requirements` (while planning: reads the
    /// domain and writes `intent.md`, `plan.md`, `todo.json`) or `build` (while building: writes
    /// the models, tests and contract, commits each step). Writes wait for the person's approval.
    pub async fn run_intent_stage(
        &self,
        intent_id: &str,
        stage: &str,
        on_event: impl Fn(vibedata_protocol::SessionEventDto) + Send + Sync + 'static,
    ) -> Result<vibedata_protocol::SessionDto> {
        self.run_intent_stage_on(intent_id, stage, None, on_event)
            .await
    }

    /// [`Studio::run_intent_stage`] on a given provider (a recording, another endpoint); `None`
    /// chooses as the app does. The code path is the same whatever answers.
    pub async fn run_intent_stage_on(
        &self,
        intent_id: &str,
        stage: &str,
        provider: Option<std::sync::Arc<dyn vibedata_agent::provider::Provider>>,
        on_event: impl Fn(vibedata_protocol::SessionEventDto) + Send + Sync + 'static,
    ) -> Result<vibedata_protocol::SessionDto> {
        use crate::agent_runtime::{DEMO_INTENT_BUILD, DEMO_REQUIREMENTS, DEMO_VARIANTS};
        use vibedata_agent::message::Message;
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let (needed, replay, agent, prompt) = match stage {
            "requirements" => (
                IntentState::Planning,
                DEMO_REQUIREMENTS,
                "requirements",
                REQUIREMENTS_PROMPT,
            ),
            "build" => (
                IntentState::Building,
                DEMO_INTENT_BUILD,
                "build",
                INTENT_BUILD_PROMPT,
            ),
            "variants" => (
                IntentState::Planning,
                DEMO_VARIANTS,
                "requirements",
                VARIANTS_PROMPT,
            ),
            other => {
                return Err(CoreError::InvalidInput(format!(
                    "'{other}' is not an agent stage (requirements, variants or build)"
                )));
            }
        };
        if intent.state != needed.as_str() {
            return Err(CoreError::InvalidInput(format!(
                "the {stage} agent works on an intent that is {}; this one is {}",
                needed.as_str().replace('_', " "),
                intent.state.replace('_', " ")
            )));
        }
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let dir = folder(&ws.path, &intent.id);
        let (branch, _) = crate::workspace::read_head(&ws.path)?;
        if branch.as_deref() != Some(intent.branch.as_str()) {
            crate::git::switch_branch(&ws.path, &intent.branch)?;
        }
        let provider = match provider {
            Some(p) => p,
            None => self.agent_provider(replay)?,
        };
        let (label, is_replay) = (provider.label(), provider.is_replay());
        // A build round after a failed validation starts from that report.
        let feedback = match std::fs::read_to_string(dir.join("validation.md")) {
            Ok(report) if stage == "build" => {
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
        let store = self.store.clone();
        let (ws_id, label2, agent2, first2) = (
            ws.id.clone(),
            label.clone(),
            agent.to_string(),
            first.clone(),
        );
        let session_id = crate::error::blocking(move || {
            crate::agent_sessions::create(
                &store,
                Some(&ws_id),
                &agent2,
                &label2,
                is_replay,
                &first2,
            )
        })
        .await?;
        let session_context = serde_json::json!({
            "intent": intent.id,
            "stage": stage,
            "session": session_id,
            "branch": intent.branch,
            "plan_version": intent.plan_version,
            "provider": label,
            "replay": is_replay,
        });
        std::fs::write(
            dir.join("session_context.json"),
            serde_json::to_string_pretty(&session_context)
                .map_err(|e| CoreError::Internal(e.to_string()))?
                + "\n",
        )
        .map_err(|e| CoreError::io("cannot write session_context.json", e))?;
        let tools: Vec<std::sync::Arc<dyn vibedata_agent::tools::Tool>> =
            vec![std::sync::Arc::new(crate::agent_tools::WriteIntentDoc {
                folder: dir,
            })];
        let redactor = vibedata_agent::redact::Redactor::default();
        self.launch(
            &session_id,
            &ws.id,
            ws.path.clone(),
            provider,
            redactor,
            first,
            Default::default(),
            tools,
            on_event,
        )
        .await?;
        Ok(vibedata_protocol::SessionDto {
            id: session_id,
            agent: agent.into(),
            provider: label,
            is_replay,
            status: "running".into(),
        })
    }

    /// The plan versions and variants of an intent, with the current plan.
    pub async fn plans(&self, intent_id: &str) -> Result<vibedata_protocol::PlansDto> {
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        crate::error::blocking(move || {
            let dir = folder(&ws.path, &intent.id);
            Ok(vibedata_protocol::PlansDto {
                versions: crate::plans::versions(&dir)?
                    .into_iter()
                    .map(|v| v.version)
                    .collect(),
                variants: crate::plans::variants(&dir)?,
                current: std::fs::read_to_string(dir.join("plan.md")).ok(),
                intent_id: intent.id,
            })
        })
        .await
    }

    /// The diff from the current plan to a variant.
    pub async fn variant_diff(&self, intent_id: &str, variant: String) -> Result<String> {
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        crate::error::blocking(move || {
            crate::plans::variant_diff(&folder(&ws.path, &intent.id), &variant)
        })
        .await
    }

    /// The diff between two plan versions.
    pub async fn plan_diff(&self, intent_id: &str, from: u32, to: u32) -> Result<String> {
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        crate::error::blocking(move || crate::plans::diff(&folder(&ws.path, &intent.id), from, to))
            .await
    }

    /// Restores a plan version (`version`) or adopts a variant (`variant`) as the current plan.
    pub async fn replace_plan(
        &self,
        intent_id: &str,
        version: Option<u32>,
        variant: Option<String>,
    ) -> Result<vibedata_protocol::PlansDto> {
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        crate::error::blocking(move || {
            let source = match (version, variant.as_deref()) {
                (Some(v), None) => PlanSource::Version(v),
                (None, Some(name)) => PlanSource::Variant(name),
                _ => {
                    return Err(CoreError::InvalidInput(
                        "give either a version or a variant".into(),
                    ));
                }
            };
            replace_plan(&store, &ws, &id, source)
        })
        .await?;
        self.plans(intent_id).await
    }

    /// A person takes a step of an intent's lifecycle (e.g. approves its plan).
    pub async fn intent_step(&self, intent_id: &str, step: &str) -> Result<IntentDto> {
        let step = Step::parse(step)
            .ok_or_else(|| CoreError::InvalidInput(format!("'{step}' is not an intent step")))?;
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        let intent = crate::error::blocking(move || get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let (store, id) = (self.store.clone(), intent_id.to_owned());
        crate::error::blocking(move || {
            let intent = apply(&store, &ws, &id, step, &Actor::Person)?;
            if step == Step::ApprovePlan {
                // The approved plan (and the documents it rests on) goes on the branch.
                let author = crate::identity::for_commit(&store, &ws.path)?;
                let message = format!("Approve plan v{}: {}", intent.plan_version, intent.title);
                match git::commit_all(&ws.path, &message, &author) {
                    Ok(_) | Err(CoreError::InvalidInput(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(intent)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_branch_safe() {
        assert_eq!(
            slugify("Silver customer table from CRM bronze!"),
            "silver-customer-table-from-crm-bronze"
        );
        assert_eq!(slugify("  ---  "), "");
        assert!(slugify(&"word ".repeat(40)).len() <= 60);
    }
}
