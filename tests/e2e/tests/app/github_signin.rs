//! GitHub sign-in from Settings against the fake GitHub, with a real (private) Secret Service:
//! the device flow's code shown and the sign-in completed in the background, the account listed,
//! no token in the data dir, sign-out; a revoked personal access token refused.

use vibedata_e2e::keychain::SecretService;
use vibedata_e2e::{App, DEFAULT_WAIT, Launch};
use vibedata_fakes::github::{FakeGitHub, Poll};

const DEVICE_TOKEN: &str = "gho_e2e_device_token_4c2a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_sign_in_keeps_the_token_in_the_keychain_and_sign_out_removes_it() {
    let Some(keychain) = SecretService::start().unwrap() else {
        eprintln!("no dbus-daemon/gnome-keyring-daemon: skipped (scripts/setup.sh installs them)");
        return;
    };
    let fake = FakeGitHub::start().await;
    fake.script(&[
        Poll::Pending,
        Poll::Tokens {
            access: DEVICE_TOKEN.into(),
            refresh: None,
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path())
        .with_env("DBUS_SESSION_BUS_ADDRESS", &keychain.bus_address)
        .with_env("VIBEDATA_GITHUB_CLIENT_ID", "Iv1.e2e")
        .with_env("VIBEDATA_GITHUB_BASE", &fake.base_url())
        .with_env("VIBEDATA_GITHUB_API", &fake.base_url())
        .with_env("VIBEDATA_NO_BROWSER", "1");
    let app = App::launch(&launch).await.unwrap();
    app.click("nav-settings").await.unwrap();
    app.click("github-device-start").await.unwrap();
    app.wait_for_text("github-user-code", "WDJB-MJHT", DEFAULT_WAIT)
        .await
        .unwrap();
    app.wait_for_text(
        "github-signed-in",
        "Signed in as octo-analyst",
        DEFAULT_WAIT,
    )
    .await
    .unwrap();
    app.wait_for_text("github-accounts", "octo-analyst", DEFAULT_WAIT)
        .await
        .unwrap();
    // The demo domain acts as the new account once chosen; the choice is read back.
    app.wait_for("github-workspace-account", DEFAULT_WAIT)
        .await
        .unwrap();
    app.client()
        .execute(
            "const s = document.querySelector(\"[data-testid='github-workspace-account']\");\n\
             s.value = 'octo-analyst';\n\
             s.dispatchEvent(new Event('change', {bubbles: true}));\n\
             return true;",
            vec![],
        )
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='github-workspace-account'] option[value='octo-analyst'][selected]",
        DEFAULT_WAIT,
    )
    .await
    .unwrap();
    app.screenshot("github-signed-in").await.unwrap();

    // A revoked personal access token is refused before anything is kept.
    app.type_into("github-token", "ghp_revoked_e2e_token")
        .await
        .unwrap();
    app.click("github-token-save").await.unwrap();
    app.wait_for_text("github-token-error", "refused", DEFAULT_WAIT)
        .await
        .unwrap();

    app.click("github-sign-out").await.unwrap();
    app.wait_absent("github-account", DEFAULT_WAIT)
        .await
        .expect("signed out: the account is no longer listed");
    app.close().await.unwrap();
    vibedata_fakes::secrets::assert_none_on_disk(
        &dir.path().join("data"),
        &[DEVICE_TOKEN, "ghp_revoked_e2e_token"],
    );
    drop(keychain);
}
