//! Review: what a change does to a domain's dbt project before it merges — both sides of the
//! change written out of the repository ([`revisions`]), indexed natively, and compared
//! ([`vibedata_dbt_index::diff`]): changed nodes with their `state:modified` subselectors and
//! breaking-change class, column changes propagated downstream through column lineage, the
//! impacted set and contract breaks. No warehouse is needed. [`data_diff`] compares two tables
//! of the local DuckDB (keys inferred, segment checksums first); [`build`] builds both sides of a
//! branch for it; [`checks`] are kept with the review; [`pulls`] makes a pull request of the
//! inbox reviewable (fetched, then offline as last fetched); [`advisor`] is the reviewer advisor
//! agent, whose every claim cites a fact of the review.

pub mod advisor;
mod branch_data;
pub mod build;
pub mod checks;
mod compare;
pub mod data_diff;
pub mod pulls;
pub mod revisions;
mod summary;

pub use branch_data::{DataDiffRun, data_diff_run};
pub use compare::{compare, review_page};
pub(crate) use summary::pull_request_of;
pub use summary::summary_markdown;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use vibedata_dbt_index::diff::Review as Diff;
use vibedata_protocol::review::{
    CheckStatus, DataDiffDto, ModelDataDiffDto, ReviewCheckDto, ReviewDto,
};

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};

/// A review of `head` against `base`.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub base: String,
    pub base_commit: String,
    pub head: String,
    pub head_commit: String,
    /// The base is where `head` left `base` (their merge base); false: unrelated histories,
    /// compared tip to tip.
    pub from_merge_base: bool,
    /// The dbt project's folder in the repository ("" for its root).
    pub project_dir: String,
    #[serde(flatten)]
    pub diff: Diff,
    /// Problems indexing either side (a side that does not parse still shows what it can).
    pub problems: Vec<String>,
}

/// The data diff of two revisions (see [`Review::data_diff_revs`]).
#[derive(Debug, Clone, Serialize)]
pub struct RevsDataDiff {
    pub models: Vec<ModelDataDiffDto>,
    pub build_failures: Vec<String>,
}

/// Review's front door.
pub struct Review {
    platform: Arc<Platform>,
    /// Asked for a pull request's head and target when one is reviewed.
    github: Arc<crate::github::GitHub>,
    /// Runs the reviewer advisor.
    agents: Arc<crate::agents::Agents>,
    /// Data diffs running, by `workspace:branch`: the flag that stops them.
    running:
        std::sync::Mutex<std::collections::HashMap<String, Arc<std::sync::atomic::AtomicBool>>>,
}

impl Review {
    pub fn new(
        platform: Arc<Platform>,
        github: Arc<crate::github::GitHub>,
        agents: Arc<crate::agents::Agents>,
    ) -> Self {
        Self {
            platform,
            github,
            agents,
            running: Default::default(),
        }
    }

    /// Stops the data diff of `head` running for the workspace: its dbt build or diff is killed
    /// and it ends with "cancelled"; nothing it had not finished is kept.
    pub fn cancel_data_diff(&self, workspace_id: &str, head: &str) -> Result<()> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let flag = running
            .get(&format!("{workspace_id}:{head}"))
            .ok_or_else(|| CoreError::NotFound(format!("no data diff of {head} is running")))?;
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Reviews a branch of a registered workspace against its default branch, or a pull request
    /// (`pull/<n>`, fetched first) against its target branch (the Review page).
    pub async fn review_branch(&self, workspace_id: &str, head: String) -> Result<ReviewDto> {
        let note = match pulls::number_of(&head) {
            Some(number) => self.fetch_pull(workspace_id, number).await?,
            None => None,
        };
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            let ws = workspace(&platform, &id)?;
            let (base, head_rev) = pulls::sides(&platform.store, &ws, &head)?;
            let scratch = platform.paths().data_dir.join("review");
            let mut dto = review_page(
                &id,
                &ws.path,
                Some(&ws.project_dir),
                &base,
                &head_rev,
                &scratch,
            )?;
            dto.base = base.trim_start_matches("refs/remotes/").to_string();
            dto.head = head;
            dto.problems.extend(note);
            Ok(dto)
        })
        .await
    }

    /// Starts the reviewer advisor on `head`: it reads the review's facts (changes, downstream,
    /// contract breaks, the checks' latest results) and keeps a summary whose every claim cites
    /// one. Runs on the configured model; without one, as the labelled replay on the demo
    /// domain only. `on_event` receives what it does, ending with `Finished`.
    pub async fn advise(
        &self,
        workspace_id: &str,
        head: String,
        on_event: impl Fn(vibedata_protocol::SessionEventDto) + Send + Sync + 'static,
    ) -> Result<vibedata_protocol::SessionDto> {
        use vibedata_agent::message::Message;
        let review = self.review_branch(workspace_id, head.clone()).await?;
        let (platform, id, h) = (self.platform.clone(), workspace_id.to_owned(), head.clone());
        let (ws, checks) = blocking(move || {
            Ok((
                workspace(&platform, &id)?,
                checks::latest(&platform.store, &id, &h)?,
            ))
        })
        .await?;
        let provider = self
            .agents
            .provider(crate::agents::runtime::DEMO_REVIEW, &ws)
            .await?;
        let facts = advisor::facts(&review, &checks);
        let first = vec![
            Message::system(advisor::PROMPT),
            Message::user(advisor::facts_text(&review, &facts)),
        ];
        let session_id = Arc::new(std::sync::Mutex::new(None));
        let tool = advisor::WriteReviewSummary {
            facts,
            target: advisor::SummaryTarget {
                store: self.platform.store.clone(),
                workspace_id: workspace_id.to_string(),
                head,
                head_commit: review.head_commit.clone(),
                provider: provider.label(),
                is_replay: provider.is_replay(),
                session_id: session_id.clone(),
            },
        };
        let start = crate::agents::runtime::SessionStart {
            workspace: ws,
            agent: vibedata_protocol::AgentRole::Reviewer,
            first,
            provider,
            extra_tools: vec![Arc::new(tool)],
        };
        self.agents
            .start(
                start,
                |sid| {
                    *session_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(sid.to_string());
                    Ok(())
                },
                on_event,
            )
            .await
    }

    /// The reviewer advisor's latest summary of `head` (stale when the branch has moved since).
    pub async fn summary(
        &self,
        workspace_id: &str,
        head: String,
    ) -> Result<Option<vibedata_protocol::review::ReviewSummaryDto>> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            let ws = workspace(&platform, &id)?;
            let now = pulls::sides(&platform.store, &ws, &head)
                .ok()
                .and_then(|(_, rev)| revisions::commit_of_rev(&ws.path, &rev).ok());
            advisor::latest(&platform.store, &id, &head, now.as_deref())
        })
        .await
    }

    /// The open pull requests of the workspace's GitHub repository in the synced inbox.
    pub async fn pull_requests(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<vibedata_protocol::review::ReviewPullDto>> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || pulls::open_pulls(&platform.store, &workspace(&platform, &id)?)).await
    }

    /// Asks GitHub for pull request `number` and fetches its head and target branch. When GitHub
    /// cannot be reached but it was fetched before, the review goes on as last fetched and the
    /// returned note says so.
    async fn fetch_pull(&self, workspace_id: &str, number: u64) -> Result<Option<String>> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        let ws = blocking(move || workspace(&platform, &id)).await?;
        let repo = ws
            .origin_url
            .as_deref()
            .and_then(crate::github::repos::repo_of_remote)
            .ok_or_else(|| {
                CoreError::InvalidInput(format!(
                    "{} has no GitHub origin: it has no pull requests",
                    ws.name
                ))
            })?;
        let fetched = async {
            let active = self.github.active_for(workspace_id).await?.ok_or_else(|| {
                CoreError::InvalidInput(format!(
                    "sign in to GitHub to fetch pull request #{number}"
                ))
            })?;
            let page = active
                .client()?
                .get(&format!("/repos/{repo}/pulls/{number}"))
                .await
                .map_err(|e| {
                    CoreError::github(format!("cannot read pull request #{number} of {repo}"), e)
                })?;
            let pull = pulls::Fetched::from_github(
                &repo,
                number,
                &page.body,
                crate::platform::clock::now(),
            )?;
            let (platform, ws, token) = (self.platform.clone(), ws.clone(), active.token.clone());
            blocking(move || {
                crate::workspaces::git::fetch_refspecs_as(
                    &ws.path,
                    Some(token.expose().as_str()),
                    &pull.refspecs(),
                )?;
                pulls::record(&platform.store, &ws.id, &pull)
            })
            .await
        }
        .await;
        let Err(error) = fetched else {
            return Ok(None);
        };
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        let before = blocking(move || pulls::fetched(&platform.store, &id, number)).await?;
        match before {
            Some(f) if revisions::commit_of_rev(&ws.path, &pulls::head_ref_of(number)).is_ok() => {
                Ok(Some(format!(
                    "GitHub could not be reached ({error}): pull request #{number} is reviewed as last fetched (head {})",
                    &f.head_sha[..f.head_sha.len().min(7)]
                )))
            }
            _ => Err(error),
        }
    }

    /// Builds the branch's changed and impacted models on both sides on the local DuckDB and
    /// diffs their data (see [`build`] and [`data_diff`]). Slow: dbt runs twice.
    pub async fn data_diff_branch(&self, workspace_id: &str, head: String) -> Result<DataDiffDto> {
        let key = format!("{workspace_id}:{head}");
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), flag.clone());
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        let cancel = flag.clone();
        let result = blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
            let venv = crate::platform::venv::Venv::new(&platform.paths().venv).cancellable(cancel);
            let scratch = platform.paths().data_dir.join("review");
            branch_data::data_diff_of(&venv, &platform.store, &ws, &head, &scratch)
        })
        .await;
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CoreError::InvalidInput(
                "the data diff was cancelled".into(),
            ));
        }
        result
    }

    /// A person's review of a branch's pull request, through the outbox (delivered exactly once
    /// when GitHub can be reached): the review summary kept as one comment on the pull request
    /// (edited on each review, never duplicated), then the review itself — approve, request
    /// changes or comment. A person's act, audited; no agent tool can do it. On an origin that
    /// is not GitHub the decision is kept here (audited) and nothing is queued.
    pub async fn post_review(
        &self,
        workspace_id: &str,
        head: String,
        event: vibedata_protocol::inbox::ReviewEvent,
        body: String,
    ) -> Result<Vec<vibedata_protocol::inbox::OutboxItemDto>> {
        use vibedata_protocol::inbox::{OutboxWriteDto as Write, ReviewEvent};
        if event != ReviewEvent::Approve && body.trim().is_empty() {
            return Err(CoreError::InvalidInput(
                "say what should change (a review without approval needs words)".into(),
            ));
        }
        let review = self.review_branch(workspace_id, head.clone()).await?;
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            let ws = crate::workspaces::registry::find_by_id(&platform.store, &id)?
                .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))?;
            if !crate::intents::on_github(&ws) {
                // No pull requests on this origin: the decision is kept here (audited); an
                // approved intent is then merged locally from the Studio or the Review page.
                crate::governance::audit::append(
                    &platform.store,
                    crate::platform::clock::now(),
                    "person",
                    "review",
                    &format!("{}:{head}", ws.name),
                    &serde_json::json!({"event": event, "head": head, "body": body, "local": true}),
                )?;
                return Ok(Vec::new());
            }
            let (repo, number) =
                pull_request_of(&platform.store, &id, &head)?.ok_or_else(|| {
                    CoreError::NotFound(format!(
                        "{head} has no pull request on GitHub yet: open it from the Studio first"
                    ))
                })?;
            let summary = crate::github::outbox::enqueue(
                &platform.store,
                &repo,
                &Write::UpsertComment {
                    number,
                    slot: format!("review:{head}"),
                    body: summary_markdown(&review, &checks::latest(&platform.store, &id, &head)?),
                },
            )?;
            let posted = crate::github::outbox::enqueue(
                &platform.store,
                &repo,
                &Write::Review {
                    number,
                    event,
                    body: body.clone(),
                },
            )?;
            crate::governance::audit::append(
                &platform.store,
                crate::platform::clock::now(),
                "person",
                "review",
                &format!("{repo}#{number}"),
                &serde_json::json!({"event": event, "head": head, "body": body}),
            )?;
            Ok(vec![summary, posted])
        })
        .await
    }

    /// The latest result of each check of a branch (kept with the review).
    pub async fn checks(&self, workspace_id: &str, head: String) -> Result<Vec<ReviewCheckDto>> {
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || checks::latest(&platform.store, &id, &head)).await
    }

    /// Runs `sql` on both sides of the branch as last built by its data diff and compares the
    /// results; kept as the check `name`.
    pub async fn query_diff(
        &self,
        workspace_id: &str,
        head: String,
        name: String,
        sql: String,
    ) -> Result<ReviewCheckDto> {
        if name.trim().is_empty() || sql.trim().is_empty() {
            return Err(CoreError::InvalidInput(
                "a query check needs a name and a query".into(),
            ));
        }
        let (platform, id) = (self.platform.clone(), workspace_id.to_owned());
        blocking(move || {
            let ws = workspace(&platform, &id)?;
            let (_, head_rev) = pulls::sides(&platform.store, &ws, &head)?;
            let commit = revisions::commit_of_rev(&ws.path, &head_rev)?;
            let sides = branch_data::built_sides(&platform.paths().data_dir.join("review"), &id, &commit);
            if !sides.0.is_file() || !sides.1.is_file() {
                return Err(CoreError::InvalidInput(
                    "build both sides first (\"compare the data\"): the query runs on what they built".into(),
                ));
            }
            let venv = crate::platform::venv::Venv::new(&platform.paths().venv);
            let out = venv.run_python(
                include_str!("review/querydiff.py"),
                &[sides.0.as_os_str(), sides.1.as_os_str(), std::ffi::OsStr::new(&sql)],
            );
            let (status, summary, result) = match out.and_then(|o| {
                serde_json::from_str::<serde_json::Value>(&o)
                    .map_err(|e| CoreError::Venv(format!("the query diff printed something unexpected: {e}")))
            }) {
                Ok(r) => {
                    let (b, h) = (r["only_base"].as_u64(), r["only_head"].as_u64());
                    let status = match (b, h) {
                        (Some(0), Some(0)) => CheckStatus::Identical,
                        _ => CheckStatus::Changed,
                    };
                    let summary = match (b, h) {
                        (Some(b), Some(h)) => format!(
                            "{} rows in base, {} in head: {b} only in base, {h} only in head",
                            r["base_rows"], r["head_rows"]
                        ),
                        _ => r["note"].as_str().unwrap_or("the sides differ").to_string(),
                    };
                    (status, summary, r)
                }
                Err(e) => (CheckStatus::Error, e.to_string(), serde_json::Value::Null),
            };
            let result = serde_json::json!({"sql": sql, "result": result});
            let check_id = checks::record(
                &platform.store,
                &checks::NewCheck {
                    workspace_id: &id,
                    head: &head,
                    head_commit: &commit,
                    name: &name,
                    kind: "query_diff",
                    status,
                    summary: &summary,
                    result: &result,
                },
            )?;
            Ok(ReviewCheckDto {
                id: check_id,
                name,
                kind: "query_diff".into(),
                status,
                summary,
                head_commit: commit,
                at: crate::platform::clock::now(),
            })
        })
        .await
    }

    /// Diffs two relations of a DuckDB file (see [`data_diff`]).
    pub async fn diff_tables(
        &self,
        db: PathBuf,
        left: String,
        right: String,
        key: Option<Vec<String>>,
    ) -> Result<data_diff::TableDiff> {
        let venv = crate::platform::venv::Venv::new(&self.platform.paths().venv);
        blocking(move || data_diff::diff_tables(&venv, &db, &left, &right, key, Vec::new())).await
    }

    /// The data diff of `head` against `base` in the repository at `repo` (the CLI's `--data`):
    /// both sides built on DuckDB from `warehouse` (default: the repository's
    /// `.vibedata/local/warehouse.duckdb`, where the Studio loads its sources) and diffed.
    pub async fn data_diff_revs(
        &self,
        repo: PathBuf,
        project_dir: Option<String>,
        base: String,
        head: String,
        warehouse: Option<PathBuf>,
    ) -> Result<RevsDataDiff> {
        let venv = crate::platform::venv::Venv::new(&self.platform.paths().venv);
        let scratch = self.platform.paths().data_dir.join("review");
        blocking(move || {
            let project = compare::project_dir(&repo, project_dir.as_deref())?;
            let warehouse =
                warehouse.unwrap_or_else(|| repo.join(crate::workspaces::registry::WAREHOUSE_FILE));
            let run = DataDiffRun {
                repo: &repo,
                project_dir: &project,
                warehouse: &warehouse,
                base: &base,
                head: &head,
                keep_for: None,
            };
            let (models, build_failures) = data_diff_run(&venv, &run, &scratch, |_, _| Ok(()))?;
            Ok(RevsDataDiff {
                models,
                build_failures,
            })
        })
        .await
    }

    /// Reviews `head` against `base` in the repository at `repo` (its dbt project in
    /// `project_dir`, or found on its own).
    pub async fn compare(
        &self,
        repo: PathBuf,
        project_dir: Option<String>,
        base: String,
        head: String,
    ) -> Result<ReviewReport> {
        let scratch = self.platform.paths().data_dir.join("review");
        blocking(move || compare(&repo, project_dir.as_deref(), &base, &head, &scratch)).await
    }
}

fn workspace(platform: &Platform, id: &str) -> Result<crate::workspaces::registry::Workspace> {
    crate::workspaces::registry::find_by_id(&platform.store, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
}
