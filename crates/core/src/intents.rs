//! Intents: the lifecycle state machine ([`lifecycle`]), intents in the store and on their branch
//! ([`records`]), the agent stages ([`stages`]), plan versions and variants ([`plans`]),
//! validation on the local DuckDB ([`validation`]) and the pull request that ends an intent
//! ([`pull_request`]). The front door is [`Intents`].

pub mod lifecycle;
pub mod plans;
pub mod pull_request;
pub mod records;
pub mod stages;
pub mod validation;

use std::sync::Arc;

use std::sync::atomic::{AtomicBool, Ordering};

use vibedata_protocol::{IntentDto, IntentState, MergedDto};

use crate::agents::Agents;
use crate::github::GitHub;
use crate::intents::lifecycle::{Actor, IntentStep};
use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};
use crate::workspaces::git;
use crate::workspaces::registry::Workspace;

/// What follows an intent's end (merged or abandoned) outside the intent itself — its ephemeral
/// Fabric workspace torn down. Given by the composition ([`crate::studio::Studio`]), so intents
/// know no capability above them. It never fails the end: trouble is logged and shows elsewhere.
pub trait OnIntentEnded: Send + Sync {
    fn ended<'a>(&'a self, intent_id: &'a str) -> futures::future::BoxFuture<'a, ()>;
}

/// The intents' front door: an intent from creation to its pull request.
pub struct Intents {
    platform: Arc<Platform>,
    agents: Arc<Agents>,
    github: Arc<GitHub>,
    on_ended: Arc<dyn OnIntentEnded>,
    /// Validations running now, by intent: set to stop its dbt build.
    validations: std::sync::Mutex<std::collections::HashMap<String, Arc<AtomicBool>>>,
}

impl Intents {
    pub fn new(
        platform: Arc<Platform>,
        agents: Arc<Agents>,
        github: Arc<GitHub>,
        on_ended: Arc<dyn OnIntentEnded>,
    ) -> Self {
        Self {
            platform,
            agents,
            github,
            on_ended,
            validations: Default::default(),
        }
    }

    /// The workspace at the intent's worktree, where all of the intent's work happens.
    async fn intent_tree(&self, intent: &IntentDto) -> Result<Workspace> {
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let intent = intent.clone();
        blocking(move || records::tree(&ws, &intent)).await
    }

    async fn intent_workspace(&self, workspace_id: &str) -> Result<Workspace> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
        })
        .await
    }

    /// Starts an intent on a workspace (branch, folder, first commit as the configured identity).
    pub async fn create_intent(&self, workspace_id: &str, title: String) -> Result<IntentDto> {
        let ws = self.intent_workspace(workspace_id).await?;
        let store = self.platform.store.clone();
        blocking(move || {
            let author = crate::workspaces::identity::for_commit(&store, &ws.path)?;
            records::create(&store, &ws, &title, &author).map(|i| for_origin(&ws, i))
        })
        .await
    }

    pub async fn list_intents(&self, workspace_id: &str) -> Result<Vec<IntentDto>> {
        let ws = self.intent_workspace(workspace_id).await?;
        let (store, id) = (self.platform.store.clone(), workspace_id.to_owned());
        blocking(move || {
            records::list(&store, &id)?
                .into_iter()
                .map(|i| fit_offers(&ws, i))
                .collect()
        })
        .await
    }

    /// Stops a running validation of `intent_id`: its dbt build is killed, and the validation
    /// ends failed ("cancelled"), so the person can build again.
    pub fn cancel_validation(&self, intent_id: &str) -> Result<()> {
        let running = self.validations.lock().unwrap_or_else(|p| p.into_inner());
        let flag = running.get(intent_id).ok_or_else(|| {
            CoreError::NotFound(format!("no validation of intent {intent_id} is running"))
        })?;
        flag.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn validation_started(&self, intent_id: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.validations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(intent_id.to_owned(), flag.clone());
        flag
    }

    fn validation_ended(&self, intent_id: &str) {
        self.validations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(intent_id);
    }

    /// Abandons an intent: its records, worktree and branch go (audited); a merged one stays. What
    /// follows its end runs then ([`OnIntentEnded`]: its ephemeral Fabric workspace torn down, or
    /// listed as an orphan when Fabric cannot be reached).
    pub async fn abandon_intent(&self, intent_id: &str) -> Result<()> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let store = self.platform.store.clone();
        let abandoned = intent.id.clone();
        blocking(move || records::abandon(&store, &ws, &intent.id).map(|_| ())).await?;
        self.on_ended.ended(&abandoned).await;
        Ok(())
    }

    /// Merges a Ready intent into the default branch here — for a repository whose origin has no
    /// pull requests — as the person, then pushes the default branch to the origin when there is
    /// one. The person's checkout is updated only when it is on the default branch and clean.
    pub async fn merge_locally(&self, intent_id: &str) -> Result<MergedDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        if intent.state != IntentState::Ready {
            return Err(CoreError::InvalidInput(format!(
                "an intent is merged once validation has passed; this one is {}",
                intent.state.label()
            )));
        }
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        if on_github(&ws) {
            return Err(CoreError::InvalidInput(
                "this repository is on GitHub: open a pull request instead (it is merged there)"
                    .into(),
            ));
        }
        let tree = self.intent_tree(&intent).await?;
        let store = self.platform.store.clone();
        let (intent, base, commit) = blocking(move || {
            let author = crate::workspaces::identity::for_commit(&store, &ws.path)?;
            let (base, commit) = git::merge_into_default(&ws.path, &intent.branch, &author)?;
            let merged =
                records::apply(&store, &tree, &intent.id, IntentStep::Merge, &Actor::Person)?;
            if !intent.worktree.is_empty()
                && let Err(e) = git::remove_worktree(&ws.path, &intent.branch)
            {
                tracing::warn!(error = %e, "the merged intent's worktree stays");
            }
            Ok((for_origin(&ws, merged), base, commit))
        })
        .await?;
        let ws = self.intent_workspace(&intent.workspace_id).await?;
        let (pushed, push_problem) = match ws.origin_url {
            None => (
                false,
                Some("no remote: the merge stays in this clone".to_string()),
            ),
            Some(_) => {
                let (path, branch) = (ws.path.clone(), base.clone());
                match blocking(move || git::push(&path, &branch)).await {
                    Ok(()) => (true, None),
                    Err(e) => (false, Some(e.to_string())),
                }
            }
        };
        self.on_ended.ended(&intent.id).await;
        Ok(MergedDto {
            intent,
            base,
            commit,
            pushed,
            push_problem,
        })
    }

    /// Validates a building intent on the local warehouse (dbt build of the touched models and
    /// downstream, golden data, success criteria), commits the report on its branch and moves it to
    /// Ready or ValidationFailed.
    pub async fn validate_intent(
        &self,
        intent_id: &str,
    ) -> Result<vibedata_protocol::ValidationDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        let (store, venv, id) = (
            self.platform.store.clone(),
            self.platform
                .venv()
                .cancellable(self.validation_started(intent_id)),
            intent_id.to_owned(),
        );
        let outcome = blocking(move || {
            if intent.state == IntentState::Building && !records::built(&ws, &intent)? {
                return Err(CoreError::InvalidInput(
                    "nothing is built on this intent's branch yet: run the Build agent (or write the models) first"
                        .into(),
                ));
            }
            let validator = Actor::Agent("validation".into());
            records::apply(&store, &ws, &id, IntentStep::StartValidation, &validator)?;
            let dir = records::folder(&ws.path, &id);
            let outcome = validation::validate(&venv, &ws, &dir);
            let report = match outcome {
                Ok(report) => report,
                Err(e) => validation::Report {
                    passed: false,
                    touched_models: Vec::new(),
                    checks: vec![validation::Check {
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
                IntentStep::ValidationPassed
            } else {
                IntentStep::ValidationFailed
            };
            let intent = records::apply(&store, &ws, &id, step, &validator)?;
            let author = crate::workspaces::identity::for_commit(&store, &ws.path)?;
            let verdict = if report.passed { "passed" } else { "failed" };
            git::commit_all(
                &ws.path,
                &format!("Validation {verdict}: {}", intent.title),
                &author,
            )?;
            Ok(vibedata_protocol::ValidationDto {
                intent: for_origin(&ws, intent),
                passed: report.passed,
                checks: checks_dto(&report),
                markdown,
            })
        })
        .await;
        self.validation_ended(intent_id);
        outcome
    }

    /// "Check on Spark": builds the intent's touched models (with their ancestors and descendants)
    /// on Apache Spark in local mode, the dialect Fabric runs. Writes `spark.md` in the intent
    /// folder and commits it; the intent's state does not move (validation stays on DuckDB).
    pub async fn check_on_spark(
        &self,
        intent_id: &str,
    ) -> Result<vibedata_protocol::SparkCheckDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        let (store, venv) = (
            self.platform.store.clone(),
            self.platform
                .venv()
                .cancellable(self.validation_started(intent_id)),
        );
        let outcome = blocking(move || {
            let started = std::time::Instant::now();
            let touched = validation::touched_models(&ws.path, &ws.project_dir)?;
            let report = validation::validate_on_spark(&venv, &ws, &touched)?;
            let markdown =
                report
                    .markdown(&intent.title)
                    .replacen("# Validation of", "# Spark check of", 1);
            let dir = records::folder(&ws.path, &intent.id);
            std::fs::write(dir.join("spark.md"), &markdown)
                .map_err(|e| CoreError::io("cannot write spark.md", e))?;
            let author = crate::workspaces::identity::for_commit(&store, &ws.path)?;
            let verdict = if report.passed { "passed" } else { "failed" };
            git::commit_all(
                &ws.path,
                &format!("Spark check {verdict}: {}", intent.title),
                &author,
            )?;
            Ok(vibedata_protocol::SparkCheckDto {
                intent_id: intent.id,
                engine: "spark".into(),
                passed: report.passed,
                touched_models: report.touched_models.clone(),
                checks: checks_dto(&report),
                markdown,
                seconds: started.elapsed().as_secs_f64(),
            })
        })
        .await;
        self.validation_ended(intent_id);
        outcome
    }

    /// Builds a whole workspace's project on an engine (`vibedata validate` without an intent).
    pub async fn build_workspace(
        &self,
        workspace_id: &str,
        engine: validation::Engine,
    ) -> Result<vibedata_protocol::SparkCheckDto> {
        let ws = self.intent_workspace(workspace_id).await?;
        let venv = self.platform.venv();
        blocking(move || {
            let started = std::time::Instant::now();
            let report = validation::build_project(&venv, &ws, engine)?;
            Ok(vibedata_protocol::SparkCheckDto {
                intent_id: String::new(),
                engine: serde_json::to_value(engine)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                passed: report.passed,
                touched_models: Vec::new(),
                markdown: report.markdown(&ws.name),
                checks: checks_dto(&report),
                seconds: started.elapsed().as_secs_f64(),
            })
        })
        .await
    }

    /// The plan versions and variants of an intent, with the current plan.
    pub async fn plans(&self, intent_id: &str) -> Result<vibedata_protocol::PlansDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        blocking(move || {
            let dir = records::folder(&ws.path, &intent.id);
            Ok(vibedata_protocol::PlansDto {
                versions: plans::versions(&dir)?
                    .into_iter()
                    .map(|v| v.version)
                    .collect(),
                variants: plans::variants(&dir)?,
                current: std::fs::read_to_string(dir.join("plan.md")).ok(),
                intent_id: intent.id,
            })
        })
        .await
    }

    /// The diff from the current plan to a variant.
    pub async fn variant_diff(&self, intent_id: &str, variant: String) -> Result<String> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        blocking(move || plans::variant_diff(&records::folder(&ws.path, &intent.id), &variant))
            .await
    }

    /// The diff between two plan versions.
    pub async fn plan_diff(&self, intent_id: &str, from: u32, to: u32) -> Result<String> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        blocking(move || plans::diff(&records::folder(&ws.path, &intent.id), from, to)).await
    }

    /// Restores a plan version (`version`) or adopts a variant (`variant`) as the current plan.
    pub async fn replace_plan(
        &self,
        intent_id: &str,
        version: Option<u32>,
        variant: Option<String>,
    ) -> Result<vibedata_protocol::PlansDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        blocking(move || {
            let source = match (version, variant.as_deref()) {
                (Some(v), None) => records::PlanSource::Version(v),
                (None, Some(name)) => records::PlanSource::Variant(name),
                _ => {
                    return Err(CoreError::InvalidInput(
                        "give either a version or a variant".into(),
                    ));
                }
            };
            records::replace_plan(&store, &ws, &id, source)
        })
        .await?;
        self.plans(intent_id).await
    }

    /// A person takes a step of an intent's lifecycle (e.g. approves its plan).
    pub async fn intent_step(&self, intent_id: &str, step: IntentStep) -> Result<IntentDto> {
        // These steps are what an act does, never a bare change of state.
        let act = match step {
            IntentStep::StartValidation
            | IntentStep::ValidationPassed
            | IntentStep::ValidationFailed => Some("validate the intent"),
            IntentStep::OpenPullRequest => Some("open its pull request"),
            IntentStep::Merge => Some("merge it (locally, or its pull request on GitHub)"),
            IntentStep::Deploy => Some("deploy through the repository's workflow"),
            _ => None,
        };
        if let Some(act) = act {
            return Err(CoreError::InvalidInput(format!(
                "'{}' is taken by what it names: {act}",
                step.label()
            )));
        }
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || records::get(&store, &id)).await?;
        let ws = self.intent_tree(&intent).await?;
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        blocking(move || {
            let intent = records::apply(&store, &ws, &id, step, &Actor::Person)?;
            if step == IntentStep::ApprovePlan {
                // The approved plan (and the documents it rests on) goes on the branch.
                let author = crate::workspaces::identity::for_commit(&store, &ws.path)?;
                let message = format!("Approve plan v{}: {}", intent.plan_version, intent.title);
                match git::commit_all(&ws.path, &message, &author) {
                    Ok(_) | Err(CoreError::InvalidInput(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(for_origin(&ws, intent))
        })
        .await
    }
}

/// The origin is a GitHub repository (pull requests are opened there).
pub(crate) fn on_github(ws: &Workspace) -> bool {
    ws.origin_url
        .as_deref()
        .and_then(crate::github::repos::repo_of_remote)
        .is_some()
}

/// The offers of an intent fitted to its repository: a pull request on GitHub, else a merge
/// here.
fn for_origin(ws: &Workspace, mut intent: IntentDto) -> IntentDto {
    if !on_github(ws) {
        intent.offers.pull_request = intent.state == IntentState::PullRequest;
        intent.offers.merge_locally = intent.state == IntentState::Ready;
    }
    intent
}

/// [`for_origin`], and validation offered only once something is built. Blocking (git). (The
/// plan can be approved once `plan_written`: the page shows the step, waiting for it.)
fn fit_offers(ws: &Workspace, intent: IntentDto) -> Result<IntentDto> {
    let mut intent = for_origin(ws, intent);
    if intent.worktree.is_empty() {
        // Made before worktrees: its documents are in the domain's own checkout.
        intent.plan_written = records::plan_in(&ws.path, &intent.id);
    }
    if intent.state == IntentState::Building {
        let tree = records::tree(ws, &intent)?;
        if !records::built(&tree, &intent)? {
            intent
                .offers
                .steps
                .retain(|s| *s != IntentStep::StartValidation);
        }
    }
    Ok(intent)
}

fn checks_dto(report: &validation::Report) -> Vec<vibedata_protocol::ValidationCheckDto> {
    report
        .checks
        .iter()
        .map(|c| vibedata_protocol::ValidationCheckDto {
            name: c.name.clone(),
            passed: c.passed,
            summary: c.summary.clone(),
        })
        .collect()
}
