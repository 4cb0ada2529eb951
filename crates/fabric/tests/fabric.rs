//! The Fabric client against the fake Fabric (`vibedata_fakes::fabric`): paging through a
//! 2,000-workspace listing, a long-running item creation polled to its result, a failed
//! operation's errorCode, a 429 burst waited out for its Retry-After, 5xx and dropped
//! connections retried, errors typed with Fabric's errorCode, a refused token said.

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use vibedata_fabric::{Client, FabricError};
use vibedata_fakes::fabric::FakeFabric;
use vibedata_secrets::Sensitive;

fn client(fake: &FakeFabric) -> Client {
    let mut c = Client::new(
        &fake.base_url(),
        Sensitive::new("eyJ0eXAi.fabric.token".into()),
    )
    .unwrap();
    c.backoff = Duration::from_millis(10);
    c
}

#[tokio::test]
async fn a_long_listing_is_read_page_by_page() {
    let fake = FakeFabric::start().await;
    fake.add_workspaces(2_000);
    fake.page_size(100);
    let all = client(&fake).workspaces().await.unwrap();
    assert_eq!(all.len(), 2_000);
    assert_eq!(all[1_999].display_name, "ws-2000");
    assert_eq!(fake.requests().len(), 20, "one request per page");
    let ids: std::collections::HashSet<_> = all.iter().map(|w| &w.id).collect();
    assert_eq!(ids.len(), 2_000, "nothing twice, nothing skipped");
}

#[tokio::test]
async fn an_item_is_created_through_its_long_running_operation() {
    let fake = FakeFabric::start().await;
    let c = client(&fake);
    let ws = c
        .create_workspace("intent-silver-customers", Some("cap-1"))
        .await
        .unwrap();
    assert_eq!(ws.capacity_id.as_deref(), Some("cap-1"));
    fake.operations(2, false);
    let item = c.create_item(&ws.id, "bronze", "Lakehouse").await.unwrap();
    assert_eq!(
        (item.display_name.as_str(), item.kind.as_str()),
        ("bronze", "Lakehouse")
    );
    assert_eq!(item.workspace_id, ws.id);
    let polls = fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/operations/") && !r.path.ends_with("/result"))
        .count();
    assert_eq!(polls, 3, "two Running, then Succeeded");
    assert_eq!(c.items(&ws.id).await.unwrap(), [item]);

    // A failed operation is an error with its errorCode.
    fake.operations(0, true);
    let failed = c
        .create_item(&ws.id, "bronze", "Lakehouse")
        .await
        .unwrap_err();
    assert_eq!(
        failed.code(),
        Some("ItemDisplayNameAlreadyInUse"),
        "{failed}"
    );
}

#[tokio::test]
async fn throttling_is_waited_out_for_its_retry_after() {
    let fake = FakeFabric::start().await;
    fake.add_workspaces(3);
    fake.throttle(3, 1);
    let started = Instant::now();
    let all = client(&fake).workspaces().await.unwrap();
    let took = started.elapsed();
    assert_eq!(all.len(), 3);
    assert!(
        took >= Duration::from_secs(3),
        "waited the Retry-After sum: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "and not much more: {took:?}");
    // Throttled past the allowed wait: said, not hung.
    fake.throttle(10, 1);
    let mut c = client(&fake);
    c.max_wait = Duration::from_secs(2);
    let e = c.workspaces().await.unwrap_err();
    assert!(matches!(e, FabricError::Throttled { .. }), "{e}");
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried_then_said() {
    let fake = FakeFabric::start().await;
    fake.add_workspaces(1);
    fake.server_errors(2);
    assert_eq!(client(&fake).workspaces().await.unwrap().len(), 1);
    fake.drop_connections(2);
    assert_eq!(client(&fake).workspaces().await.unwrap().len(), 1);
    fake.server_errors(10);
    let e = client(&fake).workspaces().await.unwrap_err();
    assert_eq!(e.code(), Some("InternalServerError"), "{e}");
}

#[tokio::test]
async fn errors_carry_fabric_s_error_code_and_a_refused_token_asks_to_sign_in() {
    let fake = FakeFabric::start().await;
    let c = client(&fake);
    c.create_workspace("prod-crm", None).await.unwrap();
    let e = c.create_workspace("prod-crm", None).await.unwrap_err();
    assert_eq!(e.code(), Some("WorkspaceNameAlreadyExists"));
    assert!(matches!(e, FabricError::Api { status: 409, .. }), "{e}");
    let missing = c.items("no-such-workspace").await.unwrap_err();
    assert_eq!(missing.code(), Some("WorkspaceNotFound"));
    let anonymous = Client::new(&fake.base_url(), Sensitive::new(String::new())).unwrap();
    let refused = anonymous.workspaces().await.unwrap_err();
    assert!(
        refused.to_string().contains("sign in to Fabric again"),
        "{refused}"
    );
    // The token never appears in what the client prints.
    assert!(!format!("{c:?}").contains("fabric.token"));
}

#[tokio::test]
async fn an_operation_stuck_past_its_time_limit_ends_in_a_clear_state() {
    let fake = FakeFabric::start().await;
    fake.add_workspaces(1);
    let ws = client(&fake).workspaces().await.unwrap()[0].id.clone();
    // Fabric says "Running" for ever (here: far more polls than the limit allows).
    fake.operations(100_000, false);
    let mut c = client(&fake);
    c.poll_timeout = std::time::Duration::from_millis(300);
    let err = c.create_item(&ws, "stuck", "Lakehouse").await.unwrap_err();
    assert_eq!(err.code(), Some("Timeout"), "{err}");
    assert!(err.to_string().contains("still running after"), "{err}");
    // A job stuck in progress: the follower stops at its limit and says how it stands.
    fake.operations(0, false);
    let item = c.create_item(&ws, "dbt", "DataBuildToolJob").await.unwrap();
    fake.jobs(100_000, None);
    let job = c.run_job(&ws, &item.id, "execute").await.unwrap();
    let err = c
        .follow_job(
            &ws,
            &item.id,
            &job,
            std::time::Duration::from_millis(500),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("still InProgress"), "{err}");
    c.cancel_job(&ws, &item.id, &job).await.unwrap();
    assert_eq!(
        c.job_instance(&ws, &item.id, &job).await.unwrap().status,
        "Cancelled"
    );
}
