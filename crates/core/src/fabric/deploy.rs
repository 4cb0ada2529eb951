//! Promoting a domain's `main` to its production workspace — a governed act: a preview of exactly
//! which items change (the production workspace's git status against `main`, in dependency order:
//! lakehouses and environments before the notebooks and jobs that use them, reports last), then a
//! person's approval — someone whose role on the GitHub repository is write, maintain or admin, read
//! from GitHub with their own account; never an agent — then the update from git (Fabric applies
//! only what changed: nothing unchanged is redeployed), each step in the audit log. The approval
//! names the commit previewed: if `main` moved since, nothing is deployed. The front door's
//! promotion methods live here too (`Fabric::deploy_preview`, `promote`, `deploy_headless`,
//! `sync_deployments`, `promotion_runs`, `write_workflow`, `fabricspark_profile`).

use vibedata_fabric::Client;
use vibedata_protocol::IntentState;
use vibedata_protocol::fabric::{DeployChangeDto, DeployPreviewDto, DeployedDto, FabricLinkDto};

use super::workflow;
use crate::platform::clock;
use crate::platform::error::{CoreError, Result, blocking};

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

impl super::Fabric {
    /// One step of a promotion in the audit log, under who took it.
    async fn audit_promotion(
        &self,
        fabric_workspace_id: &str,
        actor: String,
        action: &'static str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let store = self.platform.store.clone();
        let subject = format!("fabric:{fabric_workspace_id}");
        blocking(move || {
            crate::governance::audit::append(
                &store,
                clock::now(),
                &actor,
                action,
                &subject,
                &detail,
            )
            .map(|_| ())
        })
        .await
    }

    /// What promoting the domain's `main` to its production workspace would change. Reading
    /// production's state also marks the merged intents it already runs as Deployed (a promotion
    /// by the repository's workflow, say).
    pub async fn deploy_preview(&self, workspace_id: &str) -> Result<DeployPreviewDto> {
        let link = self.linked(workspace_id).await?;
        let client = self.client().await?;
        let preview = preview(&client, &link).await?;
        if !preview.from_commit.is_empty()
            && let Err(e) = self
                .sync_deployments(workspace_id, &preview.from_commit)
                .await
        {
            tracing::warn!(error = %e, "deployments not read from production's state");
        }
        Ok(preview)
    }

    /// Marks Deployed the domain's merged intents whose branch production's commit contains
    /// (known to the local clone; fetch first to see a workflow's promotion). Returns them.
    pub async fn sync_deployments(
        &self,
        workspace_id: &str,
        production_head: &str,
    ) -> Result<Vec<String>> {
        let platform = self.platform.clone();
        let (id, head) = (workspace_id.to_string(), production_head.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let repo = git2::Repository::open(&ws.path)
                .map_err(|e| CoreError::git("cannot open the domain's repository", e))?;
            let Some(deployed) = git2::Oid::from_str(&head)
                .ok()
                .filter(|o| repo.find_commit(*o).is_ok())
            else {
                return Ok(Vec::new());
            };
            let mut done = Vec::new();
            for intent in crate::intents::records::list(&platform.store, &id)? {
                if intent.state != IntentState::Merged {
                    continue;
                }
                let Ok(tip) = repo
                    .revparse_single(&intent.branch)
                    .and_then(|o| o.peel_to_commit())
                else {
                    continue;
                };
                let contained = tip.id() == deployed
                    || repo.graph_descendant_of(deployed, tip.id()).unwrap_or(false);
                if !contained {
                    continue;
                }
                let tree = crate::intents::records::tree(&ws, &intent).unwrap_or_else(|_| ws.clone());
                let applied = crate::intents::records::apply(
                    &platform.store,
                    &tree,
                    &intent.id,
                    crate::intents::lifecycle::IntentStep::Deploy,
                    &crate::intents::lifecycle::Actor::Person,
                );
                let state = crate::intents::records::get(&platform.store, &intent.id)?.state;
                if state == IntentState::Deployed {
                    tracing::info!(intent = %intent.id, commit = %head, "intent deployed (production's state)");
                    done.push(intent.id);
                } else if let Err(e) = applied {
                    tracing::warn!(intent = %intent.id, error = %e, "intent not marked deployed");
                }
            }
            Ok(done)
        })
        .await
    }

    /// Promotes `main` to production as previewed (`to_commit`), approved by the person signed
    /// in to GitHub for this domain, whose role on the repository must allow it. Audited: the
    /// preview, the approval (or its refusal), the execution and its outcome. The domain's merged
    /// intents become Deployed.
    pub async fn promote(
        &self,
        github: &crate::github::GitHub,
        workspace_id: &str,
        to_commit: &str,
    ) -> Result<DeployedDto> {
        let link = self.linked(workspace_id).await?;
        let client = self.client().await?;
        let preview = preview(&client, &link).await?;
        let audit = |action: &'static str, actor: String, detail: serde_json::Value| {
            self.audit_promotion(&link.fabric_workspace_id, actor, action, detail)
        };
        if preview.to_commit != to_commit {
            return Err(CoreError::InvalidInput(format!(
                "main moved since the preview you approved (now {}): preview again",
                &preview.to_commit[..preview.to_commit.len().min(10)]
            )));
        }
        // The approver: the person's own GitHub account for this domain, and their role there.
        let active = github.active_for(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput(
                "sign in to GitHub: promoting to production needs your role on the repository"
                    .into(),
            )
        })?;
        let login = match &active.login {
            Some(l) => l.clone(),
            None => {
                let me = active
                    .client()?
                    .get("/user")
                    .await
                    .map_err(|e| CoreError::github("cannot read who is signed in", e))?;
                me.body["login"].as_str().unwrap_or_default().to_string()
            }
        };
        let rest = active.client()?;
        let role = match rest
            .get(&format!(
                "/repos/{}/collaborators/{login}/permission",
                link.repository
            ))
            .await
        {
            Ok(page) => page.body["role_name"]
                .as_str()
                .or(page.body["permission"].as_str())
                .unwrap_or("none")
                .to_string(),
            Err(vibedata_github::rest::GhError::NotFound(_)) => "none".to_string(),
            Err(e) => {
                return Err(CoreError::github(
                    "cannot read your role on the repository",
                    e,
                ));
            }
        };
        let detail = serde_json::json!({
            "repository": link.repository, "from": preview.from_commit, "to": preview.to_commit,
            "changes": preview.changes, "role": role,
        });
        if !PROMOTERS.contains(&role.as_str()) {
            audit("promotion refused", login.clone(), detail).await?;
            return Err(CoreError::InvalidInput(format!(
                "{login} is {role} on {}: promoting to production needs write, maintain or admin",
                link.repository
            )));
        }
        audit("promotion approved", login.clone(), detail.clone()).await?;
        match execute(&client, &preview).await {
            Ok(()) => audit("promotion deployed", login.clone(), detail).await?,
            Err(e) => {
                let mut failed = detail;
                failed["error"] = serde_json::json!(e.to_string());
                audit("promotion failed", login.clone(), failed).await?;
                return Err(e);
            }
        }
        let deployed_intents = self.mark_deployed(workspace_id, &login).await?;
        tracing::info!(workspace = %link.fabric_workspace_name, to = %preview.to_commit, by = %login, "promoted to production");
        Ok(DeployedDto {
            preview,
            approved_by: login,
            role,
            deployed_intents,
        })
    }

    /// The domain's merged intents become Deployed.
    async fn mark_deployed(&self, workspace_id: &str, by: &str) -> Result<Vec<String>> {
        let platform = self.platform.clone();
        let (id, by) = (workspace_id.to_string(), by.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let mut done = Vec::new();
            for intent in crate::intents::records::list(&platform.store, &id)? {
                if intent.state != IntentState::Merged {
                    continue;
                }
                // Its branch's worktree keeps its progress; a branch gone since the merge leaves
                // the record in the store only.
                let tree = crate::intents::records::tree(&ws, &intent).unwrap_or_else(|_| ws.clone());
                match crate::intents::records::apply(
                    &platform.store,
                    &tree,
                    &intent.id,
                    crate::intents::lifecycle::IntentStep::Deploy,
                    &crate::intents::lifecycle::Actor::Person,
                ) {
                    Ok(_) => {
                        tracing::info!(intent = %intent.id, by = %by, "intent deployed");
                        done.push(intent.id);
                    }
                    Err(e) => {
                        // The state moved before the progress file was written, or not at all.
                        let now = crate::intents::records::get(&platform.store, &intent.id)?;
                        if now.state == IntentState::Deployed {
                            done.push(intent.id);
                        } else {
                            tracing::warn!(intent = %intent.id, error = %e, "intent not marked deployed");
                        }
                    }
                }
            }
            Ok(done)
        })
        .await
    }

    /// Promotion from a workflow (CI): production previewed and updated to `to_commit`, the
    /// approval being GitHub's (the `production` environment's required reviewers). Audited with
    /// the workflow's actor. Without `execute`, only the preview.
    pub async fn deploy_headless(
        &self,
        fabric_workspace_id: &str,
        to_commit: &str,
        actor: &str,
        execute: bool,
    ) -> Result<DeployPreviewDto> {
        let client = self.client().await?;
        let name = client
            .workspace(fabric_workspace_id)
            .await
            .map_err(|e| CoreError::fabric("cannot read the production workspace", e))?
            .display_name;
        let link = FabricLinkDto {
            workspace_id: String::new(),
            fabric_workspace_id: fabric_workspace_id.to_string(),
            fabric_workspace_name: name,
            lakehouse_id: None,
            lakehouse_name: None,
            repository: String::new(),
            directory: "/".into(),
            linked_at: clock::now(),
        };
        let preview = preview(&client, &link).await?;
        if preview.to_commit != to_commit {
            return Err(CoreError::InvalidInput(format!(
                "production's branch is at {}, not {to_commit}: nothing deployed",
                preview.to_commit
            )));
        }
        if !execute {
            return Ok(preview);
        }
        let detail = serde_json::json!({"from": preview.from_commit, "to": preview.to_commit,
            "changes": preview.changes, "approval": "github environment production"});
        let outcome = self::execute(&client, &preview).await;
        let action = if outcome.is_ok() {
            "promotion deployed"
        } else {
            "promotion failed"
        };
        self.audit_promotion(fabric_workspace_id, actor.to_string(), action, detail)
            .await?;
        outcome.map(|()| preview)
    }

    /// The `dbt-fabricspark` output for the domain's production lakehouse (to add under the
    /// project's profile in `profiles.yml`).
    pub async fn fabricspark_profile(&self, workspace_id: &str) -> Result<String> {
        let link = self.linked(workspace_id).await?;
        let (Some(id), Some(name)) = (link.lakehouse_id, link.lakehouse_name) else {
            return Err(CoreError::InvalidInput(
                "choose the production lakehouse in the domain's link first".into(),
            ));
        };
        Ok(workflow::fabricspark_output(
            &link.fabric_workspace_id,
            &id,
            &name,
        ))
    }

    /// The latest runs of the repository's Fabric workflow on `main` (promotions), newest first.
    /// The newest successful one deployed its commit: the merged intents it contains become
    /// Deployed.
    pub async fn promotion_runs(
        &self,
        github: &crate::github::GitHub,
        workspace_id: &str,
    ) -> Result<Vec<vibedata_protocol::fabric::PromotionRunDto>> {
        let link = self.linked(workspace_id).await?;
        let active = github.active_for(workspace_id).await?.ok_or_else(|| {
            CoreError::InvalidInput("sign in to GitHub to read the workflow's runs".into())
        })?;
        let file = workflow::PATH.rsplit('/').next().unwrap_or_default();
        let page = active
            .client()?
            .get(&format!(
                "/repos/{}/actions/workflows/{file}/runs?branch=main&per_page=5",
                link.repository
            ))
            .await
            .map_err(|e| CoreError::github("cannot read the workflow's runs", e))?;
        let runs: Vec<vibedata_protocol::fabric::PromotionRunDto> = page.body["workflow_runs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                vibedata_protocol::fabric::PromotionRunDto {
                    status: text("status"),
                    conclusion: r["conclusion"].as_str().map(str::to_string),
                    head_sha: text("head_sha"),
                    url: text("html_url"),
                    created_at: text("created_at"),
                }
            })
            .collect();
        if let Some(deployed) = runs
            .iter()
            .find(|r| r.status == "completed" && r.conclusion.as_deref() == Some("success"))
        {
            self.sync_deployments(workspace_id, &deployed.head_sha)
                .await?;
        }
        Ok(runs)
    }

    /// Writes the Fabric workflow into the domain's repository.
    pub async fn write_workflow(&self, workspace_id: &str, cli_source: &str) -> Result<String> {
        let link = self.linked(workspace_id).await?;
        let platform = self.platform.clone();
        let (id, source) = (workspace_id.to_string(), cli_source.to_string());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound("the domain is gone".into()))?;
            let path = workflow::write(
                &ws.path,
                &ws.project_dir,
                &link.fabric_workspace_id,
                &source,
            )?;
            Ok(path.to_string_lossy().into_owned())
        })
        .await
    }
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
