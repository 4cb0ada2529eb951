//! Column lineage and lineage at scale on the Domain page: a model's column clicked shows the
//! upstream columns it derives from and the downstream columns it feeds (their nodes marked in
//! the graph); a model with 60 parents is drawn readable (its parents wrap into columns, no node
//! over another), dbt's depth selector narrows the graph, and search dims what does not match.

use std::time::Duration;

use crate::{FIRST_START, launch_fresh};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clicked_column_shows_its_upstream_and_downstream_columns() {
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.click("workspace-open").await.unwrap();
    app.type_into("node-search", "account_pipe").await.unwrap();
    let mart = "model.demo_crm.account_pipeline";
    app.click_css(&format!("[data-testid='search-result'][data-uid='{mart}']"))
        .await
        .unwrap();
    app.click_css("[data-testid='column-row'][data-name='won_revenue_usd']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='column-lineage'][data-name='won_revenue_usd']",
        WAIT,
    )
    .await
    .unwrap();
    let upstream = "model.demo_crm.stg_crm__opportunities";
    for column in ["amount_usd", "is_won"] {
        app.wait_for_css(
            &format!(
                "[data-testid='column-upstream'][data-uid='{upstream}'][data-column='{column}']"
            ),
            WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("{column} is upstream of won_revenue_usd: {e}"));
    }
    app.wait_for_css(
        &format!("[data-testid='lineage-node'][data-uid='{upstream}'].marked"),
        WAIT,
    )
    .await
    .expect("the upstream node is marked in the graph");
    app.screenshot("domain-column-lineage").await.unwrap();

    // From the upstream column, the other way: what it feeds.
    app.click_css(&format!(
        "[data-testid='column-upstream'][data-uid='{upstream}'] button"
    ))
    .await
    .unwrap();
    app.wait_for_css(
        &format!("[data-testid='node-view'][data-uid='{upstream}']"),
        WAIT,
    )
    .await
    .unwrap();
    app.click_css("[data-testid='column-row'][data-name='amount_usd']")
        .await
        .unwrap();
    app.wait_for_css(
        &format!(
            "[data-testid='column-downstream'][data-uid='{mart}'][data-column='won_revenue_usd']"
        ),
        WAIT,
    )
    .await
    .expect("amount_usd feeds the mart's won_revenue_usd");
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_with_sixty_parents_is_drawn_readable() {
    let fixture = tempfile::tempdir().unwrap();
    let mut script = String::from(
        "git init -q -b main wide && cd wide\n\
         printf 'name: wide\\nversion: \"1.0\"\\nprofile: wide\\n' > dbt_project.yml\n\
         mkdir models\n",
    );
    let mut union = Vec::new();
    for i in 0..60 {
        script.push_str(&format!(
            "echo 'select {i} as id' > models/part_{i:02}.sql\n"
        ));
        union.push(format!("select id from {{{{ ref('part_{i:02}') }}}}"));
    }
    std::fs::write(fixture.path().join("wide.sql"), union.join("\nunion all\n")).unwrap();
    script.push_str("mv ../wide.sql models/all_parts.sql\ngit add . && git commit -q -m wide\n");
    crate::git_fixture(fixture.path(), &script);
    let (_dir, _launch, app) = launch_fresh().await;
    app.wait_for("workspace-row", FIRST_START).await.unwrap();
    app.type_into(
        "add-source",
        &fixture.path().join("wide").display().to_string(),
    )
    .await
    .unwrap();
    app.click("add-submit").await.unwrap();
    let row = "[data-testid='workspace-row'][data-name='wide']";
    app.wait_for_css(row, WAIT).await.unwrap();
    app.click_css(&format!("{row} [data-testid='workspace-open']"))
        .await
        .unwrap();
    app.type_into("node-search", "all_parts").await.unwrap();
    app.click_css("[data-testid='search-result'][data-uid='model.wide.all_parts']")
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='lineage-node'][data-uid='model.wide.part_59']",
        WAIT,
    )
    .await
    .unwrap();
    // No node drawn over another; the 60 parents wrap into several columns.
    let boxes = "const r = [...document.querySelectorAll(\"[data-testid='lineage-node'] rect\")]\n\
                 .map(e => e.getBoundingClientRect());\n\
                 let overlaps = 0;\n\
                 for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {\n\
                   const a = r[i], b = r[j];\n\
                   if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;\n\
                 }\n\
                 const columns = new Set(r.map(b => Math.round(b.left))).size;\n\
                 return [r.length, overlaps, columns];";
    let v = app.client().execute(boxes, vec![]).await.unwrap();
    assert_eq!(v[0], serde_json::json!(61), "every parent is drawn: {v}");
    assert_eq!(v[1], serde_json::json!(0), "no node over another: {v}");
    assert!(
        v[2].as_u64().unwrap() >= 5,
        "the parents wrap into columns: {v}"
    );
    app.screenshot("lineage-sixty-parents").await.unwrap();

    // Search dims the others.
    app.type_into("lineage-search", "part_07").await.unwrap();
    app.wait_for_css(
        "[data-testid='lineage-node'][data-uid='model.wide.part_08'].dim",
        WAIT,
    )
    .await
    .unwrap();
    assert!(
        app.find_all("lineage-node").await.unwrap().len() == 61,
        "search dims, it does not remove"
    );
    // dbt's depth selector: nothing upstream.
    let depth = app.find("lineage-depth").await.unwrap();
    depth.clear().await.unwrap();
    depth.send_keys("all_parts+1").await.unwrap();
    app.client()
        .execute(
            "document.querySelector(\"[data-testid='lineage-depth-form']\").requestSubmit();",
            vec![],
        )
        .await
        .unwrap();
    app.wait_absent_css(
        "[data-testid='lineage-node'][data-uid='model.wide.part_00']",
        WAIT,
    )
    .await
    .expect("0 levels upstream draws no parent");
    app.close().await.unwrap();
}
