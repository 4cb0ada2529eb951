//! Benchmark of the alert engine on an alert storm: a generated lineage of N nodes (each model
//! with two tests), R upstream failures spread over an hour, each breaking a random set of its
//! downstream tests, which fail again and again (a million signals by default). One core; every
//! signal timed (ingest + the clock moved to it). Prints a Markdown table: signals per second,
//! p50/p99/max per signal, incidents, notifications, and the notifications one message per
//! failing test would send.
//!
//! `cargo run --release -p vibedata-monitor --example bench_storm -- [SIGNALS] [NODES] [ROOTS]
//! [--write-events FILE]` (the storm written out for a peer: `scripts/bench_alertmanager.py`).

// A benchmark: a failure is a panic with what failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use vibedata_monitor::alerts::{Engine, Timing};
use vibedata_monitor::lineage::Lineage;
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::{HOUR, parse_text};

fn main() {
    let mut write_events: Option<std::path::PathBuf> = None;
    let mut args: Vec<usize> = Vec::new();
    let mut given = std::env::args().skip(1);
    while let Some(a) = given.next() {
        if a == "--write-events" {
            write_events = given.next().map(std::path::PathBuf::from);
        } else {
            args.push(
                a.parse()
                    .expect("SIGNALS NODES ROOTS [--write-events FILE]"),
            );
        }
    }
    let signals = args.first().copied().unwrap_or(1_000_000);
    let nodes = args.get(1).copied().unwrap_or(10_000);
    let roots = args.get(2).copied().unwrap_or(200);
    let mut rng = fastrand::Rng::with_seed(42);

    // A layered DAG: node i reads one to three nodes among the 400 before it.
    let names: Vec<String> = (0..nodes).map(|i| format!("model.storm.m{i}")).collect();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for i in 50..nodes {
        for _ in 0..rng.usize(1..=3) {
            edges.push((i, rng.usize(i.saturating_sub(400)..i)));
        }
    }
    let tests: Vec<[String; 2]> = (0..nodes)
        .map(|i| [format!("test.storm.a_m{i}"), format!("test.storm.b_m{i}")])
        .collect();
    let test_edges: Vec<(&str, &str)> = tests
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.iter().map(move |x| (i, x.as_str())))
        .map(|(i, x)| (x, names[i].as_str()))
        .collect();
    let lineage = Lineage::from_edges(
        edges
            .iter()
            .map(|(c, p)| (names[*c].as_str(), names[*p].as_str()))
            .chain(test_edges.iter().copied()),
        test_edges.iter().copied(),
    );
    // Children, to pick what each root failure breaks.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (c, p) in &edges {
        children[*p].push(*c);
    }
    let start = parse_text("2026-11-30T08:00:00Z").unwrap();
    let mut storm: Vec<Signal> = Vec::with_capacity(signals + roots);
    let mut failing_tests = std::collections::HashSet::new();
    let per_root = signals / roots;
    for r in 0..roots {
        let root = rng.usize(0..nodes / 2);
        let at0 = start + (r as i64 * HOUR) / roots as i64;
        storm.push(Signal {
            id: format!("root-{r}"),
            at: at0,
            kind: "model_error".into(),
            node: names[root].clone(),
            column: None,
            workspace: Some("storm".into()),
            severity: Severity::Error,
            message: "source unavailable".into(),
            correlation_id: Some(format!("run-{r}")),
            failures: None,
        });
        // Its downstream, breadth first, up to 50 nodes.
        let mut down = vec![root];
        let mut i = 0;
        while i < down.len() && down.len() < 50 {
            for c in &children[down[i]] {
                if !down.contains(c) {
                    down.push(*c);
                }
            }
            i += 1;
        }
        for k in 0..per_root {
            let d = down[rng.usize(0..down.len())];
            let test = &tests[d][k % 2];
            failing_tests.insert(test.clone());
            storm.push(Signal {
                id: format!("s-{r}-{k}"),
                at: at0 + 1_000 + (k as i64 * 60_000) / per_root as i64,
                kind: "test_failure".into(),
                node: test.clone(),
                column: None,
                workspace: Some("storm".into()),
                severity: Severity::Error,
                message: "rows failed".into(),
                correlation_id: Some(format!("run-{r}")),
                failures: Some(rng.u64(1..1000)),
            });
        }
    }
    storm.sort_by_key(|s| s.at);
    // The same storm for a peer (scripts/bench_alertmanager.py): one JSON line per signal, with
    // the node a test checks as `subject`.
    if let Some(path) = &write_events {
        use std::io::Write as _;
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(path).expect("the events file"));
        for s in &storm {
            let subject = s
                .node
                .strip_prefix("test.storm.a_")
                .or_else(|| s.node.strip_prefix("test.storm.b_"))
                .map_or(s.node.clone(), |m| format!("model.storm.{m}"));
            let line = serde_json::json!({"id": s.id, "at": s.at, "kind": s.kind, "node": s.node,
                "subject": subject, "workspace": "storm", "severity": s.severity.as_str()});
            writeln!(out, "{line}").expect("write an event");
        }
    }

    let mut engine = Engine::new(lineage, Timing::default(), Vec::new());
    let mut each: Vec<u32> = Vec::with_capacity(storm.len());
    let mut notifications = 0usize;
    let began = Instant::now();
    for s in &storm {
        let t = Instant::now();
        notifications += engine.advance(s.at).len();
        engine.ingest(s);
        each.push(t.elapsed().as_nanos() as u32);
    }
    let total = began.elapsed();
    notifications += engine
        .advance(storm.last().map_or(0, |s| s.at) + 12 * HOUR)
        .len();
    each.sort_unstable();
    let pct = |p: f64| each[((each.len() as f64 * p) as usize).min(each.len() - 1)] as f64 / 1000.0;
    let incidents = engine.incidents().len();
    println!(
        "| signals | nodes | upstream failures | signals/s (one core) | p50 | p99 | max | incidents | notifications | one per failing test | fewer |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let per_test = storm.len() - roots;
    println!(
        "| {} | {nodes} | {roots} | {:.0} | {:.2} µs | {:.2} µs | {:.0} µs | {incidents} | {notifications} | {per_test} | {:.2} % |",
        storm.len(),
        storm.len() as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        100.0 * (1.0 - notifications as f64 / per_test as f64)
    );
    eprintln!(
        "({} distinct failing tests; duplicates {})",
        failing_tests.len(),
        engine.duplicates
    );
}
