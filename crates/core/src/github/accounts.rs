//! GitHub accounts: signing in (device flow or a personal access token), listing and signing out.
//! The account (login, hosts, kind) is in the store; its tokens — access and refresh together, as
//! one keychain entry so a refreshed pair replaces the old one atomically — only in the keychain.
//! Signing out deletes both.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vibedata_github::device::Tokens;
use vibedata_secrets::Sensitive;

use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::keychain as credentials;
use crate::platform::store::{Store, named};
use vibedata_protocol::inbox::AccountKind;

/// An account as listed (never with its tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub base_url: String,
    pub api_url: String,
    pub kind: AccountKind,
    /// The OAuth app the tokens came from (needed to refresh them); `None` for a PAT.
    pub client_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access: String,
    refresh: Option<String>,
    expires_at: Option<i64>,
}

fn keychain_name(id: &str) -> String {
    format!("github-{id}")
}

/// Keeps an account and its tokens (replacing the account's earlier tokens).
pub fn save(
    store: &Store,
    login: &str,
    base_url: &str,
    api_url: &str,
    kind: AccountKind,
    client_id: Option<&str>,
    tokens: &Tokens,
) -> Result<Account> {
    let existing: Option<String> = store.with(|c| {
        c.query_row(
            "SELECT id FROM github_accounts WHERE login = ?1 AND base_url = ?2",
            params![login, base_url],
            |r| r.get(0),
        )
        .optional()
    })?;
    let id = existing.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let stored = StoredTokens {
        access: tokens.access_token.expose().clone(),
        refresh: tokens.refresh_token.as_ref().map(|r| r.expose().clone()),
        expires_at: tokens
            .expires_in
            .map(|s| crate::platform::clock::now() + s as i64),
    };
    let pair = serde_json::to_string(&stored).map_err(|e| CoreError::Internal(e.to_string()))?;
    credentials::set(&keychain_name(&id), &Sensitive::new(pair))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO github_accounts (id, login, base_url, api_url, kind, created_at, client_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET api_url = excluded.api_url, kind = excluded.kind, client_id = excluded.client_id",
            params![id, login, base_url, api_url, kind.as_str(), crate::platform::clock::now(), client_id],
        )
        .map(|_| ())
    })?;
    tracing::info!(
        login,
        base_url,
        kind = kind.as_str(),
        "GitHub account signed in"
    );
    Ok(Account {
        id,
        login: login.into(),
        base_url: base_url.into(),
        api_url: api_url.into(),
        kind,
        client_id: client_id.map(str::to_string),
    })
}

pub fn list(store: &Store) -> Result<Vec<Account>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, login, base_url, api_url, kind, client_id FROM github_accounts ORDER BY login",
        )?;
        stmt.query_map([], |r| {
            Ok(Account {
                id: r.get(0)?,
                login: r.get(1)?,
                base_url: r.get(2)?,
                api_url: r.get(3)?,
                kind: named(r, 4, AccountKind::parse)?,
                client_id: r.get(5)?,
            })
        })?
        .collect()
    })
}

/// The account's access token, from the keychain.
pub fn access_token(account: &Account) -> Result<Option<Sensitive<String>>> {
    let Some(pair) = credentials::get(&keychain_name(&account.id))? else {
        return Ok(None);
    };
    let stored: StoredTokens = serde_json::from_str(pair.expose())
        .map_err(|_| CoreError::Internal("the stored GitHub tokens are not readable".into()))?;
    Ok(Some(Sensitive::new(stored.access)))
}

/// Signs out: the tokens leave the keychain and the account the store.
pub fn sign_out(store: &Store, login: &str) -> Result<bool> {
    let accounts: Vec<Account> = list(store)?
        .into_iter()
        .filter(|a| a.login == login)
        .collect();
    for a in &accounts {
        credentials::delete(&keychain_name(&a.id))?;
        store.with(|c| {
            c.execute("DELETE FROM github_accounts WHERE id = ?1", [&a.id])
                .map(|_| ())
        })?;
    }
    Ok(!accounts.is_empty())
}

/// The GitHub identity the inbox and the outbox act as.
#[derive(Clone)]
pub struct Active {
    /// Known for signed-in accounts; for an environment token, asked of `GET /user` when needed.
    pub login: Option<String>,
    pub api_url: String,
    pub token: Sensitive<String>,
    /// The spacing of writes when not GitHub's one second (tests against the fake).
    pub mutation_gap: Option<std::time::Duration>,
}

/// The first signed-in account with its keychain token. `None` when nobody is signed in. (A
/// token given by the environment or a script is the GitHub front door's business, not stored.)
pub fn active(store: &Store) -> Result<Option<Active>> {
    for account in list(store)? {
        if let Some(token) = access_token(&account)? {
            return Ok(Some(Active {
                login: Some(account.login),
                api_url: account.api_url,
                token,
                mutation_gap: None,
            }));
        }
    }
    Ok(None)
}

impl Active {
    /// A REST client for this identity.
    pub fn client(&self) -> Result<vibedata_github::rest::Client> {
        let mut client = vibedata_github::rest::Client::new(&self.api_url, self.token.clone())
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        if let Some(gap) = self.mutation_gap {
            client.mutation_gap = gap;
        }
        Ok(client)
    }
}

/// The account's access token, refreshed first when it expires within a minute and the account
/// has a refresh token (GitHub App user tokens live 8 hours): the new pair replaces the old as
/// one keychain entry, so a crash cannot leave half of it. A refused refresh means signing in
/// again.
pub async fn fresh_access_token(account: &Account) -> Result<Option<Sensitive<String>>> {
    let entry = keychain_name(&account.id);
    let name = entry.clone();
    let Some(pair) = blocking(move || credentials::get(&name)).await? else {
        return Ok(None);
    };
    let stored: StoredTokens = serde_json::from_str(pair.expose())
        .map_err(|_| CoreError::Internal("the stored GitHub tokens are not readable".into()))?;
    let expiring = stored
        .expires_at
        .is_some_and(|at| crate::platform::clock::now() + 60 >= at);
    let (Some(refresh), Some(client_id), true) = (&stored.refresh, &account.client_id, expiring)
    else {
        return Ok(Some(Sensitive::new(stored.access)));
    };
    let flow = vibedata_github::device::DeviceFlow::new(&account.base_url, client_id, "repo")
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    let tokens = flow
        .refresh(&Sensitive::new(refresh.clone()))
        .await
        .map_err(|e| match e {
            vibedata_github::device::DeviceError::Expired => CoreError::InvalidInput(format!(
                "the GitHub sign-in of {} has expired; sign in again",
                account.login
            )),
            other => {
                CoreError::InvalidInput(format!("refreshing the GitHub token failed: {other}"))
            }
        })?;
    let renewed = StoredTokens {
        access: tokens.access_token.expose().clone(),
        refresh: tokens
            .refresh_token
            .as_ref()
            .map(|r| r.expose().clone())
            .or(stored.refresh),
        expires_at: tokens
            .expires_in
            .map(|s| crate::platform::clock::now() + s as i64),
    };
    let text = serde_json::to_string(&renewed).map_err(|e| CoreError::Internal(e.to_string()))?;
    blocking(move || credentials::set(&entry, &Sensitive::new(text))).await?;
    tracing::info!(login = %account.login, "GitHub token refreshed");
    Ok(Some(tokens.access_token))
}

/// [`active`] with the account's token refreshed when it is about to expire.
pub async fn active_fresh(store: std::sync::Arc<Store>) -> Result<Option<Active>> {
    let found = {
        let store = store.clone();
        blocking(move || active(&store)).await?
    };
    let Some(mut found) = found else {
        return Ok(None);
    };
    if let Some(login) = &found.login {
        let (store, login) = (store.clone(), login.clone());
        let account =
            blocking(move || Ok(list(&store)?.into_iter().find(|a| a.login == login))).await?;
        if let Some(account) = account
            && let Some(token) = fresh_access_token(&account).await?
        {
            found.token = token;
        }
    }
    Ok(Some(found))
}

/// Chooses the account a workspace acts as on GitHub (`None`: the default, the first account).
pub fn choose(store: &Store, workspace_id: &str, login: Option<&str>) -> Result<()> {
    let Some(login) = login else {
        store.with(|c| {
            c.execute(
                "DELETE FROM workspace_github WHERE workspace_id = ?1",
                [workspace_id],
            )
        })?;
        return Ok(());
    };
    let account = list(store)?
        .into_iter()
        .find(|a| a.login == login)
        .ok_or_else(|| CoreError::NotFound(format!("{login} is not signed in to GitHub")))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO workspace_github (workspace_id, account_id) VALUES (?1, ?2)
             ON CONFLICT (workspace_id) DO UPDATE SET account_id = excluded.account_id",
            params![workspace_id, account.id],
        )
    })?;
    Ok(())
}

/// The account chosen for a workspace, if one was.
pub fn chosen(store: &Store, workspace_id: &str) -> Result<Option<Account>> {
    let id: Option<String> = store.with(|c| {
        c.query_row(
            "SELECT account_id FROM workspace_github WHERE workspace_id = ?1",
            [workspace_id],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(id.and_then(|id| list(store).ok()?.into_iter().find(|a| a.id == id)))
}

/// The identity for work on a workspace's repository: the account chosen for the workspace,
/// else the default ([`active_fresh`]).
pub async fn active_for_workspace(
    store: std::sync::Arc<Store>,
    workspace_id: &str,
) -> Result<Option<Active>> {
    let chosen_account = {
        let (store, id) = (store.clone(), workspace_id.to_string());
        blocking(move || chosen(&store, &id)).await?
    };
    match chosen_account {
        Some(account) => Ok(fresh_access_token(&account).await?.map(|token| Active {
            login: Some(account.login.clone()),
            api_url: account.api_url.clone(),
            token,
            mutation_gap: None,
        })),
        None => active_fresh(store).await,
    }
}

/// Who the app acts as, offline too: the signed-in account's login, or the login GitHub last
/// gave for the environment token.
pub fn known_login(store: &Store, active: Option<&Active>) -> Result<Option<String>> {
    let Some(active) = active else {
        return Ok(None);
    };
    if active.login.is_some() {
        return Ok(active.login.clone());
    }
    store.with(|c| {
        c.query_row(
            "SELECT login FROM gh_identity WHERE api_url = ?1",
            [&active.api_url],
            |r| r.get(0),
        )
        .optional()
    })
}

/// The login of `active`: the account's, or the one GitHub last gave for the environment token
/// (so the outbox can check its earlier deliveries offline-first), or asked of `GET /user` and
/// kept.
pub async fn resolve_login(store: std::sync::Arc<Store>, active: &Active) -> Result<String> {
    if let Some(login) = &active.login {
        return Ok(login.clone());
    }
    let api = active.api_url.clone();
    let stored = {
        let (store, api) = (store.clone(), api.clone());
        blocking(move || {
            store.with(|c| {
                c.query_row(
                    "SELECT login FROM gh_identity WHERE api_url = ?1",
                    [&api],
                    |r| r.get::<_, String>(0),
                )
                .optional()
            })
        })
        .await?
    };
    if let Some(login) = stored {
        return Ok(login);
    }
    let login = vibedata_github::user::login(&api, &active.token)
        .await
        .map_err(|e| CoreError::github("checking who the GitHub token belongs to", e))?;
    let kept = login.clone();
    blocking(move || {
        store.with(|c| {
            c.execute(
                "INSERT INTO gh_identity (api_url, login) VALUES (?1, ?2)
                 ON CONFLICT (api_url) DO UPDATE SET login = excluded.login",
                params![api, kept],
            )
        })
    })
    .await?;
    Ok(login)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn a_workspace_keeps_its_chosen_account_until_that_account_signs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        // Accounts as sign-in leaves them (their tokens would be in the keychain).
        store
            .with(|c| {
                c.execute_batch(
                    "INSERT INTO github_accounts (id, login, base_url, api_url, kind, created_at) VALUES
                       ('a1', 'grace', 'https://github.com', 'https://api.github.com', 'device', 0),
                       ('a2', 'alan', 'https://github.com', 'https://api.github.com', 'pat', 0);",
                )
            })
            .unwrap();
        assert!(chosen(&store, "ws").unwrap().is_none());
        assert_eq!(
            choose(&store, "ws", Some("nobody"))
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::NotFound),
            "nobody is not signed in"
        );
        choose(&store, "ws", Some("alan")).unwrap();
        assert_eq!(chosen(&store, "ws").unwrap().unwrap().login, "alan");
        choose(&store, "ws", Some("grace")).unwrap();
        assert_eq!(chosen(&store, "ws").unwrap().unwrap().login, "grace");
        store
            .with(|c| c.execute("DELETE FROM github_accounts WHERE id = 'a1'", []))
            .unwrap();
        assert!(
            chosen(&store, "ws").unwrap().is_none(),
            "signed out: back to the default"
        );
        choose(&store, "ws", Some("alan")).unwrap();
        choose(&store, "ws", None).unwrap();
        assert!(chosen(&store, "ws").unwrap().is_none());
    }
}
