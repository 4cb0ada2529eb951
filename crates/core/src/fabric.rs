//! Fabric: the front door to Microsoft Fabric for the shell and the CLI. The person signs in with
//! their own Entra identity (`platform::entra`: authorization code + PKCE in the system browser,
//! tokens for Fabric and Foundry only in the keychain, refreshed before they end; the
//! organisation's tenant, app registration, capacity and GitHub connection in Settings); each
//! domain links to its production workspace, and workspaces and items are cached so they read
//! offline ([`catalog`]); each intent branch gets an ephemeral workspace whose lifecycle resumes
//! after a crash and whose orphans are listed for teardown ([`ephemeral`]); promoting `main` to
//! production is a governed act — preview, a person's approval by their GitHub role, execution,
//! all audited ([`deploy`]). The REST client is `vibedata-fabric`.

pub mod catalog;
pub mod data_diff;
pub mod deploy;
pub mod ephemeral;
pub mod workflow;

use std::sync::Arc;
use std::time::Duration;

use vibedata_fabric::Client;
use vibedata_fabric::entra::{self, EntraConfig, FABRIC_SCOPES, PendingSignIn};
use vibedata_protocol::IntentState;
use vibedata_protocol::fabric::{
    DeployPreviewDto, DeployedDto, EphemeralDto, FabricItemDto, FabricLinkDto,
    FabricLinkRequestDto, FabricSettingsDto, FabricSignInDto, FabricStatusDto, FabricWorkspaceDto,
    FabricWorkspacesDto, OrphanDto,
};
use vibedata_secrets::Sensitive;

use crate::platform::Platform;
use crate::platform::clock;
use crate::platform::entra::{identity, settings};
use crate::platform::error::{CoreError, Result, blocking};

/// How long the browser has to come back to the loopback redirect.
const SIGN_IN_WAIT: Duration = Duration::from_secs(300);

pub struct Fabric {
    platform: Arc<Platform>,
    pending: tokio::sync::Mutex<Option<PendingSignIn>>,
    /// Intents whose ephemeral lifecycle runs now (one run per intent at a time).
    running: std::sync::Mutex<std::collections::HashSet<String>>,
    /// How long a dbt job may run before the Studio stops waiting (an hour; tests shorten it).
    pub job_limit: Duration,
}

impl Fabric {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self {
            platform,
            pending: Default::default(),
            running: Default::default(),
            job_limit: Duration::from_secs(3_600),
        }
    }

    async fn settings(&self) -> Result<settings::Settings> {
        let store = self.platform.store.clone();
        blocking(move || settings::get(&store)).await
    }

    fn entra(&self, s: &settings::Settings) -> Result<EntraConfig> {
        if s.tenant.is_empty() || s.client_id.is_empty() {
            return Err(CoreError::InvalidInput(
                "set the Entra tenant and the app registration's client id in Settings first"
                    .into(),
            ));
        }
        Ok(EntraConfig {
            authority: self.platform.config.fabric.authority.clone(),
            tenant: s.tenant.clone(),
            client_id: s.client_id.clone(),
        })
    }

    /// The settings and whether the person is signed in (never a token).
    pub async fn status(&self) -> Result<FabricStatusDto> {
        let s = self.settings().await?;
        let (held, foundry) = if self.platform.config.fabric.env_token.is_some() {
            (true, false)
        } else {
            identity::held().await.unwrap_or((false, false))
        };
        Ok(FabricStatusDto {
            tenant: s.tenant,
            client_id: s.client_id,
            capacity_id: s.capacity_id,
            connection_id: s.connection_id,
            signed_in: held,
            signed_in_at: if held { s.signed_in_at } else { None },
            foundry_token: foundry,
            api_url: self.platform.config.fabric.api_url.clone(),
            authority: self.platform.config.fabric.authority.clone(),
        })
    }

    /// Saves Settings; another tenant or app signs the person out.
    pub async fn save_settings(&self, dto: FabricSettingsDto) -> Result<FabricStatusDto> {
        let store = self.platform.store.clone();
        let signed_out = blocking(move || settings::save(&store, &dto)).await?;
        if signed_out {
            identity::forget().await?;
        }
        self.status().await
    }

    /// Starts a sign-in: a loopback port is listening; the caller opens the returned page in the
    /// person's browser (and shows it, in case no browser opens).
    pub async fn begin_sign_in(&self) -> Result<FabricSignInDto> {
        let config = self.entra(&self.settings().await?)?;
        entra::check_tenant(&config)
            .await
            .map_err(|e| CoreError::fabric("cannot start the Entra sign-in", e))?;
        let pending = entra::start(&config, &FABRIC_SCOPES)
            .await
            .map_err(|e| CoreError::fabric("cannot start the Entra sign-in", e))?;
        let url = pending.authorize_url.clone();
        *self.pending.lock().await = Some(pending);
        Ok(FabricSignInDto { authorize_url: url })
    }

    /// Waits for the browser to come back, exchanges the code, keeps the tokens in the keychain.
    pub async fn finish_sign_in(&self) -> Result<FabricStatusDto> {
        let pending = self.pending.lock().await.take().ok_or_else(|| {
            CoreError::InvalidInput("no sign-in is waiting: start one first".into())
        })?;
        let config = self.entra(&self.settings().await?)?;
        let tokens = entra::finish(pending, SIGN_IN_WAIT)
            .await
            .map_err(|e| CoreError::fabric("the Entra sign-in did not complete", e))?;
        identity::keep_sign_in(&config, tokens).await?;
        let store = self.platform.store.clone();
        blocking(move || settings::set_signed_in(&store, Some(clock::now()))).await?;
        tracing::info!("signed in to Fabric");
        self.status().await
    }

    pub async fn sign_out(&self) -> Result<FabricStatusDto> {
        identity::forget().await?;
        let store = self.platform.store.clone();
        blocking(move || settings::set_signed_in(&store, None)).await?;
        self.status().await
    }

    /// A token for Foundry from the Entra sign-in, when there is one (the model provider's
    /// alternative to an API key).
    pub async fn foundry_token(&self) -> Result<Option<Sensitive<String>>> {
        crate::platform::entra::foundry_bearer(&self.platform).await
    }

    /// A client for the person's identity (or the environment's token).
    pub async fn client(&self) -> Result<Client> {
        let token = match &self.platform.config.fabric.env_token {
            Some(t) => t.clone(),
            None => {
                let config = self.entra(&self.settings().await?)?;
                identity::access_token(&config, identity::Resource::Fabric)
                    .await?
                    .ok_or_else(|| {
                        CoreError::fabric(
                            "nobody is signed in to Fabric",
                            vibedata_fabric::FabricError::Auth(
                                "sign in to Fabric in Settings".into(),
                            ),
                        )
                    })?
            }
        };
        Client::new(&self.platform.config.fabric.api_url, token)
            .map_err(|e| CoreError::fabric("cannot reach Fabric", e))
    }

    /// Workspaces and their items: from Fabric (and cached), or — when Fabric cannot be reached —
    /// as last read, saying why.
    pub async fn workspaces(&self) -> Result<FabricWorkspacesDto> {
        let live = async {
            let client = self.client().await?;
            let list = client
                .workspaces()
                .await
                .map_err(|e| CoreError::fabric("cannot list the Fabric workspaces", e))?;
            let mut out = Vec::new();
            for w in list {
                let items = client
                    .items(&w.id)
                    .await
                    .map_err(|e| CoreError::fabric("cannot list a workspace's items", e))?;
                out.push(FabricWorkspaceDto {
                    id: w.id,
                    name: w.display_name,
                    capacity_id: w.capacity_id,
                    items: items
                        .into_iter()
                        .map(|i| FabricItemDto {
                            id: i.id,
                            name: i.display_name,
                            kind: i.kind,
                        })
                        .collect(),
                    fetched_at: clock::now(),
                });
            }
            Ok::<_, CoreError>(out)
        };
        let store = self.platform.store.clone();
        match live.await {
            Ok(list) => {
                let cached = list.clone();
                blocking(move || catalog::put(&store, &cached)).await?;
                Ok(FabricWorkspacesDto {
                    workspaces: list,
                    live: true,
                    problem: None,
                })
            }
            Err(e) => {
                let workspaces = blocking(move || catalog::all(&store)).await?;
                Ok(FabricWorkspacesDto {
                    workspaces,
                    live: false,
                    problem: Some(e.to_string()),
                })
            }
        }
    }

    /// Links a domain to its production workspace (and lakehouse), chosen from the cache.
    pub async fn link(&self, req: FabricLinkRequestDto) -> Result<FabricLinkDto> {
        let platform = self.platform.clone();
        blocking(move || {
            let store = &platform.store;
            let ws = crate::workspaces::registry::find_by_id(store, &req.workspace_id)?
                .ok_or_else(|| CoreError::NotFound(format!("no domain with id {}", req.workspace_id)))?;
            let catalog = catalog::all(store)?;
            let fabric = catalog
                .iter()
                .find(|w| w.id == req.fabric_workspace_id)
                .ok_or_else(|| {
                    CoreError::NotFound(
                        "that Fabric workspace is not among those listed: refresh the list".into(),
                    )
                })?;
            let lakehouse = match &req.lakehouse_id {
                Some(id) => Some(
                    fabric
                        .items
                        .iter()
                        .find(|i| &i.id == id && i.kind == "Lakehouse")
                        .ok_or_else(|| {
                            CoreError::NotFound("that lakehouse is not in the workspace".into())
                        })?,
                ),
                None => None,
            };
            let repository = if req.repository.trim().is_empty() {
                let origin = git2::Repository::open(&ws.path).ok().and_then(|r| {
                    r.find_remote("origin")
                        .ok()
                        .and_then(|o| o.url().map(str::to_string))
                });
                origin
                    .as_deref()
                    .and_then(crate::github::repos::repo_of_remote)
                    .ok_or_else(|| {
                        CoreError::InvalidInput(
                            "this domain's origin is not on GitHub: give the repository Fabric \
                             syncs (owner/name)"
                                .into(),
                        )
                    })?
            } else {
                crate::github::repos::parse_repo(req.repository.trim())?
            };
            let link = FabricLinkDto {
                workspace_id: ws.id.clone(),
                fabric_workspace_id: fabric.id.clone(),
                fabric_workspace_name: fabric.name.clone(),
                lakehouse_id: lakehouse.map(|l| l.id.clone()),
                lakehouse_name: lakehouse.map(|l| l.name.clone()),
                repository,
                directory: if ws.project_dir.is_empty() {
                    "/".into()
                } else {
                    format!("/{}", ws.project_dir.trim_matches('/'))
                },
                linked_at: clock::now(),
            };
            catalog::save_link(store, &link)?;
            tracing::info!(domain = %ws.name, workspace = %link.fabric_workspace_name, "domain linked to Fabric");
            Ok(link)
        })
        .await
    }

    pub async fn link_of(&self, workspace_id: &str) -> Result<Option<FabricLinkDto>> {
        let (store, id) = (self.platform.store.clone(), workspace_id.to_string());
        blocking(move || catalog::link_of(&store, &id)).await
    }

    /// The intent's ephemeral workspace, if it has one.
    pub async fn ephemeral(&self, intent_id: &str) -> Result<Option<EphemeralDto>> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_string());
        blocking(move || ephemeral::get(&store, &id)).await
    }

    /// The ephemeral workspace of a domain's branch, if it has one (the Review page).
    pub async fn ephemeral_of_branch(
        &self,
        workspace_id: &str,
        branch: &str,
    ) -> Result<Option<EphemeralDto>> {
        let (store, w, b) = (
            self.platform.store.clone(),
            workspace_id.to_string(),
            branch.to_string(),
        );
        blocking(move || ephemeral::of_branch(&store, &w, &b)).await
    }

    /// Creates (or resumes, or refreshes) the intent's ephemeral workspace up to a finished dbt
    /// run there. `progress` hears each step.
    pub async fn ephemeral_up(
        &self,
        intent_id: &str,
        progress: &mut (dyn FnMut(&EphemeralDto) + Send),
    ) -> Result<EphemeralDto> {
        /// Leaves the running set however the run ends (a cancelled future included).
        struct Running<'a>(
            &'a std::sync::Mutex<std::collections::HashSet<String>>,
            String,
        );
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&self.1);
            }
        }
        if !self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(intent_id.to_string())
        {
            return Err(CoreError::InvalidInput(
                "this intent's ephemeral workspace is already being prepared".into(),
            ));
        }
        let _running = Running(&self.running, intent_id.to_string());
        self.up_inner(intent_id, progress).await
    }

    async fn up_inner(
        &self,
        intent_id: &str,
        progress: &mut (dyn FnMut(&EphemeralDto) + Send),
    ) -> Result<EphemeralDto> {
        let (platform, id) = (self.platform.clone(), intent_id.to_string());
        let (intent, link, domain, source_schemas) = blocking(move || {
            let intent = crate::intents::records::get(&platform.store, &id)?;
            let ws =
                crate::workspaces::registry::find_by_id(&platform.store, &intent.workspace_id)?
                    .ok_or_else(|| CoreError::NotFound("the intent's domain is gone".into()))?;
            // The schemas the project's sources read (a schema still in Jinja is left out).
            let index = vibedata_dbt_index::Index::load(&ws.project());
            let source_schemas: Vec<String> = index
                .nodes()
                .values()
                .filter_map(|n| n.source_relation.as_ref().map(|(schema, _)| schema.clone()))
                .filter(|s| !s.contains("{{"))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let link =
                catalog::link_of(&platform.store, &intent.workspace_id)?.ok_or_else(|| {
                    CoreError::InvalidInput(format!(
                        "link the domain {} to its production Fabric workspace first (Domains)",
                        ws.name
                    ))
                })?;
            Ok((intent, link, ws.name, source_schemas))
        })
        .await?;
        if matches!(intent.state, IntentState::Merged | IntentState::Deployed) {
            return Err(CoreError::InvalidInput(
                "the intent is merged: its branch needs no ephemeral workspace".into(),
            ));
        }
        let s = self.settings().await?;
        let client = self.client().await?;
        let target = ephemeral::Target {
            link,
            capacity_id: s.capacity_id,
            connection_id: s.connection_id,
            job_limit: self.job_limit,
            source_schemas,
        };
        let store = self.platform.store.clone();
        let (i, w, b, n) = (
            intent.id.clone(),
            intent.workspace_id.clone(),
            intent.branch.clone(),
            ephemeral::name_for(&domain, &intent.branch),
        );
        blocking(move || ephemeral::begin(&store, &i, &w, &b, &n)).await?;
        ephemeral::up(&client, &self.platform.store, &intent.id, &target, progress).await
    }

    /// Tears the intent's ephemeral workspace down.
    pub async fn ephemeral_down(&self, intent_id: &str) -> Result<EphemeralDto> {
        let client = self.client().await?;
        ephemeral::down(&client, &self.platform.store, intent_id).await
    }

    /// Tears down the ephemeral workspace of an intent that ended (merged or abandoned), if it
    /// has one that is not gone. Errors are logged: the workspace is then listed as an orphan.
    pub async fn tear_down_ended(&self, intent_id: &str) {
        let Ok(Some(row)) = self.ephemeral(intent_id).await else {
            return;
        };
        if row.state == "torn_down" {
            return;
        }
        if let Err(e) = self.ephemeral_down(intent_id).await {
            tracing::warn!(intent_id, error = %e, "ephemeral workspace not torn down: listed as an orphan");
        }
    }

    /// Fabric workspaces named like ephemeral ones that no live intent owns.
    pub async fn orphans(&self) -> Result<Vec<OrphanDto>> {
        let client = self.client().await?;
        let fabric: Vec<(String, String)> = client
            .workspaces()
            .await
            .map_err(|e| CoreError::fabric("cannot list the Fabric workspaces", e))?
            .into_iter()
            .map(|w| (w.id, w.display_name))
            .collect();
        let store = self.platform.store.clone();
        blocking(move || {
            let rows = ephemeral::all(&store)?;
            let mut live = std::collections::HashSet::new();
            for r in &rows {
                if let Ok(intent) = crate::intents::records::get(&store, &r.intent_id)
                    && !matches!(intent.state, IntentState::Merged | IntentState::Deployed)
                {
                    live.insert(r.intent_id.clone());
                }
            }
            Ok(ephemeral::orphans(&rows, &fabric, &live))
        })
        .await
    }

    /// Deletes an orphan (only a workspace named like an ephemeral one).
    pub async fn delete_orphan(&self, fabric_workspace_id: &str) -> Result<()> {
        let orphans = self.orphans().await?;
        if !orphans
            .iter()
            .any(|o| o.fabric_workspace_id == fabric_workspace_id)
        {
            return Err(CoreError::InvalidInput(
                "that workspace is not an orphaned ephemeral workspace: nothing deleted".into(),
            ));
        }
        let client = self.client().await?;
        client
            .delete_workspace(fabric_workspace_id)
            .await
            .map_err(|e| CoreError::fabric("cannot delete the orphaned workspace", e))?;
        let store = self.platform.store.clone();
        let id = fabric_workspace_id.to_string();
        blocking(move || {
            store.with(|c| {
                c.execute(
                    "UPDATE fabric_ephemeral SET step = 'gone', state = 'torn_down', updated_at = ?2
                     WHERE fabric_workspace_id = ?1",
                    rusqlite::params![id, clock::now()],
                )
                .map(|_| ())
            })
        })
        .await
    }

    /// What promoting the domain's `main` to its production workspace would change. Reading
    /// production's state also marks the merged intents it already runs as Deployed (a promotion
    /// by the repository's workflow, say).
    pub async fn deploy_preview(&self, workspace_id: &str) -> Result<DeployPreviewDto> {
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let client = self.client().await?;
        let preview = deploy::preview(&client, &link).await?;
        if !preview.from_commit.is_empty()
            && let Err(e) = self
                .sync_deployments(workspace_id, &preview.from_commit)
                .await
        {
            tracing::warn!(error = %e, "deployments not read from production's state");
        }
        Ok(preview)
    }

    /// Marks Deployed the domain's merged intents whose branch production's commit contains
    /// (known to the local clone; fetch first to see a workflow's promotion). Returns them.
    pub async fn sync_deployments(
        &self,
        workspace_id: &str,
        production_head: &str,
    ) -> Result<Vec<String>> {
        let platform = self.platform.clone();
        let (id, head) = (workspace_id.to_string(), production_head.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let repo = git2::Repository::open(&ws.path)
                .map_err(|e| CoreError::git("cannot open the domain's repository", e))?;
            let Some(deployed) = git2::Oid::from_str(&head)
                .ok()
                .filter(|o| repo.find_commit(*o).is_ok())
            else {
                return Ok(Vec::new());
            };
            let mut done = Vec::new();
            for intent in crate::intents::records::list(&platform.store, &id)? {
                if intent.state != IntentState::Merged {
                    continue;
                }
                let Ok(tip) = repo
                    .revparse_single(&intent.branch)
                    .and_then(|o| o.peel_to_commit())
                else {
                    continue;
                };
                let contained = tip.id() == deployed
                    || repo.graph_descendant_of(deployed, tip.id()).unwrap_or(false);
                if !contained {
                    continue;
                }
                let tree = crate::intents::records::tree(&ws, &intent).unwrap_or_else(|_| ws.clone());
                let applied = crate::intents::records::apply(
                    &platform.store,
                    &tree,
                    &intent.id,
                    crate::intents::lifecycle::IntentStep::Deploy,
                    &crate::intents::lifecycle::Actor::Person,
                );
                let state = crate::intents::records::get(&platform.store, &intent.id)?.state;
                if state == IntentState::Deployed {
                    tracing::info!(intent = %intent.id, commit = %head, "intent deployed (production's state)");
                    done.push(intent.id);
                } else if let Err(e) = applied {
                    tracing::warn!(intent = %intent.id, error = %e, "intent not marked deployed");
                }
            }
            Ok(done)
        })
        .await
    }

    /// Promotes `main` to production as previewed (`to_commit`), approved by the person signed
    /// in to GitHub for this domain, whose role on the repository must allow it. Audited: the
    /// preview, the approval (or its refusal), the execution and its outcome. The domain's merged
    /// intents become Deployed.
    pub async fn promote(
        &self,
        github: &crate::github::GitHub,
        workspace_id: &str,
        to_commit: &str,
    ) -> Result<DeployedDto> {
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let client = self.client().await?;
        let preview = deploy::preview(&client, &link).await?;
        let audit = |action: &'static str, actor: String, detail: serde_json::Value| {
            let store = self.platform.store.clone();
            let subject = format!("fabric:{}", link.fabric_workspace_id);
            blocking(move || {
                crate::governance::audit::append(
                    &store,
                    clock::now(),
                    &actor,
                    action,
                    &subject,
                    &detail,
                )
                .map(|_| ())
            })
        };
        if preview.to_commit != to_commit {
            return Err(CoreError::InvalidInput(format!(
                "main moved since the preview you approved (now {}): preview again",
                &preview.to_commit[..preview.to_commit.len().min(10)]
            )));
        }
        // The approver: the person's own GitHub account for this domain, and their role there.
        let active = github.active_for(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput(
                "sign in to GitHub: promoting to production needs your role on the repository"
                    .into(),
            )
        })?;
        let login = match &active.login {
            Some(l) => l.clone(),
            None => {
                let me = active
                    .client()?
                    .get("/user")
                    .await
                    .map_err(|e| CoreError::github("cannot read who is signed in", e))?;
                me.body["login"].as_str().unwrap_or_default().to_string()
            }
        };
        let rest = active.client()?;
        let role = match rest
            .get(&format!(
                "/repos/{}/collaborators/{login}/permission",
                link.repository
            ))
            .await
        {
            Ok(page) => page.body["role_name"]
                .as_str()
                .or(page.body["permission"].as_str())
                .unwrap_or("none")
                .to_string(),
            Err(vibedata_github::rest::GhError::NotFound(_)) => "none".to_string(),
            Err(e) => {
                return Err(CoreError::github(
                    "cannot read your role on the repository",
                    e,
                ));
            }
        };
        let detail = serde_json::json!({
            "repository": link.repository, "from": preview.from_commit, "to": preview.to_commit,
            "changes": preview.changes, "role": role,
        });
        if !deploy::PROMOTERS.contains(&role.as_str()) {
            audit("promotion refused", login.clone(), detail).await?;
            return Err(CoreError::InvalidInput(format!(
                "{login} is {role} on {}: promoting to production needs write, maintain or admin",
                link.repository
            )));
        }
        audit("promotion approved", login.clone(), detail.clone()).await?;
        match deploy::execute(&client, &preview).await {
            Ok(()) => audit("promotion deployed", login.clone(), detail).await?,
            Err(e) => {
                let mut failed = detail;
                failed["error"] = serde_json::json!(e.to_string());
                audit("promotion failed", login.clone(), failed).await?;
                return Err(e);
            }
        }
        let deployed_intents = self.mark_deployed(workspace_id, &login).await?;
        tracing::info!(workspace = %link.fabric_workspace_name, to = %preview.to_commit, by = %login, "promoted to production");
        Ok(DeployedDto {
            preview,
            approved_by: login,
            role,
            deployed_intents,
        })
    }

    /// The domain's merged intents become Deployed.
    async fn mark_deployed(&self, workspace_id: &str, by: &str) -> Result<Vec<String>> {
        let platform = self.platform.clone();
        let (id, by) = (workspace_id.to_string(), by.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let mut done = Vec::new();
            for intent in crate::intents::records::list(&platform.store, &id)? {
                if intent.state != IntentState::Merged {
                    continue;
                }
                // Its branch's worktree keeps its progress; a branch gone since the merge leaves
                // the record in the store only.
                let tree = crate::intents::records::tree(&ws, &intent).unwrap_or_else(|_| ws.clone());
                match crate::intents::records::apply(
                    &platform.store,
                    &tree,
                    &intent.id,
                    crate::intents::lifecycle::IntentStep::Deploy,
                    &crate::intents::lifecycle::Actor::Person,
                ) {
                    Ok(_) => {
                        tracing::info!(intent = %intent.id, by = %by, "intent deployed");
                        done.push(intent.id);
                    }
                    Err(e) => {
                        // The state moved before the progress file was written, or not at all.
                        let now = crate::intents::records::get(&platform.store, &intent.id)?;
                        if now.state == IntentState::Deployed {
                            done.push(intent.id);
                        } else {
                            tracing::warn!(intent = %intent.id, error = %e, "intent not marked deployed");
                        }
                    }
                }
            }
            Ok(done)
        })
        .await
    }

    /// Promotion from a workflow (CI): production previewed and updated to `to_commit`, the
    /// approval being GitHub's (the `production` environment's required reviewers). Audited with
    /// the workflow's actor. Without `execute`, only the preview.
    pub async fn deploy_headless(
        &self,
        fabric_workspace_id: &str,
        to_commit: &str,
        actor: &str,
        execute: bool,
    ) -> Result<DeployPreviewDto> {
        let client = self.client().await?;
        let name = client
            .workspace(fabric_workspace_id)
            .await
            .map_err(|e| CoreError::fabric("cannot read the production workspace", e))?
            .display_name;
        let link = FabricLinkDto {
            workspace_id: String::new(),
            fabric_workspace_id: fabric_workspace_id.to_string(),
            fabric_workspace_name: name,
            lakehouse_id: None,
            lakehouse_name: None,
            repository: String::new(),
            directory: "/".into(),
            linked_at: clock::now(),
        };
        let preview = deploy::preview(&client, &link).await?;
        if preview.to_commit != to_commit {
            return Err(CoreError::InvalidInput(format!(
                "production's branch is at {}, not {to_commit}: nothing deployed",
                preview.to_commit
            )));
        }
        if !execute {
            return Ok(preview);
        }
        let (store, subject, actor, detail) = (
            self.platform.store.clone(),
            format!("fabric:{fabric_workspace_id}"),
            actor.to_string(),
            serde_json::json!({"from": preview.from_commit, "to": preview.to_commit,
                "changes": preview.changes, "approval": "github environment production"}),
        );
        let outcome = deploy::execute(&client, &preview).await;
        let action = if outcome.is_ok() {
            "promotion deployed"
        } else {
            "promotion failed"
        };
        blocking(move || {
            crate::governance::audit::append(
                &store,
                clock::now(),
                &actor,
                action,
                &subject,
                &detail,
            )
            .map(|_| ())
        })
        .await?;
        outcome.map(|()| preview)
    }

    /// The `dbt-fabricspark` output for the domain's production lakehouse (to add under the
    /// project's profile in `profiles.yml`).
    pub async fn fabricspark_profile(&self, workspace_id: &str) -> Result<String> {
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let (Some(id), Some(name)) = (link.lakehouse_id, link.lakehouse_name) else {
            return Err(CoreError::InvalidInput(
                "choose the production lakehouse in the domain's link first".into(),
            ));
        };
        Ok(workflow::fabricspark_output(
            &link.fabric_workspace_id,
            &id,
            &name,
        ))
    }

    /// The latest runs of the repository's Fabric workflow on `main` (promotions), newest first.
    /// The newest successful one deployed its commit: the merged intents it contains become
    /// Deployed.
    pub async fn promotion_runs(
        &self,
        github: &crate::github::GitHub,
        workspace_id: &str,
    ) -> Result<Vec<vibedata_protocol::fabric::PromotionRunDto>> {
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let active = github.active_for(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("sign in to GitHub to read the workflow's runs".into())
        })?;
        let file = workflow::PATH.rsplit('/').next().unwrap_or_default();
        let page = active
            .client()?
            .get(&format!(
                "/repos/{}/actions/workflows/{file}/runs?branch=main&per_page=5",
                link.repository
            ))
            .await
            .map_err(|e| CoreError::github("cannot read the workflow's runs", e))?;
        let runs: Vec<vibedata_protocol::fabric::PromotionRunDto> = page.body["workflow_runs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                vibedata_protocol::fabric::PromotionRunDto {
                    status: text("status"),
                    conclusion: r["conclusion"].as_str().map(str::to_string),
                    head_sha: text("head_sha"),
                    url: text("html_url"),
                    created_at: text("created_at"),
                }
            })
            .collect();
        if let Some(deployed) = runs
            .iter()
            .find(|r| r.status == "completed" && r.conclusion.as_deref() == Some("success"))
        {
            self.sync_deployments(workspace_id, &deployed.head_sha)
                .await?;
        }
        Ok(runs)
    }

    /// Writes the Fabric workflow into the domain's repository.
    pub async fn write_workflow(&self, workspace_id: &str, cli_source: &str) -> Result<String> {
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let platform = self.platform.clone();
        let (id, source) = (workspace_id.to_string(), cli_source.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let path = workflow::write(
                &ws.path,
                &ws.project_dir,
                &link.fabric_workspace_id,
                &source,
            )?;
            Ok(path.to_string_lossy().into_owned())
        })
        .await
    }

    /// The review's data diff in Fabric: the branch's ephemeral workspace (ready) against
    /// production, model by model, through a Livy session of the ephemeral lakehouse.
    pub async fn data_diff(
        &self,
        workspace_id: &str,
        branch: &str,
    ) -> Result<vibedata_protocol::review::DataDiffDto> {
        let row = self
            .ephemeral_of_branch(workspace_id, branch)
            .await?
            .filter(|e| e.state == "ready")
            .ok_or_else(|| {
                CoreError::InvalidInput(
                    "the branch has no ready ephemeral workspace: prepare it on the intent first"
                        .into(),
                )
            })?;
        let link = self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })?;
        let prod_lakehouse = link.lakehouse_name.clone().ok_or_else(|| {
            CoreError::InvalidInput("choose the production lakehouse in the domain's link".into())
        })?;
        let ephemeral_id = row.fabric_workspace_id.clone().unwrap_or_default();
        let client = self.client().await?;
        let lakehouse = client
            .items(&ephemeral_id)
            .await
            .map_err(|e| CoreError::fabric("cannot list the ephemeral workspace's items", e))?
            .into_iter()
            .filter(|i| i.kind == "Lakehouse")
            .min_by_key(|i| i.display_name != prod_lakehouse)
            .ok_or_else(|| {
                CoreError::InvalidInput("the ephemeral workspace has no lakehouse".into())
            })?;
        // The models the change modifies or reaches, from both sides' native indexes.
        let platform = self.platform.clone();
        let (id, head) = (workspace_id.to_string(), branch.to_string());
        let (prod_ws, prod_lh, eph_lh) = (
            link.fabric_workspace_name.clone(),
            prod_lakehouse.clone(),
            lakehouse.display_name.clone(),
        );
        let models = blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let base = crate::workspaces::git::default_branch(&ws.path)?;
            let (base_rev, _) = crate::review::revisions::base_of(&ws.path, &base, &head)?;
            let dir = tempfile::tempdir()
                .map_err(|e| CoreError::io("cannot create a scratch folder", e))?;
            crate::review::revisions::write_tree(
                &ws.path,
                &base_rev.commit,
                &dir.path().join("b"),
            )?;
            crate::review::revisions::write_tree(&ws.path, &head, &dir.path().join("h"))?;
            let (b, h) = (
                vibedata_dbt_index::Index::load(&dir.path().join("b").join(&ws.project_dir)),
                vibedata_dbt_index::Index::load(&dir.path().join("h").join(&ws.project_dir)),
            );
            let review = vibedata_dbt_index::diff::compare(&b, &h);
            let uids: std::collections::BTreeSet<String> = review
                .changed
                .iter()
                .filter(|c| c.change == vibedata_dbt_index::diff::Change::Modified)
                .map(|c| c.unique_id.clone())
                .chain(review.impact.iter().map(|i| i.unique_id.clone()))
                .filter(|u| {
                    u.starts_with("model.")
                        && b.nodes().contains_key(u)
                        && h.nodes().contains_key(u)
                })
                .collect();
            let q = |s: &str| format!("`{}`", s.replace('`', "``"));
            let models = uids
                .into_iter()
                .filter_map(|uid| {
                    let node = h.nodes().get(&uid)?;
                    let text = |k: &str| {
                        node.config
                            .get(k)
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                    };
                    let schema = text("schema").unwrap_or_else(|| "dbo".into());
                    let alias = text("alias").unwrap_or_else(|| node.name.clone());
                    let key = vibedata_dbt_index::diff::declared_keys(&h, &uid)
                        .into_iter()
                        .next();
                    Some(data_diff::Model {
                        unique_id: uid.clone(),
                        name: node.name.clone(),
                        production: format!(
                            "{}.{}.{}.{}",
                            q(&prod_ws),
                            q(&prod_lh),
                            q(&schema),
                            q(&alias)
                        ),
                        branch: format!("{}.{}.{}", q(&eph_lh), q(&schema), q(&alias)),
                        key: key.as_ref().map(|k| k.columns.clone()).unwrap_or_default(),
                        key_evidence: key.map(|k| k.evidence),
                    })
                })
                .collect::<Vec<_>>();
            Ok(models)
        })
        .await?;
        let livy = client.livy(&ephemeral_id, &lakehouse.id);
        let session = livy.open("vibedata-review-data-diff").await.map_err(|e| {
            CoreError::fabric("cannot start a Spark session in the ephemeral workspace", e)
        })?;
        let mut out = Vec::new();
        for m in &models {
            out.push(data_diff::diff_model(&livy, &session, m).await);
        }
        if let Err(e) = livy.close(&session).await {
            tracing::warn!(error = %e, "the Livy session was not deleted (Fabric ends idle ones)");
        }
        Ok(vibedata_protocol::review::DataDiffDto {
            workspace_id: workspace_id.to_string(),
            head: branch.to_string(),
            models: out,
            build_failures: Vec::new(),
        })
    }
}
