//! The lifecycle's `run` step: the workspace's dbt job item found, its job started once — a run
//! already going (started before a crash) is followed, not started again — and followed to its
//! end within the time limit, each status change recorded; a failed run's reason is the message
//! and the next attempt starts a new run.

use std::sync::Arc;
use std::time::Duration;

use vibedata_fabric::Client;
use vibedata_protocol::fabric::EphemeralDto;

use super::{DBT_ITEM_TYPE, DBT_JOB_TYPE, Target, Update, fabric_err, load, save, stored_ids};
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::store::Store;

/// The `run` step: the workspace's dbt job, started once and followed to its end.
pub(super) async fn run(
    client: &Client,
    store: &Arc<Store>,
    row: &EphemeralDto,
    target: &Target,
    progress: &mut (dyn FnMut(&EphemeralDto) + Send),
) -> Result<()> {
    let (id, step) = (row.intent_id.as_str(), "run");
    let ws = row
        .fabric_workspace_id
        .clone()
        .ok_or_else(|| CoreError::Internal("run without a workspace id".into()))?;
    let (stored_item, stored_job) = {
        let (store, id) = (store.clone(), id.to_string());
        blocking(move || stored_ids(&store, &id)).await?
    };
    let item = match stored_item {
        Some(i) => Some(i),
        None => client
            .items(&ws)
            .await
            .map_err(fabric_err(step))?
            .into_iter()
            .find(|i| i.kind == DBT_ITEM_TYPE)
            .map(|i| i.id),
    };
    let Some(item) = item else {
        return save(
            store,
            id,
            Update {
                step: Some("ready"),
                message: Some(Some(
                    "the branch has no dbt job item: nothing was run in the workspace".into(),
                )),
                ..Update::default()
            },
        )
        .await;
    };
    // A run started before a crash is followed, not started again.
    let instance = match stored_job {
        Some(j) => j,
        None => {
            let running = client
                .job_instances(&ws, &item)
                .await
                .map_err(fabric_err(step))?
                .into_iter()
                .find(|j| !j.is_finished());
            let instance = match running {
                Some(j) => j.id,
                None => client
                    .run_job(&ws, &item, DBT_JOB_TYPE)
                    .await
                    .map_err(fabric_err(step))?,
            };
            save(
                store,
                id,
                Update {
                    dbt_item_id: Some(item.clone()),
                    job_instance_id: Some(instance.clone()),
                    job_status: Some("NotStarted".into()),
                    ..Update::default()
                },
            )
            .await?;
            instance
        }
    };
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(200);
    let mut last = String::new();
    let job = loop {
        let job = client
            .job_instance(&ws, &item, &instance)
            .await
            .map_err(fabric_err(step))?;
        if job.status != last {
            last = job.status.clone();
            save(
                store,
                id,
                Update {
                    job_status: Some(job.status.clone()),
                    ..Update::default()
                },
            )
            .await?;
            if let Some(r) = load(store, id).await? {
                progress(&r);
            }
        }
        if job.is_finished() {
            break job;
        }
        if started.elapsed() >= target.job_limit {
            return Err(CoreError::InvalidInput(format!(
                "the dbt job is still {} after {} minutes: the Studio stopped waiting (it runs on \
                 in Fabric; prepare the workspace again to follow it)",
                job.status.to_lowercase(),
                target.job_limit.as_secs() / 60
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(15));
    };
    if job.status == "Completed" {
        return save(
            store,
            id,
            Update {
                step: Some("ready"),
                ..Update::default()
            },
        )
        .await;
    }
    // The next attempt starts a new run.
    let (s, i) = (store.clone(), id.to_string());
    blocking(move || {
        s.with(|c| {
            c.execute(
                "UPDATE fabric_ephemeral SET job_instance_id = NULL WHERE intent_id = ?1",
                [i],
            )
            .map(|_| ())
        })
    })
    .await?;
    Err(CoreError::InvalidInput(format!(
        "the dbt job {}: {}",
        job.status.to_lowercase(),
        job.failure()
            .unwrap_or_else(|| "Fabric gave no reason".into())
    )))
}
