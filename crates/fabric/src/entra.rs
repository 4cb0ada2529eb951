//! Microsoft Entra ID sign-in for a desktop app: the authorization code flow with PKCE (S256)
//! through the `oauth2` crate, the person's system browser sent to the authorize URL, the answer
//! caught on a loopback redirect (`http://localhost:<free port>`, the port being ignored by Entra
//! when it matches), `offline_access` for a refresh token. One resource per token: Fabric and
//! Foundry are asked for separately. A refresh always returns a new refresh token, which replaces
//! the old one (the caller stores the pair as one); a refused or revoked grant (`invalid_grant`)
//! means signing in again.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vibedata_secrets::Sensitive;

use crate::FabricError;

/// The Fabric API's scopes for a desktop public client.
pub const FABRIC_SCOPES: [&str; 2] = [
    "https://api.fabric.microsoft.com/Workspace.ReadWrite.All",
    "https://api.fabric.microsoft.com/Item.ReadWrite.All",
];
/// Azure AI Foundry's scope (a token of its own).
pub const FOUNDRY_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

/// The organisation's app registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraConfig {
    /// `https://login.microsoftonline.com` (a fake in tests).
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
}

/// Tokens of one resource.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: Sensitive<String>,
    pub refresh: Option<Sensitive<String>>,
    /// Seconds the access token lives.
    pub expires_in: Option<u64>,
}

/// A sign-in waiting for the browser to come back.
pub struct PendingSignIn {
    /// Where to send the person's browser.
    pub authorize_url: String,
    verifier: PkceCodeVerifier,
    state: CsrfToken,
    redirect: String,
    listener: TcpListener,
    config: EntraConfig,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("redirect", &self.redirect)
            .finish_non_exhaustive()
    }
}

type Client = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(config: &EntraConfig, redirect: Option<&str>) -> Result<Client, FabricError> {
    let base = format!(
        "{}/{}/oauth2/v2.0",
        config.authority.trim_end_matches('/'),
        config.tenant
    );
    let bad = |e: oauth2::url::ParseError| FabricError::Malformed(format!("the Entra URL: {e}"));
    let mut c = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(format!("{base}/authorize")).map_err(bad)?)
        .set_token_uri(TokenUrl::new(format!("{base}/token")).map_err(bad)?);
    if let Some(r) = redirect {
        c = c.set_redirect_uri(RedirectUrl::new(r.to_string()).map_err(bad)?);
    }
    Ok(c)
}

fn http() -> Result<reqwest::Client, FabricError> {
    reqwest::Client::builder()
        // Entra answers the token endpoint directly; a redirect there is an attack.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| FabricError::Network(e.to_string()))
}

fn tokens(r: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access: Sensitive::new(r.access_token().secret().clone()),
        refresh: r
            .refresh_token()
            .map(|t| Sensitive::new(t.secret().clone())),
        expires_in: r.expires_in().map(|d| d.as_secs()),
    }
}

fn refused<E: std::error::Error + 'static>(
    e: RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> FabricError {
    match e {
        RequestTokenError::ServerResponse(r) => FabricError::Auth(format!(
            "{}{}",
            r.error(),
            r.error_description()
                .map(|d| format!(": {}", d.lines().next().unwrap_or_default()))
                .unwrap_or_default()
        )),
        RequestTokenError::Request(e) => FabricError::Network(e.to_string()),
        other => FabricError::Malformed(other.to_string()),
    }
}

/// Checks that the tenant exists before the browser is sent anywhere (Entra's OpenID metadata
/// of the tenant): a mistyped tenant is said here, not as an error page in the browser.
pub async fn check_tenant(config: &EntraConfig) -> Result<(), FabricError> {
    let url = format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        config.authority.trim_end_matches('/'),
        config.tenant
    );
    let response =
        http()?.get(&url).send().await.map_err(|e| {
            FabricError::Network(format!("cannot reach Entra ID: {}", e.without_url()))
        })?;
    if response.status().is_success() {
        return Ok(());
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Err(FabricError::Auth(format!(
        "Entra does not know the tenant '{}' ({}): check the tenant in Settings",
        config.tenant,
        body["error_description"]
            .as_str()
            .and_then(|d| d.split(':').next())
            .unwrap_or("not found")
    )))
}

/// Starts a sign-in for `scopes` (`offline_access` added): a loopback listener on a free port
/// and the authorize URL with a PKCE S256 challenge and a state to check.
pub async fn start(config: &EntraConfig, scopes: &[&str]) -> Result<PendingSignIn, FabricError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| FabricError::Network(format!("no loopback port for the sign-in: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| FabricError::Network(e.to_string()))?
        .port();
    let redirect = format!("http://localhost:{port}");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let oauth = client(config, Some(&redirect))?;
    let mut request = oauth
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_scope(Scope::new("offline_access".into()));
    for s in scopes {
        request = request.add_scope(Scope::new((*s).to_string()));
    }
    let (url, state) = request.url();
    Ok(PendingSignIn {
        authorize_url: url.to_string(),
        verifier,
        state,
        redirect,
        listener,
        config: config.clone(),
    })
}

/// The query's value of `key` (percent-decoded).
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| {
            oauth2::url::form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
    })
}

/// Waits (up to `timeout`) for the browser to come back to the loopback redirect, checks its
/// state, and exchanges the code (with the PKCE verifier) for tokens. The browser is told it can
/// close its tab.
pub async fn finish(pending: PendingSignIn, timeout: Duration) -> Result<Tokens, FabricError> {
    let PendingSignIn {
        verifier,
        state,
        redirect,
        listener,
        config,
        ..
    } = pending;
    let waiting = async {
        loop {
            let (mut socket, _) = listener
                .accept()
                .await
                .map_err(|e| FabricError::Network(e.to_string()))?;
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let target = head
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let query = target
                .split_once('?')
                .map(|(_, q)| q.to_string())
                .unwrap_or_default();
            let (code, got_state, error) = (
                query_value(&query, "code"),
                query_value(&query, "state"),
                query_value(&query, "error_description").or_else(|| query_value(&query, "error")),
            );
            if code.is_none() && error.is_none() {
                // Not the answer (a favicon, a probe): keep waiting.
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
                continue;
            }
            let page = if error.is_some() {
                "Sign-in failed. You can close this tab and go back to Vibedata Studio."
            } else {
                "Signed in. You can close this tab and go back to Vibedata Studio."
            };
            let _ = socket
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                        page.len()
                    )
                    .as_bytes(),
                )
                .await;
            if let Some(error) = error {
                return Err(FabricError::Auth(error));
            }
            if got_state.as_deref() != Some(state.secret().as_str()) {
                return Err(FabricError::Auth(
                    "the sign-in answer does not belong to this sign-in (state mismatch)".into(),
                ));
            }
            return Ok(code.unwrap_or_default());
        }
    };
    let code = tokio::time::timeout(timeout, waiting)
        .await
        .map_err(|_| FabricError::Auth("the browser did not come back in time".into()))??;
    let oauth = client(&config, Some(&redirect))?;
    let http = http()?;
    let response = oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .map_err(refused)?;
    Ok(tokens(&response))
}

/// New tokens for `scopes` from a refresh token (the new refresh token replaces it).
pub async fn refresh(
    config: &EntraConfig,
    refresh_token: &Sensitive<String>,
    scopes: &[&str],
) -> Result<Tokens, FabricError> {
    let oauth = client(config, None)?;
    let token = RefreshToken::new(refresh_token.expose().clone());
    let mut request = oauth.exchange_refresh_token(&token);
    for s in scopes {
        request = request.add_scope(Scope::new((*s).to_string()));
    }
    let http = http()?;
    let response = request.request_async(&http).await.map_err(refused)?;
    Ok(tokens(&response))
}
