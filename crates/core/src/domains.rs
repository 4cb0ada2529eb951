//! Domains: a workspace's dbt project opened as a native index, kept current by a file watcher,
//! with the Domain page's queries (node, lineage, files: [`open`]; search: `open/search.rs`).

pub mod open;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, broadcast};
use vibedata_protocol::{
    FileDto, IndexChangedDto, IndexSummaryDto, LineageDto, NodeDetailDto, NodeRowDto, WorkspaceDto,
};

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};
use crate::workspaces::{registration, registry};
use open::OpenDomain;

/// The domains' front door: each workspace's index, loaded on first use and kept current.
pub struct Domains {
    platform: Arc<Platform>,
    /// Workspaces whose dbt index is loaded and watched, by workspace id.
    open: Mutex<HashMap<String, Arc<OpenDomain>>>,
    /// The task forwarding each open domain's revisions to its (newest) subscriber.
    forwarders: std::sync::Mutex<HashMap<String, tokio::task::AbortHandle>>,
}

impl Domains {
    pub fn new(platform: Arc<Platform>) -> Self {
        Self {
            platform,
            open: Mutex::new(HashMap::new()),
            forwarders: Default::default(),
        }
    }

    /// The open domain for a workspace, loading its index (and starting its watcher) on first use.
    async fn domain(&self, workspace_id: &str) -> Result<Arc<OpenDomain>> {
        let mut open = self.open.lock().await;
        if let Some(domain) = open.get(workspace_id) {
            return Ok(domain.clone());
        }
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        let domain = blocking(move || {
            let ws = registry::find_by_id(&platform.store, &id)?.ok_or_else(|| {
                CoreError::NotFound(format!(
                    "no workspace with id {id}; it may have been removed"
                ))
            })?;
            Ok(Arc::new(OpenDomain::open(ws)))
        })
        .await?;
        open.insert(workspace_id.to_owned(), domain.clone());
        Ok(domain)
    }

    /// Opens a workspace's dbt project: its index summary now, and `on_change` called with each
    /// revision the file watcher applies, until it returns false or the project is opened again
    /// (the page that opens it again is the one looking; the older subscriber is dropped).
    pub async fn open_domain(
        &self,
        workspace_id: &str,
        on_change: impl Fn(IndexChangedDto) -> bool + Send + 'static,
    ) -> Result<IndexSummaryDto> {
        let domain = self.domain(workspace_id).await?;
        let mut changes = domain.subscribe();
        let id = workspace_id.to_owned();
        let forwarder = tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(revision) => {
                        if !on_change(IndexChangedDto {
                            workspace_id: id.clone(),
                            revision,
                        }) {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let replaced = self
            .forwarders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(workspace_id.to_owned(), forwarder.abort_handle());
        if let Some(older) = replaced {
            older.abort();
        }
        blocking(move || Ok(domain.summary())).await
    }

    /// Closes a workspace's index (it was removed): its watcher and subscriber stop.
    pub async fn close(&self, workspace_id: &str) {
        self.open.lock().await.remove(workspace_id);
        if let Some(forwarder) = self
            .forwarders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(workspace_id)
        {
            forwarder.abort();
        }
    }

    /// Points a workspace at the dbt project folder `dir` inside it (empty: found on its own), and
    /// reads its index again from there.
    pub async fn set_project_dir(&self, workspace_id: &str, dir: &str) -> Result<WorkspaceDto> {
        let (platform, id, dir) = (
            self.platform.clone(),
            workspace_id.to_owned(),
            dir.to_owned(),
        );
        let ws =
            blocking(move || registration::set_project_dir(&platform.store, &id, &dir)).await?;
        self.close(workspace_id).await;
        Ok(registry::describe(&ws))
    }

    /// The index summary as it is now.
    pub async fn domain_summary(&self, workspace_id: &str) -> Result<IndexSummaryDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || Ok(domain.summary())).await
    }

    /// Nodes matching `query` (see [`OpenDomain::search`]).
    pub async fn search_nodes(&self, workspace_id: &str, query: String) -> Result<Vec<NodeRowDto>> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || Ok(domain.search(&query, 60))).await
    }

    pub async fn node_detail(
        &self,
        workspace_id: &str,
        unique_id: String,
    ) -> Result<NodeDetailDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.node(&unique_id)).await
    }

    /// A node's lineage `upstream` levels up and `downstream` levels down (dbt's
    /// `2+model+1`), at most 300 nodes.
    pub async fn lineage(
        &self,
        workspace_id: &str,
        unique_id: String,
        upstream: u32,
        downstream: u32,
    ) -> Result<LineageDto> {
        let domain = self.domain(workspace_id).await?;
        let (up, down) = (upstream.min(20), downstream.min(20));
        blocking(move || domain.lineage(&unique_id, up, down, 300)).await
    }

    /// Where a file of the project is on disk (to open it in the person's editor); paths leaving
    /// the workspace are refused.
    pub async fn file_on_disk(
        &self,
        workspace_id: &str,
        path: String,
    ) -> Result<std::path::PathBuf> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.file_on_disk(&path)).await
    }

    pub async fn domain_file(&self, workspace_id: &str, path: String) -> Result<FileDto> {
        let domain = self.domain(workspace_id).await?;
        blocking(move || domain.file(&path)).await
    }
}
