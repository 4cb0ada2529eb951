//! Registering repositories through the Studio (file:// URLs cloned with progress, folders in place,
//! unusable input refused with the reason) and the git workflow on a registered clone, against
//! real repositories built by a script with fixed authors and dates.

use std::sync::{Arc, Mutex};

use crate::fresh_paths;
use crate::git::{origin, url};
use vibedata_core::Studio;
use vibedata_protocol::{AddWorkspaceDto, ErrorCode, WorkspaceKind};

fn request(source: String, name: Option<&str>) -> AddWorkspaceDto {
    AddWorkspaceDto {
        source,
        name: name.map(str::to_string),
        kind: WorkspaceKind::Domain,
        project_dir: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_url_is_cloned_with_progress_and_a_folder_is_registered_in_place() {
    let (dir, paths) = fresh_paths();
    let root = paths.workspace_root.clone();
    let studio = Studio::open(paths).await.unwrap();
    let origin = origin(dir.path());

    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let ws = studio
        .workspaces()
        .add_workspace(request(url(&origin), None), move |p| {
            sink.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(ws.name, "origin", "named after the repository");
    assert_eq!(
        ws.path,
        root.join("origin").display().to_string(),
        "cloned under the workspace root"
    );
    assert_eq!(ws.branch.as_deref(), Some("main"));
    assert_eq!(
        ws.last_commit.as_ref().map(|c| c.summary.as_str()),
        Some("readme")
    );
    let last = *reports
        .lock()
        .unwrap()
        .last()
        .expect("clone progress is reported");
    assert!(last.total_objects > 0 && last.received_objects == last.total_objects);

    let again = studio
        .workspaces()
        .add_workspace(request(url(&origin), None), |_| {})
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already registered"), "{again}");

    let folder = studio
        .workspaces()
        .add_workspace(
            request(
                dir.path().join("src").display().to_string(),
                Some("crm-local"),
            ),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        folder.path,
        dir.path().join("src").display().to_string(),
        "a folder is registered where it is"
    );

    let listed: Vec<String> = studio
        .workspaces()
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert!(
        listed.contains(&"origin".to_string()) && listed.contains(&"crm-local".to_string()),
        "{listed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_sources_are_refused_and_leave_nothing_behind() {
    let (dir, paths) = fresh_paths();
    let root = paths.workspace_root.clone();
    let studio = Studio::open(paths).await.unwrap();
    let missing = studio
        .workspaces()
        .add_workspace(
            request(
                format!("file://{}/nope.git", dir.path().display()),
                Some("nope"),
            ),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("cannot clone"), "{missing}");
    assert!(
        !root.join("nope").exists(),
        "a failed clone leaves no folder"
    );
    let not_repo = tempfile::tempdir().unwrap();
    let refused = studio
        .workspaces()
        .add_workspace(
            request(not_repo.path().display().to_string(), Some("plain")),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not a git repository"),
        "{refused}"
    );
    let ssh = studio
        .workspaces()
        .add_workspace(request("git@github.com:acme/crm.git".into(), None), |_| {})
        .await
        .unwrap_err();
    assert!(ssh.to_string().contains("https URL"), "{ssh}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_git_workflow_from_fetch_to_push_reaches_the_bare_remote() {
    let (dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let origin = origin(dir.path());
    let ws = studio
        .workspaces()
        .add_workspace(request(url(&origin), Some("crm")), |_| {})
        .await
        .unwrap();

    let state = studio.workspaces().fetch_workspace(&ws.id).await.unwrap();
    assert!(
        state.fetched_at.is_some() && state.fetch_problem.is_none(),
        "{state:?}"
    );
    assert_eq!(state.default_branch.as_deref(), Some("main"));
    assert!(state.changes.is_empty());

    let state = studio
        .workspaces()
        .create_intent_branch(&ws.id, "add-notes".into())
        .await
        .unwrap();
    assert_eq!(state.branch.as_deref(), Some("intent/add-notes"));
    let clone = std::path::PathBuf::from(&ws.path);
    std::fs::write(clone.join("models/m1.sql"), "select 1 as id, 'x' as note\n").unwrap();
    std::fs::write(
        clone.join("models/notes.sql"),
        "select 'remember the milk' as note, 42 as priority\n",
    )
    .unwrap();
    std::fs::remove_file(clone.join("models/m2.sql")).unwrap();
    let state = studio.workspaces().git_state(&ws.id).await.unwrap();
    let kinds: Vec<(String, vibedata_protocol::ChangeKind)> = state
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.change))
        .collect();
    use vibedata_protocol::ChangeKind::*;
    assert_eq!(
        kinds,
        [
            ("models/m1.sql".into(), Modified),
            ("models/m2.sql".into(), Deleted),
            ("models/notes.sql".into(), Added)
        ]
    );
    assert!(
        state.changes[0]
            .patch
            .contains("+select 1 as id, 'x' as note"),
        "{}",
        state.changes[0].patch
    );

    studio
        .workspaces()
        .set_identity(vibedata_protocol::IdentityDto {
            name: "Grace Analyst".into(),
            email: "grace@example.com".into(),
        })
        .await
        .unwrap();
    studio
        .workspaces()
        .commit_workspace(&ws.id, "notes".into())
        .await
        .unwrap();
    let state = studio.workspaces().git_state(&ws.id).await.unwrap();
    assert!(state.changes.is_empty(), "everything was committed");
    assert_eq!(
        studio
            .workspaces()
            .commit_workspace(&ws.id, "   ".into())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "an empty message is refused"
    );

    let diff = studio
        .workspaces()
        .branch_diff(&ws.id, "main".into(), "intent/add-notes".into())
        .await
        .unwrap();
    assert_eq!(
        diff.files.len(),
        3,
        "the branch diff shows what the intent changed: {:?}",
        diff.files
    );

    let state = studio.workspaces().push_workspace(&ws.id).await.unwrap();
    let intent = state
        .branches
        .iter()
        .find(|b| b.name == "intent/add-notes")
        .unwrap();
    assert_eq!(intent.upstream.as_deref(), Some("origin/intent/add-notes"));
    assert_eq!((intent.ahead, intent.behind), (0, 0));
    let bare = git2::Repository::open_bare(&origin).unwrap();
    let pushed = bare
        .find_branch("intent/add-notes", git2::BranchType::Local)
        .expect("the bare remote has the branch");
    let commit = pushed.get().peel_to_commit().unwrap();
    assert_eq!(commit.summary(), Some("notes"));
    assert_eq!(
        commit.author().email(),
        Some("grace@example.com"),
        "committed as the configured identity"
    );
}

/// Without a model, agents refuse to run on a person's own repository: the demo's hand-written
/// replays belong to the demo domain, and nothing is started, stored or written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_agents_refuse_a_registered_repository_and_say_what_is_missing() {
    use vibedata_protocol::{AgentStage, IntentStep};
    let (dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let ws = studio
        .workspaces()
        .add_workspace(request(url(&origin(dir.path())), Some("acme-crm")), |_| {})
        .await
        .unwrap();
    let refused = studio
        .agents()
        .start_session(&ws.id, "Add a customers mart.".into(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ModelNotConfigured, "{refused}");
    assert!(refused.to_string().contains("Settings"), "{refused}");

    crate::as_grace(&studio).await;
    let intent = studio
        .intents()
        .create_intent(&ws.id, "Customers mart".into())
        .await
        .unwrap();
    studio
        .intents()
        .intent_step(&intent.id, IntentStep::StartPlanning)
        .await
        .unwrap();
    let refused = studio
        .intents()
        .run_intent_stage(&intent.id, AgentStage::Requirements, |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ModelNotConfigured, "{refused}");
    assert!(
        studio
            .agents()
            .list_sessions(&ws.id)
            .await
            .unwrap()
            .is_empty(),
        "no session was started on the person's repository"
    );
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&ws.path), &intent.id);
    assert!(
        !folder.join("plan.md").exists(),
        "the demo's plan was not written into the person's repository"
    );

    // The demo domain still runs its labelled replay without a model, and replayed tokens are
    // not counted as usage.
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .agents()
        .start_session(&demo.id, "Add a summary.".into(), move |e| drop(tx.send(e)))
        .await
        .unwrap();
    assert!(session.is_replay);
    while let Some(event) = rx.recv().await {
        match event {
            vibedata_protocol::SessionEventDto::ApprovalNeeded { call_id, .. } => studio
                .agents()
                .decide_approval(&session.id, &call_id, true, None)
                .unwrap(),
            vibedata_protocol::SessionEventDto::Finished { .. } => break,
            _ => {}
        }
    }
    let usage = studio.agents().usage().await.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.sessions.len()),
        (0, 0),
        "a replay is not usage"
    );
}

/// Registering as people do it: a folder with or without its trailing slash is one workspace,
/// said plainly when registered twice; a name with spaces becomes a slug; a dbt project in a
/// subfolder is found; a repository without one is listed with that said; a path that does not
/// exist says so; a workspace can be removed (its folder stays) but not the demo domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_register_once_projects_in_subfolders_are_found_and_workspaces_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let script = r##"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        git init -q -b main analytics && cd analytics
        mkdir -p transform/models ingest
        printf 'name: analytics\nversion: "1.0"\nprofile: analytics\n' > transform/dbt_project.yml
        echo "select 1 as id" > transform/models/orders.sql
        echo "# pipelines" > ingest/README.md
        git add . && git commit -q -m "analytics" && cd ..
        git init -q -b main notes && cd notes && echo "# notes" > README.md
        git add . && git commit -q -m "notes" && cd ..
    "##;
    assert!(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap()
            .success()
    );
    let (_data, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let folder = dir.path().join("analytics");

    let ws = studio
        .workspaces()
        .add_workspace(
            request(format!("{}/", folder.display()), Some("Team Analytics")),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        ws.name, "team-analytics",
        "a name with spaces becomes a slug"
    );
    assert_eq!(
        ws.project_dir, "transform",
        "the dbt project in a subfolder is found"
    );
    assert_eq!(ws.problem, None);
    let summary = studio.domains().domain_summary(&ws.id).await.unwrap();
    assert_eq!(summary.project_name.as_deref(), Some("analytics"));

    let twice = studio
        .workspaces()
        .add_workspace(request(folder.display().to_string(), Some("again")), |_| {})
        .await
        .unwrap_err();
    assert_eq!(twice.code(), ErrorCode::InvalidInput);
    assert!(
        twice
            .to_string()
            .contains("already registered as team-analytics"),
        "{twice}"
    );

    let missing = studio
        .workspaces()
        .add_workspace(request("/no/such/folder".into(), None), |_| {})
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("does not exist"), "{missing}");

    let notes = studio
        .workspaces()
        .add_workspace(
            request(dir.path().join("notes").display().to_string(), None),
            |_| {},
        )
        .await
        .unwrap();
    let said = notes.problem.unwrap_or_default();
    assert!(
        said.contains("No dbt project"),
        "a domain without a project is said: {said}"
    );

    studio
        .workspaces()
        .remove_workspace(&notes.id)
        .await
        .unwrap();
    let names: Vec<String> = studio
        .workspaces()
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert!(!names.contains(&"notes".to_string()), "{names:?}");
    assert!(
        dir.path().join("notes/README.md").is_file(),
        "the folder stays on disk"
    );
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    assert_eq!(
        studio
            .workspaces()
            .remove_workspace(&demo.id)
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "the demo domain stays"
    );
}

/// A workspace's dbt project folder can be said after registration: the domain's index then
/// reads from there (the open index is dropped, not kept stale); a folder without a project is
/// refused and changes nothing; the demo domain's project stays at its root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dbt_project_folder_is_set_after_registration_and_the_index_follows() {
    let dir = tempfile::tempdir().unwrap();
    let script = r##"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        git init -q -b main warehouse && cd warehouse && echo "# warehouse" > README.md
        git add . && git commit -q -m "start"
    "##;
    assert!(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap()
            .success()
    );
    let (_data, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let repo = dir.path().join("warehouse");
    let ws = studio
        .workspaces()
        .add_workspace(request(repo.display().to_string(), None), |_| {})
        .await
        .unwrap();
    assert!(ws.problem.is_some(), "no project yet");
    let before = studio.domains().domain_summary(&ws.id).await.unwrap();
    assert_eq!(before.project_name, None);

    std::fs::create_dir_all(repo.join("dbt/models")).unwrap();
    std::fs::write(
        repo.join("dbt/dbt_project.yml"),
        "name: warehouse\nversion: \"1.0\"\nprofile: warehouse\n",
    )
    .unwrap();
    std::fs::write(repo.join("dbt/models/orders.sql"), "select 1 as id").unwrap();

    let refused = studio
        .domains()
        .set_project_dir(&ws.id, "nowhere")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    let set = studio
        .domains()
        .set_project_dir(&ws.id, "dbt/")
        .await
        .unwrap();
    assert_eq!((set.project_dir.as_str(), set.problem), ("dbt", None));
    let after = studio.domains().domain_summary(&ws.id).await.unwrap();
    assert_eq!(after.project_name.as_deref(), Some("warehouse"));
    let models = after
        .counts
        .iter()
        .find(|c| c.kind == vibedata_protocol::NodeKind::Model)
        .map(|c| c.count);
    assert_eq!(models, Some(1), "{after:?}");

    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    assert_eq!(
        studio
            .domains()
            .set_project_dir(&demo.id, "models")
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput)
    );
}
