//! Entra sign-in against the fake Entra: the authorization code flow with PKCE through a loopback
//! redirect (the "browser" here follows the authorize URL's redirect), a refresh that rotates the
//! pair, a revoked grant and a refused consent that ask to sign in again, an answer of another
//! sign-in refused.

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use vibedata_fabric::FabricError;
use vibedata_fabric::entra::{self, EntraConfig, FABRIC_SCOPES};
use vibedata_fakes::entra::FakeEntra;

/// The person's browser: the authorize URL, then wherever Entra sends it (the loopback).
async fn browse(url: String, tamper_state: bool) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302, "Entra sends the browser back");
    let mut back = r.headers()["location"]
        .to_str()
        .unwrap()
        .replace("localhost", "127.0.0.1");
    if tamper_state {
        back = back.replace("state=", "state=forged");
    }
    http.get(back).send().await.unwrap().text().await.unwrap()
}

fn config(fake: &FakeEntra) -> EntraConfig {
    EntraConfig {
        authority: fake.authority(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "0b1c2d3e-app".into(),
    }
}

#[tokio::test]
async fn a_person_signs_in_with_pkce_and_the_tokens_rotate_until_revoked() {
    let fake = FakeEntra::start().await;
    let config = config(&fake);
    let pending = entra::start(&config, &FABRIC_SCOPES).await.unwrap();
    assert!(pending.authorize_url.contains("code_challenge_method=S256"));
    assert!(pending.authorize_url.contains("offline_access"));
    let browser = tokio::spawn(browse(pending.authorize_url.clone(), false));
    let tokens = entra::finish(pending, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(browser.await.unwrap().contains("Signed in"));
    assert!(tokens.access.expose().starts_with("eyJ"));
    let first = tokens
        .refresh
        .clone()
        .expect("offline_access gives a refresh token");

    // A refresh rotates the pair: the old refresh token no longer works.
    let renewed = entra::refresh(&config, &first, &FABRIC_SCOPES)
        .await
        .unwrap();
    let second = renewed.refresh.clone().unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_ne!(renewed.access.expose(), tokens.access.expose());
    let stale = entra::refresh(&config, &first, &FABRIC_SCOPES)
        .await
        .unwrap_err();
    assert!(matches!(stale, FabricError::Auth(_)), "{stale}");

    // Revoked: sign in again, said so.
    fake.revoke();
    let revoked = entra::refresh(&config, &second, &FABRIC_SCOPES)
        .await
        .unwrap_err();
    assert!(
        revoked.to_string().contains("sign in to Fabric again"),
        "{revoked}"
    );
    // Nothing secret in what the tokens print.
    assert!(!format!("{renewed:?}").contains("entra-refresh"));
}

#[tokio::test]
async fn a_refused_consent_and_a_foreign_answer_are_refused() {
    let fake = FakeEntra::start().await;
    let config = config(&fake);
    fake.refuse_consent(true);
    let pending = entra::start(&config, &FABRIC_SCOPES).await.unwrap();
    let browser = tokio::spawn(browse(pending.authorize_url.clone(), false));
    let refused = entra::finish(pending, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(browser.await.unwrap().contains("Sign-in failed"));
    assert!(refused.to_string().contains("declined"), "{refused}");

    fake.refuse_consent(false);
    let pending = entra::start(&config, &FABRIC_SCOPES).await.unwrap();
    let browser = tokio::spawn(browse(pending.authorize_url.clone(), true));
    let forged = entra::finish(pending, Duration::from_secs(10))
        .await
        .unwrap_err();
    browser.await.unwrap();
    assert!(forged.to_string().contains("state"), "{forged}");

    // Nobody comes back: said after the wait.
    let pending = entra::start(&config, &FABRIC_SCOPES).await.unwrap();
    let late = entra::finish(pending, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(late.to_string().contains("did not come back"), "{late}");
}

#[tokio::test]
async fn a_tenant_entra_does_not_know_is_said_before_the_browser_opens() {
    let fake = FakeEntra::start().await;
    fake.tenants(&["contoso.onmicrosoft.com"]);
    entra::check_tenant(&config(&fake)).await.unwrap();
    let wrong = EntraConfig {
        tenant: "contsoo.onmicrosoft.com".into(),
        ..config(&fake)
    };
    let err = entra::check_tenant(&wrong).await.unwrap_err();
    assert!(matches!(err, FabricError::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("AADSTS90002"), "{err}");
    assert!(err.to_string().contains("contsoo.onmicrosoft.com"), "{err}");
}
