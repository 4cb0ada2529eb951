//! Registering a repository from the Domains page: a file:// remote is cloned with a progress bar
//! and appears in the list; an unusable source is explained.

use std::process::Command;
use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_remote_is_cloned_with_progress_and_listed() {
    let fixture = tempfile::tempdir().unwrap();
    let script = r#"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
        git init -q -b main src && cd src
        printf 'name: sales\nversion: "1.0"\n' > dbt_project.yml
        mkdir models && for i in $(seq 1 30); do echo "select $i as id" > models/m$i.sql; done
        git add . && git commit -q -m "sales domain" && cd ..
        git clone -q --bare src sales.git
    "#;
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(fixture.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(ok.success());

    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.type_into("add-source", "file:///no/such/repo.git")
        .await
        .unwrap();
    app.click("add-submit").await.unwrap();
    app.wait_for("add-error", WAIT).await.unwrap();
    let error = app.text("add-error").await.unwrap();
    assert!(
        error.contains("cannot clone"),
        "a failed clone is explained: {error}"
    );

    let source = app.find("add-source").await.unwrap();
    source.clear().await.unwrap();
    source
        .send_keys(&format!(
            "file://{}",
            fixture.path().join("sales.git").display()
        ))
        .await
        .unwrap();
    app.click("add-submit").await.unwrap();
    app.wait_for_css("[data-testid='workspace-row'][data-name='sales']", WAIT)
        .await
        .expect("the new clone is listed");
    let bar = "[data-testid='clone-progress']";
    let (received, total) = (
        app.attr_css(bar, "data-received").await.unwrap(),
        app.attr_css(bar, "data-total").await.unwrap(),
    );
    assert!(
        total != "0" && received == total,
        "the clone showed a progress bar that reached the end: {received}/{total}"
    );
    assert!(
        launch.workspace_root.join("sales/models/m30.sql").is_file(),
        "the clone is on disk under the workspace root"
    );
    app.screenshot("domains-added").await.unwrap();
    app.close().await.unwrap();
}
