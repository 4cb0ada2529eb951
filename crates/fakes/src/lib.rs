//! Test support: local fakes of the external services the product talks to, each a real server on
//! `127.0.0.1:0` speaking that service's wire format, scripted per test and able to inject faults.
//! A fake never panics on a request it was not told about; it answers like the service would.
//!
//! Used only by tests (dev-dependency); nothing here ships in the app.

// Test support only (a dev-dependency, plus the e2e harness): a panic here fails the test using it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod entra;
pub mod fabric;
pub mod foundry;
pub mod git_http;
pub mod github;
pub mod http;
pub mod secrets;
