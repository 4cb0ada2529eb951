//! The Studio page: start an intent on the demo domain, move it through planning (the guard
//! refuses approving a plan that does not exist yet), build, and validate with the real dbt.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_is_started_and_its_plan_approved_only_once_written() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("nav-settings").await.unwrap();
    app.type_into("identity-name", "Grace Analyst")
        .await
        .unwrap();
    app.type_into("identity-email", "grace@example.com")
        .await
        .unwrap();
    app.click("identity-save").await.unwrap();
    app.wait_for("identity-saved", WAIT).await.unwrap();

    app.click("nav-studio").await.unwrap();
    app.wait_for("intents-empty", WAIT).await.unwrap();
    app.type_into("intent-title", "Silver customer table from CRM bronze")
        .await
        .unwrap();
    app.click("intent-submit").await.unwrap();
    let row = "[data-testid='intent-row'][data-slug='silver-customer-table-from-crm-bronze']";
    app.wait_for_css(&format!("{row}[data-state='draft']"), WAIT)
        .await
        .unwrap();
    app.click_css("[data-testid='intent-step-start_planning']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='planning']"), WAIT)
        .await
        .unwrap();

    app.click_css("[data-testid='intent-step-approve_plan']")
        .await
        .unwrap();
    app.wait_for_text("intent-error", "no plan", WAIT)
        .await
        .expect("a plan must exist before it is approved");

    let intents = launch.workspace_root.join("demo-crm/.vibedata/intents");
    let folder = std::fs::read_dir(&intents)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(
        folder.join("plan.md"),
        "# Plan\n\n- silver_customers: one row per account\n",
    )
    .unwrap();
    app.click_css("[data-testid='intent-step-approve_plan']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='plan_approved']"), WAIT)
        .await
        .unwrap();
    app.screenshot("studio-intent").await.unwrap();
    app.click_css("[data-testid='intent-plans']").await.unwrap();
    app.wait_for_css("[data-testid='plan-version'][data-version='0']", WAIT)
        .await
        .expect("the approved plan is kept as v0");
    assert!(
        app.text("plan-current")
            .await
            .unwrap()
            .contains("silver_customers")
    );

    // Build (here: the model written by hand) and validate on the local DuckDB with the real dbt.
    app.click_css("[data-testid='intent-step-start_build']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='building']"), WAIT)
        .await
        .unwrap();
    std::fs::write(
        launch.workspace_root.join("demo-crm/models/marts/country_accounts.sql"),
        "select country_code, count(*) as accounts\nfrom {{ ref('stg_crm__accounts') }}\ngroup by 1\n",
    )
    .unwrap();
    app.click_css("[data-testid='intent-step-start_validation']")
        .await
        .unwrap();
    let outcome = "[data-testid='validation-report'], [data-testid='intent-error']";
    app.wait_for_css(outcome, Duration::from_secs(120))
        .await
        .expect("validation answers");
    if app.find("validation-report").await.is_err() {
        app.screenshot("studio-validation-failure").await.unwrap();
        panic!(
            "validation failed to run: {}",
            app.text("intent-error").await.unwrap_or_default()
        );
    }
    let passed = app
        .attr_css("[data-testid='validation-report']", "data-passed")
        .await
        .unwrap();
    if passed != "true" {
        panic!(
            "the validation report is not green: {}",
            app.text("validation-report").await.unwrap_or_default()
        );
    }
    app.wait_for_css(
        "[data-testid='validation-check'][data-name='dbt_build'][data-passed='true']",
        WAIT,
    )
    .await
    .unwrap();
    app.wait_for_css(&format!("{row}[data-state='ready']"), WAIT)
        .await
        .unwrap();
    app.screenshot("studio-validated").await.unwrap();
    app.close().await.unwrap();
}
