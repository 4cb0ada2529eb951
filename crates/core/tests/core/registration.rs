//! Registering repositories through the Studio: file:// URLs are cloned with progress, folders are
//! registered in place, and unusable input is refused with the reason.

use std::sync::{Arc, Mutex};

use crate::fresh_paths;
use crate::git::{origin, url};
use vibedata_core::Studio;
use vibedata_protocol::{AddWorkspaceDto, WorkspaceKind};

fn request(source: String, name: Option<&str>) -> AddWorkspaceDto {
    AddWorkspaceDto {
        source,
        name: name.map(str::to_string),
        kind: WorkspaceKind::Domain,
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
    let reports = reports.lock().unwrap();
    let last = reports.last().expect("clone progress is reported");
    assert!(last.total_objects > 0 && last.received_objects == last.total_objects);

    let again = studio
        .add_workspace(request(url(&origin), None), |_| {})
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already registered"), "{again}");

    let folder = studio
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
    let https = studio
        .add_workspace(
            request("https://github.com/acme/crm.git".into(), None),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(https.to_string().contains("file://"), "{https}");
}
