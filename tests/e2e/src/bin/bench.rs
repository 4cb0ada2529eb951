//! `bench`: measures the desktop app as a person meets it and prints a table.
//!
//! - first start: process start → Domains page rendered, on an empty data dir (creates the demo
//!   domain's git repositories and loads its DuckDB warehouse through Python);
//! - start: the same on the now-populated data dir (what every later start costs);
//! - idle memory: summed RSS (and PSS, which does not count shared libraries twice) of the app
//!   process and all its WebKit child processes, 3 s after the Domains page rendered.
//!
//! "Process start" is when the WebDriver session is requested (WebKitWebDriver spawns the app);
//! the end is the first `data-testid="workspace-row"` in the DOM, polled every 50 ms.
//! - inbox (`bench inbox [RUNS]`): process start → Inbox list rendered with 10,000 synced
//!   issues (and 20,000 comments), cold, offline; the store is filled by `vibedata inbox sync`
//!   from the fake GitHub first. Also click → rendered.
//!
//! Usage: `bench [RUNS]` or `bench inbox [RUNS]` with VIBEDATA_APP_BIN set (scripts/bench.sh does
//! it all; the `vibedata` CLI is found next to the app binary).

// A benchmark: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use std::time::Duration;
use vibedata_e2e::{App, Launch};

const RENDER_WAIT: Duration = Duration::from_secs(180);

struct Sample {
    start_ms: f64,
    rss_mib: f64,
    pss_mib: f64,
    processes: Vec<(u32, String)>,
}

async fn one(launch: &Launch) -> Result<Sample> {
    let app = App::launch(launch).await?;
    app.wait_for("workspace-row", RENDER_WAIT).await?;
    let start_ms = app.started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tree = app.processes()?;
    app.close().await?;
    Ok(Sample {
        start_ms,
        rss_mib: tree.rss_kib as f64 / 1024.0,
        pss_mib: tree.pss_kib as f64 / 1024.0,
        processes: tree.pids,
    })
}

fn stats(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}

/// Fills a data dir's store with 10,000 issues through the real sync, then measures cold starts.
async fn inbox(runs: usize) -> Result<()> {
    use anyhow::Context;
    const REPO: &str = "acme/incidents";
    const TOKEN: &str = "ghp_bench_inbox_token";
    let fake = vibedata_fakes::github::FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_issues(REPO, 10_000);
    fake.add_comments(REPO, 2);
    let dir = tempfile::tempdir()?;
    let launch = Launch::under(dir.path());
    let cli = vibedata_e2e::app_binary()?.with_file_name("vibedata");
    eprintln!(
        "bench: syncing 10,000 issues into the store with {}…",
        cli.display()
    );
    for args in [vec!["inbox", "follow", REPO], vec!["inbox", "sync"]] {
        let status = tokio::process::Command::new(&cli)
            .args(&args)
            .env("VIBEDATA_DATA_DIR", &launch.data_dir)
            .env("VIBEDATA_WORKSPACE_ROOT", &launch.workspace_root)
            .env("VIBEDATA_GITHUB_TOKEN", TOKEN)
            .env("VIBEDATA_GITHUB_API", fake.base_url())
            .status()
            .await
            .with_context(|| format!("cannot run {}", cli.display()))?;
        anyhow::ensure!(status.success(), "vibedata {args:?} failed");
    }
    drop(fake); // the app starts offline
    let (mut total, mut click) = (Vec::new(), Vec::new());
    // The first start creates the demo domain; it is not an inbox cost.
    let warm = App::launch(&launch).await?;
    warm.wait_for("workspace-row", RENDER_WAIT).await?;
    warm.close().await?;
    for i in 1..=runs {
        eprintln!("bench: inbox start {i}/{runs}…");
        let app = App::launch(&launch).await?;
        app.wait_for("nav-inbox", RENDER_WAIT).await?;
        let clicked = std::time::Instant::now();
        app.click_css("[data-testid='nav-inbox']").await?;
        app.wait_for_text("inbox-count", "10000 issues", RENDER_WAIT)
            .await?;
        app.wait_for("inbox-issue", RENDER_WAIT).await?;
        total.push(app.started.elapsed().as_secs_f64() * 1000.0);
        click.push(clicked.elapsed().as_secs_f64() * 1000.0);
        app.close().await?;
    }
    let (tmin, tmed, tmax) = stats(&mut total);
    let (cmin, cmed, cmax) = stats(&mut click);
    println!("| metric (10,000 issues, 20,000 comments, offline) | runs | min | median | max |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| process start → Inbox list rendered | {runs} | {tmin:.0} ms | {tmed:.0} ms | {tmax:.0} ms |"
    );
    println!(
        "| click on Inbox → list rendered | {runs} | {cmin:.0} ms | {cmed:.0} ms | {cmax:.0} ms |"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("inbox") {
        let runs = std::env::args()
            .nth(2)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(5);
        return inbox(runs).await;
    }
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let dir = tempfile::tempdir()?;
    let launch = Launch::under(dir.path());
    eprintln!("bench: first start on an empty data dir…");
    let first = one(&launch).await?;
    let mut starts = Vec::new();
    let mut rss = Vec::new();
    let mut pss = Vec::new();
    let mut last = Vec::new();
    for i in 1..=runs {
        eprintln!("bench: start {i}/{runs}…");
        let s = one(&launch).await?;
        starts.push(s.start_ms);
        rss.push(s.rss_mib);
        pss.push(s.pss_mib);
        last = s.processes;
    }
    let (smin, smed, smax) = stats(&mut starts);
    let (rmin, rmed, rmax) = stats(&mut rss);
    let (pmin, pmed, pmax) = stats(&mut pss);
    println!("| metric | runs | min | median | max |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| first start → Domains rendered (creates demo, loads DuckDB) | 1 | {0:.0} ms | {0:.0} ms | {0:.0} ms |",
        first.start_ms
    );
    println!("| start → Domains rendered | {runs} | {smin:.0} ms | {smed:.0} ms | {smax:.0} ms |");
    println!(
        "| idle RSS, all app processes | {runs} | {rmin:.0} MiB | {rmed:.0} MiB | {rmax:.0} MiB |"
    );
    println!(
        "| idle PSS, all app processes | {runs} | {pmin:.0} MiB | {pmed:.0} MiB | {pmax:.0} MiB |"
    );
    println!();
    println!(
        "processes counted (last run): {}",
        last.iter()
            .map(|(pid, name)| format!("{name}[{pid}]"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
