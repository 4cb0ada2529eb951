//! `bench_inbox`: full-text search over 100,000 synced issues and comments, as the Inbox runs it,
//! and a naive `LIKE` scan of the same rows as the peer. Prints a table (p50/p95/max).
//!
//! Usage: `cargo run --release -p vibedata-core --example bench_inbox [DOCS]` (scripts/bench-inbox.sh).

// A benchmark: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use serde_json::json;
use vibedata_core::platform::store::Store;
use vibedata_core::{github::inbox, github::issue_sync};
use vibedata_protocol::inbox::InboxFilterDto;

const DOMAIN: [&str; 24] = [
    "freshness",
    "breach",
    "orders",
    "pipeline",
    "timeout",
    "duckdb",
    "fabric",
    "lakehouse",
    "schema",
    "drift",
    "null",
    "spike",
    "customers",
    "revenue",
    "latency",
    "backfill",
    "contract",
    "duplicate",
    "watermark",
    "partition",
    "snapshot",
    "alert",
    "incident",
    "rollback",
];

fn word(rng: &mut fastrand::Rng) -> String {
    if rng.u8(0..4) == 0 {
        DOMAIN[rng.usize(0..DOMAIN.len())].to_string()
    } else {
        // A long tail of rarer words, like real text.
        format!("w{}", rng.u32(0..20_000))
    }
}

fn text(rng: &mut fastrand::Rng, words: usize) -> String {
    (0..words).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| ms[((ms.len() as f64 * p) as usize).min(ms.len() - 1)];
    (at(0.5), at(0.95), ms[ms.len() - 1])
}

fn main() -> anyhow::Result<()> {
    let docs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let (issues, comments) = (docs / 4, docs - docs / 4);
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("studio.sqlite3"))?;
    let mut rng = fastrand::Rng::with_seed(7);
    let repo = "acme/incidents";
    let started = Instant::now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        let list: Vec<_> = (1..=issues)
            .map(|n| {
                json!({"id": n, "number": n, "title": text(&mut rng, 8), "body": text(&mut rng, 60),
                    "state": "open", "user": {"login": "alert-engine"}, "labels": [{"name": "incident"}],
                    "assignees": [], "comments": 3, "created_at": "2026-11-01T00:00:00Z",
                    "updated_at": format!("2026-11-01T{:02}:{:02}:{:02}Z", n / 3600 % 24, n / 60 % 60, n % 60)})
            })
            .collect();
        issue_sync::store_items(&tx, repo, true, &list)?;
        let list: Vec<_> = (1..=comments)
            .map(|id| {
                json!({"id": id, "issue_url": format!("https://api.github.com/repos/{repo}/issues/{}", id % issues + 1),
                    "body": text(&mut rng, 40), "user": {"login": "octo"},
                    "created_at": "2026-11-02T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z"})
            })
            .collect();
        issue_sync::store_items(&tx, repo, false, &list)?;
        tx.commit()
    })?;
    vibedata_core::github::repos::follow(&store, repo)?;
    let load_s = started.elapsed().as_secs_f64();

    let queries: Vec<String> = (0..300)
        .map(|i| match i % 3 {
            0 => DOMAIN[rng.usize(0..DOMAIN.len())].to_string(),
            1 => format!("w{}", rng.u32(0..20_000)),
            _ => format!(
                "{} {}",
                DOMAIN[rng.usize(0..DOMAIN.len())],
                DOMAIN[rng.usize(0..DOMAIN.len())]
            ),
        })
        .collect();
    let time = |f: &mut dyn FnMut(&str) -> anyhow::Result<()>| -> anyhow::Result<(f64, f64, f64)> {
        let mut ms = Vec::new();
        for q in &queries {
            let t = Instant::now();
            f(q)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(percentiles(ms))
    };
    let search = time(&mut |q| {
        issue_sync::search(&store, q, 20)?;
        Ok(())
    })?;
    let list = time(&mut |q| {
        let filter = InboxFilterDto {
            query: q.to_string(),
            ..InboxFilterDto::default()
        };
        inbox::list(&store, &filter, None)?;
        Ok(())
    })?;
    let like = time(&mut |q| {
        let first = q.split_whitespace().next().unwrap_or(q).to_string();
        store.with(|c| {
            c.query_row(
                "SELECT count(*) FROM (SELECT number FROM gh_issues WHERE title LIKE ?1 OR body LIKE ?1
                 UNION SELECT issue_number FROM gh_comments WHERE body LIKE ?1)",
                [format!("%{first}%")],
                |r| r.get::<_, i64>(0),
            )
        })?;
        Ok(())
    })?;
    let empty = {
        let mut ms = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            inbox::list(&store, &InboxFilterDto::default(), None)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        percentiles(ms)
    };
    println!(
        "{issues} issues + {comments} comments = {docs} documents, stored with their FTS5 index in {load_s:.1} s; {} queries each (a third common words, a third rare, a third two words)",
        queries.len()
    );
    println!();
    println!("| operation | p50 | p95 | max |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, (p50, p95, max)) in [
        (
            "FTS5 search, top 20 hits with snippets (`issue_sync::search`)",
            search,
        ),
        (
            "Inbox list with a search: count + first 500 rows + filter menus (`inbox::list`)",
            list,
        ),
        ("Inbox list, no search (20 runs)", empty),
        (
            "peer: naive `LIKE '%word%'` scan of titles, bodies and comments",
            like,
        ),
    ] {
        println!("| {name} | {p50:.2} ms | {p95:.2} ms | {max:.2} ms |");
    }
    Ok(())
}
