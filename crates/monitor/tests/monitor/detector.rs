//! The detector on generated daily series: weekly seasonality, a trend and noise, with one
//! anomaly of each type injected; the clean twin of each series raises nothing.

use vibedata_monitor::detector::{Config, Direction, Seasonality, Status, score};
use vibedata_monitor::time::{DAY, HOUR, parse_text};

/// A daily series of `days` points: level, trend per day, weekly pattern (weekends low), noise.
fn series(
    days: usize,
    level: f64,
    trend: f64,
    weekly: f64,
    noise: f64,
    seed: u64,
) -> Vec<(i64, f64)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let start = parse_text("2026-09-07T06:00:00Z").unwrap(); // a Monday
    (0..days)
        .map(|d| {
            let weekend = matches!(d % 7, 5 | 6);
            let gauss = {
                let (u, v) = (rng.f64().max(1e-12), rng.f64());
                (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
            };
            let value =
                level + trend * d as f64 - if weekend { weekly } else { 0.0 } + noise * gauss;
            (start + d as i64 * DAY, value)
        })
        .collect()
}

fn flagged(points: &[(i64, f64)], cfg: &Config) -> Vec<usize> {
    score(points, cfg)
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.anomaly)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn each_anomaly_type_is_found_and_its_clean_twin_raises_nothing() {
    let cfg = Config::default();
    // (type, the series' shape, where the anomaly goes, how, direction, what must be flagged)
    type Inject = fn(&mut [(i64, f64)], usize);
    let cases: &[(&str, Inject, usize, Direction, &[usize])] = &[
        ("spike", |s, i| s[i].1 *= 1.6, 60, Direction::Both, &[60]),
        (
            "drop (a volume drop)",
            |s, i| s[i].1 *= 0.4,
            66,
            Direction::Both,
            &[66],
        ),
        (
            "level shift (learnt after it is said)",
            |s, i| s[i..].iter_mut().for_each(|p| p.1 += 4000.0),
            72,
            Direction::Both,
            &[72, 73, 74],
        ),
        (
            "drop only, a spike ignored",
            |s, i| {
                s[i].1 *= 0.5;
                s[i + 3].1 *= 1.6
            },
            61,
            Direction::Drop,
            &[61],
        ),
    ];
    let (mut false_alerts, mut clean_days) = (0usize, 0usize);
    for (name, inject, at, direction, want) in cases {
        let cfg = Config {
            direction: *direction,
            ..cfg.clone()
        };
        for seed in 1..=10 {
            let clean = series(90, 10_000.0, 25.0, 3_000.0, 150.0, seed);
            let noise = flagged(&clean, &cfg);
            false_alerts += noise.len();
            clean_days += 90 - 21;
            let mut dirty = clean.clone();
            inject(&mut dirty, *at);
            // The injected anomaly is found; nothing else is flagged that its clean twin was not.
            let got = flagged(&dirty, &cfg);
            let new: Vec<usize> = got.iter().copied().filter(|i| !noise.contains(i)).collect();
            assert_eq!(
                new, *want,
                "{name} seed {seed} (clean twin flagged {noise:?})"
            );
        }
    }
    assert!(
        false_alerts * 100 <= clean_days,
        "at most one false alert per 100 clean table-days: {false_alerts} in {clean_days}"
    );
}

#[test]
fn weekly_seasonality_is_chosen_when_the_history_supports_it() {
    let points = series(70, 10_000.0, 0.0, 3_000.0, 100.0, 9);
    let scored = score(&points, &Config::default()).unwrap();
    assert_eq!(
        scored[20].status,
        Status::Learning,
        "three weeks of history are needed"
    );
    assert_eq!(scored[21].status, Status::Normal);
    let late = scored.last().unwrap();
    assert_eq!(late.season, Some(Seasonality::DayOfWeek));
    // A Saturday is expected low, inside its own band.
    let saturday = &scored[68];
    assert!(saturday.expected.unwrap() < 8_000.0, "{saturday:?}");
    assert!(saturday.low.unwrap() < saturday.value && saturday.value < saturday.high.unwrap());
    // Without seasonality the weekends widen the band threefold or more: that is why it is chosen.
    let flat = Config {
        seasonality: Seasonality::None,
        ..Config::default()
    };
    let wide = score(&points, &flat).unwrap();
    let width = |p: &vibedata_monitor::detector::Scored| p.high.unwrap() - p.low.unwrap();
    assert!(
        width(wide.last().unwrap()) > 3.0 * width(late),
        "{:?} vs {:?}",
        wide.last(),
        late
    );
}

#[test]
fn a_freshness_lag_is_a_spike_of_hours_late() {
    // Hourly loads, lag in hours between 0.5 and 1.5 (uniform), then 9 hours late once.
    let start = parse_text("2026-11-01T00:00:00Z").unwrap();
    let mut rng = fastrand::Rng::with_seed(3);
    let mut points: Vec<(i64, f64)> = (0..24 * 30)
        .map(|h| (start + h * HOUR, 0.5 + rng.f64()))
        .collect();
    let late = points.len() - 5;
    points[late].1 = 9.0;
    let cfg = Config {
        direction: Direction::Spike,
        ..Config::default()
    };
    let flagged: Vec<usize> = score(&points, &cfg)
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.anomaly)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flagged, [late]);
}

#[test]
fn bad_series_are_said_plainly() {
    // A single value, gaps, a constant series.
    let one = score(&[(0, 5.0)], &Config::default()).unwrap();
    assert_eq!(one[0].status, Status::Learning);
    let constant: Vec<(i64, f64)> = (0..30).map(|d| (d * DAY, 100.0)).collect();
    let mut bumped = constant.clone();
    bumped[25].1 = 130.0;
    assert!(
        score(&constant, &Config::default())
            .unwrap()
            .iter()
            .all(|p| !p.anomaly)
    );
    let s = score(&bumped, &Config::default()).unwrap();
    assert!(s[25].anomaly && s.iter().filter(|p| p.anomaly).count() == 1);
    let gaps: Vec<(i64, f64)> = (0..60)
        .filter(|d| d % 3 != 0)
        .map(|d| (d * DAY, 50.0 + (d % 5) as f64))
        .collect();
    assert!(
        score(&gaps, &Config::default())
            .unwrap()
            .iter()
            .all(|p| !p.anomaly)
    );
    assert!(
        score(&[(0, f64::NAN)], &Config::default())
            .unwrap_err()
            .contains("not a number")
    );
    let csv = vibedata_monitor::detector::read_csv(
        "at,value\n2026-11-01,3\n\n2026-11-02T00:00:00Z,4.5\n",
    )
    .unwrap();
    assert_eq!(csv.len(), 2);
    assert!(
        vibedata_monitor::detector::read_csv("2026-11-01,abc\n2026-11-02,x")
            .unwrap_err()
            .contains("line 2")
    );
}
