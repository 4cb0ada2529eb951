use crate::{FIRST_START, launch_fresh};
use vibedata_e2e::DEFAULT_WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_area_is_reachable() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();

    app.click("nav-review").await.unwrap();
    app.wait_for("review-form", DEFAULT_WAIT)
        .await
        .expect("the Review area is built");
    app.click("nav-monitor").await.unwrap();
    app.wait_for("page-monitor", DEFAULT_WAIT)
        .await
        .expect("the Monitor area is built");

    app.click("nav-skills").await.unwrap();
    app.wait_for("skill", DEFAULT_WAIT).await.unwrap();
    let skills = app.find_all("skill").await.unwrap();
    assert!(skills.len() >= 3, "the seeded skills are listed");
    // A skill card opens to its instructions.
    app.click_css("[data-testid='skill'][data-name='dbt-modelling'] summary")
        .await
        .unwrap();
    let body = app
        .client()
        .execute(
            "return document.querySelector(\"[data-testid='skill'][data-name='dbt-modelling'] [data-testid='skill-body']\").innerText;",
            vec![],
        )
        .await
        .unwrap();
    let body = body.as_str().unwrap_or_default();
    assert!(
        body.lines().count() > 3,
        "the instructions are shown: {body}"
    );
    app.wait_absent("skill-problem", DEFAULT_WAIT)
        .await
        .expect("no seeded skill is malformed");

    app.click("nav-settings").await.unwrap();
    let status = app
        .wait_for_text("app-status", "studio.sqlite3", DEFAULT_WAIT)
        .await
        .unwrap();
    assert!(
        status.contains(&launch.database().display().to_string()),
        "settings name the database file: {status}"
    );
    assert!(
        status.contains("dbt-core 1.11"),
        "the venv's dbt is found: {status}"
    );
    app.screenshot("settings").await.unwrap();

    app.click("nav-domains").await.unwrap();
    app.wait_for("workspace-row", DEFAULT_WAIT).await.unwrap();
    app.close().await.unwrap();
}
