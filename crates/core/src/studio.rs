//! [`Studio`]: the core's composition. It opens the platform (config, store) and builds each
//! capability's front door in dependency order — workspaces, domains, GitHub, agents, intents,
//! skills, governance — handing each the others it needs. The shell's commands and the CLI's
//! subcommands reach a capability only through its front door (`studio.intents()`, …); every
//! method there is async and moves blocking work onto blocking threads.

use std::sync::Arc;

use futures::future::BoxFuture;
use vibedata_protocol::AppStatusDto;
use vibedata_secrets::Sensitive;

use crate::agents::Agents;
use crate::domains::Domains;
use crate::github::GitHub;
use crate::governance::Governance;
use crate::intents::Intents;
use crate::platform::Platform;
use crate::platform::config::Config;
use crate::platform::error::{Result, blocking};
use crate::platform::keychain::Keychain;
use crate::platform::paths::Paths;
use crate::platform::store::Store;
use crate::platform::venv::Venv;
use crate::review::Review;
use crate::skills::Skills;
use crate::workspaces::{RemoteTokens, Workspaces};

pub struct Studio {
    platform: Arc<Platform>,
    workspaces: Arc<Workspaces>,
    domains: Domains,
    github: Arc<GitHub>,
    agents: Arc<Agents>,
    intents: Intents,
    skills: Skills,
    governance: Governance,
    review: Review,
    monitor: Arc<crate::monitor::Monitor>,
    fabric: Arc<crate::fabric::Fabric>,
}

/// The GitHub identity chosen for a workspace gives the token for its https remote.
struct GitHubRemoteTokens(Arc<GitHub>);

impl RemoteTokens for GitHubRemoteTokens {
    fn token_for<'a>(
        &'a self,
        workspace_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<Sensitive<String>>>> {
        Box::pin(async move {
            let active = match workspace_id {
                Some(id) => self.0.active_for(id).await?,
                None => self.0.active().await?,
            };
            Ok(active.map(|a| a.token))
        })
    }
}

/// An intent that ended takes its ephemeral Fabric workspace with it.
struct TearDownEphemeral(Arc<crate::fabric::Fabric>);

impl crate::intents::OnIntentEnded for TearDownEphemeral {
    fn ended<'a>(&'a self, intent_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(self.0.tear_down_ended(intent_id))
    }
}

impl Studio {
    /// Opens the store at `paths` with nothing else configured (no GitHub token, no model
    /// endpoint): what tests and path-only tools use. The app and the CLI use [`Studio::start`].
    pub async fn open(paths: Paths) -> Result<Self> {
        Self::start(Config::with_paths(paths)).await
    }

    /// Opens the store (checking and migrating it) and builds the front doors. Fails with a clear
    /// error naming the file when the database is damaged or from a newer version.
    pub async fn start(config: Config) -> Result<Self> {
        let db = config.paths.database();
        let store = blocking(move || {
            let store = Store::open(&db)?;
            // Sessions that were running when the app stopped can be resumed; say so.
            crate::agents::sessions::mark_interrupted(&store)?;
            Ok(store)
        })
        .await?;
        let platform = Arc::new(Platform {
            config,
            store: Arc::new(store),
        });
        let github = Arc::new(GitHub::new(platform.clone()));
        let workspaces = Arc::new(Workspaces::new(
            platform.clone(),
            Arc::new(GitHubRemoteTokens(github.clone())),
        ));
        let agents = Arc::new(Agents::new(platform.clone(), github.clone()));
        let fabric = Arc::new(crate::fabric::Fabric::new(platform.clone()));
        Ok(Self {
            domains: Domains::new(platform.clone()),
            intents: Intents::new(
                platform.clone(),
                agents.clone(),
                github.clone(),
                Arc::new(TearDownEphemeral(fabric.clone())),
            ),
            skills: Skills::new(platform.clone()),
            governance: Governance::new(platform.clone()),
            review: Review::new(platform.clone(), github.clone(), agents.clone()),
            monitor: Arc::new(crate::monitor::Monitor::new(platform.clone())),
            fabric,
            workspaces,
            github,
            agents,
            platform,
        })
    }

    pub fn workspaces(&self) -> &Workspaces {
        &self.workspaces
    }

    pub fn domains(&self) -> &Domains {
        &self.domains
    }

    pub fn github(&self) -> &Arc<GitHub> {
        &self.github
    }

    pub fn agents(&self) -> &Agents {
        &self.agents
    }

    pub fn intents(&self) -> &Intents {
        &self.intents
    }

    pub fn skills(&self) -> &Skills {
        &self.skills
    }

    pub fn review(&self) -> &Review {
        &self.review
    }

    pub fn monitor(&self) -> &crate::monitor::Monitor {
        &self.monitor
    }

    pub fn fabric(&self) -> &Arc<crate::fabric::Fabric> {
        &self.fabric
    }

    pub fn governance(&self) -> &Governance {
        &self.governance
    }

    /// Credentials in the OS keychain, by name.
    pub fn keychain(&self) -> Keychain {
        Keychain
    }

    /// Where everything lives.
    pub fn paths(&self) -> &Paths {
        self.platform.paths()
    }

    /// Starts what runs while the app is open, every `config.inbox_sync_every`: outbox delivery
    /// and inbox sync, and the Monitor reading the domains' new dbt runs (whose incidents' issues
    /// the next delivery sends). The shell calls it once; abort the handle to stop both.
    pub fn start_background(&self) -> tokio::task::JoinHandle<()> {
        let (monitor, github) = (self.monitor.clone(), self.github.clone());
        let every = self.platform.config.inbox_sync_every;
        tokio::spawn(async move {
            tokio::join!(monitor.watch_loop(every), github.sync_loop());
        })
    }
}

/// Where everything lives and whether the Python tools are ready. Works without a store, so the UI
/// can explain a damaged database.
pub async fn app_status(paths: &Paths) -> Result<AppStatusDto> {
    let paths = paths.clone();
    blocking(move || {
        let text = |p: &std::path::Path| p.to_string_lossy().into_owned();
        Ok(AppStatusDto {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: text(&paths.data_dir),
            database: text(&paths.database()),
            log_dir: text(&paths.log_dir()),
            workspace_root: text(&paths.workspace_root),
            skills_dir: text(&paths.skills_dir),
            venv: Venv::new(&paths.venv).status(),
        })
    })
    .await
}
