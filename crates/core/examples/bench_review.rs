//! Benchmark of the Review page's first screen (the lineage diff: both sides written out of git,
//! indexed, compared, classes and column impact, the changed lineage) on generated projects,
//! cold (a new review folder, nothing cached), against dbt doing the nearest job in the same run:
//! `dbt parse` of the base, then `dbt ls --select state:modified+ --state <base>` on the head
//! (the changed nodes and their downstream, without classes or columns).
//!
//! `cargo run --release -p vibedata-core --example bench_review -- [SIZES…] [--venv DIR]`
//! (or `bash scripts/bench-review.sh`, which sets up the venv). Prints a Markdown table.

// A benchmark: a failure is a panic with what failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use vibedata_core::dbt_index::synthetic::write_synthetic;
use vibedata_core::review::review_page;

fn main() {
    let mut sizes: Vec<usize> = Vec::new();
    let mut venv: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--venv" {
            venv = args.next().map(PathBuf::from);
        } else if let Ok(n) = a.parse() {
            sizes.push(n);
        } else {
            eprintln!("usage: bench_review [SIZES…] [--venv DIR]");
            std::process::exit(2);
        }
    }
    if sizes.is_empty() {
        sizes = vec![1000, 5000];
    }
    println!(
        "| models | changed | impacted | first screen, cold (median of 3) | dbt parse + ls state:modified+ | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("repo");
        write_synthetic(&repo, n, 7).expect("write the project");
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "base"]);
        git(&repo, &["checkout", "-q", "-b", "feature"]);
        change(&repo, n);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "head"]);
        git(&repo, &["checkout", "-q", "main"]);

        let mut times = Vec::new();
        let mut shown = None;
        for run in 0..3 {
            let scratch = dir.path().join(format!("scratch-{run}"));
            let t = Instant::now();
            let dto =
                review_page("bench", &repo, None, "main", "feature", &scratch).expect("review");
            times.push(t.elapsed());
            shown = Some(dto);
        }
        times.sort();
        let dto = shown.expect("a review");
        let peer = venv
            .as_deref()
            .map(|v| dbt_state_modified(v, &repo, dir.path()))
            .map_or("—".to_string(), |(d, count)| {
                format!("{} ({count} nodes)", secs(d))
            });
        println!(
            "| {n} | {} | {} | {} | {peer} | {} |",
            dto.changed.len(),
            dto.impact.len(),
            secs(times[1]),
            peer_ratio(&peer, times[1]),
        );
    }
}

fn peer_ratio(peer: &str, ours: Duration) -> String {
    peer.split_whitespace()
        .next()
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .map_or("—".into(), |p| format!("{:.0}×", p / ours.as_secs_f64()))
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("run git")
        .success();
    assert!(ok, "git {args:?} failed");
}

/// The head's change: a fifth of a percent of the staging models get a `where` (breaking), as
/// many intermediate models lose a column (partially breaking), as many marts gain one (not
/// breaking), and one model's configs change.
fn change(repo: &Path, n: usize) {
    let k = (n / 500).max(1);
    let folder = |i: usize| format!("g{:03}", i / 100);
    let edit = |rel: String, from: &str, to: &str| {
        let path = repo.join(&rel);
        let text = std::fs::read_to_string(&path).expect("read a model");
        assert!(text.contains(from), "{rel} lacks {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write a model");
    };
    for i in 0..k {
        let s = i * 37 % (n * 2 / 5);
        edit(
            format!("models/staging/{}/stg_{s}.sql", folder(s)),
            "from src\n",
            "from src\nwhere amount > 0\n",
        );
        let m = i * 53 % (n * 3 / 10);
        edit(
            format!("models/intermediate/{}/int_{m}.sql", folder(m)),
            ",\n    'int_",
            "\n    -- origin dropped: 'int_",
        );
        let f = i * 71 % (n - n * 2 / 5 - n * 3 / 10);
        edit(
            format!("models/marts/{}/fct_{f}.sql", folder(f)),
            "    b.origin as origin\n",
            "    b.origin as origin,\n    b.loaded_on as loaded_on\n",
        );
    }
    edit(
        "models/staging/g000/stg_1.sql".into(),
        "-- staging model 1\n",
        "-- staging model 1\n{{ config(materialized='table') }}\n",
    );
}

/// dbt's nearest job: parse the base (its manifest is the state), then list what is modified
/// and downstream in the head. Returns the wall time of both and the nodes listed.
fn dbt_state_modified(venv: &Path, repo: &Path, tmp: &Path) -> (Duration, usize) {
    let base = tmp.join("dbt-base");
    let head = tmp.join("dbt-head");
    git(
        repo,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            base.to_str().expect("utf-8"),
            "main",
        ],
    );
    git(
        repo,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            head.to_str().expect("utf-8"),
            "feature",
        ],
    );
    let dbt = venv.join("bin/dbt");
    let run = |dir: &Path, args: &[&str]| {
        let out = Command::new(&dbt)
            .args(args)
            .args(["--profiles-dir", "."])
            .current_dir(dir)
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DO_NOT_TRACK", "1")
            .output()
            .expect("run dbt");
        if !out.status.success() {
            eprintln!(
                "dbt {args:?} failed: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let t = Instant::now();
    run(&base, &["parse", "--no-partial-parse"]);
    let state = base.join("target");
    let listed = run(
        &head,
        &[
            "ls",
            "--no-partial-parse",
            "--quiet",
            "--select",
            "state:modified+",
            "--state",
            state.to_str().expect("utf-8"),
        ],
    );
    (
        t.elapsed(),
        listed.lines().filter(|l| !l.trim().is_empty()).count(),
    )
}
