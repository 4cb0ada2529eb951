//! Governance: the append-only, hash-chained audit log ([`audit`]); settings and roles come here.

pub mod audit;

use std::sync::Arc;

use crate::platform::Platform;
use crate::platform::error::{Result, blocking};

/// Governance's front door.
pub struct Governance {
    platform: Arc<Platform>,
}

impl Governance {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }

    /// Checks the audit log's hash chain from the first record to the last.
    pub async fn verify_audit(&self) -> Result<audit::Verification> {
        let platform = self.platform.clone();
        blocking(move || audit::verify(&platform.store)).await
    }
}
