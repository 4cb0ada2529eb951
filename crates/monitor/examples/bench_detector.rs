//! Detector quality on a labelled generator: daily series of 90 days (a level, a trend, a weekly
//! pattern of varying strength, Gaussian noise of 1–4 %), each with one anomaly of a kind
//! injected at a random day after the fifth week — a spike or a drop of 6–10 noise units, a level
//! shift of as much, or a load 8–20 hours late on a source whose lag is 1–3 h (skewed) — and as
//! many clean twins. Precision and recall per kind, and false alerts per 100 clean table-days.
//!
//! `cargo run --release -p vibedata-monitor --example bench_detector -- [SERIES_PER_KIND] [SENSITIVITY]`

// A benchmark: a failure is a panic with what failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vibedata_monitor::detector::{Config, Direction, score};
use vibedata_monitor::time::{DAY, parse_text};

fn gauss(rng: &mut fastrand::Rng) -> f64 {
    let (u, v) = (rng.f64().max(1e-12), rng.f64());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn main() {
    let per_kind: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("a number of series"))
        .unwrap_or(200);
    let sensitivity: f64 = std::env::args()
        .nth(2)
        .map(|a| a.parse().expect("a sensitivity"))
        .unwrap_or(Config::default().sensitivity);
    let start = parse_text("2026-08-31T06:00:00Z").unwrap();
    let kinds = ["spike", "drop", "level shift", "freshness lag"];
    println!(
        "| kind | series | found | missed | false alerts on the dirty series | precision | recall |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut clean_alerts, mut clean_days) = (0usize, 0usize);
    for (k, kind) in kinds.iter().enumerate() {
        let (mut found, mut missed, mut false_alerts) = (0usize, 0usize, 0usize);
        for n in 0..per_kind {
            let mut rng = fastrand::Rng::with_seed((k * 100_000 + n) as u64);
            let level = 1_000.0 * (1.0 + rng.f64() * 50.0);
            let noise = level * (0.01 + rng.f64() * 0.03);
            let weekly = level * rng.f64() * 0.3;
            let trend = level * (rng.f64() - 0.3) * 0.004;
            let freshness = *kind == "freshness lag";
            let clean: Vec<(i64, f64)> = (0..90)
                .map(|d| {
                    let at = start + d * DAY;
                    let v = if freshness {
                        // Hours since the last load: 1–3 h, skewed.
                        1.0 + 2.0 * rng.f64().powi(2)
                    } else {
                        let weekend = matches!(d % 7, 5 | 6);
                        level + trend * d as f64 - if weekend { weekly } else { 0.0 }
                            + noise * gauss(&mut rng)
                    };
                    (at, v)
                })
                .collect();
            let at = 36 + rng.usize(0..50);
            let mut dirty = clean.clone();
            let size = 6.0 + rng.f64() * 4.0; // 6–10 noise units
            match *kind {
                "spike" => dirty[at].1 += size * noise,
                "drop" => dirty[at].1 -= size * noise,
                "level shift" => dirty[at..].iter_mut().for_each(|p| p.1 += size * noise),
                _ => dirty[at].1 += 8.0 + rng.f64() * 12.0,
            }
            let cfg = Config {
                direction: if freshness {
                    Direction::Spike
                } else {
                    Direction::Both
                },
                sensitivity,
                ..Config::default()
            };
            let flags = |s: &[(i64, f64)]| -> Vec<usize> {
                score(s, &cfg)
                    .unwrap()
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.anomaly)
                    .map(|(i, _)| i)
                    .collect()
            };
            let base = flags(&clean);
            clean_alerts += base.len();
            clean_days += 90 - 21;
            let got = flags(&dirty);
            // A level shift is reported by `shift_after` anomalies from its first days on, one
            // point back inside the band allowed between two of them; found when its report
            // begins within `shift_after` days of it.
            let (expected, found_in): (Vec<usize>, Vec<usize>) = if *kind == "level shift" {
                (
                    (at..(at + 2 * cfg.shift_after).min(90)).collect(),
                    (at..(at + cfg.shift_after).min(90)).collect(),
                )
            } else {
                (vec![at], vec![at])
            };
            if got.iter().any(|i| found_in.contains(i)) {
                found += 1;
            } else {
                missed += 1;
            }
            false_alerts += got.iter().filter(|i| !expected.contains(i)).count();
        }
        let precision = found as f64 / (found + false_alerts).max(1) as f64;
        let recall = found as f64 / per_kind as f64;
        println!(
            "| {kind} | {per_kind} | {found} | {missed} | {false_alerts} | {precision:.3} | {recall:.3} |"
        );
    }
    println!();
    println!(
        "Clean twins: {clean_alerts} false alerts in {clean_days} table-days = {:.2} per 100.",
        100.0 * clean_alerts as f64 / clean_days as f64
    );
}
