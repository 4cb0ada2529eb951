//! Running agent sessions for the app: choosing the provider (the team's Foundry endpoint with
//! its key from the keychain, or — when none is configured — the bundled demo replay, labelled as
//! such), starting a session on a workspace with the first tool set, streaming its events,
//! taking a person's approvals, cancelling, and reporting usage. Everything is journaled to the
//! store ([`crate::agents::sessions`]) and audited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use vibedata_agent::message::Message;
use vibedata_agent::provider::Provider;
use vibedata_agent::redact::Redactor;
use vibedata_agent::replay::ReplayProvider;
use vibedata_agent::session::{
    Answer, ApprovalRequest, Approver, Outcome, Session, SessionConfig, SessionEvent,
};
use vibedata_agent::tools::{ToolNote, file_tools};
use vibedata_protocol::{
    AgentRole, SessionDto, SessionEventDto, SessionStatus, SessionUsageDto, ToolScope,
    TranscriptDto, UsageDto,
};

use crate::agents::sessions::{self as agent_sessions, SqliteJournal};
use crate::agents::{Agents, model};
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::keychain as credentials;
use crate::workspaces::registry as workspace;
use crate::workspaces::registry::Workspace;

/// The demo transcript used when no model endpoint is configured.
const DEMO_REPLAY: &str = include_str!("../../assets/replays/demo-build.jsonl");

/// The demo transcripts of the intent stages (hand-written; labelled as replays).
pub(crate) const DEMO_REQUIREMENTS: &str =
    include_str!("../../assets/replays/demo-requirements.jsonl");
pub(crate) const DEMO_INTENT_BUILD: &str =
    include_str!("../../assets/replays/demo-build-intent.jsonl");
pub(crate) const DEMO_VARIANTS: &str = include_str!("../../assets/replays/demo-variants.jsonl");
/// The demo transcript of the reviewer advisor, written for the demo loop's intent branch.
pub(crate) const DEMO_REVIEW: &str = include_str!("../../assets/replays/demo-review.jsonl");

/// The bundled replay a session was started on, from its provider label.
fn replay_for(label: &str) -> &'static str {
    if label.contains("proposing variants") {
        DEMO_VARIANTS
    } else if label.contains("Requirements agent") {
        DEMO_REQUIREMENTS
    } else if label.contains("Build agent on an intent") {
        DEMO_INTENT_BUILD
    } else if label.contains("Reviewer advisor") {
        DEMO_REVIEW
    } else {
        DEMO_REPLAY
    }
}

const BUILD_AGENT_PROMPT: &str = "You are the Build agent of Vibedata Studio. You work in one dbt project (a data domain) \
on the local clone given to you. Read before you write; keep models small and tested; never touch files outside the \
project. Writing needs a person's approval.";

/// Approvals waiting for a person, by tool call id (with the tool asked for).
#[derive(Default)]
pub struct PendingApprovals {
    waiting: Mutex<HashMap<String, (String, oneshot::Sender<Answer>)>>,
}

impl Approver for PendingApprovals {
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, Answer> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(request.call.id.clone(), (request.call.name.clone(), tx));
        }
        Box::pin(async move { rx.await.unwrap_or_else(|_| false.into()) })
    }
}

/// Tools whose first approval in a session covers the rest of it: the agent writing its own
/// intent's documents (`intent.md`, `plan.md`, `todo.json`), asked once per stage, not per file.
const APPROVED_ONCE_PER_SESSION: [&str; 1] = ["write_intent_doc"];

/// What a new session starts from.
pub(crate) struct SessionStart {
    pub workspace: Workspace,
    pub agent: AgentRole,
    /// The system prompt and the first user message, unredacted (they are redacted on the way).
    pub first: Vec<Message>,
    pub provider: Arc<dyn Provider>,
    pub extra_tools: Vec<Arc<dyn vibedata_agent::tools::Tool>>,
}

/// A session running in this process.
pub struct Running {
    pub cancel: CancellationToken,
    pub approvals: Arc<PendingApprovals>,
    /// The session's own autonomy (a person's approval can widen it for this session only).
    pub policy: Arc<RwLock<vibedata_agent::policy::Policy>>,
    pub workspace: std::path::PathBuf,
}

fn event_dto(e: SessionEvent) -> SessionEventDto {
    match e {
        SessionEvent::Delta { text } => SessionEventDto::Delta { text },
        SessionEvent::ToolUse { call } => SessionEventDto::ToolUse {
            call_id: call.id,
            tool: call.name,
            arguments: call.arguments,
        },
        SessionEvent::ApprovalNeeded { request } => SessionEventDto::ApprovalNeeded {
            call_id: request.call.id,
            tool: request.call.name,
            scope: tool_scope(request.scope),
            preview: request.preview,
            outside_plan: false,
        },
        SessionEvent::ToolResult {
            call_id,
            output,
            is_error,
        } => SessionEventDto::ToolResult {
            call_id,
            output,
            is_error,
        },
        SessionEvent::Usage { total, .. } => SessionEventDto::Usage {
            prompt_tokens: total.prompt_tokens,
            completion_tokens: total.completion_tokens,
        },
        SessionEvent::Error { message } => SessionEventDto::Error { message },
        SessionEvent::Note { note } => match note {
            ToolNote::Artifact { path } => SessionEventDto::Artifact { path },
            ToolNote::GitCommit {
                id,
                branch,
                message,
            } => SessionEventDto::GitCommit {
                id,
                branch,
                message,
            },
            ToolNote::TodoAdd { id, text } => SessionEventDto::TodoAdd { id, text },
            ToolNote::TodoUpdate { id, done } => SessionEventDto::TodoUpdate { id, done },
        },
    }
}

fn tool_scope(scope: vibedata_agent::policy::Scope) -> ToolScope {
    use vibedata_agent::policy::Scope;
    match scope {
        Scope::Read => ToolScope::Read,
        Scope::Write => ToolScope::Write,
        Scope::Execute => ToolScope::Execute,
        Scope::Network => ToolScope::Network,
        Scope::Privileged => ToolScope::Privileged,
    }
}

fn outcome_status(o: &Outcome) -> (SessionStatus, Option<String>) {
    match o {
        Outcome::Completed { .. } => (SessionStatus::Completed, None),
        Outcome::Cancelled => (SessionStatus::Cancelled, None),
        Outcome::BudgetExceeded(why) => (SessionStatus::BudgetExceeded, Some(why.clone())),
        Outcome::MaxTurns(n) => (
            SessionStatus::MaxTurns,
            Some(format!("stopped after {n} model turns")),
        ),
        Outcome::Failed(e) => (SessionStatus::Failed, Some(e.to_string())),
    }
}

impl Agents {
    /// The model a session on `ws` runs on: the configured endpoint with its API key from the
    /// keychain, or — without a key — the person's Entra token for Foundry (from the Fabric
    /// sign-in); without an endpoint, the bundled replay `replay` — on the demo domain only. A
    /// person's own repository never gets the demo's hand-written answers.
    pub(crate) async fn provider(
        &self,
        replay: &'static str,
        ws: &Workspace,
    ) -> Result<Arc<dyn Provider>> {
        let endpoint = model::endpoint(&self.platform.config, &self.platform.store)?;
        match endpoint {
            Some(endpoint) => {
                let key = blocking(|| credentials::get(model::KEY_NAME)).await?;
                let credential = match key {
                    Some(key) => vibedata_agent::foundry::Credential::ApiKey(key),
                    None => match crate::platform::entra::foundry_bearer(&self.platform).await? {
                        Some(token) => vibedata_agent::foundry::Credential::Bearer(token),
                        None => {
                            return Err(CoreError::ModelNotConfigured(
                                "The model endpoint has no API key in the keychain and nobody is signed in with Entra: add the key under Settings → Model (or run `vibedata credentials set foundry-api-key`), or sign in to Microsoft under Settings → Microsoft Fabric.".into(),
                            ));
                        }
                    },
                };
                let config = vibedata_agent::foundry::FoundryConfig::new(
                    endpoint.base_url,
                    endpoint.deployment,
                    endpoint.style,
                    credential,
                );
                Ok(Arc::new(
                    vibedata_agent::foundry::FoundryProvider::new(config)
                        .map_err(|e| CoreError::Internal(e.to_string()))?,
                ))
            }
            None if ws.is_demo => Ok(Arc::new(
                ReplayProvider::parse(replay).map_err(CoreError::Internal)?,
            )),
            None => Err(model::not_configured()),
        }
    }

    /// Starts the build agent on a workspace with `prompt`; `on_event` receives everything it
    /// does, ending with [`SessionEventDto::Finished`].
    pub async fn start_session(
        &self,
        workspace_id: &str,
        prompt: String,
        on_event: impl Fn(SessionEventDto) + Send + Sync + 'static,
    ) -> Result<SessionDto> {
        if prompt.trim().is_empty() {
            return Err(CoreError::InvalidInput("tell the agent what to do".into()));
        }
        let ws = self.workspace(workspace_id).await?;
        let provider = self.provider(DEMO_REPLAY, &ws).await?;
        let first = vec![Message::system(BUILD_AGENT_PROMPT), Message::user(prompt)];
        self.start(
            SessionStart {
                workspace: ws,
                agent: AgentRole::Build,
                first,
                provider,
                extra_tools: Vec::new(),
            },
            |_| Ok(()),
            on_event,
        )
        .await
    }

    async fn workspace(&self, workspace_id: &str) -> Result<Workspace> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            workspace::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
        })
        .await
    }

    /// The one way a new session begins, whatever the agent: the first messages are stored
    /// redacted, and the session runs with the same redactor (the secrets the app holds and the
    /// shapes of secrets). `before_launch` runs with the new session's id before the loop starts
    /// (an intent stage writes its `session_context.json` there).
    pub(crate) async fn start(
        &self,
        start: SessionStart,
        before_launch: impl FnOnce(&str) -> Result<()>,
        on_event: impl Fn(SessionEventDto) + Send + Sync + 'static,
    ) -> Result<SessionDto> {
        let SessionStart {
            workspace: ws,
            agent,
            first,
            provider,
            extra_tools,
        } = start;
        let (label, is_replay) = (provider.label(), provider.is_replay());
        let redactor = self.redactor()?;
        let stored: Vec<Message> = first
            .iter()
            .map(|m| Message {
                content: redactor.redact(&m.content),
                ..m.clone()
            })
            .collect();
        let store = self.platform.store.clone();
        let (ws_id, label2) = (ws.id.clone(), label.clone());
        let session_id = blocking(move || {
            agent_sessions::create(&store, Some(&ws_id), agent, &label2, is_replay, &stored)
        })
        .await?;
        before_launch(&session_id)?;
        self.launch(
            &session_id,
            agent,
            &ws.id,
            ws.path.clone(),
            provider,
            redactor,
            first,
            Default::default(),
            extra_tools,
            on_event,
        )
        .await?;
        Ok(SessionDto {
            id: session_id,
            agent,
            provider: label,
            is_replay,
            status: SessionStatus::Running,
        })
    }

    /// Runs a session (new or resumed) in the background, journaled; events go to `on_event`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn launch(
        &self,
        session_id: &str,
        agent: AgentRole,
        workspace_id: &str,
        workspace: std::path::PathBuf,
        provider: Arc<dyn Provider>,
        redactor: Redactor,
        messages: Vec<Message>,
        usage: vibedata_agent::message::Usage,
        extra_tools: Vec<Arc<dyn vibedata_agent::tools::Tool>>,
        on_event: impl Fn(SessionEventDto) + Send + Sync + 'static,
    ) -> Result<()> {
        let (store, ws_id, ws_path) = (
            self.platform.store.clone(),
            workspace_id.to_owned(),
            workspace.clone(),
        );
        let (policy, budget, project_dir) = blocking(move || {
            Ok((
                crate::agents::autonomy::policy_for(&store, &ws_id, &ws_path)?,
                crate::agents::budgets::load(&store)?.budget(),
                crate::workspaces::registry::find_by_id(&store, &ws_id)?
                    .map(|w| w.project_dir)
                    .unwrap_or_default(),
            ))
        })
        .await?;
        let policy = Arc::new(RwLock::new(policy));
        let session_workspace = workspace.clone();
        let store = self.platform.store.clone();
        let sid = session_id.to_owned();
        let journal =
            blocking(move || SqliteJournal::start(store, sid, agent.as_str().into())).await?;

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let approvals = Arc::new(PendingApprovals::default());
        let env = crate::agents::tools::ToolEnv {
            store: self.platform.store.clone(),
            venv: self.platform.venv(),
            skills_dir: self.platform.paths().skills_dir.clone(),
            project_dir,
        };
        let mut tools = file_tools();
        tools.extend(crate::agents::tools::workspace_tools(&env));
        tools.extend(extra_tools);
        let mut session = Session::new(
            provider,
            tools,
            policy.clone(),
            approvals.clone(),
            redactor,
            SessionConfig::new(workspace),
            cancel.clone(),
            tx,
            messages,
        );
        session.set_journal(journal.clone());
        session.set_usage(usage);
        session.set_budget(budget);
        if let Ok(mut running) = self.running.lock() {
            running.insert(
                session_id.to_owned(),
                Running {
                    cancel,
                    approvals,
                    policy,
                    workspace: session_workspace,
                },
            );
        }
        // Everything the session did reaches `on_event` before its Finished: the end waits
        // until the events sent before it are forwarded.
        let (done, mut finished) = tokio::sync::oneshot::channel::<SessionEventDto>();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    Some(e) = rx.recv() => on_event(event_dto(e)),
                    last = &mut finished => {
                        while let Ok(e) = rx.try_recv() {
                            on_event(event_dto(e));
                        }
                        if let Ok(last) = last {
                            on_event(last);
                        }
                        break;
                    }
                }
            }
        });
        let store = self.platform.store.clone();
        let sid = session_id.to_owned();
        let registry = self.running.clone();
        tokio::spawn(async move {
            let outcome = session.run().await;
            if let Ok(mut running) = registry.lock() {
                running.remove(&sid);
            }
            let (status, message) = outcome_status(&outcome);
            let flushed = {
                let store = store.clone();
                let sid = sid.clone();
                tokio::task::spawn_blocking(move || {
                    journal.flush();
                    agent_sessions::set_status(&store, &sid, status)
                })
                .await
            };
            if let Ok(Err(e)) | Err(e) = flushed.map_err(|e| CoreError::Internal(e.to_string())) {
                tracing::error!(session_id = %sid, error = %e, "cannot finish the session record");
            }
            tracing::info!(session_id = %sid, status = status.as_str(), "agent session ended");
            let _ = done.send(SessionEventDto::Finished { status, message });
        });
        Ok(())
    }

    /// A stored session and its transcript as panel events (see [`agent_sessions::transcript`]).
    pub async fn session_transcript(&self, session_id: &str) -> Result<TranscriptDto> {
        let (store, id) = (self.platform.store.clone(), session_id.to_owned());
        let (session, events) = blocking(move || agent_sessions::transcript(&store, &id)).await?;
        Ok(TranscriptDto { session, events })
    }

    /// Sessions of a workspace, newest first (to reopen or resume).
    pub async fn list_sessions(&self, workspace_id: &str) -> Result<Vec<SessionDto>> {
        let (store, id) = (self.platform.store.clone(), workspace_id.to_owned());
        blocking(move || agent_sessions::list(&store, &id)).await
    }

    /// Continues an interrupted (or cancelled) session from its stored transcript: pending tool
    /// calls are asked again, then the loop goes on.
    pub async fn resume_session(
        &self,
        session_id: &str,
        on_event: impl Fn(SessionEventDto) + Send + Sync + 'static,
    ) -> Result<SessionDto> {
        if self
            .running
            .lock()
            .map(|r| r.contains_key(session_id))
            .unwrap_or(false)
        {
            return Err(CoreError::InvalidInput(format!(
                "session {session_id} is already running"
            )));
        }
        let (store, id) = (self.platform.store.clone(), session_id.to_owned());
        let (loaded, ws) = blocking(move || {
            let loaded = agent_sessions::load(&store, &id)?;
            let ws_id = agent_sessions::workspace_of(&store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("session {id} has no workspace")))?;
            let ws = workspace::find_by_id(&store, &ws_id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {ws_id}")))?;
            Ok((loaded, ws))
        })
        .await?;
        if !loaded.status.resumable() {
            return Err(CoreError::InvalidInput(format!(
                "session {session_id} is {}; only interrupted or cancelled sessions resume",
                loaded.status.as_str().replace('_', " ")
            )));
        }
        let provider: Arc<dyn Provider> = if loaded.is_replay && ws.is_demo {
            // A replay continues at the turn it had reached.
            let turns = loaded
                .messages
                .iter()
                .filter(|m| m.role == vibedata_agent::message::Role::Assistant)
                .count();
            Arc::new(
                ReplayProvider::parse(replay_for(&loaded.provider))
                    .map_err(CoreError::Internal)?
                    .starting_at(turns),
            )
        } else {
            self.provider(DEMO_REPLAY, &ws).await?
        };
        let store = self.platform.store.clone();
        let sid = session_id.to_owned();
        blocking(move || agent_sessions::set_status(&store, &sid, SessionStatus::Running)).await?;
        let redactor = self.redactor()?;
        let dto = SessionDto {
            id: loaded.id.clone(),
            agent: loaded.agent,
            provider: loaded.provider.clone(),
            is_replay: loaded.is_replay,
            status: SessionStatus::Running,
        };
        self.launch(
            session_id,
            loaded.agent,
            &ws.id,
            ws.path.clone(),
            provider,
            redactor,
            loaded.messages,
            loaded.usage,
            Vec::new(),
            on_event,
        )
        .await?;
        Ok(dto)
    }

    /// The session ceilings and deployment prices applied to new sessions.
    pub async fn budget_settings(&self) -> Result<crate::agents::budgets::BudgetSettings> {
        let store = self.platform.store.clone();
        blocking(move || crate::agents::budgets::load(&store)).await
    }

    pub async fn set_budget_settings(
        &self,
        settings: crate::agents::budgets::BudgetSettings,
    ) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || crate::agents::budgets::save(&store, &settings)).await
    }

    /// A person sets a tool's autonomy level on a workspace (audited). Not reachable by agents.
    pub async fn set_autonomy(
        &self,
        workspace_id: &str,
        tool: String,
        level: String,
    ) -> Result<()> {
        let (store, id) = (self.platform.store.clone(), workspace_id.to_owned());
        blocking(move || {
            workspace::find_by_id(&store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
            crate::agents::autonomy::grant(
                &store,
                &id,
                &tool,
                crate::agents::autonomy::parse_level(&level)?,
                "person",
            )
        })
        .await
    }

    /// A person's answer to a pending approval.
    /// A person's answer to a pending approval; a denial may say why (the agent is told).
    pub fn decide_approval(
        &self,
        session_id: &str,
        call_id: &str,
        approved: bool,
        reason: Option<String>,
    ) -> Result<()> {
        let running = self
            .running
            .lock()
            .map_err(|_| CoreError::Internal("session registry poisoned".into()))?;
        let session = running
            .get(session_id)
            .ok_or_else(|| CoreError::NotFound(format!("session {session_id} is not running")))?;
        let (tool, sender) = session
            .approvals
            .waiting
            .lock()
            .ok()
            .and_then(|mut w| w.remove(call_id))
            .ok_or_else(|| {
                CoreError::NotFound(format!("no approval is waiting for call {call_id}"))
            })?;
        if approved && APPROVED_ONCE_PER_SESSION.contains(&tool.as_str()) {
            session
                .policy
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .grant(
                    session.workspace.clone(),
                    &tool,
                    vibedata_agent::policy::Autonomy::L3,
                );
        }
        let _ = sender.send(Answer { approved, reason });
        Ok(())
    }

    pub fn cancel_session(&self, session_id: &str) -> Result<()> {
        let running = self
            .running
            .lock()
            .map_err(|_| CoreError::Internal("session registry poisoned".into()))?;
        running
            .get(session_id)
            .ok_or_else(|| CoreError::NotFound(format!("session {session_id} is not running")))?
            .cancel
            .cancel();
        Ok(())
    }

    /// The model agents run on, as Settings shows it.
    pub async fn model_settings(&self) -> Result<vibedata_protocol::ModelSettingsDto> {
        let platform = self.platform.clone();
        blocking(move || model::settings(&platform.config, &platform.store)).await
    }

    /// A person saves the model endpoint (and its key, into the keychain only).
    pub async fn set_model_settings(&self, new: vibedata_protocol::SetModelDto) -> Result<()> {
        let platform = self.platform.clone();
        blocking(move || model::save(&platform.store, &new)).await
    }

    /// Tokens per session and in total (replays are not usage: no model answered).
    pub async fn usage(&self) -> Result<UsageDto> {
        let store = self.platform.store.clone();
        blocking(move || {
            let (per, total) = agent_sessions::usage(&store)?;
            Ok(UsageDto {
                sessions: per
                    .into_iter()
                    .map(|(session_id, u)| SessionUsageDto {
                        session_id,
                        prompt_tokens: u.prompt_tokens,
                        completion_tokens: u.completion_tokens,
                    })
                    .collect(),
                prompt_tokens: total.prompt_tokens,
                completion_tokens: total.completion_tokens,
            })
        })
        .await
    }

    /// Secrets the runtime must never let out: what the keychain holds for us (the Foundry key,
    /// every GitHub token) and the token GitHub work runs as, on top of the shapes of secrets.
    fn redactor(&self) -> Result<Redactor> {
        let mut redactor = Redactor::default();
        // A keychain that cannot be reached holds nothing we could leak; the pattern rules still apply.
        if let Ok(Some(key)) = credentials::get(model::KEY_NAME) {
            redactor.add_secret(key.expose());
        }
        for token in self.github.known_tokens() {
            redactor.add_secret(token.expose());
        }
        Ok(redactor)
    }
}
