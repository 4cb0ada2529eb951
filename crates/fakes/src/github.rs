//! A fake GitHub, for now its OAuth device flow: `POST /login/device/code` and
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
                    let (status, body) = answer(&state, &request);
                    state.lock().expect("fake state").recorded.push(request);
                    let _ = respond_json(&mut socket, status, &[], &body).await;
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
