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

mod fabric;
mod github;
mod index;
mod monitor;
mod review;

use github::{GithubAction, InboxAction, OutboxAction};

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
    /// List the registered workspaces with branch and last commit (or remove one, or say where
    /// its dbt project is).
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
    /// The alert engine: signals grouped into incidents.
    Alerts {
        #[command(subcommand)]
        action: monitor::AlertsAction,
    },
    /// Metric series scored by the anomaly detector.
    Monitor {
        #[command(subcommand)]
        action: monitor::MonitorAction,
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
    /// What a change does to the dbt project of a repository: changed nodes with their class,
    /// column changes and what they reach downstream, contract breaks (no warehouse needed).
    Review {
        /// The repository (a clone or a registered folder).
        repo: PathBuf,
        /// The revision the change goes into (measured from its merge base with --head).
        #[arg(long)]
        base: String,
        /// The revision with the change.
        #[arg(long)]
        head: String,
        /// The dbt project's folder in the repository, when not at its root.
        #[arg(long)]
        project_dir: Option<String>,
        /// Also build the changed and impacted models of both sides on DuckDB and diff their
        /// data (`data` in the JSON; needs a DuckDB target in profiles.yml).
        #[arg(long)]
        data: bool,
        /// With --data: the DuckDB file the sources are in (default: the repository's
        /// .vibedata/local/warehouse.duckdb).
        #[arg(long, value_name = "FILE", requires = "data")]
        warehouse: Option<PathBuf>,
    },
    /// Microsoft Fabric: settings, sign-in, workspaces, a domain's link, ephemeral workspaces.
    Fabric {
        #[command(subcommand)]
        action: fabric::FabricAction,
    },
    /// Build a domain's dbt project (or an intent's touched models) on an engine: `spark` runs it on
    /// Apache Spark in local mode, the dialect Fabric runs, with the sources copied from the local
    /// DuckDB warehouse (exit 1 when a model or test fails).
    Validate {
        /// `duckdb` or `spark`.
        #[arg(long, default_value = "spark")]
        engine: String,
        /// The domain (default: the demo domain).
        #[arg(long)]
        workspace: Option<String>,
        /// An intent's id: build its touched models (with ancestors and descendants) and commit
        /// the report on its branch (`spark` only; `duckdb` is the intent's own validation).
        #[arg(long)]
        intent: Option<String>,
    },
    /// Diff two relations of a DuckDB file: schema, row counts, per-column changes, samples and
    /// profiles; the key given or inferred (exit 1 when they differ).
    Diff {
        /// The DuckDB file.
        #[arg(long, value_name = "FILE")]
        duckdb: PathBuf,
        /// `schema.table` of the left (base) side.
        left: String,
        /// `schema.table` of the right (head) side.
        right: String,
        /// The key columns, comma-separated (inferred when not given).
        #[arg(long, value_delimiter = ',')]
        key: Option<Vec<String>>,
    },
    /// Index a dbt project natively (no Python): counts, coverage and problems, or with `--json`
    /// the full index in the shape of dbt's manifest.json. Exits 1 on error-level problems.
    Index {
        /// The dbt project folder (holding dbt_project.yml).
        path: PathBuf,
        /// Compare node for node with a manifest.json from `dbt parse`; exits 1 when they differ.
        #[arg(long, value_name = "MANIFEST")]
        compare: Option<PathBuf>,
        /// With --json: each model's rendered SQL (`rendered_sql`, relations as `__vd_ref_<n>`)
        /// and what each placeholder stands for (`rendered_relations`).
        #[arg(long)]
        sql: bool,
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
    /// Say which folder of a workspace holds its dbt project (relative to its root; none: have
    /// it found again).
    SetProject { name: String, dir: Option<String> },
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

pub(crate) fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T),
) -> anyhow::Result<()> {
    if json {
        // A reader that stops early (`| head`) is not an error of ours.
        use std::io::Write;
        let text = serde_json::to_string_pretty(value)?;
        if let Err(e) = writeln!(std::io::stdout(), "{text}")
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e.into());
        }
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
        Command::Workspaces {
            action: Some(WorkspacesAction::SetProject { name, dir }),
        } => {
            let studio = Studio::start(config).await?;
            let ws = studio.workspaces().find_by_name(&name).await?;
            let dir = dir.unwrap_or_default();
            let ws = studio.domains().set_project_dir(&ws.id, &dir).await?;
            print(json, &ws, |ws| {
                match (&ws.problem, ws.project_dir.as_str()) {
                    (Some(problem), _) => println!("{name}: {problem}"),
                    (None, "") => println!("{name}: its dbt project is at the root of {}", ws.path),
                    (None, dir) => println!("{name}: its dbt project is in {dir}/ of {}", ws.path),
                }
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
        Command::Review {
            repo,
            base,
            head,
            project_dir,
            data,
            warehouse,
        } => {
            let data = data.then_some(review::DataOptions { warehouse });
            review::review(json, config, repo, project_dir, base, head, data).await
        }
        Command::Fabric { action } => fabric::fabric(json, config, action).await,
        Command::Validate {
            engine,
            workspace,
            intent,
        } => validate(json, config, engine, workspace, intent).await,
        Command::Diff {
            duckdb,
            left,
            right,
            key,
        } => review::diff(json, config, duckdb, left, right, key).await,
        Command::Index { path, compare, sql } => index::index(json, path, compare, sql).await,
        Command::Credentials { action } => credentials(json, config, action).await,
        Command::Github { action } => github::github(json, config, action).await,
        Command::Inbox { action } => github::inbox(json, config, action).await,
        Command::Alerts { action } => monitor::alerts(json, config, action).await,
        Command::Monitor { action } => monitor::monitor(json, config, action).await,
        Command::Outbox { action } => github::outbox(json, config, action).await,
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

async fn validate(
    json: bool,
    config: Config,
    engine: String,
    workspace: Option<String>,
    intent: Option<String>,
) -> anyhow::Result<ExitCode> {
    use vibedata_core::intents::validation::Engine;
    let engine: Engine = engine.parse()?;
    let studio = Studio::start(config).await?;
    if !json {
        eprintln!("building on {engine:?} (a Spark session takes a while to start)…");
    }
    let dto = match intent {
        Some(id) if engine == Engine::Spark => studio.intents().check_on_spark(&id).await?,
        Some(id) => {
            let v = studio.intents().validate_intent(&id).await?;
            vibedata_protocol::SparkCheckDto {
                intent_id: id,
                engine: "duckdb".into(),
                passed: v.passed,
                touched_models: Vec::new(),
                checks: v.checks,
                markdown: v.markdown,
                seconds: 0.0,
            }
        }
        None => {
            let ws = match workspace {
                Some(name) => studio.workspaces().find_by_name(&name).await?,
                None => studio.workspaces().ensure_demo().await?.workspace,
            };
            studio.intents().build_workspace(&ws.id, engine).await?
        }
    };
    let passed = dto.passed;
    print(json, &dto, |d| {
        println!("{}", d.markdown.trim_end());
        println!("\n({:.1} s on {})", d.seconds, d.engine);
    })?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
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
