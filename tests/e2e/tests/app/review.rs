//! The Review page on the demo domain: a branch that changes how opportunity amounts are
//! computed is reviewed against main — the staging model is partially breaking with its modified
//! column, the mart's columns derived from it are reached (and the others are not); then both
//! sides are built on DuckDB and the data diff finds the changed amounts.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_of_the_demo_domain_is_reviewed_with_classes_and_column_impact() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    crate::git_fixture(
        &launch.workspace_root.join("demo-crm"),
        r#"
        git checkout -q -b intent/amounts-in-thousands
        sed -i 's|/ 100 as amount_usd|/ 100000 as amount_usd|' models/staging/stg_crm__opportunities.sql
        git commit -qam "Amounts in thousands"
        git checkout -q main
    "#,
    );
    app.click("nav-review").await.unwrap();
    app.wait_for("review-form", WAIT).await.unwrap();
    app.wait_for_css(
        "[data-testid='review-branch'] option[value='intent/amounts-in-thousands']",
        WAIT,
    )
    .await
    .expect("intent branches are offered");
    app.click_css("[data-testid='review-run']:not([disabled])")
        .await
        .unwrap();
    let stg = "[data-testid='review-changed'][data-uid='model.demo_crm.stg_crm__opportunities']";
    app.wait_for_css(&format!("{stg}[data-category='partial_breaking']"), WAIT)
        .await
        .expect("the staging model is partially breaking");
    let cols = app.attr_css(stg, "data-change").await.unwrap();
    assert_eq!(cols, "modified");
    let mart = "[data-testid='review-impact'][data-uid='model.demo_crm.account_pipeline']";
    app.wait_for_css(mart, WAIT).await.unwrap();
    let reached = app
        .client()
        .execute(
            &format!("return document.querySelector(\"{mart} [data-testid='review-affected']\").innerText;"),
            vec![],
        )
        .await
        .unwrap();
    let reached = reached.as_str().unwrap_or_default().to_string();
    assert!(
        reached.contains("open_pipeline_usd") && reached.contains("won_revenue_usd"),
        "the mart's amount columns are reached: {reached}"
    );
    assert!(!reached.contains("account_name"), "{reached}");
    // The lineage of the change, each node badged with its class.
    app.wait_for_css(
        "[data-testid='review-lineage'] [data-testid='lineage-node'][data-uid='model.demo_crm.stg_crm__opportunities'] [data-testid='lineage-badge'][data-badge='partial_breaking']",
        WAIT,
    )
    .await
    .expect("the changed model is badged partial breaking");
    app.wait_for_css(
        "[data-testid='review-lineage'] [data-testid='lineage-node'][data-uid='model.demo_crm.account_pipeline'] [data-testid='lineage-badge'][data-badge='downstream']",
        WAIT,
    )
    .await
    .expect("the mart is badged downstream");
    app.screenshot("review-demo-branch").await.unwrap();

    // The data: both sides built on DuckDB; the changed column differs, keyed by its unique test.
    app.click("data-diff-run").await.unwrap();
    let stg_data =
        "[data-testid='data-diff-model'][data-uid='model.demo_crm.stg_crm__opportunities']";
    app.wait_for_css(
        &format!("{stg_data} [data-testid='data-diff-column'][data-name='amount_usd']"),
        Duration::from_secs(120),
    )
    .await
    .expect("the data diff finds the changed amounts");
    let text = app.attr_css(stg_data, "data-identical").await.unwrap();
    assert_eq!(text, "false");
    // Kept with the review: a check per model; a query of the reviewer's on both sides.
    app.wait_for_css(
        "[data-testid='review-check'][data-name='data diff: stg_crm__opportunities'][data-status='changed']",
        WAIT,
    )
    .await
    .expect("the data diff is kept as a check");
    app.type_into("query-check-name", "won revenue")
        .await
        .unwrap();
    app.type_into(
        "query-check-sql",
        "select round(sum(won_revenue_usd), 2) as won from gold.account_pipeline",
    )
    .await
    .unwrap();
    app.click("query-check-run").await.unwrap();
    app.wait_for_css(
        "[data-testid='review-check'][data-name='won revenue'][data-status='changed']",
        WAIT,
    )
    .await
    .expect("the query differs between the sides");
    app.screenshot("review-data-diff").await.unwrap();

    // The person's review: the demo's origin is not GitHub, so the decision is kept here.
    app.type_into("review-body", "Amounts should stay in dollars.")
        .await
        .unwrap();
    app.click("review-request-changes").await.unwrap();
    app.wait_for("review-kept", WAIT)
        .await
        .expect("kept here, nothing queued for GitHub");
    app.close().await.unwrap();
}
