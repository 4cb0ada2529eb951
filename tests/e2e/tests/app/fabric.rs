//! Microsoft Fabric in the app against the fake Entra and the fake Fabric, with a real (private)
//! Secret Service: the organisation's settings saved, the person signs in (the authorize page
//! shown, the "browser" following it back to the app's loopback), the demo domain linked to its
//! production workspace and lakehouse, main promoted to production (previewed, approved as the
//! person's GitHub account, whose role allows it), an intent's ephemeral workspace created step by step to a
//! finished dbt run and torn down; an agent on the Foundry endpoint without an API key runs on the
//! Entra token for Foundry; screenshots; no token under the data dir afterwards.

use vibedata_e2e::keychain::SecretService;
use vibedata_e2e::{App, Launch};
use vibedata_fakes::entra::FakeEntra;
use vibedata_fakes::fabric::{CONNECTION, FakeFabric};

use crate::FIRST_START;

const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sets a `<select>` by value, as a person's choice (WebDriver has no select helper here).
async fn choose(app: &App, testid: &str, value: &str) {
    app.client()
        .execute(
            &format!(
                "const s = document.querySelector(\"[data-testid='{testid}']\");\n\
                 s.value = arguments[0];\n\
                 s.dispatchEvent(new Event('change', {{bubbles: true}}));\n\
                 return true;"
            ),
            vec![serde_json::json!(value)],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_link_the_demo_and_an_intents_ephemeral_workspace_comes_and_goes() {
    let Some(keychain) = SecretService::start().unwrap() else {
        eprintln!("no dbus-daemon/gnome-keyring-daemon: skipped (scripts/setup.sh installs them)");
        return;
    };
    let (entra, fabric) = (FakeEntra::start().await, FakeFabric::start().await);
    let production = fabric.add_workspace_with(
        "Sales production",
        &[("bronze", "Lakehouse"), ("dbt_job", "DataBuildToolJob")],
    );
    let github = vibedata_fakes::github::FakeGitHub::start().await;
    github.accept_token("ghp_e2e_promoter_7d1f");
    github.add_repo("contoso/demo-crm");
    github.set_role("contoso/demo-crm", "octo-analyst", "maintain");
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path())
        .with_env("VIBEDATA_GITHUB_BASE", &github.base_url())
        .with_env("VIBEDATA_GITHUB_API", &github.base_url())
        .with_env("DBUS_SESSION_BUS_ADDRESS", &keychain.bus_address)
        .with_env("VIBEDATA_ENTRA_AUTHORITY", &entra.authority())
        .with_env("VIBEDATA_FABRIC_API", &fabric.base_url())
        .with_env("VIBEDATA_NO_BROWSER", "1");
    let app = App::launch(&launch).await.unwrap();
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();

    // Settings: the organisation's app registration and GitHub connection, then the sign-in.
    app.click("nav-settings").await.unwrap();
    app.type_into("fabric-tenant", "contoso.onmicrosoft.com")
        .await
        .unwrap();
    app.type_into("fabric-client-id", "0b1c2d3e-app")
        .await
        .unwrap();
    app.type_into("fabric-connection", CONNECTION)
        .await
        .unwrap();
    app.click("fabric-save").await.unwrap();
    app.wait_for("fabric-signed-out", WAIT).await.unwrap();
    app.click("fabric-sign-in").await.unwrap();
    let link = app.wait_for("fabric-authorize-url", WAIT).await.unwrap();
    let url = link.attr("href").await.unwrap().unwrap();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    app.screenshot("fabric-sign-in-waiting").await.unwrap();
    // The person's browser: Entra's page (the fake consents), then back to the app's loopback.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = http.get(&url).send().await.unwrap();
    let location = back.headers()["location"]
        .to_str()
        .unwrap()
        .replace("localhost", "127.0.0.1");
    let page = http
        .get(location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in"), "{page}");
    app.wait_for_text("fabric-signed-in", "Signed in to Fabric and Foundry", WAIT)
        .await
        .unwrap();
    app.screenshot("fabric-signed-in").await.unwrap();
    // GitHub too: promoting to production is approved as the person's GitHub account.
    app.type_into("github-token", "ghp_e2e_promoter_7d1f")
        .await
        .unwrap();
    app.click("github-token-save").await.unwrap();
    app.wait_for_text("github-token-result", "octo-analyst", WAIT)
        .await
        .unwrap();

    // The demo domain linked to its production workspace and lakehouse.
    app.click("nav-domains").await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.click("fabric-browse").await.unwrap();
    app.wait_for("fabric-link-form", WAIT).await.unwrap();
    choose(&app, "fabric-link-workspace", &production).await;
    let lakehouse = fabric.items_of(&production)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.wait_for_css(
        &format!("[data-testid='fabric-link-lakehouse'] option[value='{lakehouse}']"),
        WAIT,
    )
    .await
    .unwrap();
    choose(&app, "fabric-link-lakehouse", &lakehouse).await;
    app.type_into("fabric-link-repository", "contoso/demo-crm")
        .await
        .unwrap();
    app.click("fabric-link-save").await.unwrap();
    app.wait_for_text("fabric-link", "Sales production", WAIT)
        .await
        .unwrap();
    app.wait_for_text("fabric-link", "lakehouse bronze", WAIT)
        .await
        .unwrap();
    app.screenshot("fabric-domain-linked").await.unwrap();

    // Promoting main to production: the preview, then the person's approval (their GitHub role).
    fabric.connect_git(&production, "contoso", "demo-crm", "main");
    fabric.repository_items(3);
    app.click("deploy-preview-open").await.unwrap();
    app.wait_for_css("[data-testid='deploy-preview'][data-changes='3']", WAIT)
        .await
        .unwrap();
    let first = app.text("deploy-change").await.unwrap();
    assert!(first.contains("Lakehouse"), "storage first: {first}");
    app.screenshot("fabric-deploy-preview").await.unwrap();
    app.click("deploy-approve").await.unwrap();
    app.wait_for_text("deploy-done", "by octo-analyst (maintain)", WAIT)
        .await
        .unwrap();

    // An intent's ephemeral workspace: created, followed step by step, its dbt job run.
    app.click("nav-studio").await.unwrap();
    app.type_into("intent-title", "Churn score per account")
        .await
        .unwrap();
    app.click("intent-submit").await.unwrap();
    let row = "[data-testid='intent-row'][data-slug='churn-score-per-account']";
    app.wait_for_css(row, WAIT).await.unwrap();
    app.click_css(&format!("{row} [data-testid='intent-fabric-open']"))
        .await
        .unwrap();
    fabric.jobs(3, None);
    app.click("ephemeral-up").await.unwrap();
    app.wait_for_css("[data-testid='ephemeral'][data-state='ready']", WAIT)
        .await
        .unwrap();
    assert_eq!(app.text("ephemeral-job").await.unwrap(), "Completed");
    let name = app.text("ephemeral-name").await.unwrap();
    assert_eq!(name, "vd-demo-crm-intent-churn-score-per-account");
    let made: Vec<_> = fabric
        .workspaces()
        .into_iter()
        .filter(|w| w["displayName"] == name.as_str())
        .collect();
    assert_eq!(made.len(), 1, "one ephemeral workspace in Fabric");
    app.wait_for_css(
        "[data-testid='ephemeral-step'][data-step='run'][data-class='done']",
        WAIT,
    )
    .await
    .unwrap();
    app.screenshot("fabric-ephemeral-ready").await.unwrap();

    app.click("ephemeral-down").await.unwrap();
    app.wait_for_css("[data-testid='ephemeral'][data-state='torn_down']", WAIT)
        .await
        .unwrap();
    assert!(
        !fabric
            .workspaces()
            .iter()
            .any(|w| w["displayName"] == name.as_str()),
        "torn down in Fabric"
    );
    app.screenshot("fabric-ephemeral-torn-down").await.unwrap();

    // Agents on the team's Foundry endpoint with no API key: the Entra token for Foundry is used.
    let foundry = vibedata_fakes::foundry::FakeFoundry::start().await;
    foundry.push(vibedata_fakes::foundry::Reply::text(&[
        "Nothing to change here.",
    ]));
    app.click("nav-settings").await.unwrap();
    // Set as a paste would (the endpoint's tooltip takes the first keystroke), then submitted.
    app.client()
        .execute(
            "const i = document.querySelector(\"[data-testid='model-endpoint']\");\n\
             i.value = arguments[0];\n\
             i.dispatchEvent(new Event('input', {bubbles: true}));\n\
             document.querySelector(\"[data-testid='model-form']\").requestSubmit();\n\
             return true;",
            vec![serde_json::json!(foundry.base_url())],
        )
        .await
        .unwrap();
    app.wait_for("model-saved", WAIT).await.unwrap();
    app.click("nav-domains").await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.click("domain-agent").await.unwrap();
    app.type_into("agent-prompt", "Say whether anything needs changing.")
        .await
        .unwrap();
    app.click("agent-start").await.unwrap();
    app.wait_for_css(
        "[data-testid='session-status'][data-status='completed']",
        WAIT,
    )
    .await
    .unwrap();
    let asked = foundry.requests();
    let bearer = asked[0]
        .header("authorization")
        .unwrap()
        .trim_start_matches("Bearer ")
        .to_string();
    assert!(bearer.starts_with("eyJ0eXAi.entra.access."), "{bearer}");
    assert!(asked[0].header("api-key").is_none());
    let fabric_tokens: Vec<String> = fabric
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect();
    assert!(
        !fabric_tokens.iter().any(|t| t.ends_with(&bearer)),
        "Foundry has a token of its own, not Fabric's"
    );
    app.close().await.unwrap();

    // No token anywhere under the data dir (database, WAL, logs).
    let mut tokens: Vec<String> = fabric
        .requests()
        .iter()
        .filter_map(|r| {
            r.header("authorization")
                .map(|a| a.trim_start_matches("Bearer ").to_string())
        })
        .collect();
    tokens.extend((1..60).map(|n| format!("entra-refresh-{n}")));
    tokens.extend((1..60).map(|n| format!("eyJ0eXAi.entra.access.{n}")));
    tokens.push("ghp_e2e_promoter_7d1f".into());
    let all: Vec<&str> = tokens.iter().map(String::as_str).collect();
    vibedata_fakes::secrets::assert_none_on_disk(&dir.path().join("data"), &all);
    drop(keychain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_on_spark_builds_the_intents_project_on_local_spark() {
    let (_dir, _launch, app) = crate::launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();
    app.click("nav-studio").await.unwrap();
    app.type_into("intent-title", "Pipeline on Spark")
        .await
        .unwrap();
    app.click("intent-submit").await.unwrap();
    let row = "[data-testid='intent-row'][data-slug='pipeline-on-spark']";
    app.wait_for_css(row, WAIT).await.unwrap();
    app.click_css(&format!("{row} [data-testid='intent-fabric-open']"))
        .await
        .unwrap();
    app.click("spark-check-run").await.unwrap();
    // A JVM and a Spark session start, the sources are copied in, dbt builds 30 nodes.
    app.wait_for_css(
        "[data-testid='spark-check'][data-passed='true']",
        std::time::Duration::from_secs(240),
    )
    .await
    .unwrap();
    let said = app.text("spark-check").await.unwrap();
    assert!(said.contains("passed (30 nodes)"), "{said}");
    app.screenshot("fabric-spark-check").await.unwrap();
    app.close().await.unwrap();
}
