//! A fake Microsoft Entra ID (`/{tenant}/oauth2/v2.0/authorize` and `/token`) on 127.0.0.1: the
//! authorize endpoint stands for the person consenting in their browser — it answers 302 to the
//! `redirect_uri` with a code (or `error=access_denied` when told to refuse) and the `state`;
//! the token endpoint checks the code, the client id, the redirect URI and the PKCE verifier
//! (S256 of it must be the challenge), and answers tokens (`offline_access` gives a refresh
//! token); a refresh rotates the pair (the old refresh token stops working); a revoked grant or
//! anything wrong is `invalid_grant`, as Entra answers it (`AADSTS` codes in the description).

use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use tokio::net::TcpListener;

use crate::http::{Recorded, read_request, respond_json};

#[derive(Default)]
struct State {
    /// code → (client id, redirect, challenge, scope)
    codes: std::collections::HashMap<String, (String, String, String, String)>,
    /// Refresh tokens that still work → scope.
    refresh: std::collections::HashMap<String, String>,
    refuse_consent: bool,
    revoked: bool,
    /// Seconds an access token lives (Entra: about an hour).
    lifetime: Option<u64>,
    /// The tenants that exist (`None`: any).
    tenants: Option<Vec<String>>,
    next: u64,
    requests: Vec<Recorded>,
}

/// The running fake.
pub struct FakeEntra {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeEntra {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(v: &str) -> String {
    let bytes = v.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn invalid_grant(description: &str) -> (u16, Vec<(String, String)>, Value) {
    (
        400,
        Vec::new(),
        json!({"error": "invalid_grant", "error_description": description, "error_codes": [70000]}),
    )
}

impl FakeEntra {
    pub async fn start() -> FakeEntra {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let Ok(Some(request)) = read_request(&mut socket).await else {
                        return;
                    };
                    let (status, headers, body) = handle(&state, &request);
                    let _ = respond_json(&mut socket, status, &headers, &body).await;
                });
            }
        });
        FakeEntra { addr, state, task }
    }

    /// The authority (`http://127.0.0.1:<port>`).
    pub fn authority(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The person refuses consent in the browser.
    pub fn refuse_consent(&self, refuse: bool) {
        self.state.lock().expect("fake state").refuse_consent = refuse;
    }

    /// Access tokens live `seconds` (a short life makes every use a refresh).
    pub fn token_lifetime(&self, seconds: u64) {
        self.state.lock().expect("fake state").lifetime = Some(seconds);
    }

    /// Only these tenants exist (others answer AADSTS90002).
    pub fn tenants(&self, known: &[&str]) {
        self.state.lock().expect("fake state").tenants =
            Some(known.iter().map(|t| (*t).to_string()).collect());
    }

    /// Refresh tokens that still work.
    pub fn live_refresh_tokens(&self) -> usize {
        self.state.lock().expect("fake state").refresh.len()
    }

    /// The grant is revoked: every refresh token stops working.
    pub fn revoke(&self) {
        let mut s = self.state.lock().expect("fake state");
        s.revoked = true;
        s.refresh.clear();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("fake state").requests.clone()
    }
}

fn handle(state: &Arc<Mutex<State>>, request: &Recorded) -> (u16, Vec<(String, String)>, Value) {
    let mut s = state.lock().expect("fake state");
    s.requests.push(request.clone());
    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let tenant = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if let Some(known) = &s.tenants
        && !known.iter().any(|t| t == tenant)
    {
        return (
            400,
            Vec::new(),
            json!({"error": "invalid_tenant", "error_description": format!("AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID."), "error_codes": [90002]}),
        );
    }
    if path.ends_with("/v2.0/.well-known/openid-configuration") {
        return (
            200,
            Vec::new(),
            json!({"issuer": format!("https://login.microsoftonline.com/{tenant}/v2.0"),
                "authorization_endpoint": format!("/{tenant}/oauth2/v2.0/authorize"),
                "token_endpoint": format!("/{tenant}/oauth2/v2.0/token")}),
        );
    }
    if path.ends_with("/oauth2/v2.0/authorize") {
        let (Some(client), Some(redirect), Some(challenge), Some(method), st) = (
            query_value(query, "client_id"),
            query_value(query, "redirect_uri"),
            query_value(query, "code_challenge"),
            query_value(query, "code_challenge_method"),
            query_value(query, "state").unwrap_or_default(),
        ) else {
            return (400, Vec::new(), json!({"error": "invalid_request"}));
        };
        if method != "S256" {
            return (
                400,
                Vec::new(),
                json!({"error": "invalid_request", "error_description": "AADSTS501491: PKCE S256 is required"}),
            );
        }
        let location = if s.refuse_consent {
            format!(
                "{redirect}/?error=access_denied&error_description=the+user+declined&state={st}"
            )
        } else {
            s.next += 1;
            let code = format!("code-{}", s.next);
            let scope = query_value(query, "scope").unwrap_or_default();
            s.codes
                .insert(code.clone(), (client, redirect.clone(), challenge, scope));
            format!("{redirect}/?code={code}&state={st}")
        };
        return (302, vec![("location".into(), location)], Value::Null);
    }
    if !path.ends_with("/oauth2/v2.0/token") || request.method != "POST" {
        return (404, Vec::new(), json!({"error": "not_found"}));
    }
    let form = |k: &str| request.form(k).map(|v| percent_decode(&v));
    let issue = |s: &mut State, scope: &str| {
        s.next += 1;
        let n = s.next;
        let mut body = json!({"token_type": "Bearer", "access_token": format!("eyJ0eXAi.entra.access.{n}"),
            "expires_in": s.lifetime.unwrap_or(3599), "scope": scope});
        if scope.split(' ').any(|x| x == "offline_access") {
            let refresh = format!("entra-refresh-{n}");
            s.refresh.insert(refresh.clone(), scope.to_string());
            body["refresh_token"] = json!(refresh);
        }
        (200, Vec::new(), body)
    };
    match form("grant_type").as_deref() {
        Some("authorization_code") => {
            let Some((client, redirect, challenge, scope)) =
                form("code").and_then(|c| s.codes.remove(&c))
            else {
                return invalid_grant("AADSTS70008: the code has expired or was already used");
            };
            let verifier = form("code_verifier").unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()));
            if form("client_id").as_deref() != Some(client.as_str())
                || form("redirect_uri").as_deref() != Some(redirect.as_str())
                || computed != challenge
            {
                return invalid_grant(
                    "AADSTS501481: the code verifier does not match the challenge",
                );
            }
            issue(&mut s, &scope)
        }
        Some("refresh_token") => {
            let old = form("refresh_token").unwrap_or_default();
            if s.revoked {
                return invalid_grant("AADSTS50173: the grant was revoked; sign in again");
            }
            let Some(scope) = s.refresh.remove(&old) else {
                return invalid_grant("AADSTS70000: the refresh token is not valid");
            };
            let asked = form("scope").unwrap_or(scope);
            let asked = if asked.contains("offline_access") {
                asked
            } else {
                format!("{asked} offline_access")
            };
            issue(&mut s, &asked)
        }
        _ => (400, Vec::new(), json!({"error": "unsupported_grant_type"})),
    }
}
