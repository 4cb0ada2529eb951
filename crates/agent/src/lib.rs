//! The agent runtime every agent in the product runs on.
//!
//! - [`provider`]: a streaming-first [`provider::Provider`] trait (text deltas, tool calls, usage,
//!   stop), with [`foundry::FoundryProvider`] for Azure AI Foundry / any OpenAI-compatible
//!   endpoint and [`replay::ReplayProvider`] for recorded transcripts (tests, offline demo).
//! - [`tools`]: typed tools (JSON Schema from Rust types) with a declared [`policy::Scope`];
//!   [`confine`] keeps every path inside the workspace.
//! - [`policy`]: autonomy levels and approvals; privileged tools are refused to agents here, in
//!   the runtime, whatever the level.
//! - [`session`]: the loop — cancel check, budget check, stream, tool calls, permission, run,
//!   append — with [`budget`] ceilings and [`redact`]ion of secrets before anything leaves, and
//!   a [`journal`] of everything that happened (redacted) for the core to persist.
//!
//! It must not depend on Tauri or the UI, must never log prompts, payloads or credentials, and
//! returns tool failures and denials to the model as tool results rather than failing the
//! session.

pub mod budget;
pub mod confine;
pub mod foundry;
pub mod journal;
pub mod message;
pub mod policy;
pub mod provider;
pub mod redact;
pub mod replay;
pub mod session;
pub mod tools;
