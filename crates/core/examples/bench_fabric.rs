//! Fabric benchmarks against the fake Fabric (loopback), printed as a table:
//!
//! 1. a 429 burst: 500 operations at once, each first answered 429 with `Retry-After: 2` — zero may
//!    fail, and the wall time should stay within 10 % of the Retry-After on each call's path;
//!    then 5 operations in a row, each throttled once with `Retry-After: 1` (the sum: 5 s);
//! 2. listing a 2,000-item workspace in pages of 100 (`continuationToken`);
//! 3. an ephemeral workspace from nothing to a finished dbt run with 20 items imported from git:
//!    the requests made and the client-side time (the fake answers at once, so the time is ours).
//!
//! Usage: cargo run --release -p vibedata-core --example bench_fabric

// A benchmark: a failed setup step is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_fabric::Client;
use vibedata_fakes::fabric::{CONNECTION, FakeFabric};
use vibedata_protocol::fabric::{FabricLinkRequestDto, FabricSettingsDto};
use vibedata_secrets::Sensitive;

fn token() -> Sensitive<String> {
    Sensitive::new("eyJ0eXAi.bench.token".into())
}

fn row(what: &str, figure: String, note: String) {
    println!("| {what:<44} | {figure:>14} | {note} |");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("| benchmark | figure | note |");
    println!("|---|---:|---|");

    // 1a. A burst of 500 concurrent operations, every first answer a 429 (Retry-After: 2), and
    // the same 500 unthrottled: what the throttling added, against the 2 s it asked for.
    let burst = |throttled: bool| async move {
        let fake = FakeFabric::start().await;
        fake.add_workspaces(1);
        let client = Client::new(&fake.base_url(), token()).expect("client");
        if throttled {
            fake.throttle(500, 2);
        }
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..500 {
            let c = client.clone();
            tasks.spawn(async move { c.workspaces().await });
        }
        let mut failed = 0;
        while let Some(r) = tasks.join_next().await {
            if !matches!(r, Ok(Ok(_))) {
                failed += 1;
            }
        }
        (
            started.elapsed().as_secs_f64(),
            failed,
            fake.request_count(),
        )
    };
    // The unthrottled run first (it also warms the machine up), then the burst.
    let (plain, _, _) = burst(false).await;
    let (wall, failed, requests) = burst(true).await;
    row(
        "429 burst: 500 concurrent operations",
        format!("{failed} failed"),
        format!(
            "wall {wall:.2} s for Retry-After 2 s on each call's path ({:+.1} %), {requests} requests; the same 500 unthrottled: {plain:.2} s",
            (wall / 2.0 - 1.0) * 100.0
        ),
    );

    // 1b. Five operations in a row, each throttled once (Retry-After: 1): the sum is 5 s.
    let fake = FakeFabric::start().await;
    fake.add_workspaces(1);
    let client = Client::new(&fake.base_url(), token())?;
    let started = Instant::now();
    let mut failed = 0;
    for _ in 0..5 {
        fake.throttle(1, 1);
        if client.workspaces().await.is_err() {
            failed += 1;
        }
    }
    let wall = started.elapsed();
    row(
        "429 in a row: 5 operations, each 429 once",
        format!("{failed} failed"),
        format!(
            "wall {:.2} s for a Retry-After sum of 5 s ({:+.1} %)",
            wall.as_secs_f64(),
            (wall.as_secs_f64() / 5.0 - 1.0) * 100.0
        ),
    );

    // 2. A workspace of 2,000 items, listed in pages of 100.
    let fake = FakeFabric::start().await;
    let client = Client::new(&fake.base_url(), token())?;
    let items: Vec<(String, String)> = (0..2_000)
        .map(|n| (format!("notebook_{n}"), "Notebook".to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let big = fake.add_workspace_with("big-2000", &refs);
    fake.page_size(100);
    let started = Instant::now();
    let listed = client.items(&big).await?;
    let wall = started.elapsed();
    row(
        "list a 2,000-item workspace (pages of 100)",
        format!("{} ms", wall.as_millis()),
        format!(
            "{} items in {} pages",
            listed.len(),
            listed.len().div_ceil(100)
        ),
    );

    // 3. An ephemeral workspace, nothing → ready, 20 items imported from git.
    let fake = FakeFabric::start().await;
    fake.repository_items(20);
    fake.jobs(0, None);
    let dir = tempfile::tempdir()?;
    let venv = vibedata_core::Paths::from_env()?.venv;
    let mut config = Config::with_paths(vibedata_core::Paths::under(dir.path(), venv));
    config.fabric.api_url = fake.base_url();
    config.fabric.env_token = Some(token());
    let studio = Arc::new(Studio::start(config).await?);
    let demo = studio.workspaces().ensure_demo().await?.workspace;
    let prod = fake.add_workspace_with("Sales production", &[("bronze", "Lakehouse")]);
    studio
        .fabric()
        .save_settings(FabricSettingsDto {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "bench".into(),
            capacity_id: String::new(),
            connection_id: CONNECTION.into(),
        })
        .await?;
    studio.fabric().workspaces().await?;
    studio
        .fabric()
        .link(FabricLinkRequestDto {
            workspace_id: demo.id.clone(),
            fabric_workspace_id: prod,
            lakehouse_id: None,
            repository: "contoso/demo-crm".into(),
        })
        .await?;
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Bench the ephemeral workspace".into())
        .await?;
    let before = fake.request_count();
    let started = Instant::now();
    let ready = studio
        .fabric()
        .ephemeral_up(&intent.id, &mut |_| {})
        .await?;
    let wall = started.elapsed();
    let items = fake
        .items_of(ready.fabric_workspace_id.as_deref().unwrap_or_default())
        .len();
    row(
        "ephemeral workspace: create → ready (20 items)",
        format!("{} ms", wall.as_millis()),
        format!(
            "{} requests, {items} items; the fake answers at once: this is the client's time",
            fake.request_count() - before
        ),
    );
    Ok(())
}
