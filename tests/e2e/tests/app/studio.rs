//! The Studio page: start an intent on the demo domain, move it through planning, and see the
//! lifecycle's guard refuse approving a plan that does not exist yet.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_is_started_and_its_plan_approved_only_once_written() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("nav-settings").await.unwrap();
    app.type_into("identity-name", "Grace Analyst").await.unwrap();
    app.type_into("identity-email", "grace@example.com").await.unwrap();
    app.click("identity-save").await.unwrap();
    app.wait_for("identity-saved", WAIT).await.unwrap();

    app.click("nav-studio").await.unwrap();
    app.wait_for("intents-empty", WAIT).await.unwrap();
    app.type_into("intent-title", "Silver customer table from CRM bronze").await.unwrap();
    app.click("intent-submit").await.unwrap();
    let row = "[data-testid='intent-row'][data-slug='silver-customer-table-from-crm-bronze']";
    app.wait_for_css(&format!("{row}[data-state='draft']"), WAIT).await.unwrap();
    app.click_css("[data-testid='intent-step-start_planning']").await.unwrap();
    app.wait_for_css(&format!("{row}[data-state='planning']"), WAIT).await.unwrap();

    app.click_css("[data-testid='intent-step-approve_plan']").await.unwrap();
    app.wait_for_text("intent-error", "no plan", WAIT).await.expect("a plan must exist before it is approved");

    let intents = launch.workspace_root.join("demo-crm/.vibedata/intents");
    let folder = std::fs::read_dir(&intents).unwrap().next().unwrap().unwrap().path();
    std::fs::write(folder.join("plan.md"), "# Plan\n\n- silver_customers: one row per account\n").unwrap();
    app.click_css("[data-testid='intent-step-approve_plan']").await.unwrap();
    app.wait_for_css(&format!("{row}[data-state='plan_approved']"), WAIT).await.unwrap();
    app.screenshot("studio-intent").await.unwrap();
    app.close().await.unwrap();
}
