//! The REST client: GitHub's standard headers, conditional requests with a per-token ETag cache
//! (a 304 costs no rate limit and returns the cached body), `link`-header pagination, rate-limit
//! handling (`retry-after`; `x-ratelimit-remaining: 0` waits for `x-ratelimit-reset`; waits longer
//! than the client allows come back as an error saying when), at most [`MAX_IN_FLIGHT`] requests
//! in flight per process, typed errors, and GitHub's
//! redirects for renamed repositories followed (a [`Page`] says where it was moved to).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use reqwest::Method;
use serde_json::Value;
use vibedata_secrets::Sensitive;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GhError {
    #[error("GitHub refused the token (revoked or expired); sign in again")]
    Auth,
    #[error("not found on GitHub: {0}")]
    NotFound(String),
    #[error("GitHub's rate limit is reached; it resets in {0:?}")]
    RateLimited(Duration),
    #[error("GitHub refused the request: {0}")]
    Validation(String),
    #[error("cannot reach GitHub: {0}")]
    Network(String),
    #[error("GitHub failed (HTTP {0})")]
    Server(u16),
    #[error("GitHub answered something unexpected: {0}")]
    Protocol(String),
}

/// A page of results and where the next one is.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub body: Value,
    pub next: Option<String>,
    /// The answer was a 304: `body` comes from the cache.
    pub not_modified: bool,
    /// Where GitHub redirected the request to (a renamed or transferred repository is answered
    /// with a redirect to `/repositories/{id}/…`, which is followed).
    pub moved_to: Option<String>,
}

/// How many requests to GitHub this process has in flight at most (GitHub's secondary limits
/// allow 100 concurrent; a laptop has no business near that).
pub const MAX_IN_FLIGHT: usize = 8;
static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_IN_FLIGHT);

/// A cached answer: its ETag, body and next link.
type Cached = (String, Value, Option<String>);

/// A client for one token. Its ETag cache belongs to that token.
#[derive(Clone)]
pub struct Client {
    api: String,
    token: Sensitive<String>,
    http: reqwest::Client,
    etags: Arc<Mutex<HashMap<String, Cached>>>,
    /// The longest the client waits for a rate limit before giving up with the wait.
    pub max_wait: Duration,
    /// The longest one request may take, answer included; a write that times out may still have
    /// happened (the outbox looks before sending again).
    pub timeout: Duration,
    /// The first wait for a secondary rate limit that says nothing of when it ends (GitHub: at
    /// least a minute); it doubles while the limit holds.
    pub secondary_wait: Duration,
    /// Mutations are sent one at a time, at least this far apart (GitHub's secondary-limit
    /// guidance is one second).
    pub mutation_gap: Duration,
    last_mutation: Arc<tokio::sync::Mutex<Option<std::time::Instant>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api)
            .field("token", &self.token)
            .finish()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A response's body, or the typed error its status means. GitHub's validation message includes
/// the first of its `errors` when there is one.
fn classify(
    status: u16,
    body: Value,
    wait: Option<Duration>,
    what: &str,
) -> Result<Value, GhError> {
    let mut message = body["message"].as_str().unwrap_or_default().to_string();
    if let Some(detail) = body["errors"][0]["message"].as_str() {
        message = format!("{message}: {detail}");
    }
    match status {
        200..=299 => Ok(body),
        401 => Err(GhError::Auth),
        403 | 429 if wait.is_some() => Err(GhError::RateLimited(wait.unwrap_or_default())),
        403 | 422 => Err(GhError::Validation(message)),
        404 | 410 => Err(GhError::NotFound(what.to_string())),
        s if s >= 500 => Err(GhError::Server(s)),
        s => Err(GhError::Protocol(format!("HTTP {s}: {message}"))),
    }
}

/// How long a 403/429 asks to wait, by GitHub's rules: `retry-after`; else the reset when none is
/// left; else, for a 429 or a 403 that says it is a (secondary) rate limit, `fallback`. `None`:
/// not a rate limit (a 403 for want of permission).
fn limit_wait(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    fallback: Duration,
) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let says_limit = body["message"]
        .as_str()
        .is_some_and(|m| m.to_lowercase().contains("rate limit"));
    match (
        header("retry-after"),
        header("x-ratelimit-remaining"),
        header("x-ratelimit-reset"),
    ) {
        (Some(seconds), _, _) => Some(Duration::from_secs(seconds)),
        (None, Some(0), Some(reset)) => {
            Some(Duration::from_secs(reset.saturating_sub(now()).max(1)))
        }
        _ if status == 429 || says_limit => Some(fallback),
        _ => None,
    }
}

/// The `rel="next"` URL of a `link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

impl Client {
    pub fn new(api: &str, token: Sensitive<String>) -> Result<Self, GhError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .user_agent("vibedata-studio")
            .build()
            .map_err(|e| GhError::Network(e.to_string()))?;
        Ok(Client {
            api: api.trim_end_matches('/').to_string(),
            token,
            http,
            etags: Arc::default(),
            max_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
            secondary_wait: Duration::from_secs(60),
            mutation_gap: Duration::from_secs(1),
            last_mutation: Arc::default(),
        })
    }

    /// A transport failure, saying so plainly when it was the time limit.
    fn network(&self, e: reqwest::Error) -> GhError {
        if e.is_timeout() {
            GhError::Network(format!("no answer within {} s", self.timeout.as_secs_f32()))
        } else {
            GhError::Network(e.without_url().to_string())
        }
    }

    /// GETs a path (or a full URL from a `link` header), conditionally when the answer is cached.
    pub async fn get(&self, path_or_url: &str) -> Result<Page, GhError> {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.api)
        };
        let mut waited = Duration::ZERO;
        let mut fallback = self.secondary_wait;
        loop {
            let cached = self.etags.lock().ok().and_then(|c| c.get(&url).cloned());
            let mut request = self
                .http
                .get(&url)
                .timeout(self.timeout)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .bearer_auth(self.token.expose());
            if let Some((etag, _, _)) = &cached {
                request = request.header("If-None-Match", etag);
            }
            let permit = IN_FLIGHT.acquire().await.ok();
            let response = request.send().await.map_err(|e| self.network(e))?;
            let status = response.status().as_u16();
            let moved_to = reqwest::Url::parse(&url)
                .is_ok_and(|asked| asked.path() != response.url().path())
                .then(|| response.url().to_string());
            let headers = response.headers().clone();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let (etag, link) = (header("etag"), header("link"));
            if status == 304 {
                let (_, body, next) = cached
                    .ok_or_else(|| GhError::Protocol("304 without a cached answer".into()))?;
                return Ok(Page {
                    body,
                    next,
                    not_modified: true,
                    moved_to,
                });
            }
            let text = response.text().await.map_err(|e| self.network(e))?;
            drop(permit);
            let body: Value = serde_json::from_str(&text).map_err(|_| {
                GhError::Protocol(format!("HTTP {status} with a body that is not JSON"))
            })?;
            if let Some(wait) = limit_wait(status, &headers, &body, fallback) {
                if waited + wait > self.max_wait {
                    return Err(GhError::RateLimited(wait));
                }
                tracing::warn!(wait_s = wait.as_secs_f32(), "GitHub rate limit: waiting");
                tokio::time::sleep(wait).await;
                waited += wait;
                // A limit that does not say when it ends is waited out longer each time.
                fallback *= 2;
                continue;
            }
            let body = classify(status, body, None, &url)?;
            let next = link.as_deref().and_then(next_link);
            if let (Some(etag), Ok(mut cache)) = (etag, self.etags.lock()) {
                cache.insert(url.clone(), (etag, body.clone(), next.clone()));
            }
            return Ok(Page {
                body,
                next,
                not_modified: false,
                moved_to,
            });
        }
    }

    /// Sends a mutation (`POST`, `PATCH`, `PUT`, `DELETE`) with a JSON body. Mutations are
    /// serialised and spaced by `mutation_gap`; they are never retried here (a network error may
    /// mean the write happened: the outbox decides). A rate limit comes back as its wait.
    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Value, GhError> {
        let mut last = self.last_mutation.lock().await;
        if let Some(at) = *last {
            let since = at.elapsed();
            if since < self.mutation_gap {
                tokio::time::sleep(self.mutation_gap - since).await;
            }
        }
        *last = Some(std::time::Instant::now());
        let _permit = IN_FLIGHT.acquire().await.ok();
        let response = self
            .http
            .request(method, format!("{}{path}", self.api))
            .timeout(self.timeout)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| self.network(e))?;
        let body: Value = serde_json::from_str(&text).map_err(|_| {
            GhError::Protocol(format!("HTTP {status} with a body that is not JSON"))
        })?;
        let wait = limit_wait(status, &headers, &body, self.secondary_wait);
        classify(status, body, wait, path)
    }

    /// Every item of a paginated list, following `link` headers; also says whether every page was
    /// answered 304.
    pub async fn get_all(&self, path: &str) -> Result<(Vec<Value>, bool), GhError> {
        let mut items = Vec::new();
        let mut all_cached = true;
        let mut next = Some(path.to_string());
        while let Some(url) = next {
            let page = self.get(&url).await?;
            all_cached &= page.not_modified;
            match page.body {
                Value::Array(list) => items.extend(list),
                other => return Err(GhError::Protocol(format!("expected a list, got {}", other))),
            }
            next = page.next;
        }
        Ok((items, all_cached))
    }
}

#[cfg(test)]
mod tests {
    use super::{limit_wait, next_link};
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn a_403_is_a_rate_limit_only_when_github_says_so() {
        let none = HeaderMap::new();
        let minute = Duration::from_secs(60);
        let denied = json!({"message": "Resource not accessible by personal access token"});
        assert_eq!(limit_wait(403, &none, &denied, minute), None);
        let secondary = json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."});
        assert_eq!(limit_wait(403, &none, &secondary, minute), Some(minute));
        assert_eq!(limit_wait(429, &none, &json!({}), minute), Some(minute));
        let mut retry = HeaderMap::new();
        retry.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            limit_wait(403, &retry, &secondary, minute),
            Some(Duration::from_secs(7))
        );
        assert_eq!(limit_wait(500, &retry, &secondary, minute), None);
    }

    #[test]
    fn the_next_link_is_found() {
        let link = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x?page=1>; rel="prev""#), None);
    }
}
