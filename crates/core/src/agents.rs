//! Agents: the runtime of `vibedata-agent` wired to the app ([`runtime`]: provider choice, start,
//! resume, approve, cancel), stored transcripts and usage ([`sessions`]), the app's tools over
//! git, dbt, DuckDB and skills ([`tools`]), autonomy levels ([`autonomy`]), budgets ([`budgets`])
//! and the model they run on ([`model`]).

pub mod autonomy;
pub mod budgets;
pub mod model;
pub mod runtime;
pub mod sessions;
pub mod tools;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::github::GitHub;
use crate::platform::Platform;

/// The agents' front door: sessions started, resumed, approved and cancelled, their transcripts
/// and usage, and the autonomy and budget settings they run under.
pub struct Agents {
    platform: Arc<Platform>,
    /// The GitHub identities, whose tokens every session's redactor knows.
    github: Arc<GitHub>,
    /// Agent sessions running in this process, by session id.
    running: Arc<Mutex<HashMap<String, runtime::Running>>>,
}

impl Agents {
    pub fn new(platform: Arc<Platform>, github: Arc<GitHub>) -> Self {
        Self {
            platform,
            github,
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}
