//! The person's Entra identity for Fabric and Foundry: one keychain entry (`entra`) holding the
//! refresh token and an access token per resource with its expiry, written as one value so a
//! rotated refresh token replaces the old one atomically. An access token is refreshed a few
//! minutes before it expires; the refresh always stores the new pair before the token is used.
//! A refused grant (`invalid_grant`: revoked, expired, consent withdrawn) forgets the tokens and
//! asks the person to sign in again. Blocking keychain calls run on blocking threads.

use serde::{Deserialize, Serialize};
use vibedata_fabric::FabricError;
use vibedata_fabric::entra::{self, EntraConfig, FABRIC_SCOPES, FOUNDRY_SCOPE, Tokens};
use vibedata_secrets::Sensitive;

use crate::platform::clock;
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::keychain;

pub const KEYCHAIN_NAME: &str = "entra";
/// An access token this close to its end is refreshed first.
const EARLY: i64 = 300;

/// The two resources a token is minted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Fabric,
    Foundry,
}

impl Resource {
    fn scopes(self) -> Vec<&'static str> {
        match self {
            Resource::Fabric => FABRIC_SCOPES.to_vec(),
            Resource::Foundry => vec![FOUNDRY_SCOPE],
        }
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct Access {
    token: String,
    expires_at: i64,
}

#[derive(Serialize, Deserialize, Clone, Default)]
struct Stored {
    refresh: String,
    fabric: Option<Access>,
    foundry: Option<Access>,
}

impl Stored {
    fn slot(&mut self, r: Resource) -> &mut Option<Access> {
        match r {
            Resource::Fabric => &mut self.fabric,
            Resource::Foundry => &mut self.foundry,
        }
    }
}

async fn load() -> Result<Option<Stored>> {
    blocking(|| {
        let Some(text) = keychain::get(KEYCHAIN_NAME)? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(text.expose()).ok())
    })
    .await
}

async fn save(stored: Stored) -> Result<()> {
    let text = serde_json::to_string(&stored).map_err(|e| CoreError::Internal(e.to_string()))?;
    blocking(move || keychain::set(KEYCHAIN_NAME, &Sensitive::new(text))).await
}

/// Forgets every token (sign-out, a refused grant, another tenant).
pub async fn forget() -> Result<()> {
    blocking(|| keychain::delete(KEYCHAIN_NAME).map(|_| ())).await
}

fn access_of(tokens: &Tokens) -> Access {
    Access {
        token: tokens.access.expose().clone(),
        expires_at: clock::now() + tokens.expires_in.unwrap_or(3_600) as i64,
    }
}

/// Keeps the tokens of a finished sign-in (for Fabric), then mints the Foundry token with the
/// refresh token (which rotates; the newest is kept). A Foundry refusal is not a failed sign-in:
/// the person may have no Foundry access, and the model provider keeps its API key.
pub async fn keep_sign_in(config: &EntraConfig, tokens: Tokens) -> Result<bool> {
    let refresh = tokens.refresh.clone().ok_or_else(|| {
        CoreError::fabric(
            "Entra gave no refresh token",
            FabricError::Auth("offline_access was not granted: ask an admin to allow it".into()),
        )
    })?;
    let mut stored = Stored {
        refresh: refresh.expose().clone(),
        fabric: Some(access_of(&tokens)),
        foundry: None,
    };
    save(stored.clone()).await?;
    match entra::refresh(config, &refresh, &Resource::Foundry.scopes()).await {
        Ok(t) => {
            if let Some(r) = &t.refresh {
                stored.refresh = r.expose().clone();
            }
            stored.foundry = Some(access_of(&t));
            save(stored).await?;
            Ok(true)
        }
        Err(e) => {
            tracing::info!(error = %e, "no Foundry token for this identity");
            Ok(false)
        }
    }
}

/// Whether tokens are held, and whether one for Foundry is among them.
pub async fn held() -> Result<(bool, bool)> {
    Ok(match load().await? {
        Some(s) => (true, s.foundry.is_some()),
        None => (false, false),
    })
}

/// An access token for `resource`, refreshed first when it ends within five minutes. `None` when
/// nobody is signed in. A refused refresh forgets the tokens and is a sign-in error.
pub async fn access_token(
    config: &EntraConfig,
    resource: Resource,
) -> Result<Option<Sensitive<String>>> {
    let Some(mut stored) = load().await? else {
        return Ok(None);
    };
    if let Some(a) = stored.slot(resource).clone()
        && a.expires_at - EARLY > clock::now()
    {
        return Ok(Some(Sensitive::new(a.token)));
    }
    let refresh = Sensitive::new(stored.refresh.clone());
    match entra::refresh(config, &refresh, &resource.scopes()).await {
        Ok(t) => {
            if let Some(r) = &t.refresh {
                stored.refresh = r.expose().clone();
            }
            *stored.slot(resource) = Some(access_of(&t));
            // The new refresh token is kept before the access token is used.
            save(stored).await?;
            Ok(Some(t.access))
        }
        Err(e @ FabricError::Auth(_)) => {
            forget().await?;
            Err(CoreError::fabric(
                "Entra refused to renew the sign-in; sign in to Fabric again in Settings",
                e,
            ))
        }
        Err(e) => Err(CoreError::fabric("cannot renew the Entra sign-in", e)),
    }
}
