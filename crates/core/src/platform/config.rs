//! The settings the core takes from the environment, read once at start ([`Config::from_env`])
//! and passed down; nothing below reads an environment variable itself.
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | the `VIBEDATA_*` path variables | see [`crate::platform::paths`] | where things live |
//! | `VIBEDATA_GITHUB_TOKEN` | unset | a token for CI and scripts (never stored); wins over accounts |
//! | `VIBEDATA_GITHUB_API` | `https://api.github.com` | the REST API (a fake in tests) |
//! | `VIBEDATA_GITHUB_BASE` | `https://github.com` | the web host (device flow) |
//! | `VIBEDATA_GITHUB_CLIENT_ID` | unset | the organisation's OAuth app, for the device flow |
//! | `VIBEDATA_GITHUB_MUTATION_GAP_MS` | 1000 | spacing of writes (tests shorten it) |
//! | `VIBEDATA_INBOX_SYNC_SECS` | 60 | how often the background sync delivers the outbox and syncs |
//! | `VIBEDATA_FOUNDRY_ENDPOINT` | unset | an Azure AI Foundry / OpenAI-compatible base URL |
//! | `VIBEDATA_FOUNDRY_DEPLOYMENT` | `gpt-4o` | the model deployment |
//! | `VIBEDATA_FOUNDRY_STYLE` | `v1` | `v1`, `openai` or `classic:<api-version>` |
//! | `VIBEDATA_FABRIC_API` | `https://api.fabric.microsoft.com/v1` | the Fabric REST API (a fake in tests) |
//! | `VIBEDATA_ENTRA_AUTHORITY` | `https://login.microsoftonline.com` | Entra ID (a fake in tests) |
//! | `VIBEDATA_FABRIC_TOKEN` | unset | a Fabric token for CI and scripts (never stored); wins over the sign-in |
//! | `VIBEDATA_LOG` | `info` | the log level filter (e.g. `debug`) |

use std::time::Duration;

use vibedata_secrets::Sensitive;

use crate::platform::error::{CoreError, Result};
use crate::platform::paths::Paths;

/// Everything the core takes from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Paths,
    pub github: GitHubConfig,
    pub foundry: Option<FoundryEndpoint>,
    pub fabric: FabricConfig,
    /// Between two background passes of outbox delivery and inbox sync.
    pub inbox_sync_every: Duration,
    /// The log level filter (`VIBEDATA_LOG`), default `info`.
    pub log_level: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// A token given by the environment (CI, scripts): used instead of any signed-in account.
    pub env_token: Option<Sensitive<String>>,
    pub api_url: String,
    pub web_url: String,
    pub client_id: Option<String>,
    pub mutation_gap: Option<Duration>,
}

impl Default for GitHubConfig {
    fn default() -> Self {
        Self {
            env_token: None,
            api_url: "https://api.github.com".into(),
            web_url: "https://github.com".into(),
            client_id: None,
            mutation_gap: None,
        }
    }
}

/// Where Fabric and Entra are, and a token given by the environment (CI, scripts).
#[derive(Debug, Clone)]
pub struct FabricConfig {
    pub api_url: String,
    pub authority: String,
    pub env_token: Option<Sensitive<String>>,
}

impl Default for FabricConfig {
    fn default() -> Self {
        Self {
            api_url: "https://api.fabric.microsoft.com/v1".into(),
            authority: "https://login.microsoftonline.com".into(),
            env_token: None,
        }
    }
}

/// A live model endpoint; without one, agents run only as replays on the demo domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundryEndpoint {
    pub base_url: String,
    pub deployment: String,
    pub style: vibedata_agent::foundry::ApiStyle,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// Reads the environment (see the module docs). Fails on a value that cannot be meant.
    pub fn from_env() -> Result<Self> {
        let paths = Paths::from_env()?;
        let github = GitHubConfig {
            env_token: var("VIBEDATA_GITHUB_TOKEN").map(Sensitive::new),
            api_url: var("VIBEDATA_GITHUB_API").unwrap_or_else(|| "https://api.github.com".into()),
            web_url: var("VIBEDATA_GITHUB_BASE").unwrap_or_else(|| "https://github.com".into()),
            client_id: var("VIBEDATA_GITHUB_CLIENT_ID"),
            mutation_gap: var("VIBEDATA_GITHUB_MUTATION_GAP_MS")
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis),
        };
        let foundry = match var("VIBEDATA_FOUNDRY_ENDPOINT") {
            None => None,
            Some(base_url) => Some(FoundryEndpoint {
                base_url,
                deployment: var("VIBEDATA_FOUNDRY_DEPLOYMENT").unwrap_or_else(|| "gpt-4o".into()),
                style: api_style(var("VIBEDATA_FOUNDRY_STYLE").as_deref().unwrap_or(""))?,
            }),
        };
        let inbox_sync_every = var("VIBEDATA_INBOX_SYNC_SECS")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(60));
        let defaults = FabricConfig::default();
        let fabric = FabricConfig {
            api_url: var("VIBEDATA_FABRIC_API").unwrap_or(defaults.api_url),
            authority: var("VIBEDATA_ENTRA_AUTHORITY").unwrap_or(defaults.authority),
            env_token: var("VIBEDATA_FABRIC_TOKEN").map(Sensitive::new),
        };
        Ok(Self {
            paths,
            github,
            foundry,
            fabric,
            inbox_sync_every,
            log_level: var("VIBEDATA_LOG"),
        })
    }

    /// Only paths (tests, and the CLI commands that need nothing else): no GitHub token, no
    /// model endpoint, the default sync interval.
    pub fn with_paths(paths: Paths) -> Self {
        Self {
            paths,
            github: GitHubConfig::default(),
            foundry: None,
            fabric: FabricConfig::default(),
            inbox_sync_every: Duration::from_secs(60),
            log_level: None,
        }
    }
}

fn api_style(text: &str) -> Result<vibedata_agent::foundry::ApiStyle> {
    use vibedata_agent::foundry::ApiStyle;
    match text {
        "" | "v1" => Ok(ApiStyle::V1),
        "openai" => Ok(ApiStyle::OpenAiCompatible),
        other => match other.strip_prefix("classic:") {
            Some(version) => Ok(ApiStyle::Classic {
                api_version: version.to_string(),
            }),
            None => Err(CoreError::InvalidInput(format!(
                "VIBEDATA_FOUNDRY_STYLE '{other}': use v1, openai or classic:<api-version>"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::api_style;
    use vibedata_agent::foundry::ApiStyle;

    #[test]
    fn api_styles_are_read_and_nonsense_is_refused() {
        assert_eq!(api_style("").ok(), Some(ApiStyle::V1));
        assert_eq!(api_style("openai").ok(), Some(ApiStyle::OpenAiCompatible));
        assert_eq!(
            api_style("classic:2024-10-21").ok(),
            Some(ApiStyle::Classic {
                api_version: "2024-10-21".into()
            })
        );
        let err = api_style("v2").err().map(|e| e.code());
        assert_eq!(err, Some(vibedata_protocol::ErrorCode::InvalidInput));
    }
}
