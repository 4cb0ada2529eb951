//! The Microsoft Fabric REST client (`https://api.fabric.microsoft.com/v1`), no store, like the
//! GitHub client: every call carries the person's Entra token (a [`Sensitive`] bearer).
//!
//! - **Throttling**: a 429 is waited out for its `Retry-After` (then retried), up to a total wait
//!   (`max_wait`); a 5xx or a dropped connection is retried a few times with a short backoff.
//! - **Long-running operations** ([`Client::long_running`]): a 202 with `Location`,
//!   `x-ms-operation-id` and `Retry-After` is polled (`GET /operations/{id}`) until `Succeeded` or
//!   `Failed`; a success's result is read from `/operations/{id}/result`; a failure is an error
//!   carrying the operation's `errorCode`.
//! - **Paging** ([`Client::list`]): `value` pages followed by `continuationUri` (or
//!   `continuationToken`).
//! - **Errors** ([`FabricError`]): Fabric's `ErrorResponse` (`errorCode`, `message`, `requestId`)
//!   kept, so a caller can act on `WorkspaceHeadMismatch` or `WorkspacePreviousOperationInProgress`.
//! - [`workspaces`]: workspaces, their items and capacities, typed.
//! - [`git`]: a workspace's git integration (connect, initialize, status, update from git).
//! - [`jobs`]: on-demand item jobs (the dbt job): run, follow the instance, cancel.
//! - [`livy`]: Spark SQL on a lakehouse through its Livy sessions and statements.
//! - [`entra`]: the person's Entra ID sign-in (authorization code + PKCE, loopback redirect,
//!   refresh that rotates the pair).

pub mod entra;
pub mod git;
pub mod jobs;
pub mod livy;
pub mod workspaces;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use vibedata_secrets::Sensitive;

/// What went wrong talking to Fabric.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FabricError {
    /// Fabric answered with an error (its `errorCode` kept).
    #[error("Fabric answered {status}: {error_code}: {message}")]
    Api {
        status: u16,
        error_code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The token was refused: sign in again.
    #[error("Fabric refused the token ({0}): sign in to Fabric again")]
    Auth(String),
    /// Still throttled after waiting as long as allowed.
    #[error("Fabric is throttling: still 429 after waiting {waited:?}")]
    Throttled { waited: Duration },
    /// A long-running operation ended in failure.
    #[error("the Fabric operation {operation} failed: {error_code}: {message}")]
    OperationFailed {
        operation: String,
        error_code: String,
        message: String,
    },
    #[error("cannot reach Fabric: {0}")]
    Network(String),
    #[error("Fabric's answer could not be read: {0}")]
    Malformed(String),
}

impl FabricError {
    /// Fabric's `errorCode`, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            FabricError::Api { error_code, .. }
            | FabricError::OperationFailed { error_code, .. } => Some(error_code),
            _ => None,
        }
    }
}

/// A client for one identity.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Sensitive<String>,
    http: reqwest::Client,
    /// The most a call waits out throttling in all.
    pub max_wait: Duration,
    /// Retries of a 5xx or a dropped connection.
    pub retries: u32,
    /// The first backoff after a 5xx (doubles).
    pub backoff: Duration,
    /// The longest wait between two polls of an operation, and the most a poll loop runs.
    pub poll_cap: Duration,
    pub poll_timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// An answer: status, headers that matter, body.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    operation: Option<String>,
    retry_after: Option<u64>,
    body: Value,
}

impl Client {
    pub fn new(base: &str, token: Sensitive<String>) -> Result<Client, FabricError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .user_agent("vibedata-studio")
            .build()
            .map_err(|e| FabricError::Network(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
            max_wait: Duration::from_secs(600),
            retries: 3,
            backoff: Duration::from_millis(500),
            poll_cap: Duration::from_secs(30),
            poll_timeout: Duration::from_secs(3_600),
        })
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    /// One call, throttling waited out and transient failures retried.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, FabricError> {
        let url = self.url(path);
        let mut waited = Duration::ZERO;
        let mut failures = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.token.expose());
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) if failures < self.retries => {
                    failures += 1;
                    tokio::time::sleep(self.backoff * 2u32.pow(failures - 1)).await;
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(FabricError::Network(e.without_url().to_string())),
            };
            let status = response.status();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let (location, operation) = (header("location"), header("x-ms-operation-id"));
            let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
            let text = match response.text().await {
                Ok(t) => t,
                Err(e) if failures < self.retries => {
                    failures += 1;
                    tokio::time::sleep(self.backoff * 2u32.pow(failures - 1)).await;
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(FabricError::Network(e.without_url().to_string())),
            };
            let body: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| FabricError::Malformed(e.to_string()))?
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = Duration::from_secs(retry_after.unwrap_or(1));
                if waited + wait > self.max_wait {
                    return Err(FabricError::Throttled { waited });
                }
                tokio::time::sleep(wait).await;
                waited += wait;
                continue;
            }
            if status.is_server_error() && failures < self.retries {
                failures += 1;
                tokio::time::sleep(self.backoff * 2u32.pow(failures - 1)).await;
                continue;
            }
            let text_of = |k: &str| body[k].as_str().unwrap_or_default().to_string();
            if status == StatusCode::UNAUTHORIZED {
                return Err(FabricError::Auth(text_of("errorCode")));
            }
            if !status.is_success() {
                return Err(FabricError::Api {
                    status: status.as_u16(),
                    error_code: text_of("errorCode"),
                    message: text_of("message"),
                    request_id: body["requestId"].as_str().map(str::to_string),
                });
            }
            return Ok(Answer {
                status,
                location,
                operation,
                retry_after,
                body,
            });
        }
    }

    /// GETs a path and reads its JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, FabricError> {
        let a = self.call(Method::GET, path, None).await?;
        serde_json::from_value(a.body).map_err(|e| FabricError::Malformed(e.to_string()))
    }

    /// Every item of a paged list (`value` pages, `continuationUri` / `continuationToken`).
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, FabricError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(page) = next.take() {
            let a = self.call(Method::GET, &page, None).await?;
            let values = a.body["value"]
                .as_array()
                .cloned()
                .ok_or_else(|| FabricError::Malformed(format!("{page}: no `value` list")))?;
            for v in values {
                out.push(
                    serde_json::from_value(v).map_err(|e| FabricError::Malformed(e.to_string()))?,
                );
            }
            next = match (
                a.body["continuationUri"].as_str(),
                a.body["continuationToken"].as_str(),
            ) {
                (Some(uri), _) if !uri.is_empty() => Some(uri.to_string()),
                (_, Some(token)) if !token.is_empty() => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    Some(format!("{path}{sep}continuationToken={token}"))
                }
                _ => None,
            };
        }
        Ok(out)
    }

    /// A call that may be a long-running operation: a 200/201 answers at once; a 202 is polled
    /// to its end and its result read. Returns the result (`Null` for an operation without one).
    pub async fn long_running(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, FabricError> {
        let a = self.call(method, path, body).await?;
        if a.status != StatusCode::ACCEPTED {
            return Ok(a.body);
        }
        let operation = a.operation.clone().unwrap_or_default();
        let mut poll = a
            .location
            .clone()
            .or_else(|| (!operation.is_empty()).then(|| format!("/operations/{operation}")))
            .ok_or_else(|| {
                FabricError::Malformed("a 202 without Location or x-ms-operation-id".into())
            })?;
        let started = std::time::Instant::now();
        let mut wait = a.retry_after;
        loop {
            let pause = Duration::from_secs(wait.unwrap_or(1)).min(self.poll_cap);
            tokio::time::sleep(pause).await;
            if started.elapsed() > self.poll_timeout {
                return Err(FabricError::OperationFailed {
                    operation,
                    error_code: "Timeout".into(),
                    message: format!("still running after {:?}", self.poll_timeout),
                });
            }
            let state = self.call(Method::GET, &poll, None).await?;
            match state.body["status"].as_str().unwrap_or_default() {
                "Succeeded" => {
                    let result = state.location.unwrap_or_else(|| format!("{poll}/result"));
                    return match self.call(Method::GET, &result, None).await {
                        Ok(r) => Ok(r.body),
                        // An operation with nothing to return.
                        Err(FabricError::Api {
                            status: 400 | 404, ..
                        }) => Ok(Value::Null),
                        Err(e) => Err(e),
                    };
                }
                "Failed" => {
                    let text = |k: &str| {
                        state.body["error"][k]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    };
                    return Err(FabricError::OperationFailed {
                        operation,
                        error_code: text("errorCode"),
                        message: text("message"),
                    });
                }
                _ => {
                    wait = state.retry_after;
                    if let Some(next) = state.location.filter(|l| !l.ends_with("/result")) {
                        poll = next;
                    }
                }
            }
        }
    }

    /// POSTs JSON (a short call, not an operation).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, FabricError> {
        Ok(self.call(Method::POST, path, Some(body)).await?.body)
    }

    /// Any call (throttling and transient failures handled); returns the answer's body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, FabricError> {
        Ok(self.call(method, path, body).await?.body)
    }
}
