//! Open domains: the index of a real clone, kept current by the file watcher.

use std::sync::mpsc;
use std::time::Duration;

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_protocol::{ErrorCode, NodeKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_re_indexes_edits_and_tells_subscribers() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (tx, rx) = mpsc::channel();
    let summary = studio
        .domains()
        .open_domain(&demo.id, move |e| tx.send(e.revision).is_ok())
        .await
        .unwrap();
    assert_eq!(summary.project_name.as_deref(), Some("demo_crm"));
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    assert!(
        summary
            .files
            .iter()
            .any(|f| f == "models/marts/account_pipeline.sql")
    );

    std::fs::write(
        demo.path.join("models/marts/broken.sql"),
        "select 1\nfrom {{ ref('nope') }}\n",
    )
    .unwrap();
    let revision = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the watcher reports a new revision");
    assert!(revision >= 1);
    let summary = studio.domains().domain_summary(&demo.id).await.unwrap();
    let problem = summary
        .problems
        .iter()
        .find(|p| p.code == "unknown_ref")
        .expect("the broken ref is a problem");
    assert_eq!(
        (problem.file.as_str(), problem.line),
        ("models/marts/broken.sql", 2)
    );

    let detail = studio
        .domains()
        .node_detail(&demo.id, "model.demo_crm.account_pipeline".into())
        .await
        .unwrap();
    assert!(detail.contract_enforced);
    assert!(
        detail
            .parents
            .iter()
            .any(|p| p.unique_id == "model.demo_crm.stg_crm__accounts")
    );
    assert!(
        !detail.tests.is_empty(),
        "tests attached to the mart are listed"
    );
    let lineage = studio
        .domains()
        .lineage(&demo.id, "model.demo_crm.account_pipeline".into(), 3, 3)
        .await
        .unwrap();
    assert!(
        lineage
            .nodes
            .iter()
            .any(|n| n.kind == NodeKind::Source && n.rank < 0),
        "lineage reaches the sources upstream"
    );
    assert!(
        lineage.nodes.iter().all(|n| n.kind != NodeKind::Test),
        "tests are not drawn"
    );

    let hits = studio
        .domains()
        .search_nodes(&demo.id, "accounts".into())
        .await
        .unwrap();
    let kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(
        &kinds[..2],
        ["source", "model"],
        "the exact name (source table `accounts`) first, then the model: {hits:?}"
    );
    assert!(
        kinds[2..].iter().all(|k| *k == "test"),
        "substring matches rank models before tests: {kinds:?}"
    );
    let file = studio
        .domains()
        .domain_file(&demo.id, "models/marts/broken.sql".into())
        .await
        .unwrap();
    assert_eq!(file.problems.len(), 1);
    assert_eq!(
        studio
            .domains()
            .domain_file(&demo.id, "../../etc/passwd".into())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "files outside the clone are refused"
    );
    assert_eq!(
        studio
            .domains()
            .node_detail(&demo.id, "model.demo_crm.nope".into())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::NotFound),
        "a node the index does not hold is not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_project_does_not_count_as_a_change() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (tx, rx) = mpsc::channel();
    studio
        .domains()
        .open_domain(&demo.id, move |e| tx.send(e.revision).is_ok())
        .await
        .unwrap();
    for _ in 0..3 {
        studio
            .domains()
            .node_detail(&demo.id, "model.demo_crm.account_pipeline".into())
            .await
            .unwrap();
        studio
            .domains()
            .domain_file(&demo.id, "models/marts/account_pipeline.sql".into())
            .await
            .unwrap();
    }
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(800)),
        Err(mpsc::RecvTimeoutError::Timeout),
        "reading files (the index and the UI do) must not make the watcher re-index"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_domain_again_replaces_the_older_subscriber() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (old_tx, old_rx) = mpsc::channel();
    studio
        .domains()
        .open_domain(&demo.id, move |e| old_tx.send(e.revision).is_ok())
        .await
        .unwrap();
    // The page is left and opened again: a new subscriber, the old one never hears again.
    let (tx, rx) = mpsc::channel();
    studio
        .domains()
        .open_domain(&demo.id, move |e| tx.send(e.revision).is_ok())
        .await
        .unwrap();
    std::fs::write(demo.path.join("models/marts/extra.sql"), "select 1 as x\n").unwrap();
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the newest subscriber hears the change");
    assert!(
        matches!(
            old_rx.recv_timeout(Duration::from_millis(300)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        ),
        "the older forwarder is gone (its callback dropped), not merely quiet"
    );
}

/// The node view lists the columns the SQL selects beside the documented ones (each says which it
/// is), and search finds a model by one of its columns, documented or only selected by its SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_come_from_the_sql_too_and_search_finds_columns() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let detail = studio
        .domains()
        .node_detail(&demo.id, "model.demo_crm.stg_crm__contacts".into())
        .await
        .unwrap();
    let email = detail.columns.iter().find(|c| c.name == "email").unwrap();
    assert!(email.documented && email.in_sql, "{email:?}");

    std::fs::write(
        demo.path.join("models/marts/contact_emails.sql"),
        "select contact_id, email, upper(email)::varchar as email_shouted\nfrom {{ ref('stg_crm__contacts') }}\n",
    )
    .unwrap();
    let uid = "model.demo_crm.contact_emails".to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let detail = loop {
        if let Ok(d) = studio.domains().node_detail(&demo.id, uid.clone()).await {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new model is indexed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let names: Vec<(&str, bool, bool)> = detail
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.documented, c.in_sql))
        .collect();
    assert_eq!(
        names,
        [
            ("contact_id", false, true),
            ("email", false, true),
            ("email_shouted", false, true)
        ],
        "the SQL's columns, undocumented"
    );
    let types: Vec<Option<&str>> = detail
        .columns
        .iter()
        .map(|c| c.data_type.as_deref())
        .collect();
    assert_eq!(
        types,
        [None, None, Some("varchar")],
        "a type the SQL states by a cast is shown"
    );

    let found = studio
        .domains()
        .search_nodes(&demo.id, "job_title".into())
        .await
        .unwrap();
    let contacts = found
        .iter()
        .find(|r| r.unique_id == "model.demo_crm.stg_crm__contacts")
        .expect("found by its documented column");
    assert_eq!(contacts.matched_column.as_deref(), Some("job_title"));

    let found = studio
        .domains()
        .search_nodes(&demo.id, "shouted".into())
        .await
        .unwrap();
    let emails = found
        .iter()
        .find(|r| r.unique_id == uid)
        .expect("found by a column only its SQL names");
    assert_eq!(emails.matched_column.as_deref(), Some("email_shouted"));
}
