//! Long names and small windows: at 1000×700 and 1400×900 the navigation stays put, a 97-character
//! workspace name and a long intent title wrap inside their tables instead of pushing columns out,
//! and every page is usable. Screenshots of Domains, Domain, Studio and Inbox at both sizes land
//! in the artifacts folder (`layout-<page>-<width>x<height>.png`). Full texts show in the app's own
//! tooltip, which never sticks.

use std::time::Duration;

use vibedata_e2e::{App, Launch};

use crate::FIRST_START;

const WAIT: Duration = Duration::from_secs(30);

/// The right edge of `css` against the window's width (both in CSS pixels).
async fn right_edge(app: &App, css: &str) -> (f64, f64) {
    let script = "const el = document.querySelector(arguments[0]);\n\
                  return [el.getBoundingClientRect().right, window.innerWidth];";
    let v = app
        .client()
        .execute(script, vec![serde_json::Value::String(css.to_owned())])
        .await
        .unwrap();
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

/// The navigation is on screen (after the page was scrolled to its end).
async fn nav_visible(app: &App) -> bool {
    let script = "document.querySelector('.content').scrollTop = 100000;\n\
                  const r = document.querySelector(\"[data-testid='nav-inbox']\").getBoundingClientRect();\n\
                  return r.top >= 0 && r.bottom <= window.innerHeight;";
    app.client().execute(script, vec![]).await.unwrap() == serde_json::Value::Bool(true)
}

/// No native `title` tooltips anywhere (WebKitGTK leaves them stuck over rows that re-render):
/// the app's own tooltip shows the full text of a clamped name on hover, and goes when the
/// pointer leaves or when the element under the still pointer is gone.
async fn hover_texts_come_and_go(app: &App, row: &str, long_name: &str) {
    let titled = app
        .client()
        .execute(
            "return document.querySelectorAll('body [title], body title').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        titled,
        serde_json::json!(0),
        "no native tooltips in the page"
    );
    let name = format!("{row} [data-testid='workspace-name']");
    app.hover_css(&name).await.unwrap();
    let tip = app
        .wait_for("tooltip", WAIT)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tip, long_name, "the tooltip shows the whole name");
    app.hover_css("[data-testid='add-submit']").await.unwrap();
    app.wait_absent("tooltip", WAIT).await.unwrap();
    app.hover_css(&name).await.unwrap();
    app.wait_for("tooltip", WAIT).await.unwrap();
    // The page under the still pointer changes (as a list re-rendering does): the tip goes too.
    app.client()
        .execute(
            "document.querySelector(\"[data-testid='nav-skills']\").click();",
            vec![],
        )
        .await
        .unwrap();
    app.wait_absent("tooltip", Duration::from_secs(2))
        .await
        .unwrap();
    app.click("nav-domains").await.unwrap();
    app.wait_for_css(row, WAIT).await.unwrap();
}

async fn at_size(width: u32, height: u32) {
    let fixture = tempfile::tempdir().unwrap();
    crate::git_fixture(
        fixture.path(),
        r#"
        git init -q -b main repo && cd repo
        printf 'name: sales\nversion: "1.0"\nprofile: sales\n' > dbt_project.yml
        mkdir models && echo "select 1 as id" > models/orders.sql
        git add . && git commit -q -m "sales"
    "#,
    );
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path())
        .with_env("VIBEDATA_WINDOW_SIZE", &format!("{width}x{height}"))
        .with_env("VIBEDATA_INBOX_SYNC_SECS", "3600");
    let app = App::launch(&launch).await.unwrap();
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    let long_name = format!("{}-end", "quarterly-revenue-recognition".repeat(3))
        .chars()
        .take(97)
        .collect::<String>();
    app.type_into(
        "add-source",
        &fixture.path().join("repo").display().to_string(),
    )
    .await
    .unwrap();
    app.type_into("add-name", &long_name).await.unwrap();
    app.click("add-submit").await.unwrap();
    let row = format!("[data-testid='workspace-row'][data-name='{long_name}']");
    app.wait_for_css(&row, WAIT).await.unwrap();
    let (right, window) = right_edge(&app, &format!("{row} [data-testid='workspace-name']")).await;
    assert!(
        right <= window,
        "the long name stays in the window at {width}x{height}: {right} > {window}"
    );
    assert!(nav_visible(&app).await, "the navigation stays put");
    app.screenshot_sized(&format!("layout-domains-{width}x{height}"), width, height)
        .await
        .unwrap();
    hover_texts_come_and_go(&app, &row, &long_name).await;

    app.click_css(&format!("{row} [data-testid='workspace-open']"))
        .await
        .unwrap();
    app.wait_for("domain-back", WAIT).await.unwrap();
    assert!(nav_visible(&app).await);
    app.screenshot_sized(&format!("layout-domain-{width}x{height}"), width, height)
        .await
        .unwrap();

    app.click("nav-studio").await.unwrap();
    app.wait_for("page-studio", WAIT).await.unwrap();
    app.wait_for("intent-title", WAIT).await.unwrap();
    let title = format!(
        "Silver customers {}",
        "with their contacts, open pipeline, region and account owner ".repeat(4)
    );
    app.type_into("intent-title", &title).await.unwrap();
    app.click("intent-submit").await.unwrap();
    app.wait_for("intent-row", WAIT).await.unwrap();
    let (right, window) = right_edge(&app, "[data-testid='intent-row'] strong").await;
    assert!(
        right <= window,
        "the long title wraps at {width}x{height}: {right} > {window}"
    );
    app.screenshot_sized(&format!("layout-studio-{width}x{height}"), width, height)
        .await
        .unwrap();

    app.click("nav-inbox").await.unwrap();
    app.wait_for("page-inbox", WAIT).await.unwrap();
    assert!(nav_visible(&app).await);
    app.screenshot_sized(&format!("layout-inbox-{width}x{height}"), width, height)
        .await
        .unwrap();
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_names_fit_and_the_navigation_stays_at_1000x700() {
    at_size(1000, 700).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_names_fit_and_the_navigation_stays_at_1400x900() {
    at_size(1400, 900).await;
}
