//! A fake GitHub: its REST issue list (pagination with `link`, ETags and 304s, rate-limit
//! answers on demand, `GET /user`) and its OAuth device flow: `POST /login/device/code` and
//! `POST /login/oauth/access_token`, answering polls from a script in GitHub's real shape —
//! **HTTP 200 with an `error` field** while pending (`authorization_pending`, `slow_down` with a
//! new `interval`, `expired_token`, `access_denied`), then the tokens.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::net::TcpListener;

use crate::http::{Recorded, read_request, respond_json};

/// One scripted answer to a token poll.
#[derive(Debug, Clone)]
pub enum Poll {
    Pending,
    SlowDown,
    Expired,
    Denied,
    /// Success; with a refresh token when `refresh` is set (GitHub App user tokens).
    Tokens {
        access: String,
        refresh: Option<String>,
    },
    /// A body that is not JSON.
    Malformed,
}

#[derive(Default)]
struct State {
    polls: VecDeque<Poll>,
    recorded: Vec<Recorded>,
    expires_in: u64,
    /// Tokens `GET /user` accepts (issued ones are added automatically).
    accepted_tokens: Vec<String>,
    /// Issues by "owner/repo".
    issues: std::collections::HashMap<String, Vec<serde_json::Value>>,
    /// Rate-limit answers to give before serving: (status, retry-after seconds or reset delay).
    limits: VecDeque<(u16, u64)>,
}

pub struct FakeGitHub {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            expires_in: 900,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let Ok(Some(request)) = read_request(&mut socket).await else {
                        return;
                    };
                    let (status, headers, body) = match rest(&state, &request) {
                        Some(answer) => answer,
                        None => {
                            let (status, body) = answer(&state, &request);
                            (status, Vec::new(), Some(body))
                        }
                    };
                    state.lock().expect("fake state").recorded.push(request);
                    let _ = match body {
                        Some(body) => respond_json(&mut socket, status, &headers, &body).await,
                        None => crate::http::respond_empty(&mut socket, status, &headers).await,
                    };
                });
            }
        });
        FakeGitHub { addr, state, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn script(&self, polls: &[Poll]) {
        self.state
            .lock()
            .expect("fake state")
            .polls
            .extend(polls.iter().cloned());
    }

    /// Serves `count` issues for `repo` ("owner/name").
    pub fn add_issues(&self, repo: &str, count: usize) {
        let mut s = self.state.lock().expect("fake state");
        let list = s.issues.entry(repo.to_string()).or_default();
        for n in 1..=count {
            list.push(json!({"id": n, "number": n, "title": format!("Issue {n}"), "body": format!("body of issue {n}"), "state": "open",
                "labels": [{"name": "incident"}], "updated_at": "2026-11-01T00:00:00Z", "comments": 0}));
        }
    }

    /// The next requests get rate-limited: 403 with `x-ratelimit-remaining: 0` and a reset
    /// `delay` seconds away, or 429 with `retry-after: delay`.
    pub fn rate_limit(&self, status: u16, delay: u64) {
        self.state
            .lock()
            .expect("fake state")
            .limits
            .push_back((status, delay));
    }

    /// Makes `GET /user` accept a token (a personal access token, say).
    pub fn accept_token(&self, token: &str) {
        self.state
            .lock()
            .expect("fake state")
            .accepted_tokens
            .push(token.to_string());
    }

    /// How long issued device codes live, in seconds.
    pub fn set_expires_in(&self, seconds: u64) {
        self.state.lock().expect("fake state").expires_in = seconds;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("fake state").recorded.clone()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(state: &Arc<Mutex<State>>, request: &Recorded) -> (u16, serde_json::Value) {
    let mut s = state.lock().expect("fake state");
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/login/device/code") => {
            if request.form("client_id").is_none_or(|c| c.is_empty()) {
                return (
                    200,
                    json!({"error": "unauthorized_client", "error_description": "The client_id is not valid."}),
                );
            }
            (
                200,
                json!({"device_code": "3584d83530557fdd1f46af8289938c8ef79f9dc5", "user_code": "WDJB-MJHT",
                         "verification_uri": "https://github.com/login/device", "expires_in": s.expires_in, "interval": 0}),
            )
        }
        ("POST", "/login/oauth/access_token") => {
            if request.form("grant_type").as_deref()
                != Some("urn:ietf:params:oauth:grant-type:device_code")
            {
                return (200, json!({"error": "unsupported_grant_type"}));
            }
            match s.polls.pop_front().unwrap_or(Poll::Pending) {
                Poll::Pending => (
                    200,
                    json!({"error": "authorization_pending", "error_description": "The authorization request is still pending."}),
                ),
                Poll::SlowDown => (200, json!({"error": "slow_down", "interval": 0})),
                Poll::Expired => (
                    200,
                    json!({"error": "expired_token", "error_description": "The device_code has expired."}),
                ),
                Poll::Denied => (
                    200,
                    json!({"error": "access_denied", "error_description": "The user has denied your application access."}),
                ),
                Poll::Malformed => (200, json!("<html>oops</html>")),
                Poll::Tokens { access, refresh } => {
                    s.accepted_tokens.push(access.clone());
                    let mut body =
                        json!({"access_token": access, "token_type": "bearer", "scope": "repo"});
                    if let Some(refresh) = refresh {
                        body["refresh_token"] = json!(refresh);
                        body["expires_in"] = json!(28800);
                        body["refresh_token_expires_in"] = json!(15897600);
                    }
                    (200, body)
                }
            }
        }
        ("GET", "/user") => {
            let auth = request.header("authorization").unwrap_or_default();
            let token = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("token "))
                .unwrap_or_default();
            if s.accepted_tokens.iter().any(|t| t == token) {
                (
                    200,
                    json!({"login": "octo-analyst", "id": 1, "type": "User"}),
                )
            } else {
                (
                    401,
                    json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
                )
            }
        }
        _ => (
            404,
            json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
        ),
    }
}

type Answer = (u16, Vec<(String, String)>, Option<serde_json::Value>);

/// `GET /repos/{owner}/{repo}/issues?per_page=&page=`: pages with `link` and ETags, 304 on a
/// matching `If-None-Match`, and scripted rate limits first.
fn rest(state: &Arc<Mutex<State>>, request: &Recorded) -> Option<Answer> {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let repo = path
        .strip_prefix("/repos/")?
        .strip_suffix("/issues")?
        .to_string();
    if request.method != "GET" {
        return None;
    }
    let mut s = state.lock().expect("fake state");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Some((status, delay)) = s.limits.pop_front() {
        let headers = if status == 429 {
            vec![("retry-after".to_string(), delay.to_string())]
        } else {
            vec![
                ("x-ratelimit-remaining".to_string(), "0".to_string()),
                ("x-ratelimit-reset".to_string(), (now + delay).to_string()),
            ]
        };
        return Some((
            status,
            headers,
            Some(
                json!({"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}),
            ),
        ));
    }
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (per_page, page) = (
        param("per_page").unwrap_or(30).clamp(1, 100),
        param("page").unwrap_or(1).max(1),
    );
    let Some(all) = s.issues.get(&repo) else {
        return Some((404, Vec::new(), Some(json!({"message": "Not Found"}))));
    };
    let items: Vec<serde_json::Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let etag = format!("W/\"{}-{}-{}\"", repo.len(), page, all.len());
    let mut headers = vec![
        ("etag".to_string(), etag.clone()),
        ("x-ratelimit-remaining".to_string(), "4999".to_string()),
    ];
    if page * per_page < all.len() {
        let next = format!(
            "<http://{}/repos/{repo}/issues?per_page={per_page}&page={}>; rel=\"next\"",
            request.header("host").unwrap_or("127.0.0.1"),
            page + 1
        );
        headers.push(("link".to_string(), next));
    }
    if request.header("if-none-match") == Some(etag.as_str()) {
        return Some((304, headers, None));
    }
    Some((200, headers, Some(serde_json::Value::Array(items))))
}
