//! The person's Entra ID identity, which more than one capability uses: the organisation's
//! tenant and app registration ([`settings`], with Fabric's capacity and GitHub connection beside
//! them) and the tokens of the sign-in ([`identity`]: Fabric's and Foundry's, in the keychain
//! only). Fabric signs the person in and uses the Fabric token; agents use the Foundry token when
//! no API key is stored ([`foundry_bearer`]).

pub mod identity;
pub mod settings;

use vibedata_fabric::entra::EntraConfig;
use vibedata_secrets::Sensitive;

use crate::platform::Platform;
use crate::platform::error::{Result, blocking};

/// A Foundry token from the person's Entra sign-in (refreshed when it ends soon), or `None` when
/// nobody signed in or the tenant is not set. Agents use it when no API key is stored.
pub async fn foundry_bearer(platform: &Platform) -> Result<Option<Sensitive<String>>> {
    let store = platform.store.clone();
    let s = blocking(move || settings::get(&store)).await?;
    if s.tenant.is_empty() || s.client_id.is_empty() {
        return Ok(None);
    }
    let config = EntraConfig {
        authority: platform.config.fabric.authority.clone(),
        tenant: s.tenant,
        client_id: s.client_id,
    };
    identity::access_token(&config, identity::Resource::Foundry).await
}
