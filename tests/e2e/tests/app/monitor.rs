//! The Monitor on the demo domain, offline on the first start: its generated sixty days — the
//! charts with their expected bands and the two flagged points (the volume drop, the late load),
//! the runs timeline with the two failed runs, the failing test and its open incident (kept
//! here: the demo has no GitHub repository), the anomalies' incidents resolved.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_monitor_shows_charts_flagged_points_and_the_open_incident() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("nav-monitor").await.unwrap();
    app.wait_for("monitor-chart", WAIT)
        .await
        .expect("the demo's charts are drawn");
    let charts = app.find_all("monitor-chart").await.unwrap();
    assert_eq!(charts.len(), 4, "three row counts and a freshness lag");
    let drop = "[data-testid='monitor-chart'][data-table='silver.stg_crm__opportunities'][data-metric='row_count']";
    assert_eq!(app.attr_css(drop, "data-flagged").await.unwrap(), "1");
    let late = "[data-testid='monitor-chart'][data-table='crm.opportunities'][data-metric='freshness_lag_hours']";
    assert_eq!(app.attr_css(late, "data-flagged").await.unwrap(), "1");
    let quiet = "[data-testid='monitor-chart'][data-table='silver.stg_crm__accounts'][data-metric='row_count']";
    assert_eq!(app.attr_css(quiet, "data-flagged").await.unwrap(), "0");
    // A flagged point says its value and its band when hovered.
    let title = app
        .client()
        .execute(
            &format!("return document.querySelector(\"{drop} [data-testid='anomaly-point'] title\").textContent;"),
            vec![],
        )
        .await
        .unwrap();
    let title = title.as_str().unwrap_or_default().to_string();
    assert!(
        title.contains("expected") && title.contains("anomaly"),
        "{title}"
    );
    // The runs: sixty, the last two failed.
    assert_eq!(app.find_all("monitor-run").await.unwrap().len(), 60);
    let failed = app
        .client()
        .execute(
            "return document.querySelectorAll(\"[data-testid='monitor-run'].run-failed\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(failed, serde_json::json!(2));
    // The failing test and its incident, open and kept here; the anomalies' incidents over.
    app.wait_for_css(
        "[data-testid='monitor-failing'][data-node^='test.demo_crm.accepted_values_stg_crm__accounts_industry']",
        WAIT,
    )
    .await
    .unwrap();
    let open = "[data-testid='monitor-incident'][data-state='firing'][data-root='model.demo_crm.stg_crm__accounts']";
    app.wait_for_css(&format!("{open} [data-testid='incident-local']"), WAIT)
        .await
        .expect("the open incident, kept here");
    let resolved = app
        .client()
        .execute(
            "return document.querySelectorAll(\"[data-testid='monitor-incident'][data-state='resolved']\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(resolved, serde_json::json!(2));
    app.screenshot("monitor-demo").await.unwrap();

    // A person's silence: one that would silence everything is refused, said where it happened;
    // a named one is listed active, then ended.
    app.type_into("silence-matchers", "node=*").await.unwrap();
    app.type_into("silence-comment", "too broad").await.unwrap();
    app.click("silence-create").await.unwrap();
    app.wait_for_text("silence-error", "everything", WAIT)
        .await
        .expect("the refusal is said");
    let matchers = app.find("silence-matchers").await.unwrap();
    matchers.clear().await.unwrap();
    matchers
        .send_keys("node=model.demo_crm.stg_crm__accounts")
        .await
        .unwrap();
    let comment = app.find("silence-comment").await.unwrap();
    comment.clear().await.unwrap();
    comment
        .send_keys("known: the CRM vendor fixes industries tomorrow")
        .await
        .unwrap();
    app.click("silence-create").await.unwrap();
    app.wait_for_css("[data-testid='monitor-silence'][data-active='true']", WAIT)
        .await
        .expect("the silence is listed, active");
    app.click("silence-expire").await.unwrap();
    app.wait_for_css("[data-testid='monitor-silence'][data-active='false']", WAIT)
        .await
        .expect("ended, and still listed");
    app.close().await.unwrap();
}

/// A domain on GitHub (the fake): a dbt run in its checkout with a failing test is read by the
/// app's watcher, becomes one incident and one issue (through the outbox), shown on the Monitor
/// linked to the Inbox, where the issue is marked as an incident with its signals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_run_becomes_an_incident_issue_linked_from_the_monitor_to_the_inbox() {
    use vibedata_e2e::{App, Launch};
    use vibedata_fakes::github::FakeGitHub;
    const TOKEN: &str = "ghp_e2e_monitor_token_81c0";

    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_repo("acme/shop");
    let fixture = tempfile::tempdir().unwrap();
    crate::git_fixture(
        fixture.path(),
        r#"
        git init -q -b main shop && cd shop
        mkdir -p models seeds
        printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
        printf 'shop:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: .vibedata/local/warehouse.duckdb\n      threads: 1\n' > profiles.yml
        printf 'target/\n.vibedata/\nlogs/\n' > .gitignore
        printf 'id,status\n1,ok\n2,ok\n3,weird\n' > seeds/raw_orders.csv
        echo "select id, status from {{ ref('raw_orders') }}" > models/stg_orders.sql
        printf 'version: 2\nmodels:\n  - name: stg_orders\n    columns:\n      - name: status\n        data_tests:\n          - accepted_values:\n              arguments:\n                values: [ok]\n' > models/_m.yml
        git add . && git commit -q -m shop
        mkdir -p ../served/acme && git init -q --bare -b main ../served/acme/shop.git
        git push -q ../served/acme/shop.git main
    "#,
    );
    fake.serve_git(&fixture.path().join("served"));

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
        .unwrap();

    // The person runs dbt in their checkout; a test fails.
    let venv = std::env::var_os("VIBEDATA_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap())
                .join(".local/share/vibedata-studio/venv")
        });
    let clone = launch.workspace_root.join("shop");
    std::fs::create_dir_all(clone.join(".vibedata/local")).unwrap();
    let build = std::process::Command::new(venv.join("bin/dbt"))
        .args(["build", "--profiles-dir", "."])
        .current_dir(&clone)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&build.stdout);
    assert!(
        !build.status.success() && said.contains("accepted_values"),
        "the accepted_values test fails: {said}"
    );

    // The watcher reads the run; the outbox opens one issue.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while fake.issues_of("acme/shop").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the incident's issue is opened"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let issues = fake.issues_of("acme/shop");
    assert_eq!(issues.len(), 1);
    let number = issues[0]["number"].as_u64().unwrap();

    app.click("nav-monitor").await.unwrap();
    app.wait_for("monitor-workspace", WAIT).await.unwrap();
    let link =
        "[data-testid='monitor-incident'][data-state='firing'] [data-testid='incident-issue']";
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        app.client()
            .execute(
                "const s = document.querySelector(\"[data-testid='monitor-workspace']\");\n\
                 const o = [...s.options].find(o => o.text === 'shop');\n\
                 s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![],
            )
            .await
            .unwrap();
        if app.wait_for_css(link, Duration::from_secs(3)).await.is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the incident links its issue"
        );
    }
    let text = app
        .client()
        .execute(
            &format!("return document.querySelector(\"{link}\").innerText;"),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        text.as_str()
            .unwrap_or_default()
            .contains(&format!("acme/shop#{number}")),
        "{text}"
    );
    app.screenshot("monitor-incident-linked").await.unwrap();

    app.click_css(link).await.unwrap();
    let row = format!("[data-testid='inbox-issue'][data-number='{number}']");
    app.wait_for_css(
        &format!("{row} [data-testid='inbox-incident']"),
        Duration::from_secs(30),
    )
    .await
    .expect("the Inbox marks the incident issue");
    app.click_css(&row).await.unwrap();
    app.wait_for_css(
        "[data-testid='issue-incident'][data-state='firing'] [data-testid='incident-signal']",
        WAIT,
    )
    .await
    .expect("the issue shows its incident's signals");
    app.screenshot("inbox-incident-issue").await.unwrap();
    app.close().await.unwrap();
}
