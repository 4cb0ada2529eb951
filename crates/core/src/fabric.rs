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
    EphemeralDto, FabricItemDto, FabricLinkDto, FabricLinkRequestDto, FabricSettingsDto,
    FabricSignInDto, FabricStatusDto, FabricWorkspaceDto, FabricWorkspacesDto, OrphanDto,
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

    /// The domain's link, which the caller needs.
    async fn linked(&self, workspace_id: &str) -> Result<FabricLinkDto> {
        self.link_of(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("link the domain to its production workspace first".into())
        })
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
}
