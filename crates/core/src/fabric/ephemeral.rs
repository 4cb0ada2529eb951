//! An intent branch's ephemeral Fabric workspace, from nothing to a workspace where the branch's
//! dbt job has run, and back to nothing. Each step is recorded in the store before the next one
//! starts, and each step first looks at what exists in Fabric, so a run killed at any point
//! resumes where it was without creating anything twice:
//!
//! 1. `create` — the workspace named from the domain and the branch (idempotent by name: one that
//!    exists is adopted);
//! 2. `assign` — to the capacity (Settings', else the production workspace's); a paused capacity is
//!    a clear failure;
//! 3. `connect` — to the GitHub repository at the branch through the organisation's stored Fabric
//!    connection (skipped when already connected);
//! 4. `initialize` — the git connection (skipped when initialized);
//! 5. `update` — from git, prechecked with the status so a moved head is handled, not failed;
//! 6. `sources` — the branch reads production's data: a OneLake shortcut in the ephemeral
//!    lakehouse for each schema the project's sources read, to production's lakehouse (replaced
//!    if there);
//! 7. `run` ([`dbt_job`]) — the workspace's dbt job, followed to its end (a run already started is followed, not
//!    started again; a failed job's log is the message);
//! 8. `ready`.
//!
//! Teardown deletes the workspace (`teardown` → `gone`). Orphans — workspaces named like ours that
//! nothing live owns — are listed for teardown.

mod dbt_job;

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use vibedata_fabric::git::GitTarget;
use vibedata_fabric::{Client, FabricError};
use vibedata_protocol::fabric::{EphemeralDto, FabricLinkDto, OrphanDto};

use crate::platform::clock;
use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::store::Store;

/// Every ephemeral workspace's name starts so.
pub const PREFIX: &str = "vd-";
/// Fabric limits a workspace's display name.
const MAX_NAME: usize = 100;
/// The dbt job item's on-demand job type.
pub const DBT_JOB_TYPE: &str = "execute";
pub const DBT_ITEM_TYPE: &str = "DataBuildToolJob";

/// The steps, in order.
pub const STEPS: [&str; 8] = [
    "create",
    "assign",
    "connect",
    "initialize",
    "update",
    "sources",
    "run",
    "ready",
];

/// The ephemeral workspace's name for a domain's branch: `vd-<domain>-<branch>`, lower case,
/// anything but letters and digits as `-`.
pub fn name_for(domain: &str, branch: &str) -> String {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if !(c == '-' && out.ends_with('-')) {
                out.push(c);
            }
        }
        out.trim_matches('-').to_string()
    };
    let mut name = format!("{PREFIX}{}-{}", slug(domain), slug(branch));
    name.truncate(MAX_NAME);
    name.trim_end_matches('-').to_string()
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EphemeralDto> {
    Ok(EphemeralDto {
        intent_id: r.get(0)?,
        workspace_id: r.get(1)?,
        branch: r.get(2)?,
        name: r.get(3)?,
        fabric_workspace_id: r.get(4)?,
        step: r.get(5)?,
        state: r.get(6)?,
        commit: r.get(7)?,
        job_status: r.get(8)?,
        message: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

const COLUMNS: &str = "intent_id, workspace_id, branch, name, fabric_workspace_id, step, state,
    commit_hash, job_status, message, updated_at";

pub fn get(store: &Store, intent_id: &str) -> Result<Option<EphemeralDto>> {
    store.with(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM fabric_ephemeral WHERE intent_id = ?1"),
            [intent_id],
            row,
        )
        .optional()
    })
}

/// The most recent ephemeral workspace of a domain's branch (the Review page shows it).
pub fn of_branch(store: &Store, workspace_id: &str, branch: &str) -> Result<Option<EphemeralDto>> {
    store.with(|c| {
        c.query_row(
            &format!(
                "SELECT {COLUMNS} FROM fabric_ephemeral WHERE workspace_id = ?1 AND branch = ?2
                 ORDER BY updated_at DESC LIMIT 1"
            ),
            [workspace_id, branch],
            row,
        )
        .optional()
    })
}

pub fn all(store: &Store) -> Result<Vec<EphemeralDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(&format!(
            "SELECT {COLUMNS} FROM fabric_ephemeral ORDER BY updated_at DESC"
        ))?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    })
}

/// The row for an intent, created at `create` when there is none; a torn-down one starts again at
/// `create`, a ready one at `update` (the branch may have moved: sync and run again), a failed
/// or interrupted one where it was.
pub fn begin(
    store: &Store,
    intent_id: &str,
    workspace_id: &str,
    branch: &str,
    name: &str,
) -> Result<EphemeralDto> {
    let now = clock::now();
    store.with(|c| {
        c.execute(
            "INSERT INTO fabric_ephemeral (intent_id, workspace_id, branch, name, step, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'create', 'working', ?5, ?5)
             ON CONFLICT (intent_id) DO UPDATE SET
               fabric_workspace_id = CASE WHEN fabric_ephemeral.state = 'torn_down' THEN NULL ELSE fabric_ephemeral.fabric_workspace_id END,
               job_instance_id = CASE WHEN fabric_ephemeral.step = 'ready' OR fabric_ephemeral.state = 'torn_down' THEN NULL ELSE fabric_ephemeral.job_instance_id END,
               dbt_item_id = CASE WHEN fabric_ephemeral.state = 'torn_down' THEN NULL ELSE fabric_ephemeral.dbt_item_id END,
               job_status = CASE WHEN fabric_ephemeral.step = 'ready' OR fabric_ephemeral.state = 'torn_down' THEN NULL ELSE fabric_ephemeral.job_status END,
               step = CASE WHEN fabric_ephemeral.state = 'torn_down' THEN 'create'
                           WHEN fabric_ephemeral.step = 'ready' THEN 'update'
                           ELSE fabric_ephemeral.step END,
               state = 'working', message = NULL, updated_at = ?5",
            params![intent_id, workspace_id, branch, name, now],
        )
        .map(|_| ())
    })?;
    get(store, intent_id)?.ok_or_else(|| CoreError::Internal("the ephemeral row vanished".into()))
}

/// What a step changes in the row.
#[derive(Default, Clone)]
struct Update {
    step: Option<&'static str>,
    state: Option<&'static str>,
    fabric_workspace_id: Option<String>,
    commit: Option<String>,
    dbt_item_id: Option<String>,
    job_instance_id: Option<String>,
    job_status: Option<String>,
    message: Option<Option<String>>,
}

/// [`update`] on a blocking thread.
async fn save(store: &Arc<Store>, intent_id: &str, u: Update) -> Result<()> {
    let (store, id) = (store.clone(), intent_id.to_string());
    blocking(move || update(&store, &id, u)).await
}

/// [`get`] on a blocking thread.
async fn load(store: &Arc<Store>, intent_id: &str) -> Result<Option<EphemeralDto>> {
    let (store, id) = (store.clone(), intent_id.to_string());
    blocking(move || get(&store, &id)).await
}

fn update(store: &Store, intent_id: &str, u: Update) -> Result<()> {
    let (message_set, message) = match u.message {
        Some(m) => (true, m),
        None => (false, None),
    };
    store.with(|c| {
        c.execute(
            "UPDATE fabric_ephemeral SET
               step = COALESCE(?2, step), state = COALESCE(?3, state),
               fabric_workspace_id = COALESCE(?4, fabric_workspace_id),
               commit_hash = COALESCE(?5, commit_hash), dbt_item_id = COALESCE(?6, dbt_item_id),
               job_instance_id = COALESCE(?7, job_instance_id), job_status = COALESCE(?8, job_status),
               message = CASE WHEN ?9 THEN ?10 ELSE message END, updated_at = ?11
             WHERE intent_id = ?1",
            params![
                intent_id,
                u.step,
                u.state,
                u.fabric_workspace_id,
                u.commit,
                u.dbt_item_id,
                u.job_instance_id,
                u.job_status,
                message_set,
                message,
                clock::now()
            ],
        )
        .map(|_| ())
    })
}

fn stored_ids(store: &Store, intent_id: &str) -> Result<(Option<String>, Option<String>)> {
    store.with(|c| {
        c.query_row(
            "SELECT dbt_item_id, job_instance_id FROM fabric_ephemeral WHERE intent_id = ?1",
            [intent_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
}

/// What the lifecycle needs besides the client and the store.
pub struct Target {
    pub link: FabricLinkDto,
    /// Settings' capacity; empty: the production workspace's.
    pub capacity_id: String,
    pub connection_id: String,
    /// How long the dbt job may run before the Studio stops waiting.
    pub job_limit: Duration,
    /// The schemas the project's sources read (shortcut to production's lakehouse).
    pub source_schemas: Vec<String>,
}

fn fabric_err(step: &str) -> impl Fn(FabricError) -> CoreError + '_ {
    move |e| {
        let what = match (step, e.code()) {
            ("assign", Some("CapacityNotActive")) => {
                "the capacity is paused: resume it in the Azure portal, then try again".to_string()
            }
            ("assign", Some(code)) if code.starts_with("Capacity") => format!(
                "the capacity refused the workspace ({code}): it may be full — choose another in \
                 Settings or free one"
            ),
            ("connect", Some("GitCredentialsNotConfigured" | "GitProviderNotSupported")) => {
                "Fabric refused the git connection: check the GitHub connection id in Settings \
                 (Fabric → Manage connections) and that it can read the repository"
                    .to_string()
            }
            _ => format!("the ephemeral workspace's {step} step failed"),
        };
        CoreError::fabric(what, e)
    }
}

/// Runs the lifecycle from the step the row is at to `ready`. `progress` hears each change.
pub async fn up(
    client: &Client,
    store: &Arc<Store>,
    intent_id: &str,
    target: &Target,
    progress: &mut (dyn FnMut(&EphemeralDto) + Send),
) -> Result<EphemeralDto> {
    loop {
        let current = load(store, intent_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("no ephemeral workspace for this intent".into()))?;
        progress(&current);
        if current.step == "ready" {
            save(
                store,
                intent_id,
                Update {
                    state: Some("ready"),
                    ..Update::default()
                },
            )
            .await?;
            let done = load(store, intent_id).await?.unwrap_or(current);
            progress(&done);
            return Ok(done);
        }
        let step = current.step.clone();
        if let Err(e) = run_step(client, store, &current, target, progress).await {
            let message = e.to_string();
            save(
                store,
                intent_id,
                Update {
                    state: Some("failed"),
                    message: Some(Some(message.clone())),
                    ..Update::default()
                },
            )
            .await?;
            if let Some(failed) = load(store, intent_id).await? {
                progress(&failed);
            }
            tracing::warn!(intent_id, step = %step, error = %message, "ephemeral workspace step failed");
            return Err(e);
        }
    }
}

fn next(step: &str) -> &'static str {
    let i = STEPS.iter().position(|s| *s == step).unwrap_or(0);
    STEPS[(i + 1).min(STEPS.len() - 1)]
}

async fn run_step(
    client: &Client,
    store: &Arc<Store>,
    row: &EphemeralDto,
    target: &Target,
    progress: &mut (dyn FnMut(&EphemeralDto) + Send),
) -> Result<()> {
    let id = row.intent_id.as_str();
    let step = row.step.as_str();
    let advance = |extra: Update| {
        save(
            store,
            id,
            Update {
                step: Some(next(step)),
                ..extra
            },
        )
    };
    let need_ws = || {
        row.fabric_workspace_id
            .clone()
            .ok_or_else(|| CoreError::Internal(format!("step {step} without a workspace id")))
    };
    match step {
        "create" => {
            // Idempotent by name: a workspace of this name (ours, from a run cut short) is adopted.
            let existing = client
                .workspace_named(&row.name)
                .await
                .map_err(fabric_err(step))?;
            let created = match existing {
                Some(w) => w,
                None => match client.create_workspace(&row.name, None).await {
                    Ok(w) => w,
                    Err(e) if e.code() == Some("WorkspaceNameAlreadyExists") => client
                        .workspace_named(&row.name)
                        .await
                        .map_err(fabric_err(step))?
                        .ok_or_else(|| {
                            CoreError::InvalidInput(format!(
                                "a workspace named {} exists that this identity cannot see: \
                                 rename or delete it in Fabric",
                                row.name
                            ))
                        })?,
                    Err(e) => return Err(fabric_err(step)(e)),
                },
            };
            advance(Update {
                fabric_workspace_id: Some(created.id),
                ..Update::default()
            })
            .await
        }
        "assign" => {
            let ws = need_ws()?;
            let capacity = if target.capacity_id.is_empty() {
                client
                    .workspace(&target.link.fabric_workspace_id)
                    .await
                    .map_err(fabric_err(step))?
                    .capacity_id
                    .ok_or_else(|| {
                        CoreError::InvalidInput(
                            "no capacity: the production workspace has none and Settings names \
                             none for ephemeral workspaces"
                                .into(),
                        )
                    })?
            } else {
                target.capacity_id.clone()
            };
            let now = client.workspace(&ws).await.map_err(fabric_err(step))?;
            if now.capacity_id.as_deref() != Some(capacity.as_str()) {
                client
                    .assign_capacity(&ws, &capacity)
                    .await
                    .map_err(fabric_err(step))?;
            }
            advance(Update::default()).await
        }
        "connect" => {
            let ws = need_ws()?;
            let connection = client.git_connection(&ws).await.map_err(fabric_err(step))?;
            if connection.state == "NotConnected" {
                if target.connection_id.is_empty() {
                    return Err(CoreError::InvalidInput(
                        "Settings names no Fabric connection for GitHub: Fabric needs one to \
                         read the repository (GitHub refuses automatic credentials)"
                            .into(),
                    ));
                }
                let (owner, repository) = target
                    .link
                    .repository
                    .split_once('/')
                    .unwrap_or(("", &target.link.repository));
                let to = GitTarget {
                    owner: owner.to_string(),
                    repository: repository.to_string(),
                    branch: row.branch.clone(),
                    directory: target.link.directory.clone(),
                    connection_id: target.connection_id.clone(),
                };
                match client.git_connect(&ws, &to).await {
                    Ok(()) => {}
                    // Connected by a run cut short after Fabric took it.
                    Err(e) if e.code() == Some("WorkspaceAlreadyConnectedToGit") => {}
                    Err(e) => return Err(fabric_err(step)(e)),
                }
            } else if connection.branch.as_deref() != Some(row.branch.as_str()) {
                return Err(CoreError::InvalidInput(format!(
                    "the workspace {} is connected to another branch ({}): tear it down first",
                    row.name,
                    connection.branch.unwrap_or_default()
                )));
            }
            advance(Update::default()).await
        }
        "initialize" => {
            let ws = need_ws()?;
            let connection = client.git_connection(&ws).await.map_err(fabric_err(step))?;
            if connection.state != "ConnectedAndInitialized" {
                client.git_initialize(&ws).await.map_err(fabric_err(step))?;
            }
            advance(Update::default()).await
        }
        "update" => {
            let ws = need_ws()?;
            let commit = client.sync_from_git(&ws).await.map_err(fabric_err(step))?;
            advance(Update {
                commit: Some(commit),
                ..Update::default()
            })
            .await
        }
        "sources" => {
            let ws = need_ws()?;
            let Some(prod_lakehouse) = target.link.lakehouse_id.clone() else {
                return advance(Update {
                    message: Some(Some(
                        "the domain's link names no production lakehouse: the branch reads its own data".into(),
                    )),
                    ..Update::default()
                })
                .await;
            };
            let prod_name = target.link.lakehouse_name.clone().unwrap_or_default();
            let lakehouse = client
                .items(&ws)
                .await
                .map_err(fabric_err(step))?
                .into_iter()
                .filter(|i| i.kind == "Lakehouse")
                .min_by_key(|i| i.display_name != prod_name);
            let Some(lakehouse) = lakehouse else {
                return advance(Update {
                    message: Some(Some(
                        "the branch has no lakehouse: nothing points at production's data".into(),
                    )),
                    ..Update::default()
                })
                .await;
            };
            for schema in &target.source_schemas {
                client
                    .shortcut_to(
                        &ws,
                        &lakehouse.id,
                        "Tables",
                        schema,
                        (
                            &target.link.fabric_workspace_id,
                            &prod_lakehouse,
                            &format!("Tables/{schema}"),
                        ),
                    )
                    .await
                    .map_err(fabric_err(step))?;
            }
            advance(Update::default()).await
        }
        "run" => dbt_job::run(client, store, row, target, progress).await,
        other => Err(CoreError::Internal(format!("unknown step {other}"))),
    }
}

/// Deletes the intent's workspace (found by id, else by name) and marks the row gone.
pub async fn down(client: &Client, store: &Arc<Store>, intent_id: &str) -> Result<EphemeralDto> {
    let row = load(store, intent_id)
        .await?
        .ok_or_else(|| CoreError::NotFound("no ephemeral workspace for this intent".into()))?;
    save(
        store,
        intent_id,
        Update {
            step: Some("teardown"),
            state: Some("tearing_down"),
            message: Some(None),
            ..Update::default()
        },
    )
    .await?;
    let id = match row.fabric_workspace_id.clone() {
        Some(id) => Some(id),
        None => client
            .workspace_named(&row.name)
            .await
            .map_err(fabric_err("teardown"))?
            .map(|w| w.id),
    };
    if let Some(id) = id
        && let Err(e) = client.delete_workspace(&id).await
    {
        save(
            store,
            intent_id,
            Update {
                state: Some("failed"),
                message: Some(Some(e.to_string())),
                ..Update::default()
            },
        )
        .await?;
        return Err(fabric_err("teardown")(e));
    }
    save(
        store,
        intent_id,
        Update {
            step: Some("gone"),
            state: Some("torn_down"),
            ..Update::default()
        },
    )
    .await?;
    load(store, intent_id)
        .await?
        .ok_or_else(|| CoreError::Internal("the ephemeral row vanished".into()))
}

/// Workspaces named like ours (`vd-…`) that no live intent owns: their intent is merged,
/// abandoned or unknown here, or their row says torn down while Fabric still has them.
/// `live_intents`: the intents still being worked on.
pub fn orphans(
    rows: &[EphemeralDto],
    fabric: &[(String, String)],
    live_intents: &std::collections::HashSet<String>,
) -> Vec<OrphanDto> {
    let mut out = Vec::new();
    for (id, name) in fabric.iter().filter(|(_, n)| n.starts_with(PREFIX)) {
        let owner = rows
            .iter()
            .find(|r| r.fabric_workspace_id.as_deref() == Some(id.as_str()) || &r.name == name);
        let reason = match owner {
            None => Some("no intent in this Studio owns it".to_string()),
            Some(r) if r.state == "torn_down" => {
                Some("its teardown did not finish (Fabric still has it)".to_string())
            }
            Some(r) if !live_intents.contains(&r.intent_id) => {
                Some("its intent is merged or abandoned".to_string())
            }
            Some(_) => None,
        };
        if let Some(reason) = reason {
            out.push(OrphanDto {
                fabric_workspace_id: id.clone(),
                name: name.clone(),
                reason,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_domain_and_the_branch() {
        assert_eq!(
            name_for("demo-crm", "intent/Add churn score!"),
            "vd-demo-crm-intent-add-churn-score"
        );
        let long = name_for("d", &"x".repeat(300));
        assert!(long.len() <= MAX_NAME && long.starts_with("vd-d-"));
    }

    #[test]
    fn orphans_are_ours_without_a_live_owner() {
        let row = |intent: &str, ws: &str, state: &str| EphemeralDto {
            intent_id: intent.into(),
            workspace_id: "w".into(),
            branch: "b".into(),
            name: format!("vd-{intent}"),
            fabric_workspace_id: Some(ws.into()),
            step: "ready".into(),
            state: state.into(),
            commit: None,
            job_status: None,
            message: None,
            updated_at: 0,
        };
        let rows = vec![
            row("live", "1", "ready"),
            row("merged", "2", "ready"),
            row("gone", "3", "torn_down"),
        ];
        let fabric = vec![
            ("1".to_string(), "vd-live".to_string()),
            ("2".to_string(), "vd-merged".to_string()),
            ("3".to_string(), "vd-gone".to_string()),
            ("4".to_string(), "vd-stranger".to_string()),
            ("5".to_string(), "Sales production".to_string()),
        ];
        let live = std::collections::HashSet::from(["live".to_string()]);
        let found: Vec<String> = orphans(&rows, &fabric, &live)
            .into_iter()
            .map(|o| o.fabric_workspace_id)
            .collect();
        assert_eq!(found, vec!["2", "3", "4"]);
    }
}
