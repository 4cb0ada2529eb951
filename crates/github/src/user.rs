//! `GET /user`: who a token belongs to (and whether it still works).

use std::time::Duration;

use vibedata_agent::redact::Sensitive;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("GitHub refused the token (revoked or expired); sign in again")]
    BadCredentials,
    #[error("cannot reach GitHub: {0}")]
    Network(String),
    #[error("GitHub answered something unexpected: {0}")]
    Protocol(String),
}

/// The login name of the token's owner. `api_base` is `https://api.github.com` (or a fake's URL).
pub async fn login(api_base: &str, token: &Sensitive<String>) -> Result<String, UserError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent("vibedata-studio")
        .build()
        .map_err(|e| UserError::Network(e.to_string()))?;
    let response = http
        .get(format!("{}/user", api_base.trim_end_matches('/')))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| UserError::Network(e.without_url().to_string()))?;
    if response.status().as_u16() == 401 {
        return Err(UserError::BadCredentials);
    }
    if !response.status().is_success() {
        return Err(UserError::Protocol(format!("HTTP {}", response.status())));
    }
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|e| UserError::Protocol(e.to_string()))?;
    body["login"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| UserError::Protocol("no login in the answer".into()))
}
