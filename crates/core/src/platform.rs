//! The ground every capability stands on: where things live ([`paths`]), the one error type
//! ([`error`]), the SQLite store and its migrations ([`store`]), logs ([`observability`]), the OS
//! keychain ([`keychain`]), the person's Entra identity ([`entra`]), the settings read once from
//! the environment ([`config`]), and the Python environment that runs the real engines ([`venv`]).
//! Nothing here knows a capability above it.

pub mod clock;
pub mod config;
pub mod entra;
pub mod error;
pub mod keychain;
pub mod observability;
pub mod paths;
pub mod store;
pub mod venv;

use std::sync::Arc;

use crate::platform::config::Config;
use crate::platform::paths::Paths;
use crate::platform::store::Store;

/// What every capability's front door shares: the settings read at start and the open store.
pub struct Platform {
    pub config: Config,
    pub store: Arc<Store>,
}

impl Platform {
    pub fn paths(&self) -> &Paths {
        &self.config.paths
    }

    /// The Python environment with dbt, dlt and DuckDB.
    pub fn venv(&self) -> venv::Venv {
        venv::Venv::new(&self.config.paths.venv)
    }
}
