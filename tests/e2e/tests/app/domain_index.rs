//! The Domain page on the demo domain: search a model, open its lineage, click a parent, and see a
//! broken ref written to disk show up in the problems list without any reload.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

fn node(testid: &str, uid: &str) -> String {
    format!("[data-testid='{testid}'][data-uid='{uid}']")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_lineage_navigation_and_live_problems_on_the_demo_domain() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.wait_for("domain-view", WAIT).await.unwrap();
    app.wait_for("coverage-total", WAIT).await.unwrap();
    app.wait_for("problems-none", WAIT)
        .await
        .expect("the demo domain indexes without problems");

    // Search a model and open it.
    app.type_into("node-search", "account_pipe").await.unwrap();
    let mart = "model.demo_crm.account_pipeline";
    app.click_css(&node("search-result", mart)).await.unwrap();
    app.wait_for_css(&node("node-view", mart), WAIT)
        .await
        .unwrap();
    let sql = app.text("node-sql").await.unwrap();
    assert!(
        sql.contains("ref('stg_crm__accounts')"),
        "the model view shows its SQL: {sql}"
    );
    assert!(
        app.find("node-contract").await.is_ok(),
        "the mart's enforced contract is shown"
    );

    // Its lineage: a parent drawn upstream; clicking it opens the parent.
    let parent = "model.demo_crm.stg_crm__accounts";
    let drawn = app
        .wait_for_css(&node("lineage-node", parent), WAIT)
        .await
        .unwrap();
    assert_eq!(
        drawn.attr("data-relation").await.unwrap().as_deref(),
        Some("upstream")
    );
    app.screenshot("domain-lineage").await.unwrap();
    app.click_css(&node("lineage-node", parent)).await.unwrap();
    app.wait_for_css(&node("node-view", parent), WAIT)
        .await
        .expect("clicking a parent in the graph opens it");
    app.wait_for_css(&node("lineage-node", "source.demo_crm.crm.accounts"), WAIT)
        .await
        .expect("the parent's own lineage reaches its source");

    // A broken ref written on disk reaches the problems list through the watcher, no reload.
    let revision_before = app
        .find("domain-view")
        .await
        .unwrap()
        .attr("data-revision")
        .await
        .unwrap();
    let clone = launch.workspace_root.join("demo-crm");
    std::fs::write(
        clone.join("models/marts/broken.sql"),
        "select *\nfrom {{ ref('no_such_model') }}\n",
    )
    .unwrap();
    app.click("domain-overview").await.unwrap();
    let row = app
        .wait_for_css("[data-testid='problem-row'][data-code='unknown_ref']", WAIT)
        .await
        .expect("the watcher re-indexes and the UI shows the new problem");
    assert_eq!(
        row.attr("data-file").await.unwrap().as_deref(),
        Some("models/marts/broken.sql")
    );
    assert_eq!(row.attr("data-line").await.unwrap().as_deref(), Some("2"));
    let revision_after = app
        .find("domain-view")
        .await
        .unwrap()
        .attr("data-revision")
        .await
        .unwrap();
    assert_ne!(
        revision_before, revision_after,
        "the index revision moved on"
    );

    // The problem links to its file and line.
    app.click_css("[data-testid='problem-link']").await.unwrap();
    app.wait_for("file-line-current", WAIT).await.unwrap();
    assert!(
        app.text("file-line-current")
            .await
            .unwrap()
            .contains("no_such_model")
    );
    app.screenshot("domain-problem").await.unwrap();

    // Fixing the file clears the problem, again without a reload.
    std::fs::remove_file(clone.join("models/marts/broken.sql")).unwrap();
    app.click("domain-overview").await.unwrap();
    app.wait_for("problems-none", WAIT)
        .await
        .expect("removing the file clears the problem");
    app.close().await.unwrap();
}

/// A branch switch that git refuses (uncommitted changes) says why where it was asked, and the
/// branch menu shows the branch the clone is really on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_branch_switch_is_said_and_the_menu_stays_true() {
    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();
    app.click("nav-domains").await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.click("domain-changes").await.unwrap();
    app.type_into("intent-slug", "side-work").await.unwrap();
    app.click("intent-create").await.unwrap();
    let menu = "[data-testid='branch-select']";
    app.wait_for_css(&format!("{menu} option[value='intent/side-work']"), WAIT)
        .await
        .unwrap();
    // Uncommitted work on the intent branch, then an attempt to leave it.
    std::fs::write(
        launch.workspace_root.join("demo-crm/models/draft.sql"),
        "select 1 as id\n",
    )
    .unwrap();
    app.client()
        .execute(
            "const s = document.querySelector(\"[data-testid='branch-select']\");\n\
             s.value = 'main'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    app.wait_for_text("git-error", "uncommitted changes", WAIT)
        .await
        .expect("the refusal is said");
    let deadline = std::time::Instant::now() + WAIT;
    while menu_value(&app).await != "intent/side-work" {
        assert!(
            std::time::Instant::now() < deadline,
            "the menu shows the branch the clone is on"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.close().await.unwrap();
}

/// What the branch menu shows.
async fn menu_value(app: &vibedata_e2e::App) -> String {
    app.client()
        .execute(
            "return document.querySelector(\"[data-testid='branch-select']\").value;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Browsing: counts read as words ("6 models"), search finds a model by a column, and the node
/// view says which columns the SQL selects and which the YAML documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_columns_and_counts_read_as_words() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.wait_for_css("[data-testid='count'][data-kind='model']", WAIT)
        .await
        .unwrap();
    let models = app
        .attr_css("[data-testid='count'][data-kind='model']", "data-kind")
        .await
        .unwrap();
    assert_eq!(models, "model");
    let text = app
        .client()
        .execute(
            "return document.querySelector(\"[data-testid='count'][data-kind='model']\").innerText;",
            vec![],
        )
        .await
        .unwrap();
    let text = text.as_str().unwrap_or_default().to_string();
    assert!(text.ends_with("models"), "plural: {text}");
    app.type_into("node-search", "job_title").await.unwrap();
    let hit = "[data-testid='search-result'][data-uid='model.demo_crm.stg_crm__contacts']";
    app.wait_for_css(
        &format!("{hit} [data-testid='search-matched-column']"),
        WAIT,
    )
    .await
    .expect("found by its column");
    app.click_css(hit).await.unwrap();
    app.wait_for_css(
        "[data-testid='column-row'][data-name='email'][data-in-sql='true'][data-documented='true']",
        WAIT,
    )
    .await
    .unwrap();
    app.screenshot("domain-columns").await.unwrap();
    app.close().await.unwrap();
}

/// The file view colours SQL (keywords, Jinja) and opens the file in the person's editor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_coloured_and_opens_in_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    // Tests never start a real editor: the app says where the file is instead.
    let launch = vibedata_e2e::Launch::under(dir.path()).with_env("VIBEDATA_NO_BROWSER", "1");
    let app = vibedata_e2e::App::launch(&launch).await.unwrap();
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.type_into("node-search", "stg_crm__contacts")
        .await
        .unwrap();
    let hit = "[data-testid='search-result'][data-uid='model.demo_crm.stg_crm__contacts']";
    app.wait_for_css(hit, WAIT).await.unwrap();
    app.click_css(hit).await.unwrap();
    app.click("node-file").await.unwrap();
    app.wait_for_css("[data-testid='file-view'] .tok-kw", WAIT)
        .await
        .expect("SQL keywords are coloured");
    app.wait_for_css("[data-testid='file-view'] .tok-jinja", WAIT)
        .await
        .expect("Jinja is coloured");
    app.click("file-open-editor").await.unwrap();
    app.wait_for_text("file-opened", "stg_crm__contacts.sql", WAIT)
        .await
        .unwrap();
    app.screenshot("domain-file").await.unwrap();
    app.close().await.unwrap();
}
