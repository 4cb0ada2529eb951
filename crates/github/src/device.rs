//! The OAuth device flow. `POST /login/device/code` gives a device code and the short user code
//! the person types at the verification page; the app then polls
//! `POST /login/oauth/access_token` every `interval` seconds.
//!
//! The trap (REFERENCE.md): while the person has not finished, GitHub answers **HTTP 200** with an
//! `error` field — `authorization_pending` (keep polling), `slow_down` (add 5 s to the interval),
//! `expired_token`, `access_denied`. So the poller reads `error` before anything else; a generic
//! OAuth client that treats 200 as success fails here.

use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use vibedata_secrets::Sensitive;

/// What the person needs to finish signing in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: u64,
    pub interval: u64,
}

/// The tokens GitHub issued. GitHub App user tokens expire and come with a refresh token.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Sensitive<String>,
    pub refresh_token: Option<Sensitive<String>>,
    pub expires_in: Option<u64>,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("the code expired before sign-in finished; start again")]
    Expired,
    #[error("sign-in was declined on GitHub")]
    Denied,
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error("cannot reach GitHub: {0}")]
    Network(String),
    #[error("GitHub answered something unexpected: {0}")]
    Protocol(String),
}

/// A device-flow sign-in against a GitHub (or GitHub Enterprise, or a fake) base URL.
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    base_url: String,
    client_id: String,
    scope: String,
    http: reqwest::Client,
    /// Added to the interval on `slow_down` (GitHub says 5 s).
    slow_down_step: Duration,
    /// The shortest wait between polls, whatever the server says (tests lower it).
    min_interval: Duration,
}

impl DeviceFlow {
    pub fn new(base_url: &str, client_id: &str, scope: &str) -> Result<Self, DeviceError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(30))
            .user_agent("vibedata-studio")
            .build()
            .map_err(|e| DeviceError::Network(e.to_string()))?;
        Ok(DeviceFlow {
            base_url: base_url.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            scope: scope.to_string(),
            http,
            slow_down_step: Duration::from_secs(5),
            min_interval: Duration::from_secs(1),
        })
    }

    /// Shorter waits, for tests against a fake.
    pub fn with_timing(mut self, slow_down_step: Duration, min_interval: Duration) -> Self {
        self.slow_down_step = slow_down_step;
        self.min_interval = min_interval;
        self
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, DeviceError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| DeviceError::Network(e.without_url().to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DeviceError::Network(e.without_url().to_string()))?;
        let body: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
            DeviceError::Protocol(format!("HTTP {status} with a body that is not JSON"))
        })?;
        if !status.is_success() && body.get("error").is_none() {
            return Err(DeviceError::Protocol(format!("HTTP {status}")));
        }
        Ok(body)
    }

    /// Asks for a device code.
    pub async fn start(&self) -> Result<DeviceCode, DeviceError> {
        let body = self
            .post(
                "/login/device/code",
                &[("client_id", &self.client_id), ("scope", &self.scope)],
            )
            .await?;
        if let Some(error) = body.get("error").and_then(|e| e.as_str()) {
            return Err(DeviceError::Protocol(format!(
                "{error}: {}",
                body["error_description"].as_str().unwrap_or_default()
            )));
        }
        serde_json::from_value(body).map_err(|e| {
            DeviceError::Protocol(format!("the device code answer lacks a field ({e})"))
        })
    }

    /// Polls until the person finishes (or declines, or the code expires, or `cancel` fires).
    pub async fn poll(
        &self,
        code: &DeviceCode,
        cancel: &CancellationToken,
    ) -> Result<Tokens, DeviceError> {
        let mut interval = Duration::from_secs(code.interval).max(self.min_interval);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(code.expires_in);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Err(DeviceError::Cancelled),
                _ = tokio::time::sleep(interval) => {}
            }
            if tokio::time::Instant::now() > deadline {
                return Err(DeviceError::Expired);
            }
            let body = self
                .post(
                    "/login/oauth/access_token",
                    &[
                        ("client_id", &self.client_id),
                        ("device_code", &code.device_code),
                        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ],
                )
                .await?;
            // The error field first: GitHub answers 200 while the person has not finished.
            match body.get("error").and_then(|e| e.as_str()) {
                Some("authorization_pending") => continue,
                Some("slow_down") => {
                    interval = match body.get("interval").and_then(|i| i.as_u64()) {
                        Some(seconds) => {
                            Duration::from_secs(seconds).max(interval + self.slow_down_step)
                        }
                        None => interval + self.slow_down_step,
                    };
                    tracing::debug!(
                        interval_ms = interval.as_millis() as u64,
                        "GitHub asked to slow down"
                    );
                    continue;
                }
                Some("expired_token") => return Err(DeviceError::Expired),
                Some("access_denied") => return Err(DeviceError::Denied),
                Some(other) => {
                    return Err(DeviceError::Protocol(format!(
                        "{other}: {}",
                        body["error_description"].as_str().unwrap_or_default()
                    )));
                }
                None => {}
            }
            return tokens(&body);
        }
    }

    /// Trades a GitHub App user token's refresh token for a new pair (the old pair stops
    /// working). A refused refresh token (`bad_refresh_token`) means signing in again.
    pub async fn refresh(&self, refresh_token: &Sensitive<String>) -> Result<Tokens, DeviceError> {
        let body = self
            .post(
                "/login/oauth/access_token",
                &[
                    ("client_id", &self.client_id),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                ],
            )
            .await?;
        match body.get("error").and_then(|e| e.as_str()) {
            Some("bad_refresh_token") => Err(DeviceError::Expired),
            Some(other) => Err(DeviceError::Protocol(format!(
                "{other}: {}",
                body["error_description"].as_str().unwrap_or_default()
            ))),
            None => tokens(&body),
        }
    }
}

fn tokens(body: &serde_json::Value) -> Result<Tokens, DeviceError> {
    let access = body["access_token"]
        .as_str()
        .ok_or_else(|| DeviceError::Protocol("no access_token in the answer".into()))?;
    Ok(Tokens {
        access_token: Sensitive::new(access.to_string()),
        refresh_token: body["refresh_token"]
            .as_str()
            .map(|r| Sensitive::new(r.to_string())),
        expires_in: body["expires_in"].as_u64(),
        scope: body["scope"].as_str().unwrap_or_default().to_string(),
    })
}
