//! The Vibedata Studio core: everything the product does, as a library with no Tauri dependency.
//!
//! It owns the local state (a SQLite store with versioned migrations), the registered workspaces
//! and git operations on their clones (clone with progress, fetch, intent branches, diffs, commit,
//! push), each open domain's native dbt index kept current by a file watcher, agent sessions (the
//! runtime of `vibedata-agent` with the app's tools, journaled transcripts, approvals, budgets,
//! the hash-chained audit log, credentials in the OS keychain), intents with their lifecycle and
//! validation on the local DuckDB, GitHub (accounts, the issue inbox synced into the store, the
//! exactly-once outbox of writes, pull requests from intent branches), Review, Monitor, Fabric
//! (the person's Entra identity, a domain's production workspace, ephemeral workspaces per intent
//! branch, the data diff in Fabric, governed promotion, local Spark), the demo data domain
//! created on first start, the seeded
//! platform skills, the Python environment that runs the real engines (dbt, dlt, DuckDB), and
//! observability.
//! The desktop shell (`src-tauri`) and the CLI (`crates/cli`) are thin adapters over [`Studio`].
//!
//! Rules this crate keeps: no Tauri or UI types; blocking work (rusqlite, git2, child processes)
//! runs on blocking threads behind the async [`Studio`] methods; no secret is written to disk or to
//! a log line; errors that reach a person say what to do and name the file involved.

pub mod agents;
pub mod domains;
pub mod fabric;
pub mod github;
pub mod governance;
pub mod intents;
pub mod monitor;
pub mod platform;
pub mod review;
pub mod skills;
pub mod studio;
pub mod workspaces;

pub use platform::error::{CoreError, Result};
pub use platform::paths::Paths;
pub use studio::{Studio, app_status};
/// The native dbt project index, re-exported for the shell and the CLI.
pub use vibedata_dbt_index as dbt_index;
