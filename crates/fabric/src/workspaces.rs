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

/// A capacity the identity can assign workspaces to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    pub id: String,
    pub display_name: String,
    pub sku: String,
    pub region: String,
    /// `Active` or `Inactive` (paused).
    pub state: String,
}

impl Client {
    /// One workspace.
    pub async fn workspace(&self, workspace_id: &str) -> Result<Workspace, FabricError> {
        self.get(&format!("/workspaces/{workspace_id}")).await
    }

    /// The workspace with this display name, if the identity sees one (names are unique).
    pub async fn workspace_named(&self, name: &str) -> Result<Option<Workspace>, FabricError> {
        Ok(self
            .workspaces()
            .await?
            .into_iter()
            .find(|w| w.display_name == name))
    }

    /// Deletes a workspace and everything in it. Deleting one already gone is not an error.
    pub async fn delete_workspace(&self, workspace_id: &str) -> Result<(), FabricError> {
        match self
            .send(Method::DELETE, &format!("/workspaces/{workspace_id}"), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("WorkspaceNotFound") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every capacity the identity can use.
    pub async fn capacities(&self) -> Result<Vec<Capacity>, FabricError> {
        self.list("/capacities").await
    }

    /// Assigns a workspace to a capacity (a long-running operation when Fabric says so). A paused
    /// capacity is refused by Fabric (`CapacityNotActive`).
    pub async fn assign_capacity(
        &self,
        workspace_id: &str,
        capacity_id: &str,
    ) -> Result<(), FabricError> {
        self.long_running(
            Method::POST,
            &format!("/workspaces/{workspace_id}/assignToCapacity"),
            Some(&json!({"capacityId": capacity_id})),
        )
        .await
        .map(|_| ())
    }
}

impl Client {
    /// Creates (or replaces) a OneLake shortcut in a lakehouse: `path/name` (e.g. `Tables/bronze`)
    /// pointing at `target_path` of another workspace's lakehouse.
    pub async fn shortcut_to(
        &self,
        workspace_id: &str,
        lakehouse_id: &str,
        path: &str,
        name: &str,
        target: (&str, &str, &str),
    ) -> Result<(), FabricError> {
        let (target_workspace, target_item, target_path) = target;
        let body = json!({
            "path": path,
            "name": name,
            "target": {"oneLake": {"workspaceId": target_workspace, "itemId": target_item, "path": target_path}},
        });
        self.post(
            &format!(
                "/workspaces/{workspace_id}/items/{lakehouse_id}/shortcuts?shortcutConflictPolicy=CreateOrOverwrite"
            ),
            &body,
        )
        .await
        .map(|_| ())
    }
}
