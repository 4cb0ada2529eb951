//! The IPC surface, one file per capability. Every command is one call into that capability's
//! front door in the core. Each command is listed in `main.rs` (the handler), `build.rs` (the app
//! manifest), `capabilities/default.json` (the grant) and the UI's `api` module; the test
//! `command_lists_agree` fails when any of these disagree.

pub mod agents;
pub mod app;
pub mod domains;
pub mod fabric;
pub mod github;
pub mod intents;
pub mod monitor;
pub mod review;
pub mod workspaces;
