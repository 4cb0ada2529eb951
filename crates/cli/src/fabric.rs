//! `vibedata fabric …`: Microsoft Fabric from the command line, through the core's front door.
//!
//! - `status` (JSON: `tenant`, `client_id`, `capacity_id`, `connection_id`, `signed_in`,
//!   `signed_in_at`, `foundry_token`, `api_url`, `authority`) and `settings --tenant --client-id
//!   [--capacity] [--connection]`;
//! - `sign-in` (prints the page to open, waits for the browser) and `sign-out`;
//! - `workspaces` (JSON: `workspaces[]` with `id`, `name`, `capacity_id`, `items[]`; `live`,
//!   `problem` — the cache answers when Fabric cannot be reached);
//! - `link --workspace <domain> --fabric-workspace <id or name> [--lakehouse <id or name>]
//!   [--repository owner/name]` (JSON: the link);
//! - `ephemeral up|down|show --intent <id>` (JSON: `intent_id`, `name`, `fabric_workspace_id`,
//!   `step`, `state`, `commit`, `job_status`, `message`; progress on stderr);
//! - `orphans [--delete <id>]` (JSON: `orphans[]` with `fabric_workspace_id`, `name`, `reason`);
//! - `deploy --workspace <domain> [--approve <commit>]` (JSON: the preview — `from_commit`,
//!   `to_commit`, `changes[]` with `name`, `kind`, `change` — or, approved, `preview`,
//!   `approved_by`, `role`, `deployed_intents`) and `deploy --fabric-workspace <id> --to <commit>
//!   [--yes]` in a workflow;
//! - `diff --workspace <domain> --branch <branch>`: the data diff in Fabric (JSON: `models[]` with
//!   `name`, `key`, `identical`, `base_rows`, `head_rows`, `base_only`, `head_only`,
//!   `changed_rows`, `columns[]`, `samples`; exit 1 when a model differs);
//! - `profile --workspace <domain>`: the `dbt-fabricspark` output (JSON: `output`);
//! - `workflow --workspace <domain> --cli-source <git url>` (JSON: `path`).
//!
//! A token in `VIBEDATA_FABRIC_TOKEN` is used instead of the sign-in (CI); it is never stored.

use std::process::ExitCode;

use clap::Subcommand;
use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_protocol::fabric::{FabricLinkRequestDto, FabricSettingsDto};

use crate::print;

#[derive(Subcommand)]
pub enum FabricAction {
    /// The settings and whether someone is signed in.
    Status,
    /// Set the organisation's Entra tenant and app registration, the capacity for ephemeral
    /// workspaces and the Fabric connection holding the GitHub credentials.
    Settings {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = "")]
        capacity: String,
        #[arg(long, default_value = "")]
        connection: String,
    },
    /// Sign in with your Entra identity (opens nothing: prints the page to open, then waits).
    SignIn,
    /// Forget the Entra tokens.
    SignOut,
    /// Workspaces and their items (from the cache when Fabric cannot be reached).
    Workspaces,
    /// Link a domain to its production workspace.
    Link {
        /// The domain (registered name).
        #[arg(long)]
        workspace: String,
        /// The production workspace (id or name).
        #[arg(long)]
        fabric_workspace: String,
        /// Its lakehouse (id or name).
        #[arg(long)]
        lakehouse: Option<String>,
        /// The GitHub repository Fabric syncs (default: the domain's origin).
        #[arg(long, default_value = "")]
        repository: String,
    },
    /// An intent's ephemeral workspace.
    Ephemeral {
        #[command(subcommand)]
        action: EphemeralAction,
    },
    /// Promote main to the production workspace. In the app's way (`--workspace`): the preview,
    /// then — with `--approve <commit>` — the promotion approved by you, if your GitHub role on
    /// the repository allows it. In a workflow (`--fabric-workspace`, `--to`, `--yes`): GitHub's
    /// `production` environment approved it; production is updated to exactly `--to`.
    Deploy {
        /// The domain (registered name).
        #[arg(long, conflicts_with = "fabric_workspace")]
        workspace: Option<String>,
        /// Approve the previewed commit (the preview's `to_commit`).
        #[arg(long, requires = "workspace")]
        approve: Option<String>,
        /// The production workspace's id (in a workflow).
        #[arg(long)]
        fabric_workspace: Option<String>,
        /// The commit production must move to (in a workflow).
        #[arg(long, requires = "fabric_workspace")]
        to: Option<String>,
        /// Carry out the update (in a workflow; without it, the preview only).
        #[arg(long, requires = "fabric_workspace")]
        yes: bool,
    },
    /// The review's data diff in Fabric: a branch's ephemeral workspace against production
    /// (JSON: `models[]` as `vibedata review --data` gives them).
    Diff {
        /// The domain (registered name).
        #[arg(long)]
        workspace: String,
        /// The intent branch.
        #[arg(long)]
        branch: String,
    },
    /// The dbt-fabricspark output for the domain's production lakehouse (threads ≤ 4, one
    /// reused session), to add under the project's profile.
    Profile {
        /// The domain (registered name).
        #[arg(long)]
        workspace: String,
    },
    /// Write the GitHub Actions workflow (checks on pull requests, promotion of main).
    Workflow {
        /// The domain (registered name).
        #[arg(long)]
        workspace: String,
        /// The git repository the CLI is installed from in the workflow.
        #[arg(long)]
        cli_source: String,
    },
    /// Workspaces named like ephemeral ones that no live intent owns.
    Orphans {
        /// Delete this orphan (its id).
        #[arg(long)]
        delete: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum EphemeralAction {
    /// Create (or resume, or refresh) it and run the branch's dbt job there.
    Up {
        #[arg(long)]
        intent: String,
    },
    /// Tear it down.
    Down {
        #[arg(long)]
        intent: String,
    },
    /// Where it is.
    Show {
        #[arg(long)]
        intent: String,
    },
}

pub async fn fabric(json: bool, config: Config, action: FabricAction) -> anyhow::Result<ExitCode> {
    let studio = Studio::start(config).await?;
    let f = studio.fabric();
    match action {
        FabricAction::Status => {
            let s = f.status().await?;
            print(json, &s, |s| {
                println!(
                    "tenant {} · app {} · {}",
                    or_unset(&s.tenant),
                    or_unset(&s.client_id),
                    if s.signed_in {
                        "signed in"
                    } else {
                        "not signed in"
                    }
                )
            })?;
        }
        FabricAction::Settings {
            tenant,
            client_id,
            capacity,
            connection,
        } => {
            let s = f
                .save_settings(FabricSettingsDto {
                    tenant,
                    client_id,
                    capacity_id: capacity,
                    connection_id: connection,
                })
                .await?;
            print(json, &s, |s| println!("saved (tenant {})", s.tenant))?;
        }
        FabricAction::SignIn => {
            let pending = f.begin_sign_in().await?;
            eprintln!(
                "Open this page to sign in (waiting up to 5 minutes):\n{}",
                pending.authorize_url
            );
            let s = f.finish_sign_in().await?;
            print(json, &s, |s| {
                println!(
                    "signed in to Fabric{}",
                    if s.foundry_token {
                        " (and Foundry)"
                    } else {
                        ""
                    }
                )
            })?;
        }
        FabricAction::SignOut => {
            let s = f.sign_out().await?;
            print(json, &s, |_| println!("signed out of Fabric"))?;
        }
        FabricAction::Workspaces => {
            let list = f.workspaces().await?;
            print(json, &list, |l| {
                if let Some(p) = &l.problem {
                    eprintln!("as last read (Fabric unreachable: {p})");
                }
                for w in &l.workspaces {
                    println!("{}  {}  ({} items)", w.id, w.name, w.items.len());
                }
            })?;
        }
        FabricAction::Link {
            workspace,
            fabric_workspace,
            lakehouse,
            repository,
        } => {
            let domain = studio.workspaces().find_by_name(&workspace).await?;
            let list = f.workspaces().await?;
            let target = list
                .workspaces
                .iter()
                .find(|w| w.id == fabric_workspace || w.name == fabric_workspace)
                .ok_or_else(|| anyhow::anyhow!("no Fabric workspace {fabric_workspace}"))?;
            let lakehouse_id = match lakehouse {
                None => None,
                Some(l) => Some(
                    target
                        .items
                        .iter()
                        .find(|i| i.kind == "Lakehouse" && (i.id == l || i.name == l))
                        .map(|i| i.id.clone())
                        .ok_or_else(|| anyhow::anyhow!("no lakehouse {l} in {}", target.name))?,
                ),
            };
            let link = f
                .link(FabricLinkRequestDto {
                    workspace_id: domain.id,
                    fabric_workspace_id: target.id.clone(),
                    lakehouse_id,
                    repository,
                })
                .await?;
            print(json, &link, |l| {
                println!(
                    "{} → {} ({})",
                    workspace, l.fabric_workspace_name, l.repository
                )
            })?;
        }
        FabricAction::Ephemeral { action } => {
            let row = match action {
                EphemeralAction::Up { intent } => {
                    let mut last = String::new();
                    f.ephemeral_up(&intent, &mut |e| {
                        let line = format!(
                            "{} {}{}",
                            e.step,
                            e.state,
                            e.job_status
                                .as_deref()
                                .map(|j| format!(" (dbt job {j})"))
                                .unwrap_or_default()
                        );
                        if line != last {
                            eprintln!("{line}");
                            last = line;
                        }
                    })
                    .await?
                }
                EphemeralAction::Down { intent } => f.ephemeral_down(&intent).await?,
                EphemeralAction::Show { intent } => f
                    .ephemeral(&intent)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the intent has no ephemeral workspace"))?,
            };
            print(json, &row, |e| {
                println!("{} {} ({})", e.name, e.state, e.step);
                if let Some(m) = &e.message {
                    println!("{m}");
                }
            })?;
        }
        FabricAction::Deploy {
            workspace,
            approve,
            fabric_workspace,
            to,
            yes,
        } => {
            let show = |p: &vibedata_protocol::fabric::DeployPreviewDto| {
                println!(
                    "{}: {} → {} ({} changes)",
                    p.fabric_workspace_name,
                    if p.from_commit.is_empty() {
                        "(never deployed)"
                    } else {
                        &p.from_commit
                    },
                    p.to_commit,
                    p.changes.len()
                );
                for c in &p.changes {
                    println!("  {} {} ({})", c.change, c.name, c.kind);
                }
            };
            match (workspace, fabric_workspace) {
                (Some(name), _) => {
                    let domain = studio.workspaces().find_by_name(&name).await?;
                    match approve {
                        None => {
                            let p = f.deploy_preview(&domain.id).await?;
                            print(json, &p, |p| show(p))?;
                        }
                        Some(commit) => {
                            let d = f.promote(studio.github(), &domain.id, &commit).await?;
                            print(json, &d, |d| {
                                show(&d.preview);
                                println!("deployed, approved by {} ({})", d.approved_by, d.role);
                            })?;
                        }
                    }
                }
                (None, Some(id)) => {
                    let to = to.ok_or_else(|| anyhow::anyhow!("--to <commit> is required"))?;
                    let actor = std::env::var("GITHUB_ACTOR")
                        .map(|a| format!("github-actions:{a}"))
                        .unwrap_or_else(|_| "cli".into());
                    let p = f.deploy_headless(&id, &to, &actor, yes).await?;
                    print(json, &p, |p| {
                        show(p);
                        println!(
                            "{}",
                            if yes {
                                "deployed"
                            } else {
                                "preview only (add --yes)"
                            }
                        );
                    })?;
                }
                (None, None) => anyhow::bail!(
                    "give --workspace (the app's way) or --fabric-workspace (a workflow)"
                ),
            }
        }
        FabricAction::Diff { workspace, branch } => {
            let domain = studio.workspaces().find_by_name(&workspace).await?;
            let d = f.data_diff(&domain.id, &branch).await?;
            let differs = d.models.iter().any(|m| !m.identical);
            print(json, &d, |d| {
                for m in &d.models {
                    match &m.error {
                        Some(e) => println!("{}: {e}", m.name),
                        None if m.identical => {
                            println!("{}: identical ({} rows)", m.name, m.base_rows)
                        }
                        None => println!(
                            "{}: {} → {} rows, {} only in production, {} only on the branch, {} changed",
                            m.name,
                            m.base_rows,
                            m.head_rows,
                            m.base_only.unwrap_or(0),
                            m.head_only.unwrap_or(0),
                            m.changed_rows.unwrap_or(0)
                        ),
                    }
                }
            })?;
            if differs {
                return Ok(ExitCode::FAILURE);
            }
        }
        FabricAction::Profile { workspace } => {
            let domain = studio.workspaces().find_by_name(&workspace).await?;
            let output = f.fabricspark_profile(&domain.id).await?;
            print(json, &serde_json::json!({ "output": output }), |_| {
                print!("{output}")
            })?;
        }
        FabricAction::Workflow {
            workspace,
            cli_source,
        } => {
            let domain = studio.workspaces().find_by_name(&workspace).await?;
            let path = f.write_workflow(&domain.id, &cli_source).await?;
            print(json, &serde_json::json!({ "path": path }), |_| {
                println!("wrote {path}")
            })?;
        }
        FabricAction::Orphans { delete } => {
            if let Some(id) = delete {
                f.delete_orphan(&id).await?;
            }
            let orphans = f.orphans().await?;
            print(json, &serde_json::json!({ "orphans": orphans }), |_| {
                if orphans.is_empty() {
                    println!("no orphaned ephemeral workspaces");
                }
                for o in &orphans {
                    println!("{}  {}  — {}", o.fabric_workspace_id, o.name, o.reason);
                }
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn or_unset(v: &str) -> &str {
    if v.is_empty() { "(unset)" } else { v }
}
