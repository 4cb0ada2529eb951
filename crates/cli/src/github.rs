//! `vibedata inbox|outbox|github`: the DRE's inbox, the exactly-once outbox and GitHub sign-in,
//! through the core's `GitHub` front door.

use std::process::ExitCode;

use clap::Subcommand;
use vibedata_core::Studio;
use vibedata_core::platform::config::Config;

use crate::print;

#[derive(Subcommand)]
pub enum InboxAction {
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
pub enum OutboxAction {
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
pub enum GithubAction {
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

pub async fn inbox(json: bool, config: Config, action: InboxAction) -> anyhow::Result<ExitCode> {
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

pub async fn outbox(json: bool, config: Config, action: OutboxAction) -> anyhow::Result<ExitCode> {
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

pub async fn github(json: bool, config: Config, action: GithubAction) -> anyhow::Result<ExitCode> {
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
