//! `GET /user`: who a token belongs to (and whether it still works).

use vibedata_secrets::Sensitive;

use crate::rest::{Client, GhError};

/// The login name of the token's owner. `api_base` is `https://api.github.com` (or a fake's URL).
/// A refused token is [`GhError::Auth`].
pub async fn login(api_base: &str, token: &Sensitive<String>) -> Result<String, GhError> {
    let page = Client::new(api_base, token.clone())?.get("/user").await?;
    page.body["login"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| GhError::Protocol("no login in the answer to GET /user".into()))
}
