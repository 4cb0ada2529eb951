//! Promoting a domain's `main` to its production workspace — a governed act: a preview of exactly
//! which items change (the production workspace's git status against `main`, in dependency order:
//! lakehouses and environments before the notebooks and jobs that use them, reports last), then a
//! person's approval — someone whose role on the GitHub repository is write, maintain or admin, read
//! from GitHub with their own account; never an agent — then the update from git (Fabric applies
//! only what changed: nothing unchanged is redeployed), each step in the audit log. The approval
//! names the commit previewed: if `main` moved since, nothing is deployed.

use vibedata_fabric::Client;
use vibedata_protocol::fabric::{DeployChangeDto, DeployPreviewDto, FabricLinkDto};

use crate::platform::error::{CoreError, Result};

/// Roles on the repository that may promote to production.
pub const PROMOTERS: [&str; 3] = ["admin", "maintain", "write"];

/// Where an item type deploys in the order: what others depend on first.
pub fn order(kind: &str) -> u8 {
    match kind {
        "Lakehouse" | "Warehouse" | "Environment" | "KQLDatabase" | "Eventhouse" => 0,
        "SparkJobDefinition" | "Notebook" => 1,
        "DataBuildToolJob" => 2,
        "DataPipeline" => 3,
        "SemanticModel" => 4,
        "Report" | "Dashboard" => 5,
        _ => 6,
    }
}

/// What promoting would change now.
pub async fn preview(client: &Client, link: &FabricLinkDto) -> Result<DeployPreviewDto> {
    let ws = &link.fabric_workspace_id;
    let connection = client
        .git_connection(ws)
        .await
        .map_err(|e| CoreError::fabric("cannot read production's git connection", e))?;
    if connection.state == "NotConnected" {
        return Err(CoreError::InvalidInput(format!(
            "the production workspace {} is not connected to git: connect it to the repository's \
             main branch in Fabric (Workspace settings → Git integration) first",
            link.fabric_workspace_name
        )));
    }
    if connection.state == "Connected" {
        client
            .git_initialize(ws)
            .await
            .map_err(|e| CoreError::fabric("cannot initialize production's git connection", e))?;
    }
    let status = client
        .git_status(ws)
        .await
        .map_err(|e| CoreError::fabric("cannot read production's git status", e))?;
    let mut changes: Vec<DeployChangeDto> = status
        .changes
        .iter()
        .filter_map(|c| {
            let change = c["remoteChange"].as_str()?;
            if change == "None" {
                return None;
            }
            Some(DeployChangeDto {
                name: c["itemMetadata"]["displayName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                kind: c["itemMetadata"]["itemType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                change: change.to_string(),
            })
        })
        .collect();
    // Deletions go the other way: what depends on an item goes before it.
    changes.sort_by_key(|c| {
        let o = order(&c.kind);
        (
            c.change == "Deleted",
            if c.change == "Deleted" { 6 - o } else { o },
            c.name.clone(),
        )
    });
    Ok(DeployPreviewDto {
        workspace_id: link.workspace_id.clone(),
        fabric_workspace_id: ws.clone(),
        fabric_workspace_name: link.fabric_workspace_name.clone(),
        from_commit: status.workspace_head.unwrap_or_default(),
        to_commit: status.remote_commit_hash,
        changes,
    })
}

/// Updates production to exactly the previewed commit (a head that moved meanwhile refuses).
pub async fn execute(client: &Client, preview: &DeployPreviewDto) -> Result<()> {
    let ws = &preview.fabric_workspace_id;
    let status = client
        .git_status(ws)
        .await
        .map_err(|e| CoreError::fabric("cannot read production's git status", e))?;
    if status.remote_commit_hash != preview.to_commit {
        return Err(CoreError::InvalidInput(format!(
            "main moved since the preview (now {}): preview again and approve what will change",
            short(&status.remote_commit_hash)
        )));
    }
    if status.workspace_head.as_deref() == Some(preview.to_commit.as_str()) {
        return Ok(());
    }
    client
        .git_update(ws, status.workspace_head.as_deref(), &preview.to_commit)
        .await
        .map_err(|e| CoreError::fabric("the update of production from git failed", e))
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn storage_before_code_before_reports() {
        assert!(order("Lakehouse") < order("Notebook"));
        assert!(order("Notebook") < order("DataBuildToolJob"));
        assert!(order("DataBuildToolJob") < order("Report"));
    }
}
