use crate::{FIRST_START, launch_fresh};
use vibedata_e2e::{App, DEFAULT_WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_domains_page_shows_the_demo_domain_on_first_start() {
    let (_dir, launch, app) = launch_fresh().await;
    let row = app.wait_for("workspace-row", FIRST_START).await.unwrap();
    assert_eq!(
        row.attr("data-name").await.unwrap().as_deref(),
        Some("demo-crm"),
        "the first start registers the demo domain"
    );
    assert_eq!(app.text("workspace-branch").await.unwrap(), "main");
    let commit = app.text("workspace-commit").await.unwrap();
    assert!(
        commit.contains("Demo CRM domain"),
        "last commit shown: {commit}"
    );
    let path = app.text("workspace-path").await.unwrap();
    assert!(
        path.starts_with(&launch.workspace_root.display().to_string()),
        "the clone lives under the workspace root: {path}"
    );
    app.wait_absent("workspace-problem", DEFAULT_WAIT)
        .await
        .expect("the demo is healthy (warehouse loaded)");
    let shot = app.screenshot("domains-demo").await.unwrap();
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "a real screenshot"
    );
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_keeps_state_in_the_same_sqlite_file() {
    let (_dir, launch, app) = launch_fresh().await;
    let id = app
        .wait_for("workspace-row", FIRST_START)
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap();
    app.close().await.unwrap();
    let db = launch.database();
    assert!(
        db.is_file(),
        "the store is a file in the data dir: {}",
        db.display()
    );
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap());

    let app = App::launch(&launch).await.unwrap();
    let again = app
        .wait_for("workspace-row", FIRST_START)
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap();
    assert_eq!(
        id, again,
        "the same workspace record comes back after a restart"
    );
    assert_eq!(
        inode,
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap()),
        "the same SQLite file is reused, not recreated"
    );
    app.close().await.unwrap();
}
