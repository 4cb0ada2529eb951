//! Workspace git operations on real repositories built by a shell script with fixed authors and
//! dates, cloned and pushed over file://.

use std::path::{Path, PathBuf};
use std::process::Command;
use vibedata_core::workspaces::git::{self, Identity};
use vibedata_protocol::ErrorCode;

/// Builds `src` (two commits on main) and a bare `origin.git` cloned from it; returns origin.
pub fn origin(dir: &Path) -> PathBuf {
    let script = r##"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com
        export GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
        git init -q -b main src
        cd src
        mkdir models
        for i in $(seq 1 40); do echo "select $i as id" > models/m$i.sql; done
        git add . && git commit -q -m "forty models"
        echo "# demo" > README.md
        git add . && git commit -q -m "readme"
        cd ..
        git clone -q --bare src origin.git
    "##;
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success(), "the fixture script runs");
    dir.join("origin.git")
}

pub fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn analyst() -> Identity {
    Identity {
        name: "Grace Analyst".into(),
        email: "grace@example.com".into(),
    }
}

#[test]
fn clone_with_progress_then_intent_branch_commit_and_push_reach_the_bare_remote() {
    let dir = tempfile::tempdir().unwrap();
    let origin = origin(dir.path());
    let clone = dir.path().join("clones/crm");

    let mut reports = Vec::new();
    git::clone(&url(&origin), &clone, |p| reports.push(p)).unwrap();
    let last = reports.last().expect("progress is reported while cloning");
    assert!(last.total_objects > 0);
    assert_eq!(
        last.received_objects, last.total_objects,
        "the last report is complete"
    );
    assert!(
        !dir.path().join("clones/.crm.partial").exists(),
        "no scratch folder is left"
    );

    let branches = git::branches(&clone).unwrap();
    assert_eq!(branches.len(), 1);
    assert_eq!(branches[0].name, "main");
    assert!(branches[0].is_head);
    assert_eq!(branches[0].upstream.as_deref(), Some("origin/main"));
    assert_eq!(git::default_branch(&clone).unwrap(), "main");

    let name = git::create_intent_branch(&clone, "silver-customers").unwrap();
    assert_eq!(name, "intent/silver-customers");
    let head = git2::Repository::open(&clone).unwrap();
    assert_eq!(
        head.head().unwrap().shorthand(),
        Some("intent/silver-customers")
    );

    std::fs::write(
        clone.join("models/silver_customers.sql"),
        "select 1 as id\n",
    )
    .unwrap();
    std::fs::remove_file(clone.join("models/m1.sql")).unwrap();
    let oid = git::commit_all(&clone, "Add silver customers", &analyst()).unwrap();
    let commit = head
        .find_commit(git2::Oid::from_str(&oid).unwrap())
        .unwrap();
    assert_eq!(commit.author().name(), Some("Grace Analyst"));
    let tree = commit.tree().unwrap();
    assert!(
        tree.get_path(Path::new("models/silver_customers.sql"))
            .is_ok()
    );
    assert_eq!(
        tree.get_path(Path::new("models/m1.sql"))
            .map_err(|e| e.code())
            .err(),
        Some(git2::ErrorCode::NotFound),
        "deletions are committed"
    );

    git::push(&clone, &name).unwrap();
    let bare = git2::Repository::open_bare(&origin).unwrap();
    assert_eq!(
        bare.refname_to_id("refs/heads/intent/silver-customers")
            .unwrap()
            .to_string(),
        oid,
        "the bare remote has the commit"
    );
    let tracked = git::branches(&clone).unwrap();
    let intent = tracked.iter().find(|b| b.name == name).unwrap();
    assert_eq!(
        intent.upstream.as_deref(),
        Some("origin/intent/silver-customers")
    );
}

#[test]
fn an_intent_branch_is_refused_on_a_dirty_tree_or_a_bad_slug() {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("crm");
    git::clone(&url(&origin(dir.path())), &clone, |_| {}).unwrap();
    for bad in ["", "Has Space", "UPPER", "-lead", "../escape"] {
        assert_eq!(
            git::create_intent_branch(&clone, bad)
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::InvalidInput),
            "{bad:?} must be refused"
        );
    }
    std::fs::write(clone.join("README.md"), "edited\n").unwrap();
    let err = git::create_intent_branch(&clone, "ok-slug").unwrap_err();
    assert!(err.to_string().contains("uncommitted changes"), "{err}");
}

#[test]
fn nothing_to_commit_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("crm");
    git::clone(&url(&origin(dir.path())), &clone, |_| {}).unwrap();
    let err = git::commit_all(&clone, "empty", &analyst()).unwrap_err();
    assert!(err.to_string().contains("nothing to commit"), "{err}");
}

#[test]
fn a_stale_index_lock_is_explained_and_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("crm");
    git::clone(&url(&origin(dir.path())), &clone, |_| {}).unwrap();
    let lock = clone.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();

    let err = git::commit_all(&clone, "x", &analyst()).unwrap_err();
    assert!(err.to_string().contains("left over from a crash"), "{err}");
    assert!(lock.exists(), "the lock is never deleted by us");

    // While a process holds it open, the message says so instead.
    let _held = std::fs::File::open(&lock).unwrap();
    let err = git::check_index_lock(&clone).unwrap_err();
    assert!(
        err.to_string().contains(&std::process::id().to_string()),
        "the holder is named: {err}"
    );
}

#[test]
fn a_failed_clone_leaves_nothing_behind_and_an_existing_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("crm");
    let missing = dir.path().join("no-such-remote.git");
    assert_eq!(
        git::clone(&url(&missing), &dest, |_| {})
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::Git),
        "there is no repository to clone"
    );
    assert!(!dest.exists());
    assert!(!dir.path().join(".crm.partial").exists());

    std::fs::create_dir(&dest).unwrap();
    let err = git::clone(&url(&origin(dir.path())), &dest, |_| {}).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}
