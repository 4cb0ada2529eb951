//! Operate's engine, with no store and no I/O of its own (the core keeps its state and delivers
//! its incidents through the outbox; the CLI feeds it files):
//!
//! - [`signal`]: one normalized record of something that went wrong — from dbt's
//!   `run_results.json` (model errors, test failures and warnings with their failing rows,
//!   contract violations), dbt's `sources.json` (freshness), or a JSON envelope any system can
//!   post — with its fingerprint.
//! - [`lineage`]: what is upstream of what (from a dbt manifest), and a test's subject.
//! - [`detector`]: the anomaly detector for a metric series — robust scores (median / MAD) over a
//!   training window that excludes the point tested, a robust trend, seasonality by day of week,
//!   hour of week or day of month chosen when the history supports it, "learning" until there is
//!   enough history, a level shift learnt after it is reported, an expected band for every point.
//! - [`alerts`]: the alert engine — signals grouped into incidents by workspace and lineage, a
//!   failing upstream inhibiting what it breaks downstream (listed as suppressed, with why),
//!   `group_wait` / `group_interval` / `repeat_interval` as Alertmanager has them, silences,
//!   resolution when a subject stays quiet.

pub mod alerts;
pub mod detector;
pub mod lineage;
pub mod signal;
pub mod time;

pub use signal::{Severity, Signal};
