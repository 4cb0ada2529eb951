//! On-demand item jobs (`platform` job scheduler): run an item's job (the dbt job's `execute`, a
//! notebook's `RunNotebook`), follow its instance to the end, cancel it, list an item's instances
//! (so a resumed caller follows the run it started instead of starting another).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Client, FabricError};

/// One run of an item's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInstance {
    pub id: String,
    #[serde(default)]
    pub item_id: String,
    #[serde(default)]
    pub job_type: String,
    /// NotStarted, InProgress, Completed, Failed, Cancelled or Deduped.
    pub status: String,
    #[serde(default)]
    pub start_time_utc: Option<String>,
    #[serde(default)]
    pub end_time_utc: Option<String>,
    /// Fabric's `ErrorResponse` when the job failed.
    #[serde(default)]
    pub failure_reason: Option<serde_json::Value>,
}

impl JobInstance {
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Completed" | "Failed" | "Cancelled" | "Deduped"
        )
    }

    /// The failure's message, when the job failed.
    pub fn failure(&self) -> Option<String> {
        let f = self.failure_reason.as_ref()?;
        Some(format!(
            "{}: {}",
            f["errorCode"].as_str().unwrap_or("JobFailed"),
            f["message"].as_str().unwrap_or_default()
        ))
    }
}

impl Client {
    /// Starts an item's job; returns the instance's id (from the `Location` Fabric answers with).
    pub async fn run_job(
        &self,
        workspace_id: &str,
        item_id: &str,
        job_type: &str,
    ) -> Result<String, FabricError> {
        let a = self
            .call(
                Method::POST,
                &format!("/workspaces/{workspace_id}/items/{item_id}/jobs/{job_type}/instances"),
                Some(&json!({})),
            )
            .await?;
        a.location
            .as_deref()
            .and_then(|l| l.rsplit('/').next())
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| FabricError::Malformed("a job started without a Location".into()))
    }

    /// One job instance.
    pub async fn job_instance(
        &self,
        workspace_id: &str,
        item_id: &str,
        instance_id: &str,
    ) -> Result<JobInstance, FabricError> {
        self.get(&format!(
            "/workspaces/{workspace_id}/items/{item_id}/jobs/instances/{instance_id}"
        ))
        .await
    }

    /// An item's job instances, newest first as Fabric lists them.
    pub async fn job_instances(
        &self,
        workspace_id: &str,
        item_id: &str,
    ) -> Result<Vec<JobInstance>, FabricError> {
        self.list(&format!(
            "/workspaces/{workspace_id}/items/{item_id}/jobs/instances"
        ))
        .await
    }

    /// Follows a job instance until it ends (or `limit` passes: then an error saying it is still
    /// running, the job left as it is). `progress` hears each status read.
    pub async fn follow_job(
        &self,
        workspace_id: &str,
        item_id: &str,
        instance_id: &str,
        limit: Duration,
        progress: &mut (dyn FnMut(&JobInstance) + Send),
    ) -> Result<JobInstance, FabricError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let job = self
                .job_instance(workspace_id, item_id, instance_id)
                .await?;
            progress(&job);
            if job.is_finished() {
                return Ok(job);
            }
            if started.elapsed() >= limit {
                return Err(FabricError::OperationFailed {
                    operation: instance_id.to_string(),
                    error_code: "Timeout".into(),
                    message: format!("the job is still {} after {limit:?}", job.status),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(self.poll_cap);
        }
    }

    /// Asks Fabric to cancel a job instance.
    pub async fn cancel_job(
        &self,
        workspace_id: &str,
        item_id: &str,
        instance_id: &str,
    ) -> Result<(), FabricError> {
        self.call(
            Method::POST,
            &format!(
                "/workspaces/{workspace_id}/items/{item_id}/jobs/instances/{instance_id}/cancel"
            ),
            None,
        )
        .await
        .map(|_| ())
    }
}
