//! GitHub accounts: signing in (device flow or a personal access token), listing and signing out.
//! The account (login, hosts, kind) is in the store; its tokens — access and refresh together, as
//! one keychain entry so a refreshed pair replaces the old one atomically — only in the keychain.
//! Signing out deletes both.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use vibedata_agent::redact::Sensitive;
use vibedata_github::device::Tokens;

use crate::store::Store;
use crate::{CoreError, Result, agent_sessions, credentials};

/// An account as listed (never with its tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub base_url: String,
    pub api_url: String,
    pub kind: String,
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
    kind: &str,
    tokens: &Tokens,
) -> Result<Account> {
    let existing: Option<String> = store.with(|c| {
        use rusqlite::OptionalExtension;
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
        expires_at: tokens.expires_in.map(|s| agent_sessions::now() + s as i64),
    };
    let pair = serde_json::to_string(&stored).map_err(|e| CoreError::Internal(e.to_string()))?;
    credentials::set(&keychain_name(&id), &Sensitive::new(pair))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO github_accounts (id, login, base_url, api_url, kind, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET api_url = excluded.api_url, kind = excluded.kind",
            params![id, login, base_url, api_url, kind, agent_sessions::now()],
        )
        .map(|_| ())
    })?;
    tracing::info!(login, base_url, kind, "GitHub account signed in");
    Ok(Account {
        id,
        login: login.into(),
        base_url: base_url.into(),
        api_url: api_url.into(),
        kind: kind.into(),
    })
}

pub fn list(store: &Store) -> Result<Vec<Account>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, login, base_url, api_url, kind FROM github_accounts ORDER BY login",
        )?;
        stmt.query_map([], |r| {
            Ok(Account {
                id: r.get(0)?,
                login: r.get(1)?,
                base_url: r.get(2)?,
                api_url: r.get(3)?,
                kind: r.get(4)?,
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
}

/// `VIBEDATA_GITHUB_TOKEN` (with `VIBEDATA_GITHUB_API`; for CI and scripts, never stored) or else
/// the first signed-in account with its keychain token. `None` when nobody is signed in.
pub fn active(store: &Store) -> Result<Option<Active>> {
    if let Some(token) = std::env::var("VIBEDATA_GITHUB_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(Active {
            login: None,
            api_url: std::env::var("VIBEDATA_GITHUB_API")
                .unwrap_or_else(|_| "https://api.github.com".into()),
            token: Sensitive::new(token),
        }));
    }
    for account in list(store)? {
        if let Some(token) = access_token(&account)? {
            return Ok(Some(Active {
                login: Some(account.login),
                api_url: account.api_url,
                token,
            }));
        }
    }
    Ok(None)
}

impl Active {
    /// A REST client for this identity. `VIBEDATA_GITHUB_MUTATION_GAP_MS` shortens the spacing of
    /// writes (tests against the fake); the default is GitHub's one second.
    pub fn client(&self) -> Result<vibedata_github::rest::Client> {
        let mut client = vibedata_github::rest::Client::new(&self.api_url, self.token.clone())
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        if let Some(ms) = std::env::var("VIBEDATA_GITHUB_MUTATION_GAP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            client.mutation_gap = std::time::Duration::from_millis(ms);
        }
        Ok(client)
    }
}
