//! The app's workspace tools for agents, run for real on the demo domain: git, dbt, DuckDB and
//! the skills.

use std::sync::{Arc, RwLock};

use vibedata_agent::policy::Policy;
use vibedata_core::governance::audit;
use vibedata_core::platform::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_tools_use_the_real_git_dbt_duckdb_and_skills() {
    use serde_json::json;
    use vibedata_agent::tools::ToolContext;
    use vibedata_core::agents::tools::{ToolEnv, workspace_tools};
    let (_dir, paths) = crate::fresh_paths();
    let store = Arc::new(Store::open(&paths.database()).unwrap());
    let demo = vibedata_core::workspaces::demo::ensure(&paths, &store)
        .unwrap()
        .workspace;
    let env = ToolEnv {
        store: store.clone(),
        venv: vibedata_core::platform::venv::Venv::new(&paths.venv),
        skills_dir: paths.skills_dir.clone(),
        project_dir: demo.project_dir.clone(),
    };
    let tools = workspace_tools(&env);
    let tool = |name: &str| {
        tools
            .iter()
            .find(|t| t.spec().name == name)
            .unwrap()
            .clone()
    };
    let ctx = ToolContext::new(demo.path.clone(), Arc::new(RwLock::new(Policy::default())));

    let status = tool("git_status").call(&ctx, json!({})).await.unwrap();
    assert!(
        status.contains("branch: main") && status.contains("no uncommitted changes"),
        "{status}"
    );
    let rows = tool("query_warehouse")
        .call(
            &ctx,
            json!({"sql": "select count(*) as n from bronze.accounts"}),
        )
        .await
        .unwrap();
    assert!(rows.contains("400"), "{rows}");
    let write = tool("query_warehouse")
        .call(&ctx, json!({"sql": "create table bronze.x as select 1"}))
        .await
        .unwrap_err();
    assert!(
        write.to_lowercase().contains("read-only") || write.to_lowercase().contains("read only"),
        "{write}"
    );
    let dbt = tool("run_dbt")
        .call(
            &ctx,
            json!({"command": "compile", "select": "stg_crm__accounts"}),
        )
        .await
        .unwrap();
    assert!(
        dbt.contains("stg_crm__accounts") || dbt.contains("Compiled"),
        "{dbt}"
    );
    let skills = tool("search_skills")
        .call(&ctx, json!({"query": "dbt"}))
        .await
        .unwrap();
    assert!(skills.contains("dbt-modelling"), "{skills}");
    let body = tool("search_skills")
        .call(&ctx, json!({"query": "dbt-testing"}))
        .await
        .unwrap();
    assert!(body.starts_with("# dbt-testing"), "{body}");

    let refused = tool("git_commit")
        .call(&ctx, json!({"message": "x"}))
        .await
        .unwrap_err();
    assert!(refused.contains("default branch"), "{refused}");
    vibedata_core::workspaces::git::create_intent_branch(&demo.path, "summary").unwrap();
    std::fs::write(
        demo.path.join("models/marts/summary.sql"),
        "select 1 as id\n",
    )
    .unwrap();
    assert!(
        tool("git_diff")
            .call(&ctx, json!({}))
            .await
            .unwrap()
            .contains("+select 1 as id")
    );
    vibedata_core::workspaces::identity::save(
        &store,
        &vibedata_protocol::IdentityDto {
            name: "Grace".into(),
            email: "grace@example.com".into(),
        },
    )
    .unwrap();
    let committed = tool("git_commit")
        .call(&ctx, json!({"message": "Add summary"}))
        .await
        .unwrap();
    assert!(committed.contains("on intent/summary"), "{committed}");
    let records = audit::records(&store, 10).unwrap();
    assert_eq!(
        records.last().unwrap().action,
        "commit",
        "commits are audited"
    );
    assert_eq!(audit::verify(&store).unwrap().broken, None);
}

/// An agent's `run_dbt` runs in the dbt project folder the workspace was registered with
/// (`transform/`), not in another project of the same repository that happens to sort first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_dbt_runs_in_the_registered_project_folder() {
    use serde_json::json;
    use vibedata_agent::tools::ToolContext;
    use vibedata_core::agents::tools::{ToolEnv, workspace_tools};
    let (dir, paths) = crate::fresh_paths();
    let repo = dir.path().join("analytics");
    let project = |folder: &str, name: &str, sql: &str| {
        let root = repo.join(folder);
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::write(
            root.join("dbt_project.yml"),
            format!("name: {name}\nversion: \"1.0\"\nprofile: {name}\n"),
        )
        .unwrap();
        std::fs::write(
            root.join("profiles.yml"),
            format!(
                "{name}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/{name}.duckdb\n"
            ),
        )
        .unwrap();
        std::fs::write(root.join("models/orders.sql"), sql).unwrap();
    };
    // `legacy/` sorts first and does not parse (a ref to a model it lacks).
    project("legacy", "legacy", "select * from {{ ref('gone') }}");
    project("transform", "analytics", "select 1 as id");
    let env = |project_dir: &str| ToolEnv {
        store: Arc::new(Store::open(&paths.database()).unwrap()),
        venv: vibedata_core::platform::venv::Venv::new(&paths.venv),
        skills_dir: paths.skills_dir.clone(),
        project_dir: project_dir.into(),
    };
    let ctx = ToolContext::new(repo.clone(), Arc::new(RwLock::new(Policy::default())));
    let run = |project_dir: &str| {
        let tools = workspace_tools(&env(project_dir));
        let tool = tools
            .iter()
            .find(|t| t.spec().name == "run_dbt")
            .unwrap()
            .clone();
        let ctx = ctx.clone();
        async move { tool.call(&ctx, json!({"command": "parse"})).await }
    };
    let registered = run("transform").await;
    assert!(registered.is_ok(), "dbt runs in transform/: {registered:?}");
    assert!(repo.join("transform/target/manifest.json").is_file());
    assert!(!repo.join("legacy/target/manifest.json").exists());
    let unregistered = run("").await.unwrap_err();
    assert!(
        unregistered.contains("gone"),
        "without a registered folder the first project found runs: {unregistered}"
    );
}
