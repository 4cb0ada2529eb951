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
use tauri::Manager;
use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_core::platform::observability::{self, Console};

fn main() {
    let config = match Config::from_env() {
        Ok(config) => config,
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
    let _logs = match observability::init(
        &config.paths.log_dir(),
        console,
        config.log_level.as_deref(),
    ) {
        Ok(guard) => Some(guard),
        Err(e) => {
            eprintln!("logging disabled: {e}");
            None
        }
    };

    let paths = config.paths.clone();
    let studio = tauri::async_runtime::block_on(Studio::start(config));
    if let Err(e) = &studio {
        tracing::error!(error = %e, "the store could not be opened");
    }
    let state = AppState::new(paths, studio);
    let warm_up = state.studio().ok();
    let background = state.studio().ok();

    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .setup(move |app| {
            // `VIBEDATA_WINDOW_SIZE=1000x700`: the window's size (small screens, screenshots).
            if let Some((w, h)) = std::env::var("VIBEDATA_WINDOW_SIZE").ok().and_then(|s| {
                let (w, h) = s.split_once('x')?;
                Some((w.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?))
            }) && let Some(window) = app.get_webview_window("main")
                && let Err(e) = window.set_size(tauri::LogicalSize::new(w, h))
            {
                tracing::warn!(error = %e, "the window size could not be set");
            }
            // Create or repair the demo domain while the UI loads; the Domains page waits for it.
            if let Some(studio) = warm_up {
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = studio.workspaces().list_workspaces().await {
                        tracing::error!(error = %e, "preparing the workspaces failed");
                    }
                });
            }
            // Deliver the outbox and sync the inbox now and then (the core's background work);
            // on Tauri's runtime, the one runtime of the app.
            if let Some(studio) = background {
                tauri::async_runtime::spawn(async move {
                    let _ = studio.start_background().await;
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::fabric::fabric_status,
            commands::fabric::fabric_save_settings,
            commands::fabric::fabric_sign_in,
            commands::fabric::fabric_sign_in_wait,
            commands::fabric::fabric_sign_out,
            commands::fabric::fabric_workspaces,
            commands::fabric::fabric_link,
            commands::fabric::fabric_link_of,
            commands::fabric::ephemeral_up,
            commands::fabric::ephemeral_down,
            commands::fabric::ephemeral_of,
            commands::fabric::ephemeral_of_branch,
            commands::fabric::fabric_orphans,
            commands::fabric::delete_orphan,
            commands::fabric::promotion_runs,
            commands::fabric::fabric_data_diff,
            commands::fabric::deploy_preview,
            commands::fabric::promote_to_production,
            commands::fabric::check_on_spark,
            commands::workspaces::list_workspaces,
            commands::app::list_skills,
            commands::workspaces::add_workspace,
            commands::workspaces::remove_workspace,
            commands::domains::open_domain,
            commands::domains::domain_summary,
            commands::domains::search_nodes,
            commands::domains::node_detail,
            commands::domains::lineage,
            commands::domains::domain_file,
            commands::domains::open_in_editor,
            commands::domains::set_project_dir,
            commands::review::review_branch,
            commands::review::data_diff_branch,
            commands::review::post_review,
            commands::review::review_checks,
            commands::review::review_pulls,
            commands::review::advise_review,
            commands::review::review_summary,
            commands::monitor::monitor_overview,
            commands::monitor::incident_of_issue,
            commands::monitor::create_silence,
            commands::monitor::expire_silence,
            commands::review::query_diff,
            commands::review::cancel_data_diff,
            commands::workspaces::git_state,
            commands::workspaces::fetch_workspace,
            commands::workspaces::create_intent_branch,
            commands::workspaces::switch_branch,
            commands::workspaces::branch_diff,
            commands::workspaces::commit_workspace,
            commands::workspaces::push_workspace,
            commands::workspaces::get_identity,
            commands::workspaces::set_identity,
            commands::agents::start_session,
            commands::agents::decide_approval,
            commands::agents::cancel_session,
            commands::agents::agent_usage,
            commands::agents::list_sessions,
            commands::agents::session_transcript,
            commands::agents::resume_session,
            commands::agents::model_settings,
            commands::agents::set_model_settings,
            commands::intents::create_intent,
            commands::intents::list_intents,
            commands::intents::intent_step,
            commands::intents::validate_intent,
            commands::intents::cancel_validation,
            commands::intents::intent_plans,
            commands::intents::plan_diff,
            commands::intents::replace_plan,
            commands::intents::run_intent_stage,
            commands::intents::variant_diff,
            commands::github::inbox,
            commands::github::inbox_follow,
            commands::github::inbox_unfollow,
            commands::github::inbox_sync,
            commands::github::issue_detail,
            commands::github::set_triage,
            commands::github::outbox_list,
            commands::github::outbox_enqueue,
            commands::github::outbox_retry,
            commands::github::outbox_cancel,
            commands::intents::open_pull_request,
            commands::intents::merge_intent,
            commands::intents::abandon_intent,
            commands::intents::pull_request,
            commands::github::github_status,
            commands::github::github_device_start,
            commands::github::github_sign_in_token,
            commands::github::github_sign_out,
            commands::github::github_choose,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the window could not be created");
            eprintln!("Vibedata Studio could not open its window: {e}");
            std::process::exit(1);
        });
}
