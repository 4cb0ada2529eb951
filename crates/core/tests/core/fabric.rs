//! Fabric through the core's front door, against the fake Fabric: the demo domain linked to a
//! production workspace (browsed, cached, read again offline), an intent's ephemeral workspace from
//! nothing to a finished dbt run and torn down, the same lifecycle killed after every request it
//! makes and resumed (one workspace, one job run, whatever the kill), throttling and a moving
//! branch on the way, a paused capacity, a failing job with its log, and orphans listed.

use std::sync::Arc;
use std::time::Duration;

use vibedata_core::Studio;
use vibedata_core::platform::config::Config;
use vibedata_fakes::fabric::{CONNECTION, FakeFabric};
use vibedata_protocol::fabric::{FabricLinkRequestDto, FabricSettingsDto};
use vibedata_protocol::{ErrorCode, IntentDto};
use vibedata_secrets::Sensitive;

struct Setup {
    _dir: tempfile::TempDir,
    studio: Arc<Studio>,
    fake: FakeFabric,
    demo: String,
}

async fn setup() -> Setup {
    let fake = FakeFabric::start().await;
    let (dir, paths) = crate::fresh_paths();
    let mut config = Config::with_paths(paths);
    config.fabric.api_url = fake.base_url();
    config.fabric.env_token = Some(Sensitive::new("eyJ0eXAi.fabric.ci-token".into()));
    let studio = Arc::new(Studio::start(config).await.unwrap());
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    crate::as_grace(&studio).await;
    // The production workspace, on the organisation's capacity, with its lakehouse.
    let client = studio.fabric().client().await.unwrap();
    let prod = client
        .create_workspace("Sales production", Some(&fake.capacity_id()))
        .await
        .unwrap();
    client
        .create_item(&prod.id, "bronze", "Lakehouse")
        .await
        .unwrap();
    studio
        .fabric()
        .save_settings(FabricSettingsDto {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "0b1c2d3e-app".into(),
            capacity_id: String::new(),
            connection_id: CONNECTION.into(),
        })
        .await
        .unwrap();
    let listed = studio.fabric().workspaces().await.unwrap();
    assert!(listed.live);
    let prod_listed = listed
        .workspaces
        .iter()
        .find(|w| w.name == "Sales production")
        .unwrap();
    let lakehouse = prod_listed.items[0].id.clone();
    studio
        .fabric()
        .link(FabricLinkRequestDto {
            workspace_id: demo.id.clone(),
            fabric_workspace_id: prod.id,
            lakehouse_id: Some(lakehouse),
            repository: "contoso/demo-crm".into(),
        })
        .await
        .unwrap();
    Setup {
        _dir: dir,
        studio,
        fake,
        demo: demo.id,
    }
}

async fn intent(s: &Setup, title: &str) -> IntentDto {
    s.studio
        .intents()
        .create_intent(&s.demo, title.into())
        .await
        .unwrap()
}

/// The test's store, opened beside the Studio's.
fn store(s: &Setup) -> vibedata_core::platform::store::Store {
    vibedata_core::platform::store::Store::open(&s._dir.path().join("data/studio.sqlite3")).unwrap()
}

/// The intent is merged (its state set as a merge sets it; the merge itself is tested elsewhere).
fn mark_merged(s: &Setup, intent_id: &str) {
    store(s)
        .with(|c| {
            c.execute(
                "UPDATE intents SET state = 'merged' WHERE id = ?1",
                [intent_id],
            )
        })
        .unwrap();
}

fn state_of(s: &Setup, intent_id: &str) -> String {
    store(s)
        .with(|c| {
            c.query_row(
                "SELECT state FROM intents WHERE id = ?1",
                [intent_id],
                |r| r.get(0),
            )
        })
        .unwrap()
}

/// `git` in `dir` as Grace; its output.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=Grace", "-c", "user.email=g@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits `file` on the intent's branch and merges the branch into the domain's main; main's
/// commit.
fn merge_into_main(s: &Setup, i: &IntentDto, file: &str, text: &str) -> String {
    let tree = std::path::Path::new(&i.worktree);
    std::fs::write(tree.join(file), text).unwrap();
    git(tree, &["add", "-A"]);
    git(tree, &["commit", "-qm", "Work on the branch"]);
    let demo = vibedata_core::workspaces::registry::find_by_id(&store(s), &s.demo)
        .unwrap()
        .unwrap()
        .path;
    git(
        &demo,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge the intent",
            &i.branch,
        ],
    );
    git(&demo, &["rev-parse", "HEAD"])
}

fn named(fake: &FakeFabric, name: &str) -> Vec<serde_json::Value> {
    fake.workspaces()
        .into_iter()
        .filter(|w| w["displayName"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_gets_an_ephemeral_workspace_that_runs_its_dbt_job_and_goes() {
    let s = setup().await;
    let link = s.studio.fabric().link_of(&s.demo).await.unwrap().unwrap();
    assert_eq!(link.fabric_workspace_name, "Sales production");
    assert_eq!(link.lakehouse_name.as_deref(), Some("bronze"));
    assert_eq!(link.directory, "/");

    let i = intent(&s, "Churn score per account").await;
    // Throttled on the way (429 with Retry-After) and the branch moves once mid-way.
    s.fake.throttle(3, 1);
    let mut seen = Vec::new();
    let ready = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |e| seen.push(e.step.clone()))
        .await
        .unwrap();
    assert_eq!(ready.state, "ready");
    assert_eq!(ready.job_status.as_deref(), Some("Completed"));
    assert_eq!(ready.name, "vd-demo-crm-intent-churn-score-per-account");
    for step in [
        "create",
        "assign",
        "connect",
        "initialize",
        "update",
        "run",
        "ready",
    ] {
        assert!(seen.contains(&step.to_string()), "{step} in {seen:?}");
    }
    let ws = named(&s.fake, &ready.name);
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0]["capacityId"], s.fake.capacity_id().as_str());
    let id = ready.fabric_workspace_id.clone().unwrap();
    let items = s.fake.items_of(&id);
    let dbt = items
        .iter()
        .find(|i| i["type"] == "DataBuildToolJob")
        .unwrap();
    assert_eq!(s.fake.job_runs(dbt["id"].as_str().unwrap()), 1);
    // The git connection carried the organisation's connection and the intent's branch.
    let connect = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/git/connect"))
        .unwrap()
        .json();
    assert_eq!(
        connect["gitProviderDetails"]["branchName"],
        i.branch.as_str()
    );
    assert_eq!(connect["gitProviderDetails"]["ownerName"], "contoso");
    assert_eq!(connect["myGitCredentials"]["connectionId"], CONNECTION);
    // The branch reads production's data: its lakehouse has a shortcut for the sources' schema.
    let lakehouse = items.iter().find(|i| i["type"] == "Lakehouse").unwrap();
    let shortcuts = s.fake.shortcuts_of(&id, lakehouse["id"].as_str().unwrap());
    assert_eq!(shortcuts.len(), 1, "{shortcuts:?}");
    assert_eq!(shortcuts[0]["name"], "bronze");
    assert_eq!(shortcuts[0]["path"], "Tables");
    assert_eq!(
        shortcuts[0]["target"]["oneLake"]["workspaceId"],
        link.fabric_workspace_id.as_str()
    );
    assert_eq!(shortcuts[0]["target"]["oneLake"]["path"], "Tables/bronze");

    // Again after the branch moved: synced to the new head and run again, in the same workspace.
    s.fake
        .set_remote_head(&i.branch, "1111111111111111111111111111111111111111");
    let again = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(again.fabric_workspace_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        again.commit.as_deref(),
        Some("1111111111111111111111111111111111111111")
    );
    assert_eq!(s.fake.job_runs(dbt["id"].as_str().unwrap()), 2);

    // Nothing is an orphan while the intent lives; abandoning it tears the workspace down.
    assert!(s.studio.fabric().orphans().await.unwrap().is_empty());
    s.studio.intents().abandon_intent(&i.id).await.unwrap();
    assert!(named(&s.fake, &ready.name).is_empty(), "torn down");
    let gone = s.studio.fabric().ephemeral(&i.id).await.unwrap().unwrap();
    assert_eq!(
        (gone.step.as_str(), gone.state.as_str()),
        ("gone", "torn_down")
    );

    // A workspace named like ours that nothing here owns is an orphan, and can be deleted.
    let client = s.studio.fabric().client().await.unwrap();
    let stray = client
        .create_workspace("vd-demo-crm-intent-left-behind", None)
        .await
        .unwrap();
    let orphans = s.studio.fabric().orphans().await.unwrap();
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert_eq!(orphans[0].fabric_workspace_id, stray.id);
    // Production is never an orphan, and cannot be deleted through this door.
    let refused = s
        .studio
        .fabric()
        .delete_orphan(&link.fabric_workspace_id)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    s.studio.fabric().delete_orphan(&stray.id).await.unwrap();
    assert!(s.studio.fabric().orphans().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_any_request_the_lifecycle_resumes_without_doing_anything_twice() {
    let s = setup().await;
    // A clean run, to count its requests.
    let probe = intent(&s, "Probe").await;
    let before = s.fake.request_count();
    s.studio
        .fabric()
        .ephemeral_up(&probe.id, &mut |_| {})
        .await
        .unwrap();
    let total = s.fake.request_count() - before;
    assert!(total >= 12, "a lifecycle makes {total} requests");

    for n in 0..total {
        let i = intent(&s, &format!("Killed after {n}")).await;
        let start = s.fake.request_count();
        s.fake.hold_after(Some(n));
        let (studio, id) = (s.studio.clone(), i.id.clone());
        let task = tokio::spawn(async move {
            let _ = studio.fabric().ephemeral_up(&id, &mut |_| {}).await;
        });
        // The (n+1)-th request arrives and is never answered: the process dies there.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while s.fake.request_count() < start + n + 1 {
            assert!(std::time::Instant::now() < deadline, "no request {n} came");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        task.abort();
        let _ = task.await;
        s.fake.hold_after(None);

        let resumed = s
            .studio
            .fabric()
            .ephemeral_up(&i.id, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("resume after {n} requests: {e}"));
        assert_eq!(resumed.state, "ready", "after a kill at request {n}");
        let ws = named(&s.fake, &resumed.name);
        assert_eq!(ws.len(), 1, "one workspace after a kill at request {n}");
        let items = s.fake.items_of(ws[0]["id"].as_str().unwrap());
        assert_eq!(items.len(), 2, "items imported once (kill at {n})");
        let dbt = items
            .iter()
            .find(|i| i["type"] == "DataBuildToolJob")
            .unwrap();
        assert_eq!(
            s.fake.job_runs(dbt["id"].as_str().unwrap()),
            1,
            "one dbt run after a kill at request {n}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_capacity_and_a_failing_job_say_what_to_do_and_resume_after() {
    let s = setup().await;
    let i = intent(&s, "Pipeline by region").await;
    // A GitHub connection Fabric does not know: refused at connect, said, resumed once fixed.
    let settings = |connection: &str| FabricSettingsDto {
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "0b1c2d3e-app".into(),
        capacity_id: String::new(),
        connection_id: connection.into(),
    };
    s.studio
        .fabric()
        .save_settings(settings("00000000-0000-4000-8000-0000000000ff"))
        .await
        .unwrap();
    let err = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("refused the git connection"),
        "{err}"
    );
    let failed = s.studio.fabric().ephemeral(&i.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.step.as_str(), failed.state.as_str()),
        ("connect", "failed")
    );
    s.studio
        .fabric()
        .save_settings(settings(CONNECTION))
        .await
        .unwrap();
    // Torn down meanwhile, then a paused capacity.
    s.studio.fabric().ephemeral_down(&i.id).await.unwrap();
    s.fake.pause_capacity(true);
    let err = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("capacity is paused"), "{err}");
    let failed = s.studio.fabric().ephemeral(&i.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.step.as_str(), failed.state.as_str()),
        ("assign", "failed")
    );

    s.fake.pause_capacity(false);
    s.fake.jobs(
        1,
        Some("Database Error in model account_pipeline: column amount_usd not found"),
    );
    let err = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("column amount_usd not found"),
        "{err}"
    );
    let failed = s.studio.fabric().ephemeral(&i.id).await.unwrap().unwrap();
    assert_eq!(failed.step, "run");
    assert!(failed.message.unwrap().contains("account_pipeline"));

    // Fixed on the branch: the next attempt runs the job again and is ready.
    s.fake.jobs(1, None);
    let ready = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(ready.state, "ready");
    assert_eq!(named(&s.fake, &ready.name).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_read_offline_from_the_cache_and_nothing_runs_unlinked_or_unsigned() {
    let s = setup().await;
    // A domain not linked cannot get an ephemeral workspace.
    let other = {
        let (_d, paths) = crate::fresh_paths();
        let studio = Studio::open(paths).await.unwrap();
        let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
        let i = studio
            .intents()
            .create_intent(&demo.id, "Unlinked".into())
            .await
            .unwrap();
        studio
            .fabric()
            .ephemeral_up(&i.id, &mut |_| {})
            .await
            .unwrap_err()
    };
    assert!(other.to_string().contains("link the domain"), "{other}");

    // Fabric unreachable: the cache answers, saying so.
    drop(s.fake);
    let offline = s.studio.fabric().workspaces().await.unwrap();
    assert!(!offline.live);
    assert!(offline.problem.is_some());
    assert!(
        offline
            .workspaces
            .iter()
            .any(|w| w.name == "Sales production")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoting_main_to_production_is_previewed_approved_by_a_github_role_and_audited() {
    use vibedata_fakes::github::FakeGitHub;
    let s = setup().await;
    let github = FakeGitHub::start().await;
    github.accept_token("ghp_promoter");
    github.add_repo("contoso/demo-crm");
    s.studio
        .github()
        .use_token(&github.base_url(), Sensitive::new("ghp_promoter".into()));
    // Production follows main through Fabric's git integration.
    let link = s.studio.fabric().link_of(&s.demo).await.unwrap().unwrap();
    let client = s.studio.fabric().client().await.unwrap();
    client
        .git_connect(
            &link.fabric_workspace_id,
            &vibedata_fabric::git::GitTarget {
                owner: "contoso".into(),
                repository: "demo-crm".into(),
                branch: "main".into(),
                directory: "/".into(),
                connection_id: CONNECTION.into(),
            },
        )
        .await
        .unwrap();
    s.fake.repository_items(3);
    // A merged intent waits for its deployment.
    let merged = intent(&s, "Pipeline by stage").await;
    mark_merged(&s, &merged.id);

    let preview = s.studio.fabric().deploy_preview(&s.demo).await.unwrap();
    assert_eq!(preview.from_commit, "", "never deployed");
    let order: Vec<&str> = preview.changes.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        order,
        ["Lakehouse", "Notebook", "DataBuildToolJob"],
        "dependency order"
    );
    assert!(preview.changes.iter().all(|c| c.change == "Added"));

    // A reader may not promote: refused, audited, nothing deployed.
    github.set_role("contoso/demo-crm", "octo-analyst", "read");
    let refused = s
        .studio
        .fabric()
        .promote(s.studio.github(), &s.demo, &preview.to_commit)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("octo-analyst is read"),
        "{refused}"
    );
    assert_eq!(
        s.studio
            .fabric()
            .deploy_preview(&s.demo)
            .await
            .unwrap()
            .changes
            .len(),
        3,
        "nothing deployed"
    );

    // A maintainer promotes exactly the previewed commit.
    github.set_role("contoso/demo-crm", "octo-analyst", "maintain");
    let done = s
        .studio
        .fabric()
        .promote(s.studio.github(), &s.demo, &preview.to_commit)
        .await
        .unwrap();
    assert_eq!(
        (done.approved_by.as_str(), done.role.as_str()),
        ("octo-analyst", "maintain")
    );
    assert_eq!(done.deployed_intents, vec![merged.id.clone()]);
    let after = s.studio.fabric().deploy_preview(&s.demo).await.unwrap();
    assert!(after.changes.is_empty(), "nothing left to deploy");
    assert_eq!(after.from_commit, preview.to_commit);
    assert_eq!(state_of(&s, &merged.id), "deployed");

    // main moved after the preview: the approval of the old commit deploys nothing.
    s.fake
        .set_remote_head("main", "2222222222222222222222222222222222222222");
    let moved = s
        .studio
        .fabric()
        .promote(s.studio.github(), &s.demo, &preview.to_commit)
        .await
        .unwrap_err();
    assert!(moved.to_string().contains("main moved"), "{moved}");

    // Each step is in the audit log, under the person who approved.
    let records = vibedata_core::governance::audit::records(&store(&s), 100).unwrap();
    let actions: Vec<(String, String)> = records
        .iter()
        .filter(|r| r.action.starts_with("promotion"))
        .map(|r| (r.actor.clone(), r.action.clone()))
        .collect();
    for action in [
        "promotion refused",
        "promotion approved",
        "promotion deployed",
    ] {
        assert!(
            actions.contains(&("octo-analyst".to_string(), action.to_string())),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_data_diff_runs_in_fabric_moving_only_checksums_and_differing_rows() {
    use serde_json::json;
    let s = setup().await;
    let i = intent(&s, "Won revenue in thousands").await;
    // The branch changes the mart.
    let tree = std::path::Path::new(&i.worktree);
    let model = tree.join("models/marts/account_pipeline.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{sql}\n-- rounded in Fabric\n")).unwrap();
    git(tree, &["commit", "-qam", "Change the mart"]);
    // Not prepared yet: said plainly.
    let early = s
        .studio
        .fabric()
        .data_diff(&s.demo, &i.branch)
        .await
        .unwrap_err();
    assert!(
        early.to_string().contains("no ready ephemeral workspace"),
        "{early}"
    );
    let ready = s
        .studio
        .fabric()
        .ephemeral_up(&i.id, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(ready.state, "ready");

    // Production's table and the branch's, in their lakehouses (1,000 accounts; the branch
    // changes 3, drops 1, adds 2).
    let columns = [
        "account_id",
        "account_name",
        "industry",
        "opportunity_count",
        "open_pipeline_usd",
        "won_revenue_usd",
    ];
    let row = |n: i64, won: f64| {
        vec![
            json!(format!("acc-{n:04}")),
            json!(format!("Account {n}")),
            json!("retail"),
            json!(n % 7),
            json!(100.5),
            json!(won),
        ]
    };
    let prod: Vec<Vec<serde_json::Value>> = (0..1000).map(|n| row(n, 10.0)).collect();
    let mut branch: Vec<Vec<serde_json::Value>> = (1..1000)
        .map(|n| {
            row(
                n,
                if [5, 50, 500].contains(&n) {
                    0.01
                } else {
                    10.0
                },
            )
        })
        .collect();
    branch.push(row(1000, 10.0));
    branch.push(row(1001, 10.0));
    s.fake.livy_table(
        "Sales production.bronze.gold.account_pipeline",
        &columns,
        &prod,
    );
    s.fake
        .livy_table("lakehouse.gold.account_pipeline", &columns, &branch);

    let diff = s
        .studio
        .fabric()
        .data_diff(&s.demo, &i.branch)
        .await
        .unwrap();
    let m = diff
        .models
        .iter()
        .find(|m| m.name == "account_pipeline")
        .unwrap_or_else(|| panic!("{diff:?}"));
    assert_eq!(m.error, None, "{m:?}");
    assert_eq!(m.key, vec!["account_id"]);
    assert_eq!((m.base_rows, m.head_rows), (1000, 1001));
    assert_eq!(
        (m.base_only, m.head_only, m.changed_rows),
        (Some(1), Some(2), Some(3))
    );
    let won = m
        .columns
        .iter()
        .find(|c| c.name == "won_revenue_usd")
        .unwrap();
    assert_eq!(won.changed, 3);
    assert!(
        m.samples
            .iter()
            .any(|x| x.contains("acc-0050") && x.contains("won_revenue_usd")),
        "{:?}",
        m.samples
    );
    assert!(!m.identical);
    // Only checksums and the rows of differing segments left the lakehouse, and the session went.
    let moved = s.fake.livy_rows_returned();
    assert!(
        moved < 700,
        "{moved} rows read back for 2,001 rows compared"
    );
    assert_eq!(s.fake.livy_sessions(), 0);

    // Identical tables: nothing but checksums.
    s.fake
        .livy_table("lakehouse.gold.account_pipeline", &columns, &prod);
    let before = s.fake.livy_rows_returned();
    let same = s
        .studio
        .fabric()
        .data_diff(&s.demo, &i.branch)
        .await
        .unwrap();
    let m = same
        .models
        .iter()
        .find(|m| m.name == "account_pipeline")
        .unwrap();
    assert!(m.identical, "{m:?}");
    assert!(
        s.fake.livy_rows_returned() - before <= 2 * 64,
        "only the segment checksums"
    );

    // A session that cannot start is said.
    s.fake.livy_fail_start(true);
    let err = s
        .studio
        .fabric()
        .data_diff(&s.demo, &i.branch)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Spark session"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_promotion_marks_the_merged_intents_it_contains_deployed() {
    let s = setup().await;
    let i = intent(&s, "Pipeline in euros").await;
    mark_merged(&s, &i.id);
    let main = merge_into_main(&s, &i, "models/marts/note.md", "euros\n");
    // The workflow promotes main (GitHub's production environment approved it).
    let link = s.studio.fabric().link_of(&s.demo).await.unwrap().unwrap();
    s.fake
        .connect_git(&link.fabric_workspace_id, "contoso", "demo-crm", "main");
    s.fake.set_remote_head("main", &main);
    let early = s
        .studio
        .fabric()
        .deploy_headless(
            &link.fabric_workspace_id,
            "0000000",
            "github-actions:bot",
            true,
        )
        .await
        .unwrap_err();
    assert!(early.to_string().contains("nothing deployed"), "{early}");
    let done = s
        .studio
        .fabric()
        .deploy_headless(&link.fabric_workspace_id, &main, "github-actions:bot", true)
        .await
        .unwrap();
    assert_eq!(done.to_commit, main);
    // The Studio reads production's state and sees the intent is in it.
    let preview = s.studio.fabric().deploy_preview(&s.demo).await.unwrap();
    assert_eq!(preview.from_commit, main);
    assert!(preview.changes.is_empty());
    assert_eq!(state_of(&s, &i.id), "deployed");
    let store = store(&s);
    let audited = vibedata_core::governance::audit::records(&store, 50).unwrap();
    assert!(
        audited
            .iter()
            .any(|r| r.actor == "github-actions:bot" && r.action == "promotion deployed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflows_successful_promotion_run_marks_the_intents_it_deployed() {
    use vibedata_fakes::github::FakeGitHub;
    let s = setup().await;
    let github = FakeGitHub::start().await;
    github.accept_token("ghp_reader");
    github.add_repo("contoso/demo-crm");
    s.studio
        .github()
        .use_token(&github.base_url(), Sensitive::new("ghp_reader".into()));
    let i = intent(&s, "Contacts per account").await;
    mark_merged(&s, &i.id);
    let main = merge_into_main(&s, &i, "models/marts/contacts.md", "per account\n");
    // The workflow waits for the production environment's reviewers, then succeeds.
    github.add_workflow_run(
        "contoso/demo-crm",
        "vibedata-fabric.yml",
        &main,
        "waiting",
        None,
    );
    let runs = s
        .studio
        .fabric()
        .promotion_runs(s.studio.github(), &s.demo)
        .await
        .unwrap();
    assert_eq!(runs[0].status, "waiting");
    assert_eq!(state_of(&s, &i.id), "merged", "not deployed while it waits");
    github.add_workflow_run(
        "contoso/demo-crm",
        "vibedata-fabric.yml",
        &main,
        "completed",
        Some("success"),
    );
    let runs = s
        .studio
        .fabric()
        .promotion_runs(s.studio.github(), &s.demo)
        .await
        .unwrap();
    assert_eq!(runs[0].conclusion.as_deref(), Some("success"));
    assert_eq!(state_of(&s, &i.id), "deployed");
}
