//! The model agents run on: the team's endpoint (Azure AI Foundry or any OpenAI-compatible base
//! URL) as set in Settings and kept in the store's profile, its API key in the OS keychain. The
//! environment (`VIBEDATA_FOUNDRY_ENDPOINT`, see [`crate::platform::config`]) wins over Settings.
//! Without an endpoint, agents run only as the labelled replays of the demo domain. Blocking.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vibedata_agent::foundry::ApiStyle;
use vibedata_protocol::{ModelApiStyle, ModelSettingsDto, SetModelDto};
use vibedata_secrets::Sensitive;

use crate::platform::config::{Config, FoundryEndpoint};
use crate::platform::error::{CoreError, Result};
use crate::platform::keychain;
use crate::platform::store::Store;

/// The keychain entry of the endpoint's API key.
pub const KEY_NAME: &str = "foundry-api-key";
const PROFILE_KEY: &str = "model";

/// What Settings keeps in the store (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    endpoint: String,
    deployment: String,
    style: ModelApiStyle,
    api_version: Option<String>,
}

fn stored(store: &Store) -> Result<Option<Stored>> {
    let text: Option<String> = store.with(|c| {
        c.query_row(
            "SELECT value FROM profile WHERE key = ?1",
            [PROFILE_KEY],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn api_style(style: ModelApiStyle, api_version: Option<&str>) -> Result<ApiStyle> {
    Ok(match style {
        ModelApiStyle::V1 => ApiStyle::V1,
        ModelApiStyle::OpenaiCompatible => ApiStyle::OpenAiCompatible,
        ModelApiStyle::Classic => ApiStyle::Classic {
            api_version: api_version
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    CoreError::InvalidInput(
                        "the classic API needs its api-version (e.g. 2024-10-21)".into(),
                    )
                })?
                .trim()
                .to_string(),
        },
    })
}

fn style_of(style: &ApiStyle) -> (ModelApiStyle, Option<String>) {
    match style {
        ApiStyle::V1 => (ModelApiStyle::V1, None),
        ApiStyle::OpenAiCompatible => (ModelApiStyle::OpenaiCompatible, None),
        ApiStyle::Classic { api_version } => (ModelApiStyle::Classic, Some(api_version.clone())),
    }
}

/// The endpoint agents use now: the environment's, else the one saved in Settings.
pub fn endpoint(config: &Config, store: &Store) -> Result<Option<FoundryEndpoint>> {
    if let Some(endpoint) = &config.foundry {
        return Ok(Some(endpoint.clone()));
    }
    let Some(saved) = stored(store)? else {
        return Ok(None);
    };
    Ok(Some(FoundryEndpoint {
        base_url: saved.endpoint,
        deployment: saved.deployment,
        style: api_style(saved.style, saved.api_version.as_deref())?,
    }))
}

/// Settings as the page shows them. A keychain that cannot be read shows as "no key stored".
pub fn settings(config: &Config, store: &Store) -> Result<ModelSettingsDto> {
    let key_stored = matches!(keychain::get(KEY_NAME), Ok(Some(_)));
    let from_environment = config.foundry.is_some();
    Ok(match endpoint(config, store)? {
        Some(e) => {
            let (style, api_version) = style_of(&e.style);
            ModelSettingsDto {
                endpoint: Some(e.base_url),
                deployment: e.deployment,
                style,
                api_version,
                key_stored,
                from_environment,
            }
        }
        None => ModelSettingsDto {
            deployment: "gpt-4o".into(),
            key_stored,
            ..ModelSettingsDto::default()
        },
    })
}

/// Saves the endpoint (an empty one removes it) and, when given, the key in the keychain.
pub fn save(store: &Store, new: &SetModelDto) -> Result<()> {
    let endpoint = new.endpoint.trim();
    if endpoint.is_empty() {
        store.with(|c| c.execute("DELETE FROM profile WHERE key = ?1", [PROFILE_KEY]))?;
        return Ok(());
    }
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        return Err(CoreError::InvalidInput(format!(
            "“{endpoint}” is not an endpoint URL: it starts with https:// (or http:// for a local runtime)"
        )));
    }
    let deployment = new.deployment.trim();
    if deployment.is_empty() {
        return Err(CoreError::InvalidInput(
            "name the model deployment (e.g. gpt-4o)".into(),
        ));
    }
    api_style(new.style, new.api_version.as_deref())?;
    if let Some(key) = new.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        keychain::set(KEY_NAME, &Sensitive::new(key.to_string()))?;
    }
    let saved = Stored {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        deployment: deployment.to_string(),
        style: new.style,
        api_version: new.api_version.clone().filter(|v| !v.trim().is_empty()),
    };
    let text = serde_json::to_string(&saved).map_err(|e| CoreError::Internal(e.to_string()))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO profile (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![PROFILE_KEY, text],
        )
        .map(|_| ())
    })
}

/// Why an agent cannot start on a workspace that is not the demo domain.
pub fn not_configured() -> CoreError {
    CoreError::ModelNotConfigured(
        "No model is configured for agents: set your team's Azure AI Foundry (or OpenAI-compatible) \
         endpoint and its key under Settings → Model. Without one, agents run only as the labelled \
         replays of the demo domain, never on your own repositories."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::paths::Paths;
    use vibedata_protocol::ErrorCode;

    fn setup() -> (tempfile::TempDir, Store, Config) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let config = Config::with_paths(Paths::under(dir.path(), dir.path().join("venv")));
        (dir, store, config)
    }

    #[test]
    fn an_endpoint_saved_in_settings_is_used_and_the_environment_wins() {
        let (_dir, store, mut config) = setup();
        assert_eq!(endpoint(&config, &store).unwrap(), None);
        save(
            &store,
            &SetModelDto {
                endpoint: "https://acme.openai.azure.com/".into(),
                deployment: "gpt-4o-mini".into(),
                style: ModelApiStyle::V1,
                api_version: None,
                key: None,
            },
        )
        .unwrap();
        let saved = endpoint(&config, &store).unwrap().unwrap();
        assert_eq!(saved.base_url, "https://acme.openai.azure.com");
        assert_eq!(saved.deployment, "gpt-4o-mini");
        config.foundry = Some(FoundryEndpoint {
            base_url: "http://127.0.0.1:1".into(),
            deployment: "env".into(),
            style: ApiStyle::OpenAiCompatible,
        });
        let shown = settings(&config, &store).unwrap();
        assert!(shown.from_environment);
        assert_eq!(shown.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        save(&store, &SetModelDto::default()).unwrap();
        config.foundry = None;
        assert_eq!(
            endpoint(&config, &store).unwrap(),
            None,
            "an empty endpoint removes it"
        );
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        let (_dir, store, _config) = setup();
        for bad in [
            SetModelDto {
                endpoint: "acme.openai.azure.com".into(),
                deployment: "gpt-4o".into(),
                ..SetModelDto::default()
            },
            SetModelDto {
                endpoint: "https://acme.openai.azure.com".into(),
                deployment: " ".into(),
                ..SetModelDto::default()
            },
            SetModelDto {
                endpoint: "https://acme.openai.azure.com".into(),
                deployment: "gpt-4o".into(),
                style: ModelApiStyle::Classic,
                ..SetModelDto::default()
            },
        ] {
            assert_eq!(
                save(&store, &bad).map_err(|e| e.code()).err(),
                Some(ErrorCode::InvalidInput),
                "{bad:?}"
            );
        }
    }
}
