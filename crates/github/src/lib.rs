//! GitHub for Vibedata Studio. So far: signing in with the OAuth device flow ([`device`]), the way
//! desktop tools do — the person enters a short code on github.com while the app polls — and
//! learning who a token belongs to ([`user`]).
//!
//! Tokens travel as [`Sensitive`](vibedata_agent::redact::Sensitive) and are stored by the core in
//! the OS keychain only; this crate never writes them anywhere and never logs them.

pub mod device;
pub mod rest;
pub mod user;
