//! Workspaces and their items, as the platform API describes them (`Workspace`, `Item`).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Client, FabricError};

/// A Fabric workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub capacity_id: Option<String>,
}

/// An item of a workspace (a lakehouse, a notebook, a dbt job…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    pub workspace_id: String,
}

impl Client {
    /// Every workspace the identity can see.
    pub async fn workspaces(&self) -> Result<Vec<Workspace>, FabricError> {
        self.list("/workspaces").await
    }

    /// Creates a workspace (on a capacity, when given).
    pub async fn create_workspace(
        &self,
        name: &str,
        capacity_id: Option<&str>,
    ) -> Result<Workspace, FabricError> {
        let mut body = json!({"displayName": name});
        if let Some(c) = capacity_id {
            body["capacityId"] = json!(c);
        }
        let v = self.post("/workspaces", &body).await?;
        serde_json::from_value(v).map_err(|e| FabricError::Malformed(e.to_string()))
    }

    /// Every item of a workspace.
    pub async fn items(&self, workspace_id: &str) -> Result<Vec<Item>, FabricError> {
        self.list(&format!("/workspaces/{workspace_id}/items"))
            .await
    }

    /// Creates an item (a long-running operation when Fabric says so) and returns it.
    pub async fn create_item(
        &self,
        workspace_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Item, FabricError> {
        let body = json!({"displayName": name, "type": kind});
        let v = self
            .long_running(
                Method::POST,
                &format!("/workspaces/{workspace_id}/items"),
                Some(&body),
            )
            .await?;
        serde_json::from_value(v).map_err(|e| FabricError::Malformed(e.to_string()))
    }
}
