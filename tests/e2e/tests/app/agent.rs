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

    app.click("nav-settings").await.unwrap();
    app.wait_for_text("usage-total", "in 1 session (", WAIT)
        .await
        .unwrap();
    app.close().await.unwrap();
}
