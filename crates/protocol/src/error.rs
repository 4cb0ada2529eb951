use serde::{Deserialize, Serialize};
use std::fmt;

/// The one error that crosses from the shell to the UI.
///
/// `code` exists so the UI can tell apart the cases it handles differently (a broken database gets a
/// full-page explanation, a missing workspace a link to re-register it); `message` is written for the
/// person reading it and names the file, repository or setting involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDto {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The SQLite file exists but is not a readable database (or fails its integrity check).
    StoreCorrupt,
    /// The SQLite file was written by a newer version of the app.
    StoreTooNew,
    /// The store could not be opened or written for another reason (permissions, disk full).
    Store,
    /// A git operation failed.
    Git,
    /// A file could not be read or written.
    Io,
    /// The Python environment (dbt, dlt) is missing or broken.
    Venv,
    /// The OS keychain (Secret Service) cannot be reached; credentials are never kept elsewhere.
    Keychain,
    /// Something the user asked for does not exist.
    NotFound,
    /// The request itself was wrong (bad path, bad name).
    InvalidInput,
    /// GitHub refused the token (revoked or expired) or nobody is signed in: sign in again.
    #[serde(rename = "github_sign_in")]
    GitHubSignIn,
    /// GitHub failed or refused a request for another reason (the message says which).
    #[serde(rename = "github")]
    GitHub,
    /// Nobody is signed in to Fabric, or Entra refused the grant (revoked, expired, consent
    /// withdrawn): sign in again in Settings.
    FabricSignIn,
    /// Fabric failed or refused a request for another reason (its errorCode in the message).
    Fabric,
    /// No model endpoint is configured for agents (outside the demo domain, whose replays need
    /// none): the UI leads to Settings.
    ModelNotConfigured,
    /// The shell could not reach the UI contract (e.g. a malformed IPC reply).
    Ipc,
    /// Anything else: a bug, reported with as much context as we have.
    Internal,
}

impl ErrorDto {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrorDto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorDto {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_serializes_as_snake_case_for_the_ui() {
        let json = serde_json::to_string(&ErrorDto::new(ErrorCode::StoreCorrupt, "x")).unwrap();
        assert_eq!(json, r#"{"code":"store_corrupt","message":"x"}"#);
    }
}
