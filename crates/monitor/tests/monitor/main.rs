//! Integration tests of the monitor engine: the detector per anomaly type on generated series,
//! and the alert engine's grouping, inhibition, timing, silences and resolution, table-driven.

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod detector;
mod signals;
