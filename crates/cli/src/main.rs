//! `vibedata`: the same core as the desktop app, for CI and scripting. Each subcommand calls one
//! core function and prints either a human summary or, with `--json`, the same DTO the UI gets.
//!
//! Exit codes: 0 success, 1 the command ran and found problems (or failed), 2 bad usage.

use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use vibedata_core::platform::config::Config;
use vibedata_core::platform::observability::{self, Console};
use vibedata_core::workspaces::demo::{CloneOutcome, WarehouseOutcome};
use vibedata_core::{Studio, app_status};

#[derive(Parser)]
#[command(
    name = "vibedata",
    version,
    about = "Vibedata Studio on the command line"
)]
struct Cli {
    /// Print machine-readable JSON instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The demo data domain.
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// List the registered workspaces with branch and last commit (or remove one).
    Workspaces {
        #[command(subcommand)]
        action: Option<WorkspacesAction>,
    },
    /// Check a folder of skills (default: the seeded platform skills).
    Skills {
        #[command(subcommand)]
        action: SkillsAction,
    },
    /// Where the app keeps its data, and whether the Python tools are ready.
    Status,
    /// Credentials in the OS keychain (never on disk).
    Credentials {
        #[command(subcommand)]
        action: CredentialAction,
    },
    /// Set a tool's autonomy level on a workspace (a person's decision; audited).
    Autonomy {
        /// Workspace name.
        workspace: String,
        /// Tool name, e.g. write_file.
        tool: String,
        /// L1, L2 or L3.
        level: String,
    },
    /// Session ceilings and the deployment's prices, applied to every agent session.
    Budget {
        /// Stop a session at this many tokens.
        #[arg(long)]
        max_tokens: Option<u64>,
        /// Stop a session at this cost (needs both prices).
        #[arg(long)]
        max_cost: Option<f64>,
        /// Price per 1,000 prompt tokens.
        #[arg(long)]
        prompt_per_1k: Option<f64>,
        /// Price per 1,000 completion tokens.
        #[arg(long)]
        completion_per_1k: Option<f64>,
    },
    /// GitHub accounts (tokens in the OS keychain only).
    Github {
        #[command(subcommand)]
        action: GithubAction,
    },
    /// The issue inbox: followed repositories, synced into the local store.
    Inbox {
        #[command(subcommand)]
        action: InboxAction,
    },
    /// Writes to GitHub queued locally and delivered exactly once.
    Outbox {
        #[command(subcommand)]
        action: OutboxAction,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Index a dbt project natively (no Python): counts, coverage and problems, or with `--json`
    /// the full index in the shape of dbt's manifest.json. Exits 1 on error-level problems.
    Index {
        /// The dbt project folder (holding dbt_project.yml).
        path: PathBuf,
        /// Compare node for node with a manifest.json from `dbt parse`; exits 1 when they differ.
        #[arg(long, value_name = "MANIFEST")]
        compare: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DemoAction {
    /// Create the demo domain, or repair what is missing (clone, registration, warehouse).
    Init,
}

#[derive(Subcommand)]
enum CredentialAction {
    /// Store a credential read from standard input (never from the command line).
    Set { name: String },
    /// Say whether a credential is stored (its value is never printed).
    Check { name: String },
    /// Remove a credential.
    Delete { name: String },
}

#[derive(Subcommand)]
enum WorkspacesAction {
    /// Unregister a workspace by name; its folder stays on disk.
    Remove { name: String },
}

#[derive(Subcommand)]
enum InboxAction {
    /// Follow a repository (owner/name or its GitHub URL).
    Follow { repo: String },
    /// Stop following a repository; its synced issues leave this machine (GitHub is not touched).
    Unfollow { repo: String },
    /// Deliver the outbox, then sync every followed repository.
    Sync,
    /// The synced issues, newest change first (offline).
    List {
        /// Full-text search over titles, bodies and comments.
        #[arg(long, default_value = "")]
        query: String,
    },
}

#[derive(Subcommand)]
enum OutboxAction {
    /// The queue with each write's state and last error.
    List,
    /// Deliver queued writes in order; exits 1 while some remain.
    Replay,
    /// Queue a comment on an issue.
    Comment {
        repo: String,
        number: u64,
        body: String,
    },
    /// Queue a new issue.
    Issue {
        repo: String,
        title: String,
        #[arg(long, default_value = "")]
        body: String,
    },
    /// Put a failed write back in the queue.
    Retry { seq: i64 },
    /// Cancel a write that has not been delivered.
    Cancel { seq: i64 },
}

#[derive(Subcommand)]
enum GithubAction {
    /// Choose the account a workspace acts as on GitHub (`default`: the first signed-in one).
    Use {
        /// A signed-in login, or `default`.
        login: String,
        /// The workspace's name.
        #[arg(long)]
        workspace: String,
    },
    /// Sign in with the device flow: shows a code to enter on GitHub, then waits.
    Login {
        /// The OAuth or GitHub App client id.
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = "https://github.com")]
        base_url: String,
        #[arg(long, default_value = "https://api.github.com")]
        api_url: String,
    },
    /// Sign in with a personal access token read from standard input.
    Token {
        #[arg(long, default_value = "https://github.com")]
        base_url: String,
        #[arg(long, default_value = "https://api.github.com")]
        api_url: String,
    },
    /// The accounts signed in.
    Accounts,
    /// Sign out: the account's tokens leave the keychain.
    Logout { login: String },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Recompute the chain; exits 1 and names the first broken record if any was changed.
    Verify,
}

#[derive(Subcommand)]
enum SkillsAction {
    /// Validate every skill folder; exits 1 when any is malformed.
    Check { dir: Option<PathBuf> },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let _logs = observability::init(
        &config.paths.log_dir(),
        Console::Off,
        config.log_level.as_deref(),
    );
    match run(cli, config).await {
        Ok(code) => code,
        Err(e) => fail(&*e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(1)
}

fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T)) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        human(value);
    }
    Ok(())
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        Command::Demo {
            action: DemoAction::Init,
        } => {
            let studio = Studio::start(config).await?;
            let report = studio.workspaces().ensure_demo().await?;
            let warehouse = match &report.warehouse {
                WarehouseOutcome::AlreadyLoaded => "already loaded".to_owned(),
                WarehouseOutcome::Loaded { rows } => format!(
                    "loaded ({})",
                    rows.iter()
                        .map(|(t, n)| format!("bronze.{t}: {n} rows"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                WarehouseOutcome::NotLoaded { reason } => format!("NOT loaded: {reason}"),
            };
            let clone = match report.clone {
                CloneOutcome::AlreadyThere => "already there",
                CloneOutcome::ClonedFromOrigin => "cloned again from its origin",
                CloneOutcome::Created => "created",
            };
            let value = serde_json::json!({
                "workspace": report.workspace.name,
                "path": report.workspace.path,
                "clone": clone,
                "warehouse": warehouse,
            });
            print(json, &value, |_| {
                println!("demo domain {}: {clone}", report.workspace.path.display());
                println!("warehouse: {warehouse}");
            })?;
            Ok(match report.warehouse {
                WarehouseOutcome::NotLoaded { .. } => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            })
        }
        Command::Workspaces {
            action: Some(WorkspacesAction::Remove { name }),
        } => {
            let studio = Studio::start(config).await?;
            let ws = studio.workspaces().find_by_name(&name).await?;
            studio.workspaces().remove_workspace(&ws.id).await?;
            let value = serde_json::json!({"workspace": name, "removed": true, "path": ws.path});
            print(json, &value, |_| {
                println!(
                    "{name} removed; its folder {} stays on disk",
                    ws.path.display()
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Workspaces { action: None } => {
            let list = Studio::start(config)
                .await?
                .workspaces()
                .list_workspaces()
                .await?;
            print(json, &list, |list| {
                for ws in list {
                    let commit = ws
                        .last_commit
                        .as_ref()
                        .map(|c| format!("{} {}", c.short_id(), c.summary))
                        .unwrap_or_else(|| "(no commits)".into());
                    println!(
                        "{:<20} {:<8} {:<12} {}  {}",
                        ws.name,
                        format!("{:?}", ws.kind).to_lowercase(),
                        ws.branch.as_deref().unwrap_or("(detached)"),
                        ws.path,
                        commit
                    );
                    if let Some(problem) = &ws.problem {
                        println!("  problem: {problem}");
                    }
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Skills {
            action: SkillsAction::Check { dir },
        } => {
            let set = Studio::start(config).await?.skills().check(dir).await?;
            print(json, &set, |set| {
                for s in &set.skills {
                    println!("ok    {}", s.name);
                }
                for p in &set.problems {
                    println!("ERROR {}: {}", p.path, p.message);
                }
            })?;
            Ok(if set.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Index { path, compare } => index(json, path, compare).await,
        Command::Credentials { action } => credentials(json, config, action).await,
        Command::Github { action } => github(json, config, action).await,
        Command::Inbox { action } => inbox(json, config, action).await,
        Command::Outbox { action } => outbox(json, config, action).await,
        Command::Budget {
            max_tokens,
            max_cost,
            prompt_per_1k,
            completion_per_1k,
        } => {
            let studio = Studio::start(config).await?;
            if max_tokens.is_some()
                || max_cost.is_some()
                || prompt_per_1k.is_some()
                || completion_per_1k.is_some()
            {
                let settings = vibedata_core::agents::budgets::BudgetSettings {
                    max_tokens,
                    max_cost,
                    prompt_per_1k,
                    completion_per_1k,
                };
                studio.agents().set_budget_settings(settings).await?;
            }
            let current = studio.agents().budget_settings().await?;
            print(json, &current, |b| {
                let show = |v: Option<String>| v.unwrap_or_else(|| "none".into());
                println!(
                    "max tokens per session   {}",
                    show(b.max_tokens.map(|v| v.to_string()))
                );
                println!(
                    "max cost per session     {}",
                    show(b.max_cost.map(|v| format!("{v:.4}")))
                );
                println!(
                    "price per 1k prompt      {}",
                    show(b.prompt_per_1k.map(|v| format!("{v:.6}")))
                );
                println!(
                    "price per 1k completion  {}",
                    show(b.completion_per_1k.map(|v| format!("{v:.6}")))
                );
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Autonomy {
            workspace,
            tool,
            level,
        } => {
            let studio = Studio::start(config).await?;
            let list = studio.workspaces().list_workspaces().await?;
            let ws = list
                .iter()
                .find(|w| w.name == workspace)
                .ok_or_else(|| anyhow::anyhow!("no workspace named {workspace}"))?;
            studio
                .agents()
                .set_autonomy(&ws.id, tool.clone(), level.clone())
                .await?;
            let value = serde_json::json!({"workspace": workspace, "tool": tool, "level": level.to_uppercase()});
            print(json, &value, |_| {
                println!(
                    "{tool} is now {} on {workspace} (recorded in the audit log)",
                    level.to_uppercase()
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let verification = Studio::start(config)
                .await?
                .governance()
                .verify_audit()
                .await?;
            print(json, &verification, |v| match &v.broken {
                None => println!("audit log intact: {} records", v.records),
                Some((seq, why)) => println!("audit log BROKEN at record {seq}: {why}"),
            })?;
            Ok(if verification.broken.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Status => {
            let status = app_status(&config.paths).await?;
            print(json, &status, |s| {
                println!("version         {}", s.version);
                println!("data dir        {}", s.data_dir);
                println!("database        {}", s.database);
                println!("logs            {}", s.log_dir);
                println!("workspace root  {}", s.workspace_root);
                println!("skills          {}", s.skills_dir);
                match (&s.venv.dbt_version, &s.venv.problem) {
                    (Some(v), _) => println!("python venv     {} (dbt-core {v})", s.venv.path),
                    (None, Some(p)) => println!("python venv     {p}"),
                    (None, None) => println!("python venv     {}", s.venv.path),
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn index(json: bool, path: PathBuf, compare: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use vibedata_core::dbt_index::{Index, Severity, agreement, to_manifest_json};
    if !path.is_dir() {
        anyhow::bail!("{} is not a folder", path.display());
    }
    let index = tokio::task::spawn_blocking(move || Index::load(&path)).await?;
    if let Some(manifest) = compare {
        let text = std::fs::read(&manifest)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", manifest.display()))?;
        let dbt: serde_json::Value = serde_json::from_slice(&text)?;
        let diffs = agreement::diff_against_manifest(&index, &dbt);
        print(json, &diffs, |diffs| {
            for d in diffs {
                println!("{d}");
            }
            println!(
                "{} nodes compared; {} differences",
                index.nodes().len(),
                diffs.len()
            );
        })?;
        return Ok(if diffs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let problems = index.problems();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_manifest_json(&index))?
        );
    } else {
        let packages = index.packages();
        println!(
            "project {} ({} files; packages: {})",
            index.project_name().unwrap_or("?"),
            index.files().count(),
            if packages.is_empty() {
                "none".to_string()
            } else {
                packages.join(", ")
            }
        );
        let counts = index.counts();
        println!(
            "{}",
            counts
                .iter()
                .map(|(t, n)| format!("{} {n}", t.as_str().replace('_', " ")))
                .collect::<Vec<_>>()
                .join(" · ")
        );
        let c = &index.coverage().total;
        println!(
            "coverage: docs {:.1}% ({}/{} columns) · tests {:.1}% ({}/{}) · contracts {:.1}% ({}/{} models)",
            c.docs_pct(),
            c.documented_columns,
            c.columns,
            c.tests_pct(),
            c.tested_columns,
            c.columns,
            c.contracts_pct(),
            c.contracted_models,
            c.models
        );
        let errors = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        println!(
            "problems: {errors} errors, {} warnings",
            problems.len() - errors
        );
        for p in &problems {
            let severity = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            println!(
                "  {severity:<7} {}:{}  {}  {}",
                p.file, p.line, p.code, p.message
            );
        }
    }
    Ok(if problems.iter().any(|p| p.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn credentials(
    json: bool,
    config: Config,
    action: CredentialAction,
) -> anyhow::Result<ExitCode> {
    let keychain = Studio::start(config).await?.keychain();
    let value = match action {
        CredentialAction::Set { name } => {
            let mut value = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut value)
                .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
            let value = value.trim_end_matches(['\r', '\n']).to_owned();
            keychain
                .set(name.clone(), vibedata_secrets::Sensitive::new(value))
                .await?;
            serde_json::json!({"name": name, "stored": true})
        }
        CredentialAction::Check { name } => {
            let present = keychain.contains(name.clone()).await?;
            serde_json::json!({"name": name, "present": present})
        }
        CredentialAction::Delete { name } => {
            let deleted = keychain.delete(name.clone()).await?;
            serde_json::json!({"name": name, "deleted": deleted})
        }
    };
    print(json, &value, |v| {
        let name = v["name"].as_str().unwrap_or_default();
        if v.get("stored").is_some() {
            println!("{name}: stored in the keychain");
        } else if let Some(present) = v["present"].as_bool() {
            println!("{name}: {}", if present { "present" } else { "absent" });
        } else {
            println!(
                "{name}: {}",
                if v["deleted"] == true {
                    "deleted"
                } else {
                    "was not stored"
                }
            );
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn inbox(json: bool, config: Config, action: InboxAction) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let github = studio.github();
    match action {
        InboxAction::Follow { repo } => {
            let repo = github.inbox_follow(repo).await?;
            print(json, &repo, |r| println!("following {r}"))?;
        }
        InboxAction::Unfollow { repo } => {
            github.inbox_unfollow(repo.clone()).await?;
            let value = serde_json::json!({"repo": repo, "followed": false});
            print(json, &value, |_| println!("no longer following {repo}"))?;
        }
        InboxAction::Sync => {
            let result = github.inbox_sync().await?;
            print(json, &result, |r| {
                println!(
                    "{} repositories: {} issues and {} comments stored, {} outbox writes delivered",
                    r.repos, r.issues, r.comments, r.delivered
                );
                for n in &r.notices {
                    println!("note: {n}");
                }
                for e in &r.errors {
                    eprintln!("error: {e}");
                }
            })?;
            if !result.errors.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        InboxAction::List { query } => {
            let filter = vibedata_protocol::inbox::InboxFilterDto {
                query,
                ..Default::default()
            };
            let listed = github.inbox(filter).await?;
            print(json, &listed, |l| {
                for i in &l.issues {
                    println!(
                        "{}{:<24} #{:<6} {:<13} {}",
                        if i.unread { "* " } else { "  " },
                        i.repo,
                        i.number,
                        i.triage.as_str(),
                        i.title
                    );
                }
                println!("{} issues", l.total);
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn outbox(json: bool, config: Config, action: OutboxAction) -> anyhow::Result<ExitCode> {
    use vibedata_protocol::inbox::OutboxWriteDto as Write;
    let studio = Studio::start(config).await?;
    let github = studio.github();
    match action {
        OutboxAction::List => {
            let items = github.outbox().await?;
            print(json, &items, |items| {
                for w in items {
                    println!(
                        "{:>5} {:<10} {:<20} {}{}",
                        w.seq,
                        w.state.as_str(),
                        w.repo,
                        w.summary,
                        w.last_error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    );
                }
            })?;
        }
        OutboxAction::Replay => {
            let report = github.outbox_replay().await?;
            print(json, &report, |r| {
                println!(
                    "{} delivered, {} found delivered earlier, {} failed, {} remaining{}",
                    r.delivered,
                    r.found_delivered,
                    r.failed,
                    r.remaining,
                    r.stopped_by
                        .as_deref()
                        .map(|e| format!(" (stopped: {e})"))
                        .unwrap_or_default()
                )
            })?;
            if report.remaining > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        OutboxAction::Comment { repo, number, body } => {
            let item = github
                .outbox_enqueue(repo, Write::Comment { number, body })
                .await?;
            print(json, &item, |w| println!("queued {}: {}", w.seq, w.summary))?;
        }
        OutboxAction::Issue { repo, title, body } => {
            let write = Write::CreateIssue {
                title,
                body,
                labels: Vec::new(),
            };
            let item = github.outbox_enqueue(repo, write).await?;
            print(json, &item, |w| println!("queued {}: {}", w.seq, w.summary))?;
        }
        OutboxAction::Retry { seq } => {
            github.outbox_retry(seq).await?;
            print(json, &seq, |s| println!("write {s} queued again"))?;
        }
        OutboxAction::Cancel { seq } => {
            github.outbox_cancel(seq).await?;
            print(json, &seq, |s| println!("write {s} cancelled"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn github(json: bool, config: Config, action: GithubAction) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let github = studio.github();
    match action {
        GithubAction::Login {
            client_id,
            base_url,
            api_url,
        } => {
            let account = github
                .sign_in_device(&client_id, &base_url, &api_url, |code| {
                    eprintln!(
                        "Open {} and enter the code {} (waiting up to {} s)",
                        code.verification_uri, code.user_code, code.expires_in
                    )
                })
                .await?;
            print(json, &account, |a| {
                println!("signed in to {} as {}", a.base_url, a.login)
            })?;
        }
        GithubAction::Token { base_url, api_url } => {
            let mut value = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut value)?;
            let token = vibedata_secrets::Sensitive::new(value.trim().to_owned());
            let account = github
                .sign_in_with_token(&base_url, &api_url, token)
                .await?;
            print(json, &account, |a| {
                println!(
                    "signed in to {} as {} (personal access token)",
                    a.base_url, a.login
                )
            })?;
        }
        GithubAction::Use { login, workspace } => {
            let ws = studio.workspaces().find_by_name(&workspace).await?;
            let chosen = (login != "default").then_some(login);
            github.github_choose(ws.id, chosen).await?;
            print(json, &workspace, |w| {
                println!("{w} now acts on GitHub as chosen")
            })?;
        }
        GithubAction::Accounts => {
            let accounts = github.accounts().await?;
            print(json, &accounts, |list| {
                for a in list {
                    println!("{:<20} {:<24} {}", a.login, a.base_url, a.kind.as_str());
                }
            })?;
        }
        GithubAction::Logout { login } => {
            let removed = github.github_sign_out(login.clone()).await?;
            let value = serde_json::json!({"login": login, "signed_out": removed});
            print(json, &value, |_| {
                println!(
                    "{}",
                    if removed {
                        format!("{login} signed out")
                    } else {
                        format!("{login} was not signed in")
                    }
                )
            })?;
            if !removed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
