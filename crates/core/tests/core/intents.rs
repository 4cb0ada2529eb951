//! Intents on the demo domain: branch and documents committed, the lifecycle enforced with its
//! guards, approvals audited.

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_core::platform::store::Store;
use vibedata_protocol::{ErrorCode, IdentityDto, IntentState, IntentStep};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_gets_its_branch_documents_and_a_guarded_lifecycle() {
    let (_dir, paths) = fresh_paths();
    let db = paths.database();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;

    let intent = studio
        .intents()
        .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
        .await
        .unwrap();
    assert_eq!(
        intent.branch,
        "intent/silver-customer-table-from-crm-bronze"
    );
    assert_eq!(intent.state, IntentState::Draft);
    // The person's checkout stays on its branch; the intent's branch has a worktree of its own.
    let (mine, _) = vibedata_core::workspaces::registry::read_head(&demo.path).unwrap();
    assert_eq!(
        mine.as_deref(),
        Some("main"),
        "the person's checkout is never switched"
    );
    let worktree = std::path::Path::new(&intent.worktree);
    assert!(
        worktree.starts_with(demo.path.join(".git")),
        "out of the person's way: {}",
        worktree.display()
    );
    let (branch, commit) = vibedata_core::workspaces::registry::read_head(worktree).unwrap();
    assert_eq!(branch.as_deref(), Some(intent.branch.as_str()));
    assert_eq!(
        commit.unwrap().summary,
        "Start intent: Silver customer table from CRM bronze"
    );
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&intent.worktree), &intent.id);
    assert!(
        std::fs::read_to_string(folder.join("intent.md"))
            .unwrap()
            .starts_with("# Silver customer table")
    );
    assert_eq!(
        studio
            .intents()
            .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "the slug is taken"
    );

    let err = studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartBuild)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("draft") && err.contains("start_planning"),
        "no skipping the plan: {err}"
    );
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();
    let err = studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no plan"), "{err}");
    std::fs::write(folder.join("plan.md"), "# Plan\n\n- add silver_customers\n").unwrap();
    let approved = studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    assert_eq!(approved.state, IntentState::PlanApproved);
    let revised = studio
        .intents()
        .intent_step(&intent.id, IntentStep::RevisePlan)
        .await
        .unwrap();
    assert_eq!(
        (revised.state.as_str(), revised.plan_version),
        ("planning", 1),
        "revising makes a new plan version"
    );
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::ApprovePlan)
        .await
        .unwrap();
    let building = studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartBuild)
        .await
        .unwrap();
    assert_eq!(
        (building.state.as_str(), building.build_rounds),
        ("building", 1)
    );
    let progress = std::fs::read_to_string(folder.join("progress.json")).unwrap();
    assert!(progress.contains("\"building\""), "{progress}");
    assert_eq!(
        studio
            .intents()
            .intent_step(&intent.id, IntentStep::Deploy)
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "a building intent cannot be deployed"
    );

    let listed = studio.intents().list_intents(&demo.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let store = Store::open(&db).unwrap();
    let actions: Vec<String> = vibedata_core::governance::audit::records(&store, 20)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "approve_plan").count(),
        2,
        "each approval is audited: {actions:?}"
    );
    assert!(actions.contains(&"revise_plan".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_build_fails_validation_naming_the_check_and_a_corrected_round_passes() {
    let (_dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;
    let intent = studio
        .intents()
        .create_intent(&demo.id, "Accounts per country".into())
        .await
        .unwrap();
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&intent.worktree), &intent.id);
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();
    std::fs::write(
        folder.join("plan.md"),
        "# Plan\n\n- country_accounts: accounts per country\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("intent.md"),
        "# Accounts per country\n\n## Success criteria\n\nEvery country has accounts:\n\n```sql\nselect * from gold.country_accounts where accounts <= 0\n```\n",
    )
    .unwrap();
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

    // The golden rows come from bronze, independently of the model.
    // The intent's work happens in its worktree (with its own copy of the warehouse).
    let tree = std::path::Path::new(&intent.worktree);
    let warehouse = tree.join(".vibedata/local/warehouse.duckdb");
    let expected = venv
        .query_duckdb(&warehouse, "select upper(country_code) as country_code, count(*) as accounts from bronze.accounts group by 1 order by 1", 500)
        .unwrap();
    std::fs::create_dir_all(folder.join("golden")).unwrap();
    let mut csv = String::from("country_code,accounts\n");
    for row in &expected.rows {
        csv.push_str(&format!("{},{}\n", row[0], row[1]));
    }
    std::fs::write(folder.join("golden/country_accounts.csv"), csv).unwrap();

    // A wrong build: one account too many everywhere.
    let model = tree.join("models/marts/country_accounts.sql");
    std::fs::write(&model, "select country_code, count(*) + 1 as accounts\nfrom {{ ref('stg_crm__accounts') }}\ngroup by 1\n").unwrap();
    let failed = studio.intents().validate_intent(&intent.id).await.unwrap();
    assert!(!failed.passed);
    assert_eq!(failed.intent.state, IntentState::ValidationFailed);
    let golden = failed
        .checks
        .iter()
        .find(|c| c.name == "golden:country_accounts")
        .expect("the golden check ran");
    assert!(
        !golden.passed && golden.summary.contains("differing values"),
        "{golden:?}"
    );
    assert!(
        failed
            .checks
            .iter()
            .any(|c| c.name == "dbt_build" && c.passed),
        "the build itself ran: {:?}",
        failed.checks
    );
    assert!(
        failed.markdown.contains("golden:country_accounts | FAIL"),
        "{}",
        failed.markdown
    );
    assert!(
        failed.markdown.contains("expected"),
        "differing rows are shown"
    );

    // Another round, corrected.
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::RetryBuild)
        .await
        .unwrap();
    std::fs::write(&model, "select country_code, count(*) as accounts\nfrom {{ ref('stg_crm__accounts') }}\ngroup by 1\n").unwrap();
    let passed = studio.intents().validate_intent(&intent.id).await.unwrap();
    assert!(passed.passed, "{}", passed.markdown);
    assert_eq!(passed.intent.state, IntentState::Ready);
    assert!(
        passed
            .checks
            .iter()
            .any(|c| c.name == "criterion:1" && c.passed)
    );

    // Both reports are commits on the intent branch; nothing is lost.
    let repo = git2::Repository::open(tree).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    let summaries: Vec<String> = walk
        .map(|oid| {
            repo.find_commit(oid.unwrap())
                .unwrap()
                .summary()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(
        summaries[0].starts_with("Validation passed"),
        "{summaries:?}"
    );
    assert!(
        summaries.iter().any(|s| s.starts_with("Validation failed")),
        "{summaries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_versions_are_kept_and_variants_adopted_only_while_planning() {
    let (_dir, paths) = fresh_paths();
    let store = std::sync::Arc::new(Store::open(&paths.database()).unwrap());
    let demo = vibedata_core::workspaces::demo::ensure(&paths, &store)
        .unwrap()
        .workspace;
    vibedata_core::workspaces::identity::save(
        &store,
        &IdentityDto {
            name: "Grace".into(),
            email: "grace@example.com".into(),
        },
    )
    .unwrap();
    let author = vibedata_core::workspaces::identity::for_commit(&store, &demo.path).unwrap();
    use vibedata_core::intents::lifecycle::{Actor, IntentStep};
    use vibedata_core::intents::records::{PlanSource, apply, create, folder, replace_plan};
    let intent = create(&store, &demo, "Pipeline by country", &author).unwrap();
    // From here on the intent's work happens in its worktree.
    let demo = vibedata_core::intents::records::tree(&demo, &intent).unwrap();
    let dir = folder(&demo.path, &intent.id);
    let person = Actor::Person;
    apply(
        &store,
        &demo,
        &intent.id,
        IntentStep::StartPlanning,
        &person,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("plans/variants")).unwrap();
    for (name, text) in [
        ("lean", "# Plan: one mart\n"),
        ("wide", "# Plan: mart + semantic model\n"),
        ("incremental", "# Plan: incremental mart\n"),
    ] {
        std::fs::write(dir.join(format!("plans/variants/{name}.md")), text).unwrap();
    }
    assert_eq!(
        vibedata_core::intents::plans::variants(&dir).unwrap().len(),
        3
    );
    replace_plan(&store, &demo, &intent.id, PlanSource::Variant("wide")).unwrap();
    apply(&store, &demo, &intent.id, IntentStep::ApprovePlan, &person).unwrap();
    assert_eq!(
        replace_plan(&store, &demo, &intent.id, PlanSource::Variant("lean"))
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "an approved plan is not swapped behind its approval"
    );
    apply(&store, &demo, &intent.id, IntentStep::RevisePlan, &person).unwrap();
    replace_plan(&store, &demo, &intent.id, PlanSource::Variant("lean")).unwrap();
    apply(&store, &demo, &intent.id, IntentStep::ApprovePlan, &person).unwrap();
    let diff = vibedata_core::intents::plans::diff(&dir, 0, 1).unwrap();
    assert!(
        diff.contains("-# Plan: mart + semantic model") && diff.contains("+# Plan: one mart"),
        "{diff}"
    );
    apply(&store, &demo, &intent.id, IntentStep::RevisePlan, &person).unwrap();
    replace_plan(&store, &demo, &intent.id, PlanSource::Version(0)).unwrap();
    apply(&store, &demo, &intent.id, IntentStep::ApprovePlan, &person).unwrap();
    let versions: Vec<u32> = vibedata_core::intents::plans::versions(&dir)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        versions,
        [0, 1, 2],
        "every version is still listed after a restore"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("plans/v2.md")).unwrap(),
        "# Plan: mart + semantic model\n"
    );
}

#[test]
fn intent_documents_are_written_only_inside_the_intent_and_variants_are_bounded() {
    use serde_json::json;
    use vibedata_agent::tools::{Tool, ToolContext};
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(".vibedata/intents/i1");
    let tool = vibedata_core::agents::tools::WriteIntentDoc {
        folder: folder.clone(),
    };
    let ctx = ToolContext::new(
        dir.path().to_path_buf(),
        std::sync::Arc::new(std::sync::RwLock::new(Default::default())),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The tool's error is the text the model reads: assert which refusal it is.
        let err = tool
            .call(&ctx, json!({"name": "todo_json", "content": "not json"}))
            .await
            .unwrap_err();
        assert!(
            err.contains("todo_json is not JSON"),
            "a malformed todo list is refused: {err}"
        );
        let err = tool
            .call(
                &ctx,
                json!({"name": "plan_md", "variant": "../escape", "content": "x"}),
            )
            .await
            .unwrap_err();
        assert!(
            err.contains("is not a variant name"),
            "a variant name is not a path: {err}"
        );
        let err = tool
            .call(
                &ctx,
                json!({"name": "intent_md", "variant": "a", "content": "x"}),
            )
            .await
            .unwrap_err();
        assert!(
            err.contains("only plan_md has variants"),
            "only plans have variants: {err}"
        );
        for n in 0..5 {
            tool.call(
                &ctx,
                json!({"name": "plan_md", "variant": format!("v{n}"), "content": "plan"}),
            )
            .await
            .unwrap();
        }
        let sixth = tool
            .call(
                &ctx,
                json!({"name": "plan_md", "variant": "v5", "content": "plan"}),
            )
            .await
            .unwrap_err();
        assert!(sixth.contains("already 5"), "{sixth}");
        tool.call(
            &ctx,
            json!({"name": "plan_md", "variant": "v0", "content": "better"}),
        )
        .await
        .expect("rewriting a variant is fine");
    });
    assert_eq!(
        std::fs::read_to_string(folder.join("plans/variants/v0.md")).unwrap(),
        "better"
    );
}
