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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intent_branch_commit_and_push_from_the_changes_pane() {
    let fixture = tempfile::tempdir().unwrap();
    let script = r#"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
        git init -q -b main src && cd src
        printf 'name: sales\nversion: "1.0"\n' > dbt_project.yml
        mkdir models && echo "select 1 as id" > models/orders.sql
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
    let bare = fixture.path().join("sales.git");

    let (_dir, launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    // Who commits: set in Settings.
    app.set_identity("Grace Analyst", "grace@example.com")
        .await
        .unwrap();

    app.click("nav-domains").await.unwrap();
    app.type_into("add-source", &format!("file://{}", bare.display()))
        .await
        .unwrap();
    app.click("add-submit").await.unwrap();
    let row = "[data-testid='workspace-row'][data-name='sales'] [data-testid='workspace-open']";
    app.click_css(row).await.unwrap();
    app.wait_for_css("[data-testid='fetch-status'][data-ok='true']", WAIT)
        .await
        .expect("the domain fetches when opened");
    assert_eq!(app.text("current-branch").await.unwrap(), "main");

    app.click("domain-changes").await.unwrap();
    app.type_into("intent-slug", "add-notes").await.unwrap();
    app.click("intent-create").await.unwrap();
    app.wait_for_text("current-branch", "intent/add-notes", WAIT)
        .await
        .unwrap();

    let clone = launch.workspace_root.join("sales");
    std::fs::write(
        clone.join("models/orders.sql"),
        "select 1 as id, 'note' as note\n",
    )
    .unwrap();
    app.wait_for_css(
        "[data-testid='change-row'][data-path='models/orders.sql'][data-change='modified']",
        WAIT,
    )
    .await
    .expect("an edit on disk shows in the changes without a reload");
    app.type_into("commit-message", "Add a note column")
        .await
        .unwrap();
    app.click("commit-submit").await.unwrap();
    app.wait_for("change-row-none", WAIT)
        .await
        .expect("the commit leaves nothing uncommitted");
    app.click("push-submit").await.unwrap();
    app.wait_for_css(
        "[data-testid='branch-option'][value='intent/add-notes']",
        WAIT,
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    let log = loop {
        let out = Command::new("git")
            .args([
                "--git-dir",
                &bare.display().to_string(),
                "log",
                "-1",
                "--format=%s|%ae",
                "intent/add-notes",
            ])
            .output()
            .unwrap();
        if out.status.success() || std::time::Instant::now() > deadline {
            break String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        log, "Add a note column|grace@example.com",
        "the bare remote has the commit, by the configured identity"
    );
    app.click("compare-default").await.unwrap();
    app.wait_for_css(
        "[data-testid='branch-diff-row'][data-path='models/orders.sql']",
        WAIT,
    )
    .await
    .unwrap();
    app.screenshot("domain-changes").await.unwrap();
    app.close().await.unwrap();
}

/// Registering as people do: a folder with a trailing slash, then the same folder without one is
/// refused in plain words and what was typed stays; a dbt project in a subfolder is found; a
/// clone without a remote says "no remote" rather than a libgit2 code; the workspace can be
/// removed (after a confirmation) and its folder stays. Its dbt project folder can be changed
/// after registration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_registers_once_says_no_remote_and_can_be_removed() {
    let fixture = tempfile::tempdir().unwrap();
    crate::git_fixture(
        fixture.path(),
        r#"
        git init -q -b main analytics && cd analytics
        mkdir -p transform/models
        printf 'name: analytics\nversion: "1.0"\nprofile: analytics\n' > transform/dbt_project.yml
        echo "select 1 as id" > transform/models/orders.sql
        git add . && git commit -q -m "analytics"
    "#,
    );
    let folder = fixture.path().join("analytics");
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.type_into("add-source", &format!("{}/", folder.display()))
        .await
        .unwrap();
    app.type_into("add-name", "Team Analytics").await.unwrap();
    app.click("add-submit").await.unwrap();
    let row = "[data-testid='workspace-row'][data-name='team-analytics']";
    app.wait_for_css(row, WAIT)
        .await
        .expect("a name with spaces becomes a slug");
    assert_eq!(
        app.text("workspace-project-dir").await.unwrap(),
        "dbt project in transform/"
    );

    let again = folder.display().to_string();
    app.type_into("add-source", &again).await.unwrap();
    app.click("add-submit").await.unwrap();
    app.wait_for("add-error", WAIT).await.unwrap();
    let error = app.text("add-error").await.unwrap();
    assert!(
        error.contains("already registered as team-analytics"),
        "said plainly: {error}"
    );
    let kept = app
        .client()
        .execute(
            "return document.querySelector(\"[data-testid='add-source']\").value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept.as_str(), Some(again.as_str()), "what was typed stays");
    app.screenshot("registration-twice").await.unwrap();

    // The project moves to another folder after registration: said in the row, in place; a
    // folder without a project is refused there, and the Domain page reads the new one.
    std::fs::create_dir_all(folder.join("warehouse/models")).unwrap();
    std::fs::write(
        folder.join("warehouse/dbt_project.yml"),
        "name: warehouse\nversion: \"1.0\"\nprofile: warehouse\n",
    )
    .unwrap();
    app.click_css(&format!("{row} [data-testid='project-dir-edit']"))
        .await
        .unwrap();
    app.wait_for("project-dir-input", WAIT).await.unwrap();
    app.type_into("project-dir-input", "nowhere").await.unwrap();
    app.click("project-dir-save").await.unwrap();
    let refused = app
        .wait_for("project-dir-error", WAIT)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("nowhere"), "{refused}");
    let input = app.find("project-dir-input").await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("warehouse").await.unwrap();
    app.click("project-dir-save").await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.text("workspace-project-dir").await.unwrap_or_default() != "dbt project in warehouse/"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the row says the new folder"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The clone has no remote: the Domain page says so in two words.
    app.click_css(&format!("{row} [data-testid='workspace-open']"))
        .await
        .unwrap();
    app.wait_for_text("domain-project-name", "warehouse", WAIT)
        .await
        .expect("the domain reads the project from its new folder");
    app.wait_for_css("[data-testid='fetch-status'][data-state='no remote']", WAIT)
        .await
        .expect("no remote, in plain words");
    assert_eq!(app.text("fetch-status").await.unwrap(), "no remote");
    app.click("domain-back").await.unwrap();

    app.click_css(&format!("{row} [data-testid='workspace-remove']"))
        .await
        .unwrap();
    let asked = app.text("workspace-remove-confirm").await.unwrap();
    assert!(asked.contains("stays on disk"), "{asked}");
    app.click("workspace-remove-yes").await.unwrap();
    app.wait_absent_css(row, WAIT)
        .await
        .expect("the workspace is gone from the list");
    assert!(
        folder.join("transform/dbt_project.yml").is_file(),
        "its folder stays on disk"
    );
    app.close().await.unwrap();
}
