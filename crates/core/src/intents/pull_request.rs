//! A pull request from an intent's branch: the push of the branch (with the person's GitHub token)
//! and then the pull request — its body built from `intent.md`, `plan.md` and the validation
//! report — go through the outbox in that order, so offline they wait, and the pull request is
//! created exactly once, also when the network drops mid-way. When GitHub has it, the intent moves to PullRequest; its link and the head commit's
//! check runs are shown.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use vibedata_protocol::IntentState;
use vibedata_protocol::inbox::{
    CheckRunDto, CheckStatus, OutboxState, OutboxWriteDto, PullRequestDto,
};

use crate::github::{outbox, repos::repo_of_remote};
use crate::intents::lifecycle::{Actor, IntentStep};
use crate::intents::records as intents;
use crate::platform::error::{CoreError, Result, blocking};
use crate::workspaces::git;

/// GitHub allows 65,536 characters in a body; each document gets a share.
const SECTION_LIMIT: usize = 20_000;

fn section(folder: &Path, file: &str, title: &str) -> String {
    let Ok(text) = std::fs::read_to_string(folder.join(file)) else {
        return String::new();
    };
    let mut text = text.trim().to_string();
    if text.len() > SECTION_LIMIT {
        let mut cut = SECTION_LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n\n… (cut; the whole file is on the branch)");
    }
    format!("## {title}\n\n{text}\n\n")
}

/// The pull request's body: the intent, its plan and the validation report, from the branch.
pub fn body(folder: &Path, intent_title: &str) -> String {
    format!(
        "Intent: **{intent_title}** (opened from Vibedata Studio)\n\n{}{}{}",
        section(folder, "intent.md", "Intent"),
        section(folder, "plan.md", "Plan"),
        section(folder, "validation.md", "Validation on the local warehouse"),
    )
}

struct Stored {
    repo: String,
    seq: i64,
    head_sha: String,
}

fn stored(store: &crate::platform::store::Store, intent_id: &str) -> Result<Option<Stored>> {
    store.with(|c| {
        c.query_row(
            "SELECT repo, outbox_seq, head_sha FROM intent_pull_requests WHERE intent_id = ?1",
            [intent_id],
            |r| {
                Ok(Stored {
                    repo: r.get(0)?,
                    seq: r.get(1)?,
                    head_sha: r.get(2)?,
                })
            },
        )
        .optional()
    })
}

impl crate::intents::Intents {
    /// Pushes the intent's branch and opens its pull request (a person's act). Only from Ready.
    pub async fn open_pull_request(&self, intent_id: &str) -> Result<PullRequestDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        if blocking(move || stored(&store, &id)).await?.is_some() {
            return self.pull_request(intent_id).await;
        }
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let intent = blocking(move || intents::get(&store, &id)).await?;
        if intent.state != IntentState::Ready {
            return Err(CoreError::InvalidInput(format!(
                "a pull request is opened once validation has passed; this intent is {}",
                intent.state.label()
            )));
        }
        let ws = {
            let (store, wid) = (self.platform.store.clone(), intent.workspace_id.clone());
            blocking(move || {
                crate::workspaces::registry::find_by_id(&store, &wid)?
                    .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {wid}")))
            })
            .await?
        };
        let origin = ws.origin_url.clone().unwrap_or_default();
        let repo = repo_of_remote(&origin).ok_or_else(|| {
            CoreError::InvalidInput(format!(
                "the domain's origin ({}) is not a GitHub repository; a pull request needs one",
                if origin.is_empty() { "none" } else { &origin }
            ))
        })?;
        let active = self.github.active_for(&ws.id).await?.ok_or_else(|| {
            CoreError::InvalidInput(
                "sign in to GitHub to push the branch and open the pull request".into(),
            )
        })?;
        let (path, branch) = (ws.path.clone(), intent.branch.clone());
        let (base, head_sha) = blocking(move || {
            let base = git::default_branch(&path)?;
            let head = git2::Repository::open(&path)
                .and_then(|r| r.revparse_single(&branch).map(|o| o.id().to_string()))
                .map_err(|e| CoreError::Internal(format!("cannot read {branch}: {e}")))?;
            Ok((base, head))
        })
        .await?;
        let tree = {
            let (ws, intent) = (ws.clone(), intent.clone());
            blocking(move || intents::tree(&ws, &intent)).await?
        };
        // Both go through the outbox, in order: offline, they wait and go out together later.
        let push = OutboxWriteDto::PushBranch {
            workspace_id: ws.id.clone(),
            branch: intent.branch.clone(),
        };
        let write = OutboxWriteDto::CreatePr {
            title: intent.title.clone(),
            body: body(&intents::folder(&tree.path, intent_id), &intent.title),
            head: intent.branch.clone(),
            base,
        };
        let (store, id, repo2) = (
            self.platform.store.clone(),
            intent_id.to_owned(),
            repo.clone(),
        );
        blocking(move || {
            outbox::enqueue(&store, &repo2, &push)?;
            let item = outbox::enqueue(&store, &repo2, &write)?;
            store.with(|c| {
                c.execute(
                    "INSERT INTO intent_pull_requests (intent_id, repo, outbox_seq, head_sha) VALUES (?1, ?2, ?3, ?4)",
                    params![id, repo2, item.seq, head_sha],
                )
            })?;
            Ok(())
        })
        .await?;
        if let Err(e) = outbox::replay_as(self.platform.store.clone(), Some(active)).await {
            tracing::warn!(error = %e, "the pull request stays in the outbox");
        }
        self.pull_request(intent_id).await
    }

    /// Where an intent's pull request stands: queued in the outbox, or open on GitHub with its
    /// head commit's check runs (read live; offline the list is empty and says so). Moves the
    /// intent to PullRequest once GitHub has it.
    pub async fn pull_request(&self, intent_id: &str) -> Result<PullRequestDto> {
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        let Some(pr) = blocking(move || stored(&store, &id)).await? else {
            return Err(CoreError::NotFound(format!(
                "intent {intent_id} has no pull request yet"
            )));
        };
        let (store, seq) = (self.platform.store.clone(), pr.seq);
        let item = blocking(move || outbox::get(&store, seq))
            .await?
            .ok_or_else(|| CoreError::Internal("the pull request's outbox entry is gone".into()))?;
        let mut dto = PullRequestDto {
            intent_id: intent_id.to_owned(),
            repo: pr.repo.clone(),
            state: item.state,
            url: item.url.clone(),
            last_error: item.last_error.clone(),
            checks: Vec::new(),
            checks_error: None,
        };
        if item.state != OutboxState::Done {
            return Ok(dto);
        }
        let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
        blocking(move || {
            let intent = intents::get(&store, &id)?;
            if intent.state == IntentState::Ready {
                let ws = crate::workspaces::registry::find_by_id(&store, &intent.workspace_id)?
                    .ok_or_else(|| CoreError::NotFound("the intent's workspace is gone".into()))?;
                let ws = intents::tree(&ws, &intent)?;
                intents::apply(
                    &store,
                    &ws,
                    &id,
                    IntentStep::OpenPullRequest,
                    &Actor::Person,
                )?;
            }
            Ok(())
        })
        .await?;
        let active = self.github.active().await?;
        // Merged on GitHub by a person: the intent is Merged, and what follows its end runs.
        let number = item
            .url
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .and_then(|n| n.parse::<u64>().ok());
        if let (Some(a), Some(n)) = (&active, number)
            && let Ok(page) = a
                .client()?
                .get(&format!("/repos/{}/pulls/{n}", pr.repo))
                .await
            && page.body["merged"] == true
        {
            let (store, id) = (self.platform.store.clone(), intent_id.to_owned());
            let moved = blocking(move || {
                let intent = intents::get(&store, &id)?;
                if intent.state != IntentState::PullRequest {
                    return Ok(false);
                }
                let ws = crate::workspaces::registry::find_by_id(&store, &intent.workspace_id)?
                    .ok_or_else(|| CoreError::NotFound("the intent's workspace is gone".into()))?;
                let ws = intents::tree(&ws, &intent).unwrap_or(ws);
                intents::apply(&store, &ws, &id, IntentStep::Merge, &Actor::Person)?;
                Ok(true)
            })
            .await?;
            if moved {
                tracing::info!(intent_id, "its pull request was merged on GitHub");
                self.on_ended.ended(intent_id).await;
            }
        }
        let checks = match active.map(|a| a.client()).transpose()? {
            Some(client) => client
                .get(&format!(
                    "/repos/{}/commits/{}/check-runs",
                    pr.repo, pr.head_sha
                ))
                .await
                .map_err(|e| e.to_string()),
            None => Err("not signed in to GitHub".to_string()),
        };
        match checks {
            Ok(page) => {
                dto.checks = page.body["check_runs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| CheckRunDto {
                        name: r["name"].as_str().unwrap_or_default().to_string(),
                        status: serde_json::from_value(r["status"].clone())
                            .unwrap_or(CheckStatus::Other),
                        conclusion: serde_json::from_value(r["conclusion"].clone()).ok(),
                    })
                    .collect()
            }
            Err(e) => dto.checks_error = Some(e),
        }
        Ok(dto)
    }
}
