//! The Vibedata Studio desktop shell. It owns the window, the Tauri runtime and the IPC surface;
//! everything the app does lives in `vibedata-core`. Commands are thin: take the state, call one
//! core function, return DTOs from `vibedata-protocol` or an `ErrorDto`.
//!
//! Start-up never fails silently: a damaged or too-new database still opens the window, and every
//! command answers with the error naming the file, which the UI shows.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod state;

use state::AppState;
use vibedata_core::observability::{self, Console};
use vibedata_core::{Paths, Studio};

fn main() {
    let paths = match Paths::from_env() {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("Vibedata Studio cannot start: {e}");
            std::process::exit(1);
        }
    };
    let console = if cfg!(debug_assertions) || std::env::var_os("VIBEDATA_LOG_CONSOLE").is_some() {
        Console::Human
    } else {
        Console::Off
    };
    let _logs = match observability::init(&paths.log_dir(), console) {
        Ok(guard) => Some(guard),
        Err(e) => {
            eprintln!("logging disabled: {e}");
            None
        }
    };

    let studio = tauri::async_runtime::block_on(Studio::open(paths.clone()));
    if let Err(e) = &studio {
        tracing::error!(error = %e, "the store could not be opened");
    }
    let state = AppState::new(paths, studio);
    let warm_up = state.studio().ok();
    let background = state.studio().ok();

    tauri::Builder::default()
        .manage(state)
        .setup(move |_app| {
            // Create or repair the demo domain while the UI loads; the Domains page waits for it.
            if let Some(studio) = warm_up {
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = studio.list_workspaces().await {
                        tracing::error!(error = %e, "preparing the workspaces failed");
                    }
                });
            }
            // Deliver the outbox and sync the inbox now and then (every VIBEDATA_INBOX_SYNC_SECS,
            // default 60 s); offline, each pass fails quietly and the next one retries.
            if let Some(studio) = background {
                let every = std::env::var("VIBEDATA_INBOX_SYNC_SECS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(60u64);
                tauri::async_runtime::spawn(async move {
                    loop {
                        tokio::time::sleep(std::time::Duration::from_secs(every)).await;
                        match studio.inbox_sync().await {
                            Ok(result) if !result.errors.is_empty() => {
                                tracing::info!(errors = ?result.errors, "inbox sync incomplete")
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "inbox sync failed"),
                        }
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::list_workspaces,
            commands::list_skills,
            commands::add_workspace,
            commands::open_domain,
            commands::domain_summary,
            commands::search_nodes,
            commands::node_detail,
            commands::lineage,
            commands::domain_file,
            commands::git_state,
            commands::fetch_workspace,
            commands::create_intent_branch,
            commands::switch_branch,
            commands::branch_diff,
            commands::commit_workspace,
            commands::push_workspace,
            commands::get_identity,
            commands::set_identity,
            commands::start_session,
            commands::decide_approval,
            commands::cancel_session,
            commands::agent_usage,
            commands::list_sessions,
            commands::session_transcript,
            commands::resume_session,
            commands::create_intent,
            commands::list_intents,
            commands::intent_step,
            commands::validate_intent,
            commands::intent_plans,
            commands::plan_diff,
            commands::replace_plan,
            commands::run_intent_stage,
            commands::variant_diff,
            commands::inbox,
            commands::inbox_follow,
            commands::inbox_sync,
            commands::issue_detail,
            commands::set_triage,
            commands::outbox_list,
            commands::outbox_enqueue,
            commands::outbox_retry,
            commands::outbox_cancel,
            commands::open_pull_request,
            commands::pull_request,
            commands::github_status,
            commands::github_device_start,
            commands::github_sign_in_token,
            commands::github_sign_out,
            commands::github_choose,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the window could not be created");
            eprintln!("Vibedata Studio could not open its window: {e}");
            std::process::exit(1);
        });
}
