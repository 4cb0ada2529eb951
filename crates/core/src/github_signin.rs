//! Signing in to GitHub from the app: the OAuth device flow (the code is shown and the
//! verification page opened; the poll runs in the background and its outcome is read with
//! [`Studio::github_status`]) or a personal access token; listing and signing out. The OAuth app
//! comes from `VIBEDATA_GITHUB_CLIENT_ID` (GitHub Enterprise: `VIBEDATA_GITHUB_BASE` and
//! `VIBEDATA_GITHUB_API`).

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use vibedata_agent::redact::Sensitive;
use vibedata_github::device::{DeviceFlow, Tokens};
use vibedata_protocol::inbox::{GithubAccountDto, GithubStatusDto, SignInDto, WorkspaceAccountDto};

use crate::error::blocking;
use crate::{CoreError, Result, github_accounts};

/// The device flow under way, shared with its background poll.
#[derive(Default)]
pub struct SignInState {
    status: Mutex<SignInDto>,
    cancel: Mutex<Option<CancellationToken>>,
}

fn hosts() -> (String, String) {
    let var = |k: &str, d: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| d.to_string())
    };
    (
        var("VIBEDATA_GITHUB_BASE", "https://github.com"),
        var("VIBEDATA_GITHUB_API", "https://api.github.com"),
    )
}

fn client_id() -> Option<String> {
    std::env::var("VIBEDATA_GITHUB_CLIENT_ID")
        .ok()
        .filter(|v| !v.is_empty())
}

impl SignInState {
    fn set(&self, status: SignInDto) {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    fn get(&self) -> SignInDto {
        let mut status = self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if status.state.is_empty() {
            status.state = "idle".into();
        }
        status
    }
}

impl crate::Studio {
    pub async fn github_status(&self) -> Result<GithubStatusDto> {
        let store = self.store.clone();
        let (accounts, workspaces) = blocking(move || {
            let workspaces = crate::workspace::list(&store)?
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
            env_token: std::env::var("VIBEDATA_GITHUB_TOKEN").is_ok_and(|t| !t.is_empty()),
            device_unavailable: client_id().is_none().then(|| {
                "Device sign-in needs your organisation's GitHub OAuth app: set VIBEDATA_GITHUB_CLIENT_ID (device flow enabled on the app). A personal access token works without it.".to_string()
            }),
            sign_in: self.sign_in.get(),
            workspaces,
        })
    }

    /// Chooses the account a workspace acts as (`None`: the default).
    pub async fn github_choose(&self, workspace_id: String, login: Option<String>) -> Result<()> {
        let store = self.store.clone();
        blocking(move || github_accounts::choose(&store, &workspace_id, login.as_deref())).await
    }

    /// Starts the device flow: returns the code to show; the poll continues in the background.
    pub async fn github_device_start(&self) -> Result<SignInDto> {
        let client_id = client_id().ok_or_else(|| {
            CoreError::InvalidInput(
                "set VIBEDATA_GITHUB_CLIENT_ID to sign in with the device flow".into(),
            )
        })?;
        let (base, api) = hosts();
        let flow = DeviceFlow::new(&base, &client_id, "repo")
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let code = flow
            .start()
            .await
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
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
            state: "waiting".into(),
            user_code: Some(code.user_code.clone()),
            verification_uri: Some(code.verification_uri.clone()),
            login: None,
            error: None,
        };
        self.sign_in.set(waiting.clone());
        let (state, store) = (self.sign_in.clone(), self.store.clone());
        tokio::spawn(async move {
            let outcome = async {
                let tokens = flow
                    .poll(&code, &cancel)
                    .await
                    .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
                let login = vibedata_github::user::login(&api, &tokens.access_token)
                    .await
                    .map_err(|e| CoreError::github("checking the new token with GitHub", e))?;
                let account = blocking(move || {
                    github_accounts::save(
                        &store,
                        &login,
                        &base,
                        &api,
                        "device",
                        Some(&client_id),
                        &tokens,
                    )
                })
                .await?;
                Ok::<_, CoreError>(account.login)
            }
            .await;
            state.set(match outcome {
                Ok(login) => SignInDto {
                    state: "signed_in".into(),
                    login: Some(login),
                    ..SignInDto::default()
                },
                Err(e) => SignInDto {
                    state: "failed".into(),
                    error: Some(e.to_string()),
                    ..SignInDto::default()
                },
            });
        });
        Ok(waiting)
    }

    /// Signs in with a personal access token (verified with `GET /user` before it is kept).
    pub async fn github_sign_in_token(&self, token: Sensitive<String>) -> Result<GithubAccountDto> {
        let (base, api) = hosts();
        let login = vibedata_github::user::login(&api, &token)
            .await
            .map_err(|e| CoreError::github("checking the token with GitHub", e))?;
        let tokens = Tokens {
            access_token: token,
            refresh_token: None,
            expires_in: None,
            scope: String::new(),
        };
        let store = self.store.clone();
        let account = blocking(move || {
            github_accounts::save(&store, &login, &base, &api, "pat", None, &tokens)
        })
        .await?;
        Ok(GithubAccountDto {
            login: account.login,
            base_url: account.base_url,
            kind: account.kind,
        })
    }

    pub async fn github_sign_out(&self, login: String) -> Result<bool> {
        let store = self.store.clone();
        blocking(move || github_accounts::sign_out(&store, &login)).await
    }
}

/// Shared so the background poll can report.
pub type SharedSignIn = Arc<SignInState>;
