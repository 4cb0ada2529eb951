//! GitHub for Vibedata Studio: signing in with the OAuth device flow ([`device`]), the way desktop
//! tools do — the person enters a short code on github.com while the app polls — learning who a
//! token belongs to ([`user`]), and the REST client ([`rest`]: standard headers, per-token ETag
//! cache, `link` pagination, serialised writes, rate limits, typed errors). Issue sync, the
//! outbox and pull requests are built on it in the core.
//!
//! Tokens travel as [`Sensitive`](vibedata_secrets::Sensitive) and are stored by the core in
//! the OS keychain only; this crate never writes them anywhere and never logs them.

pub mod device;
pub mod rest;
pub mod user;
