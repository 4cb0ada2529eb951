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
pub mod build;
pub mod checks;
pub mod data_diff;
pub mod pulls;
pub mod revisions;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use vibedata_dbt_index::Index;
use vibedata_dbt_index::diff::{self, Review as Diff};
use vibedata_protocol::LineageDto;
use vibedata_protocol::review::{
    ChangeCategory, ChangeKind, ChangedNodeDto, CheckStatus, ColumnDataDiffDto, ContractBreakDto,
    DataDiffDto, ImpactDto, ModelDataDiffDto, ReviewCheckDto, ReviewDto,
};

use crate::platform::Platform;
use crate::platform::error::{CoreError, Result, blocking};
use revisions::Revision;

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
            .provider(crate::agents::runtime::DEMO_REVIEW, &ws)?;
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
            data_diff_of(&venv, &platform.store, &ws, &head, &scratch)
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
            let sides = built_sides(&platform.paths().data_dir.join("review"), &id, &commit);
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
            let project = self::project_dir(&repo, project_dir.as_deref())?;
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

/// A node's name from its unique id: a generic test's without its hash
/// (`test.shop.unique_orders_id.3c484b5649` → `unique_orders_id`), a version kept
/// (`model.shop.orders.v2` → `orders.v2`).
fn node_name(uid: &str) -> String {
    let parts: Vec<&str> = uid.split('.').collect();
    let last = parts.last().copied().unwrap_or(uid);
    match parts.as_slice() {
        ["test", _, name, _] => (*name).to_string(),
        [_, _, name, v]
            if v.len() > 1 && v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{name}.{v}")
        }
        _ => last.to_string(),
    }
}

fn workspace(platform: &Platform, id: &str) -> Result<crate::workspaces::registry::Workspace> {
    crate::workspaces::registry::find_by_id(&platform.store, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no workspace with id {id}")))
}

/// The dbt project folder of a repository: the one given, the root's, else the first found.
fn project_dir(root: &Path, given: Option<&str>) -> Result<String> {
    if let Some(given) = given {
        return Ok(given.trim_matches('/').to_string());
    }
    if root.join("dbt_project.yml").is_file() {
        return Ok(String::new());
    }
    crate::workspaces::registration::find_dbt_projects(root)
        .into_iter()
        .next()
        .ok_or_else(|| CoreError::InvalidInput(format!("{} has no dbt project", root.display())))
}

/// Writes both sides, indexes them and compares (blocking).
pub fn compare(
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<ReviewReport> {
    compare_with_lineage(repo, project, base, head, scratch).map(|(r, _)| r)
}

/// What the Review page shows of `head` against `base` (blocking): [`compare`], the lineage of
/// what changed, as typed for the page.
pub fn review_page(
    workspace_id: &str,
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<ReviewDto> {
    let (report, lineage) = compare_with_lineage(repo, project, base, head, scratch)?;
    let mut code = crate::workspaces::changes::changes_between(
        repo,
        &report.base_commit,
        &report.head_commit,
    )?;
    code.sort_by_key(|f| f.path.starts_with(".vibedata/"));
    let mut dto = to_dto(workspace_id, report);
    dto.lineage = lineage;
    dto.code = code;
    Ok(dto)
}

/// [`compare`], and the lineage of what changed in the head's graph: the changed nodes (tests
/// left out) and everything downstream of them, ranked by their longest path from a change.
fn compare_with_lineage(
    repo: &Path,
    project: Option<&str>,
    base: &str,
    head: &str,
    scratch: &Path,
) -> Result<(ReviewReport, LineageDto)> {
    let (base_rev, from_merge_base) = revisions::base_of(repo, base, head)?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| CoreError::io(format!("cannot create {}", scratch.display()), e))?;
    let dir = tempfile::Builder::new()
        .prefix("review-")
        .tempdir_in(scratch)
        .map_err(|e| CoreError::io("cannot create a folder for the review", e))?;
    let (base_dir, head_dir) = (dir.path().join("base"), dir.path().join("head"));
    let Revision {
        commit: base_commit,
        ..
    } = revisions::write_tree(repo, &base_rev.commit, &base_dir)?;
    let Revision {
        commit: head_commit,
        ..
    } = revisions::write_tree(repo, head, &head_dir)?;
    let project = project_dir(&head_dir, project)?;
    let (b, h) = std::thread::scope(|s| {
        let b = s.spawn(|| Index::load(&base_dir.join(&project)));
        let h = Index::load(&head_dir.join(&project));
        (b.join(), h)
    });
    let b = b.map_err(|_| CoreError::Internal("indexing the base failed".into()))?;
    let problems = b
        .problems()
        .iter()
        .chain(h.problems().iter())
        .filter(|p| p.severity == vibedata_dbt_index::Severity::Error)
        .map(|p| format!("{}:{} {}", p.file, p.line, p.message))
        .collect();
    let diff = diff::compare(&b, &h);
    let lineage = changed_lineage(&h, &diff);
    Ok((
        ReviewReport {
            base: base.to_string(),
            base_commit,
            head: head.to_string(),
            head_commit,
            from_merge_base,
            project_dir: project,
            diff,
            problems,
        },
        lineage,
    ))
}

/// The changed nodes present in the head and what is downstream of them, layered: a node's rank
/// is its longest path from a changed node within the set.
fn changed_lineage(head: &Index, d: &Diff) -> LineageDto {
    use std::collections::{BTreeMap, BTreeSet};
    let nodes = head.nodes();
    let keep = |uid: &str| {
        nodes.get(uid).is_some_and(|n| {
            !matches!(
                n.resource_type,
                vibedata_dbt_index::ResourceType::Test | vibedata_dbt_index::ResourceType::UnitTest
            )
        })
    };
    let set: BTreeSet<String> = d
        .changed
        .iter()
        .map(|c| c.unique_id.clone())
        .chain(d.impact.iter().map(|i| i.unique_id.clone()))
        .filter(|u| keep(u))
        .take(300)
        .collect();
    let parents_in = |uid: &str| -> Vec<String> {
        head.graph()
            .parent_map
            .get(uid)
            .into_iter()
            .flatten()
            .filter(|p| set.contains(*p))
            .cloned()
            .collect()
    };
    // Longest path within the set (it is a DAG; a cycle is cut at the set's size).
    let mut rank: BTreeMap<String, i32> = set.iter().map(|u| (u.clone(), 0)).collect();
    for _ in 0..set.len() {
        let mut changed = false;
        for uid in &set {
            let r = parents_in(uid)
                .iter()
                .map(|p| rank[p] + 1)
                .max()
                .unwrap_or(0)
                .min(set.len() as i32);
            if rank[uid] != r {
                rank.insert(uid.clone(), r);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut placed: Vec<(&String, i32)> = rank.iter().map(|(u, r)| (u, *r)).collect();
    placed.sort_by(|a, b| (a.1, &nodes[a.0].name).cmp(&(b.1, &nodes[b.0].name)));
    let mut order: BTreeMap<i32, u32> = BTreeMap::new();
    let lineage_nodes = placed
        .iter()
        .map(|(uid, r)| {
            let o = order.entry(*r).or_insert(0);
            *o += 1;
            vibedata_protocol::LineageNodeDto {
                unique_id: (*uid).clone(),
                name: nodes[*uid].name.clone(),
                kind: crate::domains::open::node_kind(nodes[*uid].resource_type),
                rank: *r,
                order: *o - 1,
            }
        })
        .collect();
    let edges = set
        .iter()
        .flat_map(|uid| {
            parents_in(uid)
                .into_iter()
                .map(move |p| vibedata_protocol::LineageEdgeDto {
                    from: p,
                    to: uid.clone(),
                })
        })
        .collect();
    LineageDto {
        focus: String::new(),
        nodes: lineage_nodes,
        edges,
        truncated: set.len() >= 300,
    }
}

fn to_dto(workspace_id: &str, r: ReviewReport) -> ReviewDto {
    let name = |uid: &str| node_name(uid);
    let kind = crate::domains::open::node_kind;
    let changed_ids: Vec<&str> = r
        .diff
        .changed
        .iter()
        .map(|c| c.unique_id.as_str())
        .collect();
    ReviewDto {
        workspace_id: workspace_id.to_string(),
        base: r.base.clone(),
        head: r.head.clone(),
        base_commit: r.base_commit.clone(),
        head_commit: r.head_commit.clone(),
        from_merge_base: r.from_merge_base,
        changed: r
            .diff
            .changed
            .iter()
            .map(|c| ChangedNodeDto {
                unique_id: c.unique_id.clone(),
                name: name(&c.unique_id),
                kind: kind(c.resource_type),
                change: match c.change {
                    diff::Change::Added => ChangeKind::Added,
                    diff::Change::Removed => ChangeKind::Removed,
                    diff::Change::Modified => ChangeKind::Modified,
                },
                category: c.category.map(|k| match k {
                    diff::Category::Breaking => ChangeCategory::Breaking,
                    diff::Category::PartialBreaking => ChangeCategory::PartialBreaking,
                    diff::Category::NonBreaking => ChangeCategory::NonBreaking,
                    diff::Category::Unknown => ChangeCategory::Unknown,
                }),
                modified: c.modified.iter().map(|m| m.to_string()).collect(),
                added_columns: c.columns.added.clone(),
                removed_columns: c.columns.removed.clone(),
                modified_columns: c.columns.modified.clone(),
                reason: c.reason.clone(),
            })
            .collect(),
        impact: r
            .diff
            .impact
            .iter()
            .map(|i| ImpactDto {
                unique_id: i.unique_id.clone(),
                name: name(&i.unique_id),
                kind: kind(i.resource_type),
                via: i.via.clone(),
                affected_columns: i.affected_columns.clone(),
                unaffected_columns: i.unaffected_columns.clone(),
                changed: changed_ids.contains(&i.unique_id.as_str()),
            })
            .collect(),
        contract_breaks: r
            .diff
            .contract_breaks
            .iter()
            .map(|b| ContractBreakDto {
                unique_id: b.unique_id.clone(),
                column: b.column.clone(),
                kind: match b.kind {
                    diff::ContractBreakKind::Removed => "removed",
                    diff::ContractBreakKind::TypeChanged => "type_changed",
                    diff::ContractBreakKind::ConstraintRemoved => "constraint_removed",
                }
                .to_string(),
            })
            .collect(),
        problems: r.problems,
        lineage: LineageDto {
            focus: String::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
            truncated: false,
        },
        code: Vec::new(),
    }
}

/// The data diff of `head` against the workspace's default branch (blocking).
/// Where the warehouses a data diff built for a head commit are kept: `(base, head)`.
fn built_sides(scratch: &Path, workspace_id: &str, head_commit: &str) -> (PathBuf, PathBuf) {
    let dir = scratch
        .join(workspace_id)
        .join(head_commit.get(..12).unwrap_or(head_commit));
    (dir.join("base.duckdb"), dir.join("head.duckdb"))
}

/// A model's data diff as a check: its status and one line.
fn check_of(m: &ModelDataDiffDto) -> (CheckStatus, String) {
    if let Some(e) = &m.error {
        return (CheckStatus::Error, e.clone());
    }
    if m.identical {
        return (
            CheckStatus::Identical,
            format!("{} rows, identical", m.head_rows),
        );
    }
    let changed: Vec<&str> = m
        .columns
        .iter()
        .filter(|c| c.changed > 0)
        .map(|c| c.name.as_str())
        .collect();
    let summary = match (m.base_only, m.head_only, m.changed_rows) {
        (Some(b), Some(h), Some(c)) => format!(
            "{} → {} rows: {b} only in base, {h} only in head, {c} changed{}",
            m.base_rows,
            m.head_rows,
            if changed.is_empty() {
                String::new()
            } else {
                format!(" ({})", changed.join(", "))
            }
        ),
        _ => format!(
            "{} → {} rows; {}",
            m.base_rows,
            m.head_rows,
            m.note.clone().unwrap_or_default()
        ),
    };
    (CheckStatus::Changed, summary)
}

fn data_diff_of(
    venv: &crate::platform::venv::Venv,
    store: &crate::platform::store::Store,
    ws: &crate::workspaces::registry::Workspace,
    head: &str,
    scratch: &Path,
) -> Result<DataDiffDto> {
    let (base, head_rev) = pulls::sides(store, ws, head)?;
    let warehouse = ws.warehouse();
    let run = DataDiffRun {
        repo: &ws.path,
        project_dir: &ws.project_dir,
        warehouse: &warehouse,
        base: &base,
        head: &head_rev,
        keep_for: Some(&ws.id),
    };
    let (models, build_failures) = data_diff_run(venv, &run, scratch, |dto, head_commit| {
        let (status, summary) = check_of(dto);
        checks::record(
            store,
            &checks::NewCheck {
                workspace_id: &ws.id,
                head,
                head_commit,
                name: &format!("data diff: {}", dto.name),
                kind: "data_diff",
                status,
                summary: &summary,
                result: &serde_json::to_value(dto).unwrap_or_default(),
            },
        )
        .map(|_| ())
    })?;
    Ok(DataDiffDto {
        workspace_id: ws.id.clone(),
        head: head.to_string(),
        models,
        build_failures,
    })
}

/// What a data diff builds: a repository, its dbt project's folder, the DuckDB file its sources
/// are in, and the two revisions (the base measured from its merge base with the head).
pub struct DataDiffRun<'a> {
    pub repo: &'a Path,
    pub project_dir: &'a str,
    pub warehouse: &'a Path,
    pub base: &'a str,
    pub head: &'a str,
    /// Keep both built warehouses under this key for the head commit (query checks run there).
    pub keep_for: Option<&'a str>,
}

/// Builds the change's modified and impacted models on both sides on DuckDB (the head deferring
/// its unchanged upstream to the built base) and diffs each with the keys its project declares
/// (blocking). `each` sees every model's result with the head commit. Returns the models and the
/// build failures (a model that did not build is named; the rest still compares).
pub fn data_diff_run(
    venv: &crate::platform::venv::Venv,
    run: &DataDiffRun,
    scratch: &Path,
    mut each: impl FnMut(&ModelDataDiffDto, &str) -> Result<()>,
) -> Result<(Vec<ModelDataDiffDto>, Vec<String>)> {
    let (base_rev, _) = revisions::base_of(run.repo, run.base, run.head)?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| CoreError::io(format!("cannot create {}", scratch.display()), e))?;
    let dir = tempfile::Builder::new()
        .prefix("data-diff-")
        .tempdir_in(scratch)
        .map_err(|e| CoreError::io("cannot create a folder for the data diff", e))?;
    let (base_dir, head_dir) = (dir.path().join("base"), dir.path().join("head"));
    revisions::write_tree(run.repo, &base_rev.commit, &base_dir)?;
    revisions::write_tree(run.repo, run.head, &head_dir)?;
    let (base_project, head_project) = (
        base_dir.join(run.project_dir),
        head_dir.join(run.project_dir),
    );
    if !build::local_duckdb(&head_project) {
        return Err(CoreError::InvalidInput(
            "the data diff builds on the local DuckDB: this project's profiles.yml has no DuckDB target".into(),
        ));
    }
    let (b, h) = (Index::load(&base_project), Index::load(&head_project));
    let review = diff::compare(&b, &h);
    // Models on both sides that the change modifies or reaches.
    let models: Vec<String> = review
        .changed
        .iter()
        .filter(|c| c.change == diff::Change::Modified)
        .map(|c| c.unique_id.clone())
        .chain(review.impact.iter().map(|i| i.unique_id.clone()))
        .filter(|uid| {
            uid.starts_with("model.") && b.nodes().contains_key(uid) && h.nodes().contains_key(uid)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let name = |uid: &str| {
        h.nodes()
            .get(uid)
            .map(|n| n.name.clone())
            .unwrap_or_default()
    };
    if models.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let base_built = build::build_side(
        venv,
        &base_project,
        Some(run.warehouse),
        &models
            .iter()
            .map(|m| format!("+{}", name(m)))
            .collect::<Vec<_>>(),
    )?;
    // The head starts from the built base: unchanged upstream is deferred to it.
    let modified: Vec<String> = review
        .changed
        .iter()
        .filter(|c| c.change != diff::Change::Removed && c.unique_id.starts_with("model."))
        .map(|c| format!("{}+", name(&c.unique_id)))
        .collect();
    let head_built = build::build_side(venv, &head_project, Some(&base_built.db), &modified)?;
    let failed: Vec<&(String, String)> =
        base_built.failed.iter().chain(&head_built.failed).collect();
    let head_commit = revisions::commit_of_rev(run.repo, run.head)?;
    if let Some(key) = run.keep_for {
        // Both built warehouses are kept for the head commit: query checks run on them.
        let kept = built_sides(scratch, key, &head_commit);
        if let Some(parent) = kept.0.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        for (from, to) in [(&base_built.db, &kept.0), (&head_built.db, &kept.1)] {
            std::fs::copy(from, to)
                .map_err(|e| CoreError::io(format!("cannot keep {}", from.display()), e))?;
        }
    }
    let mut out = Vec::new();
    for uid in &models {
        let failure = failed
            .iter()
            .find(|(f, _)| f == uid)
            .map(|(_, m)| m.clone());
        let (Some(left), Some(right)) =
            (base_built.relations.get(uid), head_built.relations.get(uid))
        else {
            continue;
        };
        let candidates = diff::declared_keys(&h, uid)
            .into_iter()
            .map(|k| data_diff::KeyCandidate {
                columns: k.columns,
                evidence: k.evidence,
                declared: true,
            })
            .collect();
        let result = match failure {
            Some(m) => Err(CoreError::InvalidInput(format!("it did not build: {m}"))),
            None => data_diff::diff_across(
                venv,
                &base_built.db,
                Some(&head_built.db),
                left,
                &format!("head.{right}"),
                None,
                candidates,
            ),
        };
        let dto = model_dto(uid, &name(uid), result);
        each(&dto, &head_commit)?;
        out.push(dto);
    }
    Ok((
        out,
        failed.iter().map(|(u, m)| format!("{u}: {m}")).collect(),
    ))
}

fn model_dto(uid: &str, name: &str, result: Result<data_diff::TableDiff>) -> ModelDataDiffDto {
    let empty = ModelDataDiffDto {
        unique_id: uid.to_string(),
        name: name.to_string(),
        key: Vec::new(),
        key_evidence: None,
        identical: false,
        base_rows: 0,
        head_rows: 0,
        base_only: None,
        head_only: None,
        changed_rows: None,
        columns: Vec::new(),
        columns_added: Vec::new(),
        columns_removed: Vec::new(),
        samples: Vec::new(),
        note: None,
        error: None,
    };
    let d = match result {
        Ok(d) => d,
        Err(e) => {
            return ModelDataDiffDto {
                error: Some(e.to_string()),
                ..empty
            };
        }
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()
    };
    let samples = d
        .samples
        .iter()
        .map(|row| {
            let key: Vec<String> = d
                .key
                .iter()
                .map(|k| format!("{k}={}", row[k].as_str().unwrap_or("null")))
                .collect();
            let changes: Vec<String> = d
                .columns
                .iter()
                .filter_map(|c| {
                    let (l, r) = (
                        &row[format!("left.{}", c.name)],
                        &row[format!("right.{}", c.name)],
                    );
                    (l != r).then(|| {
                        format!(
                            "{}: {} → {}",
                            c.name,
                            l.as_str().unwrap_or("null"),
                            r.as_str().unwrap_or("null")
                        )
                    })
                })
                .collect();
            format!("{} — {}", key.join(", "), changes.join("; "))
        })
        .collect();
    ModelDataDiffDto {
        key: d.key.clone(),
        key_evidence: d.key_evidence.clone(),
        identical: d.identical,
        base_rows: d.left_rows,
        head_rows: d.right_rows,
        base_only: d.left_only,
        head_only: d.right_only,
        changed_rows: d.changed_rows,
        columns: d
            .columns
            .iter()
            .map(|c| ColumnDataDiffDto {
                name: c.name.clone(),
                changed: c.changed,
                match_pct: c.match_pct,
            })
            .collect(),
        columns_added: strings(&d.schema["added"]),
        columns_removed: strings(&d.schema["removed"]),
        samples,
        note: d.note.clone(),
        ..empty
    }
}

/// The pull request a branch's intent opened: `(repo, number)`, once GitHub made it.
pub(crate) fn pull_request_of(
    store: &crate::platform::store::Store,
    workspace_id: &str,
    branch: &str,
) -> Result<Option<(String, u64)>> {
    use rusqlite::OptionalExtension;
    if let Some(number) = pulls::number_of(branch) {
        return Ok(pulls::fetched(store, workspace_id, number)?.map(|f| (f.repo, number)));
    }
    let found: Option<(String, Option<String>)> = store.with(|c| {
        c.query_row(
            "SELECT p.repo, o.result FROM intent_pull_requests p
               JOIN intents i ON i.id = p.intent_id
               JOIN gh_outbox o ON o.seq = p.outbox_seq
              WHERE i.workspace_id = ?1 AND 'intent/' || i.slug = ?2",
            [workspace_id, branch],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    Ok(found.and_then(|(repo, result)| {
        let number = result
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .and_then(|v| v["number"].as_u64())?;
        Some((repo, number))
    }))
}

/// The review summary posted on a pull request (one comment, kept current).
pub fn summary_markdown(r: &ReviewDto, checks: &[ReviewCheckDto]) -> String {
    let mut out = format!(
        "### Vibedata review of `{}` against `{}`\n\n",
        r.head, r.base
    );
    let count = |c: ChangeCategory| r.changed.iter().filter(|n| n.category == Some(c)).count();
    out.push_str(&format!(
        "{} changed nodes — {} breaking, {} partially breaking, {} unknown; {} downstream; {} contract breaks.\n\n",
        r.changed.len(),
        count(ChangeCategory::Breaking),
        count(ChangeCategory::PartialBreaking),
        count(ChangeCategory::Unknown),
        r.impact.iter().filter(|i| !i.changed).count(),
        r.contract_breaks.len()
    ));
    for c in &r.changed {
        let class = c.category.map(|k| k.label()).unwrap_or("—");
        let mut cols = Vec::new();
        for (sign, list) in [
            ("+", &c.added_columns),
            ("−", &c.removed_columns),
            ("~", &c.modified_columns),
        ] {
            if !list.is_empty() {
                cols.push(format!("{sign} {}", list.join(", ")));
            }
        }
        out.push_str(&format!(
            "- `{}` — {class}{}\n",
            c.unique_id,
            if cols.is_empty() {
                String::new()
            } else {
                format!(" ({})", cols.join("; "))
            }
        ));
    }
    for b in &r.contract_breaks {
        out.push_str(&format!(
            "- contract break: `{}`.{} {}\n",
            b.unique_id,
            b.column,
            b.kind.replace('_', " ")
        ));
    }
    if !checks.is_empty() {
        out.push_str("\n**Checks** (on the local DuckDB)\n\n");
        for c in checks {
            let stale = if c.head_commit == r.head_commit {
                ""
            } else {
                " — stale: ran on an older commit"
            };
            out.push_str(&format!(
                "- {} — {}: {}{stale}\n",
                c.name,
                c.status.as_str(),
                c.summary
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_names_drop_a_test_s_hash_and_keep_a_version() {
        for (uid, name) in [
            ("model.shop.orders", "orders"),
            ("test.shop.unique_orders_id.3c484b5649", "unique_orders_id"),
            ("test.shop.assert_positive", "assert_positive"),
            ("model.shop.orders.v2", "orders.v2"),
            ("unit_test.shop.orders.counts_open", "counts_open"),
            ("source.shop.raw.orders", "orders"),
            ("seed.shop.vibes", "vibes"),
        ] {
            assert_eq!(super::node_name(uid), name, "{uid}");
        }
    }
}
