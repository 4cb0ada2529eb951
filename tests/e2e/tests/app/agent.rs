//! The agent panel on the demo domain: without a model endpoint the labelled demo replay runs; a
//! write waits for the person's approval (with its diff), then happens in the clone; usage shows.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_build_session_asks_before_writing_and_writes_after_approval() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.click("domain-agent").await.unwrap();
    app.type_into("agent-prompt", "Add an account summary mart.")
        .await
        .unwrap();
    app.click("agent-start").await.unwrap();
    app.wait_for("session-replay", WAIT)
        .await
        .expect("a replayed session is labelled as a replay");
    app.wait_for("approval-card", WAIT)
        .await
        .expect("the write waits for a person");
    let target = launch
        .workspace_root
        .join("demo-crm/models/marts/account_summary.sql");
    assert!(!target.exists(), "nothing is written before the approval");
    let preview = app.text("approval-preview").await.unwrap();
    assert!(
        preview.contains("+    count(*) as account_count"),
        "the card shows the diff: {preview}"
    );
    app.screenshot("agent-approval").await.unwrap();
    app.click_css("[data-testid='approval-approve']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='session-status'][data-status='completed']",
        WAIT,
    )
    .await
    .unwrap();
    assert!(target.is_file(), "the approved write happened in the clone");
    assert!(
        app.text("session-usage").await.unwrap().contains("3032 in"),
        "usage is shown"
    );
    let texts = app.find_all("agent-text").await.unwrap();
    assert!(!texts.is_empty());

    // Looking back at the finished session: its stored transcript, with what was asked.
    app.wait_for_css("[data-testid='session-row'][data-status='completed']", WAIT)
        .await
        .unwrap();
    app.click("earlier-toggle").await.unwrap();
    app.click_css(
        "[data-testid='session-row'][data-status='completed'] [data-testid='session-view']",
    )
    .await
    .unwrap();
    app.wait_for("agent-prompt-shown", WAIT).await.unwrap();
    let mut said = Vec::new();
    for text in app.find_all("agent-text").await.unwrap() {
        said.push(text.text().await.unwrap());
    }
    assert!(
        said.iter()
            .any(|t| t.contains("Added models/marts/account_summary.sql")),
        "{said:?}"
    );
    assert!(!app.find_all("agent-tool-output").await.unwrap().is_empty());
    assert_eq!(
        app.attr_css("[data-testid='session-status']", "data-status")
            .await
            .unwrap(),
        "completed"
    );
    app.screenshot("agent-transcript").await.unwrap();

    // A replay is not usage: no model answered it.
    app.click("nav-settings").await.unwrap();
    app.wait_for_text("usage-total", "0 tokens in 0 sessions", WAIT)
        .await
        .unwrap();
    app.close().await.unwrap();
}

/// A person's own repository without a model: the agent does not replay the demo into it; it says
/// what is missing and leads to Settings → Model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_the_agent_on_a_registered_repository_leads_to_settings() {
    let fixture = tempfile::tempdir().unwrap();
    crate::git_fixture(
        fixture.path(),
        r#"
        git init -q -b main src && cd src
        printf 'name: sales\nversion: "1.0"\n' > dbt_project.yml
        mkdir models && echo "select 1 as id" > models/orders.sql
        git add . && git commit -q -m "sales domain" && cd ..
        git clone -q --bare src sales.git
    "#,
    );

    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.type_into(
        "add-source",
        &format!("file://{}", fixture.path().join("sales.git").display()),
    )
    .await
    .unwrap();
    app.click("add-submit").await.unwrap();
    let open = "[data-testid='workspace-row'][data-name='sales'] [data-testid='workspace-open']";
    app.wait_for_css(open, WAIT).await.unwrap();
    app.click_css(open).await.unwrap();
    app.click("domain-agent").await.unwrap();
    app.type_into("agent-prompt", "Add an account summary mart.")
        .await
        .unwrap();
    app.click("agent-start").await.unwrap();
    app.wait_for("agent-model-missing", WAIT)
        .await
        .expect("the missing model is said");
    let said = app.text("agent-error").await.unwrap();
    assert!(said.contains("No model is configured"), "{said}");
    app.wait_absent("session-replay", WAIT)
        .await
        .expect("no replay runs on a person's repository");
    assert!(
        !launch
            .workspace_root
            .join("sales/models/marts/account_summary.sql")
            .exists(),
        "nothing of the demo was written into the repository"
    );
    app.screenshot("agent-no-model").await.unwrap();
    app.click("open-model-settings").await.unwrap();
    app.wait_for_css(
        "[data-testid='model-summary'][data-configured='false']",
        WAIT,
    )
    .await
    .expect("Settings shows the model is not set up");
    app.close().await.unwrap();
}

/// Approvals: a denial can say why and the agent is told; after Cancel, an unanswered approval
/// no longer offers Approve/Deny (it says the session ended).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_says_why_and_cancel_retires_pending_approvals() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.click("domain-agent").await.unwrap();
    app.type_into("agent-prompt", "Add an account summary mart.")
        .await
        .unwrap();
    app.click("agent-start").await.unwrap();
    app.wait_for("approval-card", WAIT).await.unwrap();
    app.type_into("approval-reason", "not in the plan")
        .await
        .unwrap();
    app.click("approval-deny").await.unwrap();
    app.wait_for_css(
        "[data-testid='session-status'][data-status='completed']",
        WAIT,
    )
    .await
    .unwrap();
    let mut outputs = Vec::new();
    for o in app.find_all("agent-tool-output").await.unwrap() {
        outputs.push(o.text().await.unwrap());
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("their reason: not in the plan")),
        "the agent was told why: {outputs:?}"
    );

    // Again, and cancel while the write waits.
    app.type_into("agent-prompt", "Add an account summary mart.")
        .await
        .unwrap();
    app.click("agent-start").await.unwrap();
    app.wait_for("approval-approve", WAIT).await.unwrap();
    app.click("session-cancel").await.unwrap();
    app.wait_for("approval-expired", WAIT)
        .await
        .expect("the unanswered approval says the session ended");
    app.wait_absent("approval-approve", WAIT)
        .await
        .expect("no Approve left to click");
    app.close().await.unwrap();
}
