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
    // Then the code: the file the branch changes, with its diff.
    app.wait_for_css(
        "[data-testid='review-code-file'][data-path='models/staging/stg_crm__opportunities.sql']",
        WAIT,
    )
    .await
    .expect("the code of the change is shown");
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

/// A teammate's pull request on GitHub (the fake), synced into the inbox: offered on the Review
/// page, its head fetched and reviewed; the person's comment written while GitHub is offline
/// waits in the outbox and reaches the pull request exactly once when it is back (the review
/// and the summary comment, one each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_of_the_inbox_is_reviewed_and_an_offline_comment_delivered_once() {
    use vibedata_e2e::{App, Launch};
    use vibedata_fakes::github::FakeGitHub;
    const TOKEN: &str = "ghp_e2e_review_token_5d2a";

    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_repo("acme/shop");
    let fixture = tempfile::tempdir().unwrap();
    crate::git_fixture(
        fixture.path(),
        r#"
        git init -q -b main shop && cd shop
        mkdir -p models
        printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
        printf 'version: 2\nsources:\n  - name: raw\n    tables: [{name: orders}]\n' > models/_sources.yml
        echo "select id, amount, status from {{ source('raw', 'orders') }}" > models/stg_orders.sql
        echo "select id, amount from {{ ref('stg_orders') }} where status = 'ok'" > models/orders.sql
        git add . && git commit -q -m base
        git checkout -q -b feature/cents
        echo "select id, amount * 100 as amount, status from {{ source('raw', 'orders') }}" > models/stg_orders.sql
        git commit -qam "Amounts in cents"
        git checkout -q main
    "#,
    );
    let head_sha = {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "feature/cents"])
            .current_dir(fixture.path().join("shop"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let number = fake.add_pull(
        "acme/shop",
        "Amounts in cents",
        "feature/cents",
        &head_sha,
        "main",
    );
    let served = fixture.path().join("served");
    crate::git_fixture(
        fixture.path(),
        &format!(
            "mkdir -p served/acme && git init -q --bare -b main served/acme/shop.git\ncd shop\ngit push -q ../served/acme/shop.git main feature/cents refs/heads/feature/cents:refs/pull/{number}/head"
        ),
    );
    fake.serve_git(&served);

    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path())
        .with_env("VIBEDATA_GITHUB_TOKEN", TOKEN)
        .with_env("VIBEDATA_GITHUB_API", &fake.base_url())
        .with_env("VIBEDATA_INBOX_SYNC_SECS", "2")
        .with_env("VIBEDATA_GITHUB_MUTATION_GAP_MS", "0");
    let app = App::launch(&launch).await.unwrap();
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.type_into(
        "add-source",
        &format!("{}/git/acme/shop.git", fake.base_url()),
    )
    .await
    .unwrap();
    app.click("add-submit").await.unwrap();
    app.wait_for_css("[data-testid='workspace-row'][data-name='shop']", WAIT)
        .await
        .expect("the GitHub repository is cloned and listed");

    app.click("nav-review").await.unwrap();
    app.wait_for("review-form", WAIT).await.unwrap();
    let pick = |select: &str, js_match: &str| {
        format!(
            "const s = document.querySelector(\"[data-testid='{select}']\");\n\
             const o = [...s.options].find(o => {js_match});\n\
             if (!o) {{ return false; }}\n\
             s.value = o.value; s.dispatchEvent(new Event('change', {{bubbles: true}}));\n\
             return true;"
        )
    };
    let chosen = app
        .client()
        .execute(&pick("review-workspace", "o.text === 'shop'"), vec![])
        .await
        .unwrap();
    assert_eq!(chosen, serde_json::Value::Bool(true));
    let head = format!("pull/{number}");
    // The inbox syncs every 2 s: the pull request appears among what can be reviewed.
    let option = format!("[data-testid='review-branch'] option[value='{head}']");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if app
            .wait_for_css(&option, Duration::from_secs(3))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pull request is offered"
        );
        // The list is read when the domain is chosen: choose it again.
        app.client()
            .execute(&pick("review-workspace", "o.text !== 'shop'"), vec![])
            .await
            .unwrap();
        app.client()
            .execute(&pick("review-workspace", "o.text === 'shop'"), vec![])
            .await
            .unwrap();
    }
    let label = app
        .client()
        .execute(
            &format!("return document.querySelector(\"{option}\").text;"),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        label
            .as_str()
            .unwrap_or_default()
            .contains("Amounts in cents"),
        "{label}"
    );
    app.client()
        .execute(
            &pick("review-branch", &format!("o.value === '{head}'")),
            vec![],
        )
        .await
        .unwrap();
    app.click_css("[data-testid='review-run']:not([disabled])")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='review-changed'][data-uid='model.shop.stg_orders'][data-category='partial_breaking']",
        WAIT,
    )
    .await
    .expect("the fetched head is reviewed against its target");
    app.wait_for_css(
        "[data-testid='review-impact'][data-uid='model.shop.orders']",
        WAIT,
    )
    .await
    .unwrap();
    app.screenshot("review-pull-request").await.unwrap();

    // Offline: the comment waits in the outbox.
    fake.set_offline(true);
    app.type_into("review-body", "Cents everywhere downstream?")
        .await
        .unwrap();
    app.click("review-comment").await.unwrap();
    app.wait_for("review-queued", WAIT)
        .await
        .expect("queued in the outbox while GitHub is offline");
    app.screenshot("review-comment-queued-offline")
        .await
        .unwrap();
    assert!(fake.reviews_of("acme/shop").is_empty());

    // Back online: delivered by the background sync, once.
    fake.set_offline(false);
    let deadline = std::time::Instant::now() + WAIT;
    while fake.reviews_of("acme/shop").is_empty() || fake.comments_of("acme/shop").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the review reaches GitHub"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await; // two more syncs
    let reviews = fake.reviews_of("acme/shop");
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["state"], "COMMENTED");
    let body = reviews[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with("Cents everywhere downstream?"),
        "the person's words (then the outbox's marker): {body}"
    );
    let comments = fake.comments_of("acme/shop");
    assert_eq!(comments.len(), 1, "one summary comment: {comments:?}");
    assert!(
        comments[0]["issue_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/issues/{number}"))
    );
    app.close().await.unwrap();
}
