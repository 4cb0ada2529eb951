//! GitHub as the product uses it: accounts and the active identity ([`accounts`]), the in-app
//! sign-in ([`sign_in`]), issues synced into the store ([`issue_sync`]), the Inbox over them
//! ([`inbox`]) of the followed repositories ([`repos`]), and the exactly-once outbox of writes
//! ([`outbox`]). The front door, [`GitHub`], holds the identity work runs as and runs the
//! background delivery and sync. The HTTP client itself is the `vibedata-github` crate.

pub mod accounts;
pub mod inbox;
pub mod issue_sync;
pub mod outbox;
pub mod repos;
pub mod sign_in;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use vibedata_protocol::ErrorCode;
use vibedata_protocol::inbox::{
    InboxDto, InboxFilterDto, IssueDetailDto, OutboxItemDto, OutboxWriteDto, SyncResultDto, Triage,
};
use vibedata_secrets::Sensitive;

use crate::platform::Platform;
use crate::platform::error::{Result, blocking};
use crate::platform::store::Store;

/// GitHub's front door: the identity work runs as, sign-in, the Inbox and the outbox.
pub struct GitHub {
    platform: Arc<Platform>,
    /// Held while the inbox syncs (one sync at a time).
    syncing: tokio::sync::Mutex<()>,
    /// The in-app GitHub sign-in under way.
    sign_in: sign_in::SharedSignIn,
    /// An identity given explicitly — the environment's token, or [`GitHub::use_token`] — used
    /// instead of the signed-in accounts. Never stored.
    given: Mutex<Option<accounts::Active>>,
}

impl GitHub {
    pub fn new(platform: Arc<Platform>) -> Self {
        let config = &platform.config.github;
        let given = config.env_token.clone().map(|token| accounts::Active {
            login: None,
            api_url: config.api_url.clone(),
            token,
            mutation_gap: None,
        });
        Self {
            platform,
            syncing: tokio::sync::Mutex::new(()),
            sign_in: Default::default(),
            given: Mutex::new(given),
        }
    }

    /// Acts on GitHub with this token from now on, instead of the signed-in account (scripts,
    /// CI and tests; the app and the CLI take `VIBEDATA_GITHUB_TOKEN` from the config). Never
    /// stored.
    pub fn use_token(&self, api_url: &str, token: Sensitive<String>) {
        let active = accounts::Active {
            login: None,
            api_url: api_url.to_string(),
            token,
            mutation_gap: None,
        };
        *self.given.lock().unwrap_or_else(|p| p.into_inner()) = Some(active);
    }

    fn given(&self) -> Option<accounts::Active> {
        self.given.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The configured spacing of writes on an identity.
    fn configured(&self, active: Option<accounts::Active>) -> Option<accounts::Active> {
        active.map(|mut a| {
            a.mutation_gap = a.mutation_gap.or(self.platform.config.github.mutation_gap);
            a
        })
    }

    /// The identity for a workspace's repository: the given one, or
    /// [`accounts::active_for_workspace`].
    pub async fn active_for(&self, workspace_id: &str) -> Result<Option<accounts::Active>> {
        if let Some(active) = self.given() {
            return Ok(self.configured(Some(active)));
        }
        let found =
            accounts::active_for_workspace(self.platform.store.clone(), workspace_id).await?;
        Ok(self.configured(found))
    }

    /// The identity GitHub work runs as: the given one, or [`accounts::active_fresh`].
    pub async fn active(&self) -> Result<Option<accounts::Active>> {
        if let Some(active) = self.given() {
            return Ok(self.configured(Some(active)));
        }
        let found = accounts::active_fresh(self.platform.store.clone()).await?;
        Ok(self.configured(found))
    }

    /// Every GitHub token the app holds (the given one, each signed-in account's): what an
    /// agent's redactor must never let out. A keychain that cannot be read holds nothing to leak.
    pub fn known_tokens(&self) -> Vec<Sensitive<String>> {
        let mut tokens: Vec<Sensitive<String>> =
            self.given().map(|a| a.token).into_iter().collect();
        if let Ok(list) = accounts::list(&self.platform.store) {
            for account in list {
                if let Ok(Some(token)) = accounts::access_token(&account) {
                    tokens.push(token);
                }
            }
        }
        tokens
    }

    /// The Inbox's list, from the store alone: works offline (the identity is only asked who
    /// it is, never refreshed here).
    pub async fn inbox(&self, filter: InboxFilterDto) -> Result<InboxDto> {
        let (store, given) = (self.platform.store.clone(), self.given());
        blocking(move || {
            let active = match given {
                Some(active) => Some(active),
                None => accounts::active(&store)?,
            };
            let me = accounts::known_login(&store, active.as_ref())?;
            let mut listed = inbox::list(&store, &filter, me.as_deref())?;
            listed.signed_in = active.is_some();
            Ok(listed)
        })
        .await
    }

    pub async fn inbox_follow(&self, repo: String) -> Result<String> {
        let store = self.platform.store.clone();
        blocking(move || repos::follow(&store, &repo)).await
    }

    pub async fn issue_detail(&self, repo: String, number: u64) -> Result<IssueDetailDto> {
        let store = self.platform.store.clone();
        blocking(move || inbox::detail(&store, &repo, number)).await
    }

    pub async fn set_triage(&self, repo: String, number: u64, state: Triage) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || inbox::set_triage(&store, &repo, number, state)).await
    }

    /// Delivers the outbox and syncs the followed repositories; one at a time (a second call
    /// waits for the first).
    pub async fn inbox_sync(&self) -> Result<SyncResultDto> {
        let _one_at_a_time = self.syncing.lock().await;
        let store = self.platform.store.clone();
        blocking(move || repos::follow_workspace_repos(&store)).await?;
        let active = self.active().await?;
        sync_all(self.platform.store.clone(), active).await
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxItemDto>> {
        let store = self.platform.store.clone();
        blocking(move || outbox::list(&store)).await
    }

    pub async fn outbox_enqueue(
        &self,
        repo: String,
        write: OutboxWriteDto,
    ) -> Result<OutboxItemDto> {
        let store = self.platform.store.clone();
        blocking(move || outbox::enqueue(&store, &repo, &write)).await
    }

    pub async fn outbox_retry(&self, seq: i64) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || outbox::retry(&store, seq)).await
    }

    pub async fn outbox_cancel(&self, seq: i64) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || outbox::cancel(&store, seq)).await
    }

    /// Stops following a repository; what it filled in the store goes.
    pub async fn inbox_unfollow(&self, repo: String) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || {
            let repo = repos::parse_repo(&repo)?;
            repos::unfollow(&store, &repo)
        })
        .await
    }

    /// Delivers what the outbox holds (without syncing), as the active identity.
    pub async fn outbox_replay(&self) -> Result<outbox::ReplayReport> {
        let active = self.active().await?;
        outbox::replay_as(self.platform.store.clone(), active).await
    }

    /// Delivers the outbox and syncs the inbox every `config.inbox_sync_every`, for ever (the
    /// shell runs it through `Studio::start_background`; the CLI syncs on demand). Offline, each
    /// pass fails quietly and the next one retries.
    pub async fn sync_loop(self: Arc<Self>) {
        let every = self.platform.config.inbox_sync_every;
        loop {
            tokio::time::sleep(every).await;
            self.background_pass().await;
        }
    }

    async fn background_pass(&self) {
        match self.inbox_sync().await {
            Ok(result) if !result.errors.is_empty() => {
                tracing::info!(errors = ?result.errors, "inbox sync incomplete")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "inbox sync failed"),
        }
    }

    /// How long the background sync waits between passes.
    pub fn sync_interval(&self) -> Duration {
        self.platform.config.inbox_sync_every
    }
}

/// Delivers the outbox, then syncs every followed repository, as the active GitHub identity.
/// Errors per repository are collected, not fatal: the inbox stays readable from the store.
async fn sync_all(store: Arc<Store>, active: Option<accounts::Active>) -> Result<SyncResultDto> {
    let mut result = SyncResultDto {
        repos: 0,
        issues: 0,
        comments: 0,
        errors: Vec::new(),
        notices: Vec::new(),
        sign_in_needed: false,
        delivered: 0,
    };
    let Some(active) = active else {
        result.sign_in_needed = true;
        result.errors.push(
            "Not signed in to GitHub: sign in under Settings or with `vibedata github login`."
                .into(),
        );
        return Ok(result);
    };
    if let Err(e) = accounts::resolve_login(store.clone(), &active).await {
        result.sign_in_needed = e.code() == ErrorCode::GitHubSignIn;
        result.errors.push(e.to_string());
        return Ok(result);
    }
    let replay = outbox::replay_as(store.clone(), Some(active.clone())).await?;
    result.delivered = (replay.delivered + replay.found_delivered) as u64;
    let client = active.client()?;
    let repos = {
        let store = store.clone();
        blocking(move || repos::repos(&store)).await?
    };
    for repo in repos {
        result.repos += 1;
        match issue_sync::sync(store.clone(), &client, &repo.repo).await {
            Ok(report) => {
                result.issues += report.issues as u64;
                result.comments += report.comments as u64;
                if let Some(new) = report.renamed_to {
                    result.notices.push(format!(
                        "{} is now {new} on GitHub (renamed or transferred); the inbox follows it under its new name.",
                        repo.repo
                    ));
                }
            }
            Err(e) => {
                result.sign_in_needed |= e.code() == ErrorCode::GitHubSignIn;
                result.errors.push(e.to_string())
            }
        }
    }
    Ok(result)
}
