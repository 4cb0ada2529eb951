//! `dbt-index-bench [SIZES…] [--venv DIR] [--no-dbt]` (or `--write DIR tour|N` to only generate): generates synthetic dbt projects of each
//! size (default 1000 5000 10000 models) and, in one run, times the native index (full load,
//! re-index of one changed SQL file and of one changed YAML file) against the venv's `dbt parse` on the same
//! project, with peak memory of each, checks that both agree, and prints a table.

// A benchmark, not product code: failing loudly on a broken temp folder or setup is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use vibedata_dbt_index::{Index, agreement, synthetic};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--measure-load") {
        // Child mode: one full load in a fresh process, for its peak memory.
        let dir = PathBuf::from(&args[pos + 1]);
        let start = Instant::now();
        let index = Index::load(&dir);
        let elapsed = start.elapsed();
        println!(
            "{} {} {}",
            elapsed.as_secs_f64(),
            peak_rss_kib(),
            index.nodes().len()
        );
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--lineage") {
        // `--lineage DIR OUT.json`: loads DIR, writes the index with its rendered SQL to OUT (for
        // the sqlglot comparison) and prints the time to plan every model's columns again (the
        // SQL parse and lineage walk; the rendering is part of the load), and the columns traced.
        let dir = PathBuf::from(&args[pos + 1]);
        let out = PathBuf::from(&args[pos + 2]);
        let index = Index::load(&dir);
        let json = vibedata_dbt_index::manifest::to_manifest_json_with_sql(&index);
        std::fs::write(&out, serde_json::to_vec(&json).expect("json")).expect("write");
        let files: Vec<String> = index.files().map(str::to_string).collect();
        let sqls: Vec<&str> = files.iter().filter_map(|f| index.rendered_sql(f)).collect();
        let start = Instant::now();
        let mut columns = 0;
        for sql in &sqls {
            if let Ok(plan) = vibedata_dbt_index::columns::plan(sql, "duckdb", &|_| String::new()) {
                columns += plan.len();
            }
        }
        println!(
            "{} {} {}",
            start.elapsed().as_secs_f64(),
            sqls.len(),
            columns
        );
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--write") {
        // Writes one generated project and exits: `--write DIR tour` or `--write DIR <models>`.
        let dir = PathBuf::from(&args[pos + 1]);
        let what = args.get(pos + 2).map(String::as_str).unwrap_or("tour");
        let result = match what.parse::<usize>() {
            Ok(n) => synthetic::write_synthetic(&dir, n, 42),
            Err(_) => synthetic::write_feature_tour(&dir),
        };
        result.expect("write project");
        return;
    }
    let no_dbt = args.iter().any(|a| a == "--no-dbt");
    let venv = args
        .iter()
        .position(|a| a == "--venv")
        .map(|i| PathBuf::from(&args[i + 1]))
        .or_else(|| std::env::var_os("VIBEDATA_VENV").map(PathBuf::from));
    let sizes: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| a.parse::<usize>().is_ok() && (*i == 0 || args[i - 1] != "--venv"))
        .map(|(_, a)| a.parse().unwrap_or(0))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 5000, 10000]
    } else {
        sizes
    };
    let dbt = venv
        .as_ref()
        .map(|v| v.join("bin/dbt"))
        .filter(|d| d.is_file() && !no_dbt);
    let python = venv
        .as_ref()
        .map(|v| v.join("bin/python"))
        .filter(|p| p.is_file());
    let me = std::env::current_exe().expect("own path");

    println!(
        "| models | files | nodes | native load | native peak RSS | re-index 1 SQL file | re-index 1 YAML file | dbt parse | dbt peak RSS | speed-up | agree |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for size in sizes {
        let dir = tempfile::Builder::new()
            .prefix("dbt-index-bench-")
            .tempdir()
            .expect("temp dir");
        eprintln!("generating a {size}-model project…");
        synthetic::write_synthetic(dir.path(), size, 42).expect("generate project");
        // Warm the page cache once so both tools read from memory.
        let _ = Index::load(dir.path());
        let mut loads = Vec::new();
        let mut peak_kib = 0;
        let mut node_count = 0;
        for _ in 0..3 {
            let out = Command::new(&me)
                .arg("--measure-load")
                .arg(dir.path())
                .output()
                .expect("run child");
            let text = String::from_utf8_lossy(&out.stdout);
            let parts: Vec<&str> = text.split_whitespace().collect();
            loads.push(Duration::from_secs_f64(
                parts.first().and_then(|s| s.parse().ok()).unwrap_or(0.0),
            ));
            peak_kib = peak_kib.max(parts.get(1).and_then(|s| s.parse().ok()).unwrap_or(0));
            node_count = parts.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        }
        let native = median(&mut loads);
        let mut index = Index::load(dir.path());
        let files = index.files().count();
        let target = dir.path().join("models/marts/g000/fct_0.sql");
        let mut updates = Vec::new();
        for i in 0..7 {
            let mut text = std::fs::read_to_string(&target).expect("read model");
            text.push_str(&format!("-- edit {i}\n"));
            std::fs::write(&target, text).expect("write model");
            let start = Instant::now();
            index.update(std::slice::from_ref(&target));
            updates.push(start.elapsed());
        }
        let incremental = median(&mut updates);
        // A YAML edit re-links the whole project (see the README).
        let yaml = dir.path().join("models/marts/g000/_fct_g000__models.yml");
        let mut yaml_updates = Vec::new();
        for i in 0..5 {
            let mut text = std::fs::read_to_string(&yaml).expect("read yaml");
            text.push_str(&format!("# edit {i}\n"));
            std::fs::write(&yaml, text).expect("write yaml");
            let start = Instant::now();
            index.update(std::slice::from_ref(&yaml));
            yaml_updates.push(start.elapsed());
        }
        let yaml_incremental = median(&mut yaml_updates);
        let (dbt_time, dbt_peak, agree) = match (&dbt, &python) {
            (Some(dbt), Some(python)) => {
                eprintln!("running dbt parse on {size} models…");
                let (t, peak) = run_dbt_parse(python, dbt, dir.path());
                let manifest: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(dir.path().join("target/manifest.json")).unwrap_or_default(),
                )
                .unwrap_or_default();
                let diffs = agreement::diff_against_manifest(&index, &manifest);
                for d in diffs.iter().take(5) {
                    eprintln!("  differs: {d}");
                }
                let agree = if diffs.is_empty() {
                    "yes".to_string()
                } else {
                    format!("no ({} differences)", diffs.len())
                };
                (Some(t), Some(peak), agree)
            }
            _ => (None, None, "not checked".to_string()),
        };
        println!(
            "| {size} | {files} | {node_count} | {} | {:.0} MiB | {} | {} | {} | {} | {} | {agree} |",
            ms(native),
            peak_kib as f64 / 1024.0,
            ms(incremental),
            ms(yaml_incremental),
            dbt_time.map_or("—".into(), |t: Duration| format!(
                "{:.1} s",
                t.as_secs_f64()
            )),
            dbt_peak.map_or("—".into(), |p: u64| format!(
                "{:.0} MiB",
                p as f64 / 1024.0
            )),
            dbt_time.map_or("—".into(), |t| format!(
                "{:.0}×",
                t.as_secs_f64() / native.as_secs_f64()
            )),
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `VmHWM` of this process in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:")
                .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

/// Runs `dbt parse --no-partial-parse` under a Python wrapper that reports the child's wall time
/// and peak RSS (KiB) from `getrusage`.
fn run_dbt_parse(python: &Path, dbt: &Path, project: &Path) -> (Duration, u64) {
    let script = "import resource, subprocess, sys, time\nt = time.perf_counter()\nr = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\nprint(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(dbt)
        .args(["parse", "--no-partial-parse", "--profiles-dir", "."])
        .current_dir(project)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("DO_NOT_TRACK", "1")
        .output()
        .expect("run dbt parse");
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.split_whitespace().collect();
    if parts.get(2) != Some(&"0") {
        eprintln!("dbt parse failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    (
        Duration::from_secs_f64(parts.first().and_then(|s| s.parse().ok()).unwrap_or(0.0)),
        parts.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
    )
}
