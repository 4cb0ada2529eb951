//! The workspace tools agents get beside the file tools: git status/diff/commit on the session's
//! branch, dbt through the venv (compile/build/test/run with a node selection, output captured),
//! read-only SQL on the workspace's DuckDB, and searching the skills. Each declares its scope;
//! the runtime's policy decides who may run it. Commits are audited.

use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;
use vibedata_agent::policy::Scope;
use vibedata_agent::tools::{Tool, ToolContext, ToolNote, TypedTool};

use crate::governance::audit;
use crate::platform::store::Store;
use crate::platform::venv::Venv;
use crate::skills;
use crate::workspaces::changes;
use crate::workspaces::git;
use crate::workspaces::identity;
use crate::workspaces::registry::WAREHOUSE_FILE;

/// What the workspace tools need from the app.
#[derive(Clone)]
pub struct ToolEnv {
    pub store: Arc<Store>,
    pub venv: Venv,
    pub skills_dir: std::path::PathBuf,
    /// The workspace's dbt project folder in the repository ("" at its root).
    pub project_dir: String,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("the tool stopped unexpectedly: {e}"))?
}

/// Show the branch and the uncommitted changes of the workspace (path, kind, lines added/removed).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GitStatusInput {}

pub struct GitStatus;

impl TypedTool for GitStatus {
    type Input = GitStatusInput;
    const NAME: &'static str = "git_status";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        _input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let ws = ctx.workspace.clone();
        Box::pin(blocking(move || {
            let (branch, _) =
                crate::workspaces::registry::read_head(&ws).map_err(|e| e.to_string())?;
            let files = changes::working_changes(&ws).map_err(|e| e.to_string())?;
            let mut out = vec![format!(
                "branch: {}",
                branch.unwrap_or_else(|| "(detached)".into())
            )];
            if files.is_empty() {
                out.push("no uncommitted changes".into());
            }
            out.extend(files.iter().map(|f| {
                format!(
                    "{:?} {} (+{} -{})",
                    f.change, f.path, f.additions, f.deletions
                )
                .to_lowercase()
            }));
            Ok(out.join("\n"))
        }))
    }
}

/// Show the unified diff of the uncommitted changes (optionally of one path).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GitDiffInput {
    /// Only this file (relative to the workspace root).
    #[serde(default)]
    pub path: Option<String>,
}

pub struct GitDiff;

impl TypedTool for GitDiff {
    type Input = GitDiffInput;
    const NAME: &'static str = "git_diff";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let ws = ctx.workspace.clone();
        Box::pin(blocking(move || {
            let files = changes::working_changes(&ws).map_err(|e| e.to_string())?;
            let patches: Vec<String> = files
                .into_iter()
                .filter(|f| input.path.as_ref().is_none_or(|p| &f.path == p))
                .map(|f| f.patch)
                .collect();
            Ok(if patches.is_empty() {
                "no changes".into()
            } else {
                patches.join("\n")
            })
        }))
    }
}

/// Commit every change on the current (intent) branch with a message. Refused on the default
/// branch: agents work on intent branches.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GitCommitInput {
    pub message: String,
}

pub struct GitCommit(pub ToolEnv);

impl TypedTool for GitCommit {
    type Input = GitCommitInput;
    const NAME: &'static str = "git_commit";
    const SCOPE: Scope = Scope::Write;

    /// The approval card shows the commit as it will be: its message (subject cut as it will be)
    /// and the files it takes, not the call's JSON.
    fn preview(&self, ctx: &ToolContext, input: &Self::Input) -> Option<String> {
        let message = git::message_with_short_subject(input.message.trim());
        let files = changes::working_changes(&ctx.workspace).ok()?;
        let listed: Vec<String> = files
            .iter()
            .map(|f| {
                let kind = format!("{:?}", f.change).to_lowercase();
                format!("  {kind:<9} {}", f.path)
            })
            .collect();
        Some(format!(
            "Commit on this intent's branch:\n\n{message}\n\nFiles ({}):\n{}",
            listed.len(),
            listed.join("\n")
        ))
    }

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let (ws, store) = (ctx.workspace.clone(), self.0.store.clone());
        let ctx = ctx.clone();
        Box::pin(blocking(move || {
            if input.message.trim().is_empty() {
                return Err("give a commit message".into());
            }
            let (branch, _) =
                crate::workspaces::registry::read_head(&ws).map_err(|e| e.to_string())?;
            let branch = branch.ok_or("HEAD is detached; switch to an intent branch first")?;
            if git::default_branch(&ws).is_ok_and(|d| d == branch) {
                return Err(format!(
                    "{branch} is the default branch; agents commit on an intent branch"
                ));
            }
            let author = identity::for_commit(&store, &ws).map_err(|e| e.to_string())?;
            let id =
                git::commit_all(&ws, input.message.trim(), &author).map_err(|e| e.to_string())?;
            audit::append(
                &store,
                crate::platform::clock::now(),
                "agent",
                "commit",
                &id,
                &serde_json::json!({"branch": branch, "message": input.message.trim()}),
            )
            .map_err(|e| e.to_string())?;
            ctx.note(ToolNote::GitCommit {
                id: id.clone(),
                branch: branch.clone(),
                message: input.message.trim().to_string(),
            });
            Ok(format!("committed {} on {branch}", &id[..12.min(id.len())]))
        }))
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DbtCommand {
    Parse,
    Compile,
    Build,
    Test,
    Run,
}

/// Run dbt in the workspace through the app's Python environment (local DuckDB target), with an
/// optional node selection; answers with dbt's output.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunDbtInput {
    pub command: DbtCommand,
    /// A dbt selection, e.g. `stg_orders+` or `tag:nightly`.
    #[serde(default)]
    pub select: Option<String>,
}

pub struct RunDbt(pub ToolEnv);

impl TypedTool for RunDbt {
    type Input = RunDbtInput;
    const NAME: &'static str = "run_dbt";
    const SCOPE: Scope = Scope::Execute;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let (ws, venv, project_dir) = (
            ctx.workspace.clone(),
            self.0.venv.clone(),
            self.0.project_dir.clone(),
        );
        Box::pin(blocking(move || {
            let command = format!("{:?}", input.command).to_lowercase();
            let mut args = vec![command.as_str()];
            if let Some(select) = input.select.as_deref() {
                if select.starts_with('-') {
                    return Err("a selection cannot start with '-'".into());
                }
                args.extend(["--select", select]);
            }
            // The dbt project may sit in a folder of the repository (`transform/`): the one the
            // workspace was registered with, else the root's, else the first found.
            let registered = ws.join(&project_dir);
            let project = if !project_dir.is_empty() && registered.join("dbt_project.yml").is_file()
            {
                registered
            } else if ws.join("dbt_project.yml").is_file() {
                ws.clone()
            } else {
                crate::workspaces::registration::find_dbt_projects(&ws)
                    .first()
                    .map(|dir| ws.join(dir))
                    .ok_or("this repository has no dbt project (dbt_project.yml)")?
            };
            let run = venv.dbt(&project, &args).map_err(|e| e.to_string())?;
            let output = format!("{}{}", run.stdout, run.stderr);
            let tail: Vec<&str> = output
                .lines()
                .rev()
                .take(120)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let text = tail.join("\n");
            if run.success {
                Ok(text)
            } else {
                Err(format!("dbt {command} failed:\n{text}"))
            }
        }))
    }
}

/// Run one read-only SQL query on the workspace's local DuckDB warehouse (at most 200 rows).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct QueryInput {
    pub sql: String,
}

pub struct QueryWarehouse(pub ToolEnv);

impl TypedTool for QueryWarehouse {
    type Input = QueryInput;
    const NAME: &'static str = "query_warehouse";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let (ws, venv) = (ctx.workspace.clone(), self.0.venv.clone());
        Box::pin(blocking(move || {
            let db = ws.join(WAREHOUSE_FILE);
            if !db.is_file() {
                return Err("this workspace has no local warehouse yet".into());
            }
            let result = venv
                .query_duckdb(&db, &input.sql, 200)
                .map_err(|e| e.to_string())?;
            let mut out = vec![result.columns.join(" | ")];
            out.extend(result.rows.iter().map(|r| r.join(" | ")));
            if result.truncated {
                out.push("… (more rows; first 200 shown)".into());
            }
            Ok(out.join("\n"))
        }))
    }
}

/// Find skills (platform and this repository's `.agents/skills`, `.claude/skills`) by a word of
/// their name or description; with an exact skill name, answer its instructions.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchSkillsInput {
    pub query: String,
}

pub struct SearchSkills(pub ToolEnv);

impl TypedTool for SearchSkills {
    type Input = SearchSkillsInput;
    const NAME: &'static str = "search_skills";
    const SCOPE: Scope = Scope::Read;

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        let (ws, platform) = (ctx.workspace.clone(), self.0.skills_dir.clone());
        Box::pin(blocking(move || {
            let mut all = Vec::new();
            for dir in [
                platform,
                ws.join(".agents/skills"),
                ws.join(".claude/skills"),
            ] {
                if dir.is_dir()
                    && let Ok(set) = skills::load_dir(&dir)
                {
                    all.extend(set.skills);
                }
            }
            let q = input.query.trim().to_lowercase();
            if let Some(skill) = all.iter().find(|s| s.name == q) {
                return Ok(format!(
                    "# {}\n{}\n\n{}",
                    skill.name, skill.description, skill.body
                ));
            }
            let hits: Vec<String> = all
                .iter()
                .filter(|s| {
                    q.is_empty() || s.name.contains(&q) || s.description.to_lowercase().contains(&q)
                })
                .map(|s| format!("{}: {}", s.name, s.description))
                .collect();
            Ok(if hits.is_empty() {
                format!("no skill matches {:?}", input.query)
            } else {
                hits.join("\n")
            })
        }))
    }
}

/// The workspace tool set.
pub fn workspace_tools(env: &ToolEnv) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(GitStatus),
        Arc::new(GitDiff),
        Arc::new(GitCommit(env.clone())),
        Arc::new(RunDbt(env.clone())),
        Arc::new(QueryWarehouse(env.clone())),
        Arc::new(SearchSkills(env.clone())),
    ]
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntentDoc {
    IntentMd,
    PlanMd,
    TodoJson,
}

/// Write one of this intent's documents: `intent_md` (business context and success criteria,
/// with ```sql blocks that must return no rows), `plan_md` (models, columns, grain, tests,
/// contract) or `todo_json` (a JSON list of {id, text, done}). With `variant`, a `plan_md` is
/// written as an alternative plan of that name instead of the current plan.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WriteIntentDocInput {
    pub name: IntentDoc,
    pub content: String,
    /// A short name (a-z, 0-9, '-') for an alternative plan.
    #[serde(default)]
    pub variant: Option<String>,
}

/// Writes the documents of one intent (its folder is fixed when the session starts).
pub struct WriteIntentDoc {
    pub folder: std::path::PathBuf,
}

/// The most alternative plans an intent offers at once.
pub const MAX_VARIANTS: usize = 5;

impl WriteIntentDoc {
    fn variant_count(&self) -> usize {
        std::fs::read_dir(self.folder.join("plans/variants"))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    fn target(&self, input: &WriteIntentDocInput) -> Result<std::path::PathBuf, String> {
        match (&input.variant, input.name) {
            (None, doc) => Ok(self.file(doc)),
            (Some(v), IntentDoc::PlanMd)
                if !v.is_empty()
                    && v.len() <= 40
                    && v.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
            {
                let path = self.folder.join("plans/variants").join(format!("{v}.md"));
                if !path.exists() && self.variant_count() >= MAX_VARIANTS {
                    return Err(format!(
                        "there are already {MAX_VARIANTS} variants, the most offered at once"
                    ));
                }
                Ok(path)
            }
            (Some(v), IntentDoc::PlanMd) => {
                Err(format!("'{v}' is not a variant name (a-z, 0-9, '-')"))
            }
            (Some(_), _) => Err("only plan_md has variants".into()),
        }
    }

    fn file(&self, doc: IntentDoc) -> std::path::PathBuf {
        self.folder.join(match doc {
            IntentDoc::IntentMd => "intent.md",
            IntentDoc::PlanMd => "plan.md",
            IntentDoc::TodoJson => "todo.json",
        })
    }
}

impl TypedTool for WriteIntentDoc {
    type Input = WriteIntentDocInput;
    const NAME: &'static str = "write_intent_doc";
    const SCOPE: Scope = Scope::Write;

    fn preview(&self, _ctx: &ToolContext, input: &Self::Input) -> Option<String> {
        let path = self.target(input).ok()?;
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Some(
            similar::TextDiff::from_lines(&old, &input.content)
                .unified_diff()
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        )
    }

    fn run<'a>(
        &'a self,
        ctx: &'a ToolContext,
        input: Self::Input,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            if matches!(input.name, IntentDoc::TodoJson) {
                serde_json::from_str::<serde_json::Value>(&input.content)
                    .map_err(|e| format!("todo_json is not JSON: {e}"))?;
            }
            let path = self.target(&input)?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| format!("cannot create the intent folder: {e}"))?;
            }
            tokio::fs::write(&path, input.content.as_bytes())
                .await
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let shown = path
                .strip_prefix(&ctx.workspace)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            ctx.note(ToolNote::Artifact {
                path: shown.clone(),
            });
            Ok(format!("wrote {shown}"))
        })
    }
}
