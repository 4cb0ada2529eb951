//! Signing in to GitHub from the app: the OAuth device flow (the code is shown and the
//! verification page opened; the poll runs in the background and its outcome is read with
//! [`Studio::github_status`]) or a personal access token; listing and signing out. The OAuth app
//! comes from `VIBEDATA_GITHUB_CLIENT_ID` (GitHub Enterprise: `VIBEDATA_GITHUB_BASE` and
//! `VIBEDATA_GITHUB_API`).

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use vibedata_github::device::{DeviceCode, DeviceFlow, Tokens};
use vibedata_protocol::inbox::{
    AccountKind, GithubAccountDto, GithubStatusDto, SignInDto, SignInState, WorkspaceAccountDto,
};
use vibedata_secrets::Sensitive;

use crate::github::accounts as github_accounts;
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::store::Store;

/// The device flow under way, shared with its background poll.
#[derive(Default)]
pub struct DeviceSignIn {
    status: Mutex<SignInDto>,
    cancel: Mutex<Option<CancellationToken>>,
}

impl DeviceSignIn {
    fn set(&self, status: SignInDto) {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    fn get(&self) -> SignInDto {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl crate::github::GitHub {
    fn hosts(&self) -> (String, String) {
        let config = &self.platform.config.github;
        (config.web_url.clone(), config.api_url.clone())
    }

    fn client_id(&self) -> Option<String> {
        self.platform.config.github.client_id.clone()
    }

    pub async fn github_status(&self) -> Result<GithubStatusDto> {
        let store = self.platform.store.clone();
        let (accounts, workspaces) = blocking(move || {
            let workspaces = crate::workspaces::registry::list(&store)?
                .into_iter()
                .map(|w| {
                    Ok(WorkspaceAccountDto {
                        login: github_accounts::chosen(&store, &w.id)?.map(|a| a.login),
                        workspace_id: w.id,
                        name: w.name,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((github_accounts::list(&store)?, workspaces))
        })
        .await?;
        Ok(GithubStatusDto {
            accounts: accounts
                .into_iter()
                .map(|a| GithubAccountDto {
                    login: a.login,
                    base_url: a.base_url,
                    kind: a.kind,
                })
                .collect(),
            env_token: self.platform.config.github.env_token.is_some(),
            device_unavailable: self.client_id().is_none().then(|| {
                "Device sign-in needs your organisation's GitHub OAuth app: set VIBEDATA_GITHUB_CLIENT_ID (device flow enabled on the app). A personal access token works without it.".to_string()
            }),
            sign_in: self.sign_in.get(),
            workspaces,
        })
    }

    /// Chooses the account a workspace acts as (`None`: the default).
    pub async fn github_choose(&self, workspace_id: String, login: Option<String>) -> Result<()> {
        let store = self.platform.store.clone();
        blocking(move || github_accounts::choose(&store, &workspace_id, login.as_deref())).await
    }

    /// Starts the device flow: returns the code to show; the poll continues in the background.
    pub async fn github_device_start(&self) -> Result<SignInDto> {
        let client_id = self.client_id().ok_or_else(|| {
            CoreError::InvalidInput(
                "set VIBEDATA_GITHUB_CLIENT_ID to sign in with the device flow".into(),
            )
        })?;
        let (base, api) = self.hosts();
        let (flow, code) = start_device_flow(&base, &client_id).await?;
        let cancel = CancellationToken::new();
        if let Some(old) = self
            .sign_in
            .cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(cancel.clone())
        {
            old.cancel();
        }
        let waiting = SignInDto {
            state: SignInState::Waiting,
            user_code: Some(code.user_code.clone()),
            verification_uri: Some(code.verification_uri.clone()),
            login: None,
            error: None,
        };
        self.sign_in.set(waiting.clone());
        let (state, store) = (self.sign_in.clone(), self.platform.store.clone());
        tokio::spawn(async move {
            let hosts = Hosts {
                client_id,
                base,
                api,
            };
            let outcome = finish_device_flow(store, &flow, &code, &cancel, hosts)
                .await
                .map(|account| account.login);
            state.set(match outcome {
                Ok(login) => SignInDto {
                    state: SignInState::SignedIn,
                    login: Some(login),
                    ..SignInDto::default()
                },
                Err(e) => SignInDto {
                    state: SignInState::Failed,
                    error: Some(e.to_string()),
                    ..SignInDto::default()
                },
            });
        });
        Ok(waiting)
    }

    /// Signs in with a personal access token (verified with `GET /user` before it is kept).
    pub async fn github_sign_in_token(&self, token: Sensitive<String>) -> Result<GithubAccountDto> {
        let (base, api) = self.hosts();
        let account = self.sign_in_with_token(&base, &api, token).await?;
        Ok(GithubAccountDto {
            login: account.login,
            base_url: account.base_url,
            kind: account.kind,
        })
    }

    /// Signs in at the given hosts with a personal access token, checked with `GET /user` first.
    pub async fn sign_in_with_token(
        &self,
        base_url: &str,
        api_url: &str,
        token: Sensitive<String>,
    ) -> Result<github_accounts::Account> {
        let login = vibedata_github::user::login(api_url, &token)
            .await
            .map_err(|e| CoreError::github("checking the token with GitHub", e))?;
        let tokens = Tokens {
            access_token: token,
            refresh_token: None,
            expires_in: None,
            scope: String::new(),
        };
        let (store, base, api) = (
            self.platform.store.clone(),
            base_url.to_string(),
            api_url.to_string(),
        );
        blocking(move || {
            github_accounts::save(&store, &login, &base, &api, AccountKind::Pat, None, &tokens)
        })
        .await
    }

    /// The device flow in the foreground (the CLI): `show_code` is called with the code to enter,
    /// then this waits until the person has entered it (or it expires) and keeps the account.
    pub async fn sign_in_device(
        &self,
        client_id: &str,
        base_url: &str,
        api_url: &str,
        show_code: impl FnOnce(&DeviceCode),
    ) -> Result<github_accounts::Account> {
        let (flow, code) = start_device_flow(base_url, client_id).await?;
        show_code(&code);
        let hosts = Hosts {
            client_id: client_id.to_string(),
            base: base_url.to_string(),
            api: api_url.to_string(),
        };
        let store = self.platform.store.clone();
        finish_device_flow(store, &flow, &code, &CancellationToken::new(), hosts).await
    }

    /// The signed-in accounts.
    pub async fn accounts(&self) -> Result<Vec<github_accounts::Account>> {
        let store = self.platform.store.clone();
        blocking(move || github_accounts::list(&store)).await
    }

    pub async fn github_sign_out(&self, login: String) -> Result<bool> {
        let store = self.platform.store.clone();
        blocking(move || github_accounts::sign_out(&store, &login)).await
    }
}

/// The OAuth app and hosts a device-flow sign-in runs against.
struct Hosts {
    client_id: String,
    base: String,
    api: String,
}

/// Asks GitHub for a device code.
async fn start_device_flow(base: &str, client_id: &str) -> Result<(DeviceFlow, DeviceCode)> {
    let flow = DeviceFlow::new(base, client_id, "repo")
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    let code = flow
        .start()
        .await
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    Ok((flow, code))
}

/// Waits until the person has entered the code (or it expires, or `cancel`), checks who the new
/// token belongs to and keeps the account (tokens in the keychain).
async fn finish_device_flow(
    store: Arc<Store>,
    flow: &DeviceFlow,
    code: &DeviceCode,
    cancel: &CancellationToken,
    hosts: Hosts,
) -> Result<github_accounts::Account> {
    let tokens = flow
        .poll(code, cancel)
        .await
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    let login = vibedata_github::user::login(&hosts.api, &tokens.access_token)
        .await
        .map_err(|e| CoreError::github("checking the new token with GitHub", e))?;
    blocking(move || {
        github_accounts::save(
            &store,
            &login,
            &hosts.base,
            &hosts.api,
            AccountKind::Device,
            Some(&hosts.client_id),
            &tokens,
        )
    })
    .await
}

/// Shared so the background poll can report.
pub type SharedSignIn = Arc<DeviceSignIn>;
