//! The core's error type. Callers branch on the variant; people read the message.

use std::path::PathBuf;
use vibedata_protocol::{ErrorCode, ErrorDto};

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(
        "The database {} is damaged and cannot be used ({detail}). Nothing was changed: move the \
         file aside (or restore a backup) and restart to begin with a fresh one.",
        path.display()
    )]
    StoreCorrupt { path: PathBuf, detail: String },

    #[error(
        "The database {} was written by a newer Vibedata Studio (schema version {found}; this \
         version knows up to {supported}). Update the app, or move the file aside to start fresh.",
        path.display()
    )]
    StoreTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("The database {} could not be used: {source}", path.display())]
    Store {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("{context}: {}", plain_git(source))]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Venv(String),

    #[error(
        "The system keychain is not available ({0}). Credentials are only kept there: unlock or \
         start your keyring (Secret Service, e.g. gnome-keyring) and try again."
    )]
    Keychain(String),

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    InvalidInput(String),

    #[error("{context}: {source}")]
    GitHub {
        context: String,
        #[source]
        source: vibedata_github::rest::GhError,
    },

    #[error("{context}: {source}")]
    Fabric {
        context: String,
        #[source]
        source: vibedata_fabric::FabricError,
    },

    #[error("{0}")]
    ModelNotConfigured(String),
    #[error("{0}")]
    Internal(String),
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::StoreCorrupt { .. } => ErrorCode::StoreCorrupt,
            CoreError::StoreTooNew { .. } => ErrorCode::StoreTooNew,
            CoreError::Store { .. } => ErrorCode::Store,
            CoreError::Git { .. } => ErrorCode::Git,
            CoreError::Io { .. } => ErrorCode::Io,
            CoreError::Venv(_) => ErrorCode::Venv,
            CoreError::Keychain(_) => ErrorCode::Keychain,
            CoreError::NotFound(_) => ErrorCode::NotFound,
            CoreError::InvalidInput(_) => ErrorCode::InvalidInput,
            CoreError::GitHub {
                source: vibedata_github::rest::GhError::Auth,
                ..
            } => ErrorCode::GitHubSignIn,
            CoreError::GitHub { .. } => ErrorCode::GitHub,
            CoreError::Fabric {
                source: vibedata_fabric::FabricError::Auth(_),
                ..
            } => ErrorCode::FabricSignIn,
            CoreError::Fabric { .. } => ErrorCode::Fabric,
            CoreError::ModelNotConfigured(_) => ErrorCode::ModelNotConfigured,
            CoreError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn github(
        context: impl Into<String>,
        source: vibedata_github::rest::GhError,
    ) -> Self {
        CoreError::GitHub {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn fabric(context: impl Into<String>, source: vibedata_fabric::FabricError) -> Self {
        CoreError::Fabric {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn git(context: impl Into<String>, source: git2::Error) -> Self {
        CoreError::Git {
            context: context.into(),
            source,
        }
    }
}

impl From<CoreError> for ErrorDto {
    fn from(err: CoreError) -> Self {
        ErrorDto::new(err.code(), err.to_string())
    }
}

/// Runs blocking work (rusqlite, git2, child processes) off the async runtime.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::Internal(format!("a background task failed: {e}")))?
}

/// A git error in plain words: git2's message without its class and code, and "offline" when the
/// network is what failed (the usual reason on a laptop).
pub fn plain_git(e: &git2::Error) -> String {
    let message = e.message().trim_end_matches('.');
    match e.class() {
        git2::ErrorClass::Net | git2::ErrorClass::Ssl | git2::ErrorClass::Http => {
            format!("offline, or the remote cannot be reached ({message})")
        }
        _ => message.to_string(),
    }
}
