//! Intents on the demo domain: branch and documents committed, the lifecycle enforced with its
//! guards, approvals audited.

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_core::store::Store;
use vibedata_protocol::IdentityDto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_gets_its_branch_documents_and_a_guarded_lifecycle() {
    let (_dir, paths) = fresh_paths();
    let db = paths.database();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.ensure_demo().await.unwrap().workspace;
    studio
        .set_identity(IdentityDto {
            name: "Grace Analyst".into(),
            email: "grace@example.com".into(),
        })
        .await
        .unwrap();

    let intent = studio
        .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
        .await
        .unwrap();
    assert_eq!(
        intent.branch,
        "intent/silver-customer-table-from-crm-bronze"
    );
    assert_eq!(intent.state, "draft");
    let (branch, commit) = vibedata_core::workspace::read_head(&demo.path).unwrap();
    assert_eq!(branch.as_deref(), Some(intent.branch.as_str()));
    assert_eq!(
        commit.unwrap().summary,
        "Start intent: Silver customer table from CRM bronze"
    );
    let folder = vibedata_core::intents::folder(&demo.path, &intent.id);
    assert!(
        std::fs::read_to_string(folder.join("intent.md"))
            .unwrap()
            .starts_with("# Silver customer table")
    );
    assert!(
        studio
            .create_intent(&demo.id, "Silver customer table from CRM bronze".into())
            .await
            .is_err(),
        "the slug is taken"
    );

    let err = studio
        .intent_step(&intent.id, "start_build")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("draft") && err.contains("start_planning"),
        "no skipping the plan: {err}"
    );
    studio
        .intent_step(&intent.id, "start_planning")
        .await
        .unwrap();
    let err = studio
        .intent_step(&intent.id, "approve_plan")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no plan"), "{err}");
    std::fs::write(folder.join("plan.md"), "# Plan\n\n- add silver_customers\n").unwrap();
    let approved = studio
        .intent_step(&intent.id, "approve_plan")
        .await
        .unwrap();
    assert_eq!(approved.state, "plan_approved");
    let revised = studio.intent_step(&intent.id, "revise_plan").await.unwrap();
    assert_eq!(
        (revised.state.as_str(), revised.plan_version),
        ("planning", 1),
        "revising makes a new plan version"
    );
    studio
        .intent_step(&intent.id, "approve_plan")
        .await
        .unwrap();
    let building = studio.intent_step(&intent.id, "start_build").await.unwrap();
    assert_eq!(
        (building.state.as_str(), building.build_rounds),
        ("building", 1)
    );
    let progress = std::fs::read_to_string(folder.join("progress.json")).unwrap();
    assert!(progress.contains("\"building\""), "{progress}");
    assert!(studio.intent_step(&intent.id, "teleport").await.is_err());

    let listed = studio.list_intents(&demo.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let store = Store::open(&db).unwrap();
    let actions: Vec<String> = vibedata_core::audit::records(&store, 20)
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
