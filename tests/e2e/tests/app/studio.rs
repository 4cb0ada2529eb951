//! The Studio page: start an intent on the demo domain, move it through planning (Approve waits
//! for a plan, written by the agent or in the person's own editor), build, and validate with the
//! real dbt.

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

    // No plan yet: Approve waits (disabled, saying why) instead of answering "no plan" later.
    let approve = "[data-testid='intent-step-approve_plan']";
    app.wait_for_css(&format!("{approve}[data-waiting='true'][disabled]"), WAIT)
        .await
        .expect("a plan must exist before it is approved");
    assert!(
        app.attr_css(approve, "data-tip")
            .await
            .unwrap()
            .contains("plan.md"),
        "the waiting step says what it waits for"
    );

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
    // Written in the person's own editor: the page notices without a reload.
    app.wait_for_css(
        &format!("{approve}[data-waiting='false']:not([disabled])"),
        WAIT,
    )
    .await
    .expect("the plan written outside the app wakes Approve up");
    assert!(app.find("intent-error").await.is_err(), "no stale message");
    app.click_css("[data-testid='intent-step-approve_plan']:not([disabled])")
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
    app.wait_for("validation-progress", WAIT)
        .await
        .expect("the running validation shows its progress");
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
    // Ready: the demo's origin is a local folder, not GitHub, so no pull request is offered
    // (it could only fail); a local merge is.
    app.wait_for_css(&format!("{row} [data-testid='intent-merge']"), WAIT)
        .await
        .unwrap();
    app.wait_absent_css(&format!("{row} [data-testid='intent-open-pr']"), WAIT)
        .await
        .unwrap();
    app.close().await.unwrap();
}

/// Approves every write of the running agent session until it completes.
/// The scroll position of the page's content; with `element`, after bringing it to the middle.
async fn scroll_top(
    app: &vibedata_e2e::App,
    element: Option<&fantoccini::elements::Element>,
) -> f64 {
    let js = "const m = document.querySelector('main.content'); \
              if (arguments[0]) arguments[0].scrollIntoView({block: 'center'}); \
              return m.scrollTop;";
    let args = element.map_or(vec![serde_json::Value::Null], |e| {
        vec![serde_json::to_value(e).unwrap()]
    });
    app.client()
        .execute(js, args)
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Approves the intent agent's requests until its session completes; returns, per approval, whether
/// its card was marked as outside the approved plan.
async fn approve_until_done(app: &vibedata_e2e::App) -> Vec<bool> {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut marked = Vec::new();
    loop {
        if let Ok(status) = app
            .attr_css(
                "[data-testid='intent-agent'] [data-testid='session-status']",
                "data-status",
            )
            .await
            && status == "completed"
        {
            return marked;
        }
        if let Some(button) = app
            .find_all("approval-approve")
            .await
            .ok()
            .and_then(|b| b.into_iter().next())
        {
            let outside = button.attr("data-outside-plan").await.ok().flatten();
            // The card is in view where the person reads it; answering keeps the page there.
            let before = scroll_top(app, Some(&button)).await;
            if button.click().await.is_ok() {
                marked.push(outside.as_deref() == Some("true"));
                let decided = app
                    .wait_for_css("[data-testid='approval-decided']", Duration::from_secs(5))
                    .await;
                assert!(decided.is_ok(), "an answered approval shows as decided");
                tokio::time::sleep(Duration::from_millis(300)).await;
                let after = scroll_top(app, None).await;
                assert!(
                    after + 150.0 >= before,
                    "answering an approval jumped the page from {before} to {after}"
                );
            }
        }
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
    app.click_css("[data-testid='intent-step-approve_plan']:not([disabled])")
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
    let marked = approve_until_done(&app).await;
    assert!(
        marked.contains(&true) && marked.contains(&false),
        "the write the approved plan does not name (the time spine) is marked, the others not: {marked:?}"
    );
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

    // The reviewer's turn: the intent branch reviewed against main (its new model, added), and
    // approved — kept here, the demo's origin having no pull requests.
    app.click("nav-review").await.unwrap();
    app.wait_for_css(
        "[data-testid='review-branch'] option[value='intent/silver-customer-table-from-crm-bronze']",
        WAIT,
    )
    .await
    .unwrap();
    app.click_css("[data-testid='review-run']:not([disabled])")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='review-changed'][data-uid='model.demo_crm.silver_customers'][data-change='added']",
        WAIT,
    )
    .await
    .expect("the new model is reviewed as added");
    // The advisor (its labelled replay offline): a summary whose every claim cites a fact; a
    // citation leads to the row it rests on.
    app.click("review-advise").await.unwrap();
    app.wait_for_css(
        "[data-testid='review-advice'][data-replay='true'] [data-testid='review-claim']",
        WAIT,
    )
    .await
    .expect("the advisor's summary is shown, labelled as a replay");
    let claims = app.find_all("review-claim").await.unwrap();
    assert_eq!(claims.len(), 6);
    for claim in &claims {
        assert!(
            !claim
                .find_all(fantoccini::Locator::Css("[data-testid='review-citation']"))
                .await
                .unwrap()
                .is_empty(),
            "every claim cites a fact"
        );
    }
    let source = app.text("review-advice-source").await.unwrap();
    assert!(source.starts_with("Replay"), "{source}");
    app.screenshot("loop-6-advisor").await.unwrap();
    app.click_css("[data-testid='review-citation'][data-fact='C:silver_customers']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='review-changed'][data-uid='model.demo_crm.silver_customers'][data-cited='true']",
        WAIT,
    )
    .await
    .expect("a citation leads to its fact");
    app.screenshot("loop-6-advisor-citation").await.unwrap();
    app.click("review-approve").await.unwrap();
    app.wait_for("review-kept", WAIT).await.unwrap();
    app.screenshot("loop-6-reviewed").await.unwrap();
    app.click("nav-studio").await.unwrap();
    app.wait_for_css(&format!("{row}[data-state='ready']"), WAIT)
        .await
        .unwrap();

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
    app.screenshot("loop-7-merged").await.unwrap();
    app.close().await.unwrap();
}

/// Studio safety: steps keep their own places (the next one never appears under the cursor),
/// going back is confirmed, Validate waits for something built, a long title makes a short commit
/// subject, the branch diff leads with the model changes, and an intent can be abandoned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studio_steps_are_safe_to_click_and_an_intent_can_be_abandoned() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();
    app.click("nav-studio").await.unwrap();
    app.wait_for("intents-empty", WAIT).await.unwrap();
    let title = format!(
        "Silver customers {}",
        "with their contacts, their open pipeline and their region ".repeat(5)
    );
    app.type_into("intent-title", &title).await.unwrap();
    app.click("intent-submit").await.unwrap();
    let row = "[data-testid='intent-row']";
    app.wait_for_css(&format!("{row}[data-state='draft']"), WAIT)
        .await
        .unwrap();
    let worktree = std::path::PathBuf::from(app.attr_css(row, "data-worktree").await.unwrap());
    let subject = std::process::Command::new("git")
        .args(["log", "-1", "--format=%s"])
        .current_dir(&worktree)
        .output()
        .unwrap();
    let subject = String::from_utf8_lossy(&subject.stdout).trim().to_string();
    assert!(
        subject.chars().count() <= 72 && subject.starts_with("Start intent: Silver customers"),
        "a short subject: {subject}"
    );

    let left = |testid: &'static str| {
        let app = &app;
        async move {
            app.client()
                .execute(
                    &format!(
                        "return document.querySelector(\"[data-testid='{testid}']\").getBoundingClientRect().left;"
                    ),
                    vec![],
                )
                .await
                .unwrap()
                .as_f64()
                .unwrap()
        }
    };
    let start_at = left("intent-step-start_planning").await;
    app.click_css("[data-testid='intent-step-start_planning']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='planning']"), WAIT)
        .await
        .unwrap();
    let approve_at = left("intent-step-approve_plan").await;
    assert!(
        (approve_at - start_at).abs() > 20.0,
        "the next step is not under the cursor ({start_at} vs {approve_at})"
    );
    let folder = std::fs::read_dir(worktree.join(".vibedata/intents"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(folder.join("plan.md"), "# Plan\n\n- silver_customers\n").unwrap();
    app.click_css("[data-testid='intent-step-approve_plan']:not([disabled])")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='plan_approved']"), WAIT)
        .await
        .unwrap();

    // Going back asks first; "Keep it" keeps it.
    app.click_css("[data-testid='intent-step-revise_plan']")
        .await
        .unwrap();
    let asked = app.text("intent-step-confirm").await.unwrap();
    assert!(asked.contains("plan v1"), "{asked}");
    app.click("intent-step-confirm-no").await.unwrap();
    app.wait_absent("intent-step-confirm", WAIT).await.unwrap();
    assert_eq!(
        app.attr_css(row, "data-state").await.unwrap(),
        "plan_approved"
    );

    // Building: nothing built yet, so no Validate; it appears once a model is written.
    app.click_css("[data-testid='intent-step-start_build']")
        .await
        .unwrap();
    app.wait_for_css(&format!("{row}[data-state='building']"), WAIT)
        .await
        .unwrap();
    app.wait_absent("intent-step-start_validation", WAIT)
        .await
        .unwrap();
    std::fs::write(
        worktree.join("models/marts/silver_customers.sql"),
        "select account_id from {{ ref('stg_crm__accounts') }}\n",
    )
    .unwrap();
    app.wait_for("intent-step-start_validation", WAIT)
        .await
        .expect("Validate is offered once something is built");
    let committed = std::process::Command::new("sh")
        .arg("-c")
        .arg("git add -A && git -c user.name=Grace -c user.email=grace@example.com commit -q -m 'Add silver_customers'")
        .current_dir(&worktree)
        .status()
        .unwrap();
    assert!(committed.success());

    // The branch diff leads with the model; the intent's documents are folded under it.
    app.click_css("[data-testid='intent-branch-diff']")
        .await
        .unwrap();
    app.wait_for_css("[data-testid='intent-diff-bookkeeping']", WAIT)
        .await
        .unwrap();
    let first = app
        .attr_css(
            "[data-testid='intent-diff'] [data-testid='intent-diff-row']",
            "data-path",
        )
        .await
        .unwrap();
    assert!(
        !first.starts_with(".vibedata/"),
        "led by a real change: {first}"
    );
    app.screenshot("studio-safety").await.unwrap();

    // A running validation shows its progress and can be stopped: it ends failed, "cancelled".
    app.click_css("[data-testid='intent-step-start_validation']")
        .await
        .unwrap();
    app.wait_for("validation-cancel", WAIT).await.unwrap();
    app.click("validation-cancel").await.unwrap();
    app.wait_for_css(
        "[data-testid='validation-report'][data-passed='false']",
        Duration::from_secs(120),
    )
    .await
    .expect("the stopped validation reports");
    let report = app.text("validation-report").await.unwrap();
    assert!(report.contains("cancelled"), "{report}");
    app.wait_for_css(&format!("{row}[data-state='validation_failed']"), WAIT)
        .await
        .unwrap();

    // Abandoning asks, then removes the intent, its worktree and its branch.
    app.click_css("[data-testid='intent-abandon']")
        .await
        .unwrap();
    app.click("intent-abandon-yes").await.unwrap();
    app.wait_for("intents-empty", WAIT).await.unwrap();
    assert!(!worktree.exists(), "its worktree is gone");
    app.close().await.unwrap();
}
