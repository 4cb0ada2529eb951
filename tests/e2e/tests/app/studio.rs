//! The Studio page: start an intent on the demo domain, move it through planning (the guard
//! refuses approving a plan that does not exist yet), build, and validate with the real dbt.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_is_started_and_its_plan_approved_only_once_written() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();

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

    // The intent's branch lives in its own worktree; the person's checkout stays on main.
    let worktree = std::path::PathBuf::from(app.attr_css(row, "data-worktree").await.unwrap());
    assert!(
        worktree.starts_with(launch.workspace_root.join("demo-crm/.git")),
        "{}",
        worktree.display()
    );
    assert!(
        !launch
            .workspace_root
            .join("demo-crm/.vibedata/intents")
            .exists(),
        "nothing of the intent lands in the person's checkout"
    );
    let intents = worktree.join(".vibedata/intents");
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
        worktree.join("models/marts/country_accounts.sql"),
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
    // Ready: a pull request is offered; the demo's origin is a local folder, and the app says
    // why that cannot have one instead of trying.
    app.click_css(&format!("{row} [data-testid='intent-open-pr']"))
        .await
        .unwrap();
    app.wait_for_text("intent-pr-error", "not a GitHub repository", WAIT)
        .await
        .unwrap();
    app.close().await.unwrap();
}

/// Approves every write of the running agent session until it completes.
async fn approve_until_done(app: &vibedata_e2e::App) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(status) = app
            .attr_css(
                "[data-testid='intent-agent'] [data-testid='session-status']",
                "data-status",
            )
            .await
            && status == "completed"
        {
            return;
        }
        let _ = app
            .click_css("[data-testid='intent-agent'] [data-testid='approval-approve']")
            .await;
        assert!(
            std::time::Instant::now() < deadline,
            "the agent session did not complete"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_demo_loop_runs_end_to_end_in_the_studio() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();

    app.click("nav-studio").await.unwrap();
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

    // Plan: the Requirements agent (replayed, and labelled so) writes the documents after approval.
    app.click_css("[data-testid='intent-agent-requirements']")
        .await
        .unwrap();
    app.click_css("[data-testid='intent-agent'] [data-testid='agent-start']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='intent-agent'] [data-testid='session-replay']",
        WAIT,
    )
    .await
    .unwrap();
    app.wait_for_css(
        "[data-testid='intent-agent'] [data-testid='approval-card']",
        WAIT,
    )
    .await
    .unwrap();
    app.screenshot("loop-1-plan-approval").await.unwrap();
    approve_until_done(&app).await;
    app.click_css("[data-testid='intent-step-approve_plan']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='plan_approved']"), WAIT)
        .await
        .unwrap();
    app.screenshot("loop-2-plan-approved").await.unwrap();

    // Build: the Build agent writes the model and its YAML, ticks its to-dos and commits.
    app.click_css("[data-testid='intent-step-start_build']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='building']"), WAIT)
        .await
        .unwrap();
    app.click_css("[data-testid='intent-agent-build']")
        .await
        .unwrap();
    app.click_css("[data-testid='intent-agent'] [data-testid='agent-start']")
        .await
        .unwrap();
    approve_until_done(&app).await;
    let todos = app.find_all("agent-todo").await.unwrap();
    assert_eq!(todos.len(), 3);
    for t in &todos {
        assert_eq!(
            t.attr("data-done").await.unwrap().as_deref(),
            Some("true"),
            "every to-do is done"
        );
    }
    app.screenshot("loop-3-built").await.unwrap();

    // Validate on the local DuckDB with the real dbt: green.
    app.click_css("[data-testid='intent-step-start_validation']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='validation-report'][data-passed='true']",
        Duration::from_secs(180),
    )
    .await
    .expect("validation is green");
    app.wait_for_css(&format!("{row}[data-state='ready']"), WAIT)
        .await
        .unwrap();
    app.screenshot("loop-4-validated").await.unwrap();

    // The branch against main: the model and the intent's documents.
    app.click_css("[data-testid='intent-branch-diff']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='intent-diff-row'][data-path='models/marts/silver_customers.sql']",
        WAIT,
    )
    .await
    .unwrap();
    let commits = app.text("intent-commits").await.unwrap();
    assert!(
        commits.contains("Add silver_customers")
            && commits.contains("Validation passed")
            && commits.contains("Start intent"),
        "the branch's commits are listed: {commits}"
    );
    app.screenshot("loop-5-diff").await.unwrap();

    // The demo's origin is not GitHub: the loop ends with a merge here (asked once more), pushed.
    app.wait_absent_css(&format!("{row} [data-testid='intent-open-pr']"), WAIT)
        .await
        .expect("no pull request offered for a non-GitHub origin");
    app.click_css(&format!("{row} [data-testid='intent-merge']"))
        .await
        .unwrap();
    app.click_css(&format!("{row} [data-testid='intent-merge-yes']"))
        .await
        .unwrap();
    app.wait_for_css("[data-testid='intent-merged'][data-pushed='true']", WAIT)
        .await
        .expect("merged and pushed");
    app.wait_for_css(&format!("{row}[data-state='merged']"), WAIT)
        .await
        .unwrap();
    app.screenshot("loop-6-merged").await.unwrap();
    app.close().await.unwrap();
}
