//! The anomaly detector for one metric series (a table's row count, freshness lag, null rate,
//! distinct count, mean…). Each point is scored against the points before it:
//!
//! - **training window**: the points of the last `training` (35 days; 124 for day-of-month
//!   seasonality) before the point, less the `detection_window` right before it (the point
//!   itself is never in its own training); outliers in it weigh nothing, the statistics being
//!   medians;
//! - **learning**: fewer than `min_training` points, or a history shorter than `min_span` (three
//!   weeks, so a weekly pattern is not taken for anomalies), is "learning", never an alert;
//! - **robust trend**: the median of slopes between points whole weeks apart (a weekly pattern is
//!   not a trend), so a table that grows steadily is not a series of alerts;
//! - **seasonality** by day of week, hour of week or day of month, chosen when the history
//!   supports it (enough span and points per season) and it explains the series (the 90th
//!   percentile of what is left, each point against its season without it, shrinks by a fifth or
//!   more); a season is the median of its points;
//! - **robust score**: the distance to the expected value in units of the residuals' spread —
//!   1.4826 × their median absolute deviation, or their 90th percentile / 1.645 when the tails are
//!   heavier (skewed lags) — at least 0.5 % of the expected value, so a constant series is not
//!   infinitely sensitive; `sensitivity` (4) of them is the band — 3.5 gave
//!   about one false alert per 100 clean table-days on the generator, 4 half that;
//! - **direction**: spikes, drops or both;
//! - **level shifts**: after `shift_after` (3) anomalies in a row in one direction, the new level
//!   is learnt from where it began (learning again until there is enough of it), instead of
//!   alerting for ever.

use serde::{Deserialize, Serialize};

use crate::time::{self, DAY, Millis};

/// Which side of the band is an anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Spike,
    Drop,
    Both,
}

/// A seasonality, or the choice of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    Auto,
    None,
    DayOfWeek,
    HourOfWeek,
    DayOfMonth,
}

/// How a series is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub training: Millis,
    pub detection_window: Millis,
    pub min_training: usize,
    pub min_span: Millis,
    pub sensitivity: f64,
    pub direction: Direction,
    pub seasonality: Seasonality,
    pub shift_after: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            training: 35 * DAY,
            detection_window: 0,
            min_training: 14,
            min_span: 21 * DAY,
            sensitivity: 4.0,
            direction: Direction::Both,
            seasonality: Seasonality::Auto,
            shift_after: 3,
        }
    }
}

/// Where a point stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Learning,
    Normal,
    Anomaly,
}

/// A scored point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub at: Millis,
    pub value: f64,
    pub expected: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Signed robust score (`None` while learning).
    pub score: Option<f64>,
    pub anomaly: bool,
    pub status: Status,
    /// The seasonality the expectation used.
    pub season: Option<Seasonality>,
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn bucket(season: Seasonality, at: Millis) -> u16 {
    let (weekday, hour, day) = time::civil(at);
    match season {
        Seasonality::DayOfWeek => u16::from(weekday),
        Seasonality::HourOfWeek => u16::from(weekday) * 24 + u16::from(hour),
        Seasonality::DayOfMonth => u16::from(day),
        Seasonality::Auto | Seasonality::None => 0,
    }
}

fn buckets(season: Seasonality) -> usize {
    match season {
        Seasonality::DayOfWeek => 7,
        Seasonality::HourOfWeek => 168,
        Seasonality::DayOfMonth => 32,
        Seasonality::Auto | Seasonality::None => 1,
    }
}

/// An expectation learnt from a training set: expected value and scale at the scored time.
struct Fit {
    expected: f64,
    scale: f64,
    /// How well the seasonality explains the training: the 90th percentile of the
    /// leave-one-out residuals (a median would not see a weekend missed two days in seven).
    misfit: f64,
}

/// The robust trend per day: the median slope between points a whole number of weeks apart
/// (so a weekly or hour-of-week pattern does not pass for a trend) — as many weeks as fit in
/// half the training —, else between points half the training apart.
fn trend(train: &[(Millis, f64)]) -> f64 {
    let n = train.len();
    let (Some(first), Some(last)) = (train.first(), train.last()) else {
        return 0.0;
    };
    let week = 7 * DAY;
    let lag = (last.0 - first.0) / 2 / week * week;
    let mut slopes: Vec<f64> = Vec::new();
    if lag >= week {
        let tolerance = DAY / 24;
        for a in train {
            let want = a.0 + lag;
            let k = train.partition_point(|p| p.0 < want - tolerance);
            if let Some(b) = train.get(k).filter(|b| (b.0 - want).abs() <= tolerance) {
                slopes.push((b.1 - a.1) / ((b.0 - a.0) as f64 / DAY as f64));
            }
        }
    }
    if slopes.len() < 3 {
        slopes.clear();
        let half = n / 2;
        slopes.extend((0..n - half).filter_map(|j| {
            let (a, b) = (train[j], train[j + half]);
            let dt = (b.0 - a.0) as f64 / DAY as f64;
            (dt > 0.0).then(|| (b.1 - a.1) / dt)
        }));
    }
    if slopes.is_empty() {
        0.0
    } else {
        median(&mut slopes)
    }
}

/// The median of sorted `v` without its element at `skip`.
fn median_without(v: &[f64], skip: usize) -> f64 {
    let m = v.len() - 1;
    let at = |i: usize| if i < skip { v[i] } else { v[i + 1] };
    if m % 2 == 1 {
        at(m / 2)
    } else {
        (at(m / 2 - 1) + at(m / 2)) / 2.0
    }
}

/// Fits `season` on training points (`at`, value) for a point at `at` (values projected to `at`
/// along the robust trend). The scale is measured **leave one out** — each training point
/// against its season's median without it — so a fine seasonality cannot look good by fitting
/// its own noise (three points per hour of the week explain nothing).
fn fit(train: &[(Millis, f64)], at: Millis, season: Seasonality) -> Option<Fit> {
    let n = train.len();
    let slope = trend(train);
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); buckets(season)];
    let mut all: Vec<f64> = Vec::with_capacity(n);
    for (t, v) in train {
        let projected = v + slope * (at - t) as f64 / DAY as f64;
        per[bucket(season, *t) as usize].push(projected);
        all.push(projected);
    }
    all.sort_unstable_by(f64::total_cmp);
    for vs in &mut per {
        vs.sort_unstable_by(f64::total_cmp);
    }
    // Leave-one-out residuals: a season with three points or more speaks for itself, else the
    // whole training does.
    let mut residuals: Vec<f64> = Vec::with_capacity(n);
    for vs in &per {
        for (r, v) in vs.iter().enumerate() {
            let centre = if vs.len() >= 3 {
                median_without(vs, r)
            } else {
                let pos = all.partition_point(|x| x < v);
                median_without(&all, pos.min(all.len() - 1))
            };
            residuals.push((v - centre).abs());
        }
    }
    let mad = median(&mut residuals);
    // `median` sorted the residuals.
    let misfit = residuals[((residuals.len() as f64 * 0.9) as usize).min(residuals.len() - 1)];
    // The spread: the median absolute deviation, or the 90th percentile when the tails are
    // heavier than a normal's (a skewed lag, a noisy week) — each scaled to a standard deviation.
    let spread = (1.4826 * mad).max(misfit / 1.645);
    let own = &mut per[bucket(season, at) as usize];
    let expected = if own.len() >= 3 {
        median(own)
    } else {
        median(&mut all)
    };
    if !expected.is_finite() {
        return None;
    }
    Some(Fit {
        expected,
        scale: spread.max(expected.abs() * 0.005).max(1e-9),
        misfit,
    })
}

/// Whether the training supports a seasonality for a point at `at`: enough history behind it,
/// and points in most seasons.
fn supported(train: &[(Millis, f64)], season: Seasonality, at: Millis) -> bool {
    let Some(first) = train.first() else {
        return false;
    };
    let span = at - first.0;
    let need = match season {
        Seasonality::DayOfWeek | Seasonality::HourOfWeek => 21 * DAY,
        Seasonality::DayOfMonth => 90 * DAY,
        Seasonality::Auto | Seasonality::None => return true,
    };
    if span < need {
        return false;
    }
    let mut count = vec![0usize; buckets(season)];
    for (t, _) in train {
        count[bucket(season, *t) as usize] += 1;
    }
    let used = count.iter().filter(|c| **c >= 2).count();
    let expected_buckets = match season {
        Seasonality::DayOfMonth => 28,
        other => buckets(other),
    };
    used * 10 >= expected_buckets * 8
}

/// Scores every point of a series (sorted by time here; values must be finite).
pub fn score(points: &[(Millis, f64)], cfg: &Config) -> Result<Vec<Scored>, String> {
    if let Some((at, _)) = points.iter().find(|(_, v)| !v.is_finite()) {
        return Err(format!(
            "the value at {} is not a number",
            time::format(*at)
        ));
    }
    if cfg.min_training < 3 {
        return Err("min_training must be at least 3".into());
    }
    let mut pts = points.to_vec();
    pts.sort_by_key(|p| p.0);
    let mut out: Vec<Scored> = Vec::with_capacity(pts.len());
    // Where the current level began.
    let mut level_from: Millis = Millis::MIN;
    let mut run: Vec<usize> = Vec::new();
    let mut run_sign = 0.0f64;
    for i in 0..pts.len() {
        let (at, value) = pts[i];
        let longest = match cfg.seasonality {
            Seasonality::Auto | Seasonality::DayOfMonth => cfg.training.max(124 * DAY),
            _ => cfg.training,
        };
        let candidates_from = |window: Millis| -> Vec<(Millis, f64)> {
            (0..i)
                .filter(|&j| {
                    pts[j].0 >= at - window
                        && pts[j].0 >= level_from
                        && pts[j].0 < at - cfg.detection_window
                })
                .map(|j| pts[j])
                .collect()
        };
        let short = candidates_from(cfg.training);
        let mut chosen: Option<(Fit, Seasonality)> = None;
        let span = short.first().map_or(0, |f| at - f.0);
        if short.len() >= cfg.min_training && span >= cfg.min_span.min(cfg.training) {
            let options: &[Seasonality] = match cfg.seasonality {
                Seasonality::Auto => &[
                    Seasonality::None,
                    Seasonality::DayOfWeek,
                    Seasonality::HourOfWeek,
                    Seasonality::DayOfMonth,
                ],
                Seasonality::None => &[Seasonality::None],
                Seasonality::DayOfWeek => &[Seasonality::DayOfWeek],
                Seasonality::HourOfWeek => &[Seasonality::HourOfWeek],
                Seasonality::DayOfMonth => &[Seasonality::DayOfMonth],
            };
            let long = (longest > cfg.training).then(|| candidates_from(longest));
            for &season in options {
                let train = if season == Seasonality::DayOfMonth {
                    long.as_deref().unwrap_or(&short)
                } else {
                    &short
                };
                if cfg.seasonality == Seasonality::Auto && !supported(train, season, at) {
                    continue;
                }
                let Some(f) = fit(train, at, season) else {
                    continue;
                };
                let better = match &chosen {
                    None => true,
                    // A seasonality must explain the series: a fifth less misfit at least.
                    Some((best, _)) => f.misfit < best.misfit * 0.8,
                };
                if better {
                    chosen = Some((f, season));
                }
            }
        }
        let Some((f, season)) = chosen else {
            out.push(Scored {
                at,
                value,
                expected: None,
                low: None,
                high: None,
                score: None,
                anomaly: false,
                status: Status::Learning,
                season: None,
            });
            run.clear();
            continue;
        };
        let z = (value - f.expected) / f.scale;
        let (low, high) = (
            f.expected - cfg.sensitivity * f.scale,
            f.expected + cfg.sensitivity * f.scale,
        );
        let anomaly = match cfg.direction {
            Direction::Spike => value > high,
            Direction::Drop => value < low,
            Direction::Both => value > high || value < low,
        };
        // A shifted level: `shift_after` anomalies one way, at most one point back in the band
        // between two of them (noise can carry a shifted point back inside).
        let sign = z.signum();
        if anomaly {
            if run.is_empty() || sign != run_sign {
                run.clear();
                run_sign = sign;
            }
            run.push(i);
            if run.len() >= cfg.shift_after {
                // A new level: learnt from where it began.
                level_from = pts[run[0]].0;
                run.clear();
            }
        } else if run.last().is_some_and(|&last| i > last + 1) || sign != run_sign {
            run.clear();
        }
        out.push(Scored {
            at,
            value,
            expected: Some(f.expected),
            low: Some(low),
            high: Some(high),
            score: Some(z),
            anomaly,
            status: if anomaly {
                Status::Anomaly
            } else {
                Status::Normal
            },
            season: Some(season),
        });
    }
    Ok(out)
}

/// Reads `at,value` rows (a header line is allowed; blank lines skipped).
pub fn read_csv(text: &str) -> Result<Vec<(Millis, f64)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((at, value)) = line.split_once(',') else {
            return Err(format!("line {}: not `at,value`", n + 1));
        };
        let at = at.trim().trim_matches('"');
        let value = value.trim().trim_matches('"');
        if n == 0 && value.parse::<f64>().is_err() {
            continue; // the header
        }
        let at = time::parse_text(at).map_err(|e| format!("line {}: {e}", n + 1))?;
        let value: f64 = value
            .parse()
            .map_err(|_| format!("line {}: “{value}” is not a number", n + 1))?;
        if !value.is_finite() {
            return Err(format!("line {}: “{value}” is not a number", n + 1));
        }
        out.push((at, value));
    }
    Ok(out)
}
