//! A workspace's git integration, as `platform/gitIntegration` describes it: connect a workspace to
//! a GitHub repository's branch and folder through the organisation's stored Fabric connection
//! (GitHub refuses "automatic" credentials), initialize the connection, read its status and update
//! the workspace from git. An update names the remote commit and the workspace head it starts from;
//! Fabric refuses a stale head (`WorkspaceHeadMismatch`) or a second operation
//! (`WorkspacePreviousOperationInProgress`) — [`Client::sync_from_git`] reads the status first and
//! tries again on those, so a moving branch is handled rather than failed.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Client, FabricError};

/// Where a workspace is connected: a GitHub repository, a branch, a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitTarget {
    pub owner: String,
    pub repository: String,
    pub branch: String,
    /// The folder of the repository the workspace syncs (`/` for the root).
    pub directory: String,
    /// The organisation's Fabric connection holding the GitHub credentials.
    pub connection_id: String,
}

/// A workspace's git status: its head, the remote's head and what differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitStatus {
    #[serde(default)]
    pub workspace_head: Option<String>,
    pub remote_commit_hash: String,
    #[serde(default)]
    pub changes: Vec<serde_json::Value>,
}

/// What initializing a connection says to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Initialized {
    /// `None`, `UpdateFromGit` or `CommitToGit`.
    #[serde(default)]
    pub required_action: String,
    #[serde(default)]
    pub workspace_head: Option<String>,
    #[serde(default)]
    pub remote_commit_hash: Option<String>,
}

/// A workspace's git connection: its state and, when connected, the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `NotConnected`, `Connected` or `ConnectedAndInitialized`.
    pub state: String,
    pub branch: Option<String>,
    pub repository: Option<String>,
}

impl Client {
    /// The workspace's git connection.
    pub async fn git_connection(&self, workspace_id: &str) -> Result<Connection, FabricError> {
        let v: serde_json::Value = self
            .get(&format!("/workspaces/{workspace_id}/git/connection"))
            .await?;
        let details = &v["gitProviderDetails"];
        Ok(Connection {
            state: v["gitConnectionState"]
                .as_str()
                .unwrap_or("NotConnected")
                .to_string(),
            branch: details["branchName"].as_str().map(str::to_string),
            repository: details["repositoryName"].as_str().map(str::to_string),
        })
    }

    /// Connects the workspace to a GitHub branch with the stored connection's credentials.
    pub async fn git_connect(&self, workspace_id: &str, to: &GitTarget) -> Result<(), FabricError> {
        let body = json!({
            "gitProviderDetails": {
                "gitProviderType": "GitHub",
                "ownerName": to.owner,
                "repositoryName": to.repository,
                "branchName": to.branch,
                "directoryName": to.directory,
            },
            "myGitCredentials": {"source": "ConfiguredConnection", "connectionId": to.connection_id},
        });
        self.post(&format!("/workspaces/{workspace_id}/git/connect"), &body)
            .await
            .map(|_| ())
    }

    /// Initializes a connected workspace (remote content preferred).
    pub async fn git_initialize(&self, workspace_id: &str) -> Result<Initialized, FabricError> {
        let v = self
            .long_running(
                Method::POST,
                &format!("/workspaces/{workspace_id}/git/initializeConnection"),
                Some(&json!({"initializationStrategy": "PreferRemote"})),
            )
            .await?;
        serde_json::from_value(v).map_err(|e| FabricError::Malformed(e.to_string()))
    }

    /// The workspace's git status (a long-running operation when Fabric says so).
    pub async fn git_status(&self, workspace_id: &str) -> Result<GitStatus, FabricError> {
        let v = self
            .long_running(
                Method::GET,
                &format!("/workspaces/{workspace_id}/git/status"),
                None,
            )
            .await?;
        serde_json::from_value(v).map_err(|e| FabricError::Malformed(e.to_string()))
    }

    /// Updates the workspace to `remote` from `head`; remote content wins conflicts and overrides
    /// items (an ephemeral workspace holds nothing of its own).
    pub async fn git_update(
        &self,
        workspace_id: &str,
        head: Option<&str>,
        remote: &str,
    ) -> Result<(), FabricError> {
        let mut body = json!({
            "remoteCommitHash": remote,
            "conflictResolution": {"conflictResolutionType": "Workspace",
                "conflictResolutionPolicy": "PreferRemote"},
            "options": {"allowOverrideItems": true},
        });
        if let Some(h) = head {
            body["workspaceHead"] = json!(h);
        }
        self.long_running(
            Method::POST,
            &format!("/workspaces/{workspace_id}/git/updateFromGit"),
            Some(&body),
        )
        .await
        .map(|_| ())
    }

    /// Brings the workspace to its branch's latest commit: reads the status, updates when behind,
    /// and on a stale head or an operation in progress reads again and retries (a few times).
    /// Returns the commit the workspace is at.
    pub async fn sync_from_git(&self, workspace_id: &str) -> Result<String, FabricError> {
        let mut attempts = 0;
        loop {
            let status = self.git_status(workspace_id).await?;
            if status.workspace_head.as_deref() == Some(status.remote_commit_hash.as_str()) {
                return Ok(status.remote_commit_hash);
            }
            match self
                .git_update(
                    workspace_id,
                    status.workspace_head.as_deref(),
                    &status.remote_commit_hash,
                )
                .await
            {
                Ok(()) => return Ok(status.remote_commit_hash),
                Err(e)
                    if attempts < 4
                        && matches!(
                            e.code(),
                            Some("WorkspaceHeadMismatch" | "WorkspacePreviousOperationInProgress")
                        ) =>
                {
                    attempts += 1;
                    tokio::time::sleep(self.backoff * attempts).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
