//! Native dbt project index: reads a dbt project (and its installed packages) without Python and
//! produces what `dbt parse` would — nodes with dbt's `unique_id`s (generic tests included),
//! `parent_map`/`child_map`, the `disabled` section — rendering Jinja with dbt's parse-time
//! context ([`render`]) where the literal reading ([`jinja`]) is not enough, plus column lineage
//! ([`columns`]), column documentation/test coverage, contract status and problems located by
//! file and line.
//!
//! It owns parsing and linking only: no git, no SQLite, no Tauri, no file watching (the core
//! watches and calls [`Index::update`]). It must never panic on bad input; everything wrong with
//! a project is a [`Problem`]. Agreement with dbt is checked by the core's integration tests,
//! which run the real `dbt parse` on fixture projects and compare node for node.

pub mod agreement;
pub mod columns;
pub mod coverage;
pub mod diff;
pub mod files;
pub mod index;
pub mod jinja;
pub mod link;
pub mod manifest;
pub mod node;
pub mod problem;
pub mod project;
mod relink;
pub mod render;
pub mod sql_columns;
pub mod synthetic;
pub mod test_ids;
pub mod yaml;

pub use coverage::{Counts, Coverage};
pub use index::{Index, UpdateOutcome};
pub use manifest::to_manifest_json;
pub use node::{Column, ModelConstraint, Node, ResourceType, TestInfo};
pub use problem::{Problem, Severity};
