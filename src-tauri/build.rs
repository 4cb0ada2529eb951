fn main() {
    // Declaring the app's commands makes each one need an explicit permission in
    // capabilities/default.json: a command nobody granted cannot be invoked from the webview.
    let commands = &[
        "app_status",
        "list_workspaces",
        "list_skills",
        "add_workspace",
        "open_domain",
        "domain_summary",
        "search_nodes",
        "node_detail",
        "lineage",
        "domain_file",
        "git_state",
        "fetch_workspace",
        "create_intent_branch",
        "switch_branch",
        "branch_diff",
        "commit_workspace",
        "push_workspace",
        "get_identity",
        "set_identity",
        "start_session",
        "decide_approval",
        "cancel_session",
        "agent_usage",
        "list_sessions",
        "session_transcript",
        "resume_session",
        "create_intent",
        "list_intents",
        "intent_step",
        "validate_intent",
        "intent_plans",
        "plan_diff",
        "replace_plan",
        "run_intent_stage",
        "variant_diff",
        "inbox",
        "inbox_follow",
        "inbox_sync",
        "issue_detail",
        "set_triage",
        "outbox_list",
        "outbox_enqueue",
        "outbox_retry",
        "outbox_cancel",
        "open_pull_request",
        "pull_request",
        "github_status",
        "github_device_start",
        "github_sign_in_token",
        "github_sign_out",
        "github_choose",
    ];
    if let Err(e) = tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    ) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
