//! The intent's agent stages on the demo domain: the offline demo loop (requirements → plan →
//! build → validation), rounds after a failed validation, plan variants, and the redaction of
//! every stage's session.

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_core::platform::store::Store;
use vibedata_protocol::{AgentStage, ErrorCode, IntentState, IntentStep, SessionStatus};

/// The demo intent on a fresh demo domain, its requirements run (replayed) and the plan approved.
async fn approved_demo_intent() -> (
    tempfile::TempDir,
    Studio,
    vibedata_core::workspaces::registry::Workspace,
    vibedata_protocol::IntentDto,
) {
    let (dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();
    run_stage(&studio, &intent.id, AgentStage::Requirements).await;
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    (dir, studio, demo, intent)
}

/// Runs a stage to its end, approving every write; returns the agent's text and the events.
async fn run_stage(
    studio: &Studio,
    intent_id: &str,
    stage: AgentStage,
) -> (String, Vec<vibedata_protocol::SessionEventDto>) {
    use vibedata_protocol::SessionEventDto as E;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .intents()
        .run_intent_stage(intent_id, stage, move |e| drop(tx.send(e)))
        .await
        .unwrap();
    assert!(
        session.is_replay,
        "offline, the stage replays its demo transcript and says so"
    );
    let (mut text, mut events) = (String::new(), Vec::new());
    loop {
        let e = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match &e {
            E::ApprovalNeeded { call_id, .. } => studio
                .agents()
                .decide_approval(&session.id, call_id, true, None)
                .unwrap(),
            E::Delta { text: t } => text.push_str(t),
            E::Finished { status, message } => {
                assert_eq!(*status, SessionStatus::Completed, "{message:?}");
                break;
            }
            _ => {}
        }
        events.push(e);
    }
    (text, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_demo_loop_plans_builds_and_validates_the_silver_customer_table() {
    use vibedata_protocol::SessionEventDto as E;
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
        .await
        .unwrap();
    assert_eq!(
        studio
            .intents()
            .run_intent_stage(&intent.id, AgentStage::Requirements, |_| {})
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "requirements run while planning"
    );
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();

    let (text, events) = run_stage(&studio, &intent.id, AgentStage::Requirements).await;
    assert!(text.contains("ready for your approval"), "{text}");
    let asked = events
        .iter()
        .filter(|e| matches!(e, vibedata_protocol::SessionEventDto::ApprovalNeeded { tool, .. } if tool == "write_intent_doc"))
        .count();
    let written = events
        .iter()
        .filter(|e| matches!(e, vibedata_protocol::SessionEventDto::ToolUse { tool, .. } if tool == "write_intent_doc"))
        .count();
    assert!(written >= 3, "intent.md, plan.md and todo.json: {written}");
    assert_eq!(asked, 1, "one approval covers the stage's own documents");
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&intent.worktree), &intent.id);
    assert!(
        std::fs::read_to_string(folder.join("plan.md"))
            .unwrap()
            .contains("silver_customers")
    );
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartBuild)
        .await
        .unwrap();

    let (_, events) = run_stage(&studio, &intent.id, AgentStage::Build).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, E::TodoUpdate { id: 3, done: true })),
        "the to-do list completes"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, E::GitCommit { branch, .. } if branch == &intent.branch)),
        "the build commits on the intent branch"
    );
    // Writes the approved plan names are plain approvals; the time spine it does not name is
    // marked as outside the plan.
    let path_of = |id: &str| {
        events.iter().find_map(|e| match e {
            E::ToolUse {
                call_id,
                tool,
                arguments,
            } if call_id == id && tool == "write_file" => Some(arguments.clone()),
            _ => None,
        })
    };
    let marks: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match e {
            E::ApprovalNeeded {
                call_id,
                outside_plan,
                ..
            } => path_of(call_id).map(|p| (p, *outside_plan)),
            _ => None,
        })
        .collect();
    assert!(
        marks
            .iter()
            .any(|(p, out)| p.contains("metricflow_time_spine.sql") && *out),
        "{marks:?}"
    );
    assert!(
        marks
            .iter()
            .any(|(p, out)| p.contains("silver_customers.sql") && !*out),
        "{marks:?}"
    );
    let tree = std::path::Path::new(&intent.worktree);
    assert!(tree.join("models/marts/silver_customers.sql").is_file());
    assert!(
        !demo.path.join("models/marts/silver_customers.sql").exists(),
        "the person's checkout is untouched"
    );
    let context = std::fs::read_to_string(folder.join("session_context.json")).unwrap();
    assert!(context.contains("\"stage\": \"build\""), "{context}");
    let (_, head) = vibedata_core::workspaces::registry::read_head(tree).unwrap();
    assert!(
        head.unwrap().summary.starts_with("Add silver_customers"),
        "the build committed last"
    );

    let validation = studio.intents().validate_intent(&intent.id).await.unwrap();
    assert!(validation.passed, "{}", validation.markdown);
    assert_eq!(validation.intent.state, IntentState::Ready);
    for name in ["dbt_build", "criterion:1", "criterion:2"] {
        assert!(
            validation.checks.iter().any(|c| c.name == name && c.passed),
            "{name}: {:?}",
            validation.checks
        );
    }

    // The demo's origin is not GitHub: the loop ends with a merge here, pushed to the origin.
    assert!(validation.intent.offers.merge_locally && !validation.intent.offers.pull_request);
    let merged = studio.intents().merge_locally(&intent.id).await.unwrap();
    assert_eq!(merged.intent.state, IntentState::Merged);
    assert_eq!(merged.base, "main");
    assert!(merged.pushed, "{:?}", merged.push_problem);
    let (branch, head) = vibedata_core::workspaces::registry::read_head(&demo.path).unwrap();
    assert_eq!(
        branch.as_deref(),
        Some("main"),
        "the person's checkout stays on main"
    );
    assert_eq!(head.unwrap().id, merged.commit, "and now has the merge");
    assert!(
        demo.path
            .join("models/marts/silver_customers.sql")
            .is_file()
    );
    let origin = demo.origin_url.clone().unwrap();
    let bare = git2::Repository::open(origin.trim_start_matches("file://")).unwrap();
    let origin_main = bare.revparse_single("main").unwrap().id().to_string();
    assert_eq!(origin_main, merged.commit, "main reached the origin");
    assert!(!tree.exists(), "the merged intent's worktree is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_replayed_build_fails_validation_then_the_next_round_with_the_report_passes() {
    use serde_json::json;
    use vibedata_protocol::SessionEventDto as E;
    let (_dir, studio, demo, intent) = approved_demo_intent().await;
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartBuild)
        .await
        .unwrap();

    // A recorded build that gets the sign wrong.
    let wrong_sql = "select accounts.account_id, -1.0 * count(*) as open_pipeline_usd\nfrom {{ ref('stg_crm__accounts') }} as accounts\ngroup by 1\n";
    let transcript = [
        json!({"format": "vibedata-transcript", "version": 1, "source": "a deliberately wrong build"}),
        json!({"turn": 0, "events": [
            {"type": "tool_call", "call": {"id": "w1", "name": "write_file", "arguments": json!({"path": "models/marts/silver_customers.sql", "content": wrong_sql}).to_string()}},
            {"type": "stop", "reason": "tool_calls"}]}),
        json!({"turn": 1, "events": [{"type": "text_delta", "text": "Built."}, {"type": "stop", "reason": "end_turn"}]}),
    ]
    .iter()
    .map(|l| l.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let wrong =
        std::sync::Arc::new(vibedata_agent::replay::ReplayProvider::parse(&transcript).unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .intents()
        .run_intent_stage_on(&intent.id, AgentStage::Build, Some(wrong), move |e| {
            drop(tx.send(e))
        })
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            E::ApprovalNeeded { call_id, .. } => studio
                .agents()
                .decide_approval(&session.id, &call_id, true, None)
                .unwrap(),
            E::Finished { .. } => break,
            _ => {}
        }
    }
    let failed = studio.intents().validate_intent(&intent.id).await.unwrap();
    assert!(!failed.passed);
    assert_eq!(failed.intent.state, IntentState::ValidationFailed);
    let criterion = failed
        .checks
        .iter()
        .find(|c| c.name == "criterion:2")
        .unwrap();
    assert!(
        !criterion.passed,
        "the report names the failing check: {:?}",
        failed.checks
    );

    // The next round starts from the report and builds it right (the bundled demo build).
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::RetryBuild)
        .await
        .unwrap();
    let (_, _) = run_stage(&studio, &intent.id, AgentStage::Build).await;
    let latest = studio
        .agents()
        .list_sessions(&demo.id)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let db = Store::open(
        &demo
            .path
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("data/studio.sqlite3"),
    )
    .unwrap();
    let context = &vibedata_core::agents::sessions::load(&db, &latest.id)
        .unwrap()
        .messages[1]
        .content;
    assert!(
        context.contains("last validation report") && context.contains("criterion:2 | FAIL"),
        "{context}"
    );
    let passed = studio.intents().validate_intent(&intent.id).await.unwrap();
    assert!(passed.passed, "{}", passed.markdown);
    assert_eq!(passed.intent.build_rounds, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_plan_variants_are_generated_compared_and_one_adopted_and_versions_kept() {
    let (_dir, studio, _demo, intent) = approved_demo_intent().await;
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::RevisePlan)
        .await
        .unwrap();

    let (text, _) = run_stage(&studio, &intent.id, AgentStage::Variants).await;
    assert!(text.contains("three variants"), "{text}");
    let plans = studio.intents().plans(&intent.id).await.unwrap();
    assert_eq!(plans.variants, ["lean", "semantic", "with-history"]);
    let diff = studio
        .intents()
        .variant_diff(&intent.id, "semantic".into())
        .await
        .unwrap();
    assert!(
        diff.contains("+- **Add** a semantic model"),
        "side by side with the current plan: {diff}"
    );
    studio
        .intents()
        .replace_plan(&intent.id, None, Some("semantic".into()))
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::RevisePlan)
        .await
        .unwrap();
    studio
        .intents()
        .replace_plan(&intent.id, Some(0), None)
        .await
        .unwrap();
    let approved = studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    assert_eq!(approved.plan_version, 2);
    let plans = studio.intents().plans(&intent.id).await.unwrap();
    assert_eq!(plans.versions, [0, 1, 2], "every version is still listed");
    assert!(
        studio
            .intents()
            .plan_diff(&intent.id, 1, 2)
            .await
            .unwrap()
            .contains("-- **Add** a semantic model")
    );
}

/// The intent stages start sessions through the same path as any other session: what they
/// store and what they send is redacted with the secrets the app holds (here the GitHub token it
/// acts with) and the shapes of secrets. Before that path was shared, an intent stage stored its
/// first messages as they were and sent them with a redactor that knew no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_stage_never_stores_or_sends_the_secrets_the_app_holds() {
    use vibedata_fakes::foundry::{FakeFoundry, Reply};
    use vibedata_protocol::SessionEventDto as E;
    const CANARY: &str = "CANARY-intent-stage-5e1d-never-stored";
    let (dir, paths) = fresh_paths();
    let db = paths.database();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;
    // The app acts on GitHub with a token: every session must treat it as a secret.
    studio.github().use_token(
        "http://127.0.0.1:9/api",
        vibedata_secrets::Sensitive::new(CANARY.into()),
    );
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Orders freshness".into())
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();
    // The person pasted the token into the intent: it reaches the stage's first message.
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&intent.worktree), &intent.id);
    std::fs::write(
        folder.join("intent.md"),
        format!("# Orders freshness\n\nUse the token {CANARY} to read the API.\n"),
    )
    .unwrap();

    let fake = FakeFoundry::start().await;
    fake.push(Reply::text(&["Noted; I will not use tokens."]));
    let provider = std::sync::Arc::new(
        vibedata_agent::foundry::FoundryProvider::new(vibedata_agent::foundry::FoundryConfig::new(
            fake.base_url(),
            "gpt-4o",
            vibedata_agent::foundry::ApiStyle::V1,
            vibedata_agent::foundry::Credential::ApiKey(vibedata_secrets::Sensitive::new(
                "k-123456".into(),
            )),
        ))
        .unwrap(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    studio
        .intents()
        .run_intent_stage_on(
            &intent.id,
            AgentStage::Requirements,
            Some(provider),
            move |e| drop(tx.send(e)),
        )
        .await
        .unwrap();
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .expect("the stage ends")
            .expect("events until it ends");
        if let E::Finished { status, message } = event {
            assert_eq!(status, SessionStatus::Completed, "{message:?}");
            break;
        }
    }

    let requests = fake.requests();
    assert!(!requests.is_empty(), "the stage asked the model");
    assert!(
        requests[0].body.contains("[REDACTED]"),
        "the intent's text reached the model, redacted: {}",
        requests[0].body
    );
    for r in &requests {
        assert!(!r.body.contains(CANARY), "the token reached the model");
    }
    drop(studio);
    let wal = db.with_extension("sqlite3-wal");
    for (name, path) in [("database", &db), ("WAL", &wal)] {
        let bytes = std::fs::read(path).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(CANARY),
            "the token reached the {name} ({})",
            path.display()
        );
    }
    drop(dir);
}
