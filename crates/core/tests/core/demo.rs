use crate::fresh_paths;
use vibedata_core::platform::store::Store;
use vibedata_core::platform::venv::Venv;
use vibedata_core::workspaces::demo::{self, CloneOutcome, DEMO_NAME, WarehouseOutcome};
use vibedata_core::workspaces::registry as workspace;

fn require_venv(venv: &Venv) {
    if let Err(e) = venv.check() {
        panic!("these tests run the real dbt: {e}");
    }
}

#[test]
fn the_demo_domain_builds_with_the_real_dbt() {
    let (_dir, paths) = fresh_paths();
    let venv = Venv::new(&paths.venv);
    require_venv(&venv);
    let store = Store::open(&paths.database()).unwrap();
    let report = demo::ensure(&paths, &store).unwrap();
    assert_eq!(report.clone, CloneOutcome::Created);
    match &report.warehouse {
        WarehouseOutcome::Loaded { rows } => {
            let total: u64 = rows.iter().map(|(_, n)| n).sum();
            assert_eq!(
                total as usize,
                demo::sample_data::ACCOUNTS
                    + demo::sample_data::CONTACTS
                    + demo::sample_data::OPPORTUNITIES,
                "every sample row lands in bronze: {rows:?}"
            );
        }
        other => panic!("the warehouse must load on first start: {other:?}"),
    }
    let run = venv.dbt(&report.workspace.path, &["build"]).unwrap();
    assert!(
        run.success,
        "dbt build of the demo must pass\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("ERROR=0") && run.stdout.contains("PASS="),
        "dbt reports its summary: {}",
        run.stdout
    );
    // dbt build must not leave the clone dirty: its outputs are ignored by git.
    let repo = git2::Repository::open(&report.workspace.path).unwrap();
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).include_ignored(false);
    let dirty: Vec<String> = repo
        .statuses(Some(&mut options))
        .unwrap()
        .iter()
        .filter_map(|s| s.path().map(str::to_owned))
        .collect();
    assert!(dirty.is_empty(), "dbt build left files git sees: {dirty:?}");
}

#[test]
fn ensuring_twice_changes_nothing_and_keeps_the_id() {
    let (_dir, paths) = fresh_paths();
    require_venv(&Venv::new(&paths.venv));
    let store = Store::open(&paths.database()).unwrap();
    let first = demo::ensure(&paths, &store).unwrap();
    let head = workspace::read_head(&first.workspace.path).unwrap();
    let second = demo::ensure(&paths, &store).unwrap();
    assert_eq!(second.clone, CloneOutcome::AlreadyThere);
    assert_eq!(second.warehouse, WarehouseOutcome::AlreadyLoaded);
    assert_eq!(first.workspace.id, second.workspace.id);
    assert_eq!(workspace::read_head(&second.workspace.path).unwrap(), head);
}

#[test]
fn the_demo_commit_is_the_same_on_every_machine_and_pushed_to_origin() {
    let (_a, paths_a) = fresh_paths();
    let (_b, paths_b) = fresh_paths();
    let head = |paths: &vibedata_core::Paths| {
        let store = Store::open(&paths.database()).unwrap();
        let ws = demo::ensure(paths, &store).unwrap().workspace;
        let (branch, commit) = workspace::read_head(&ws.path).unwrap();
        assert_eq!(branch.as_deref(), Some("main"));
        let origin =
            git2::Repository::open_bare(paths.workspace_root.join("demo-crm-origin.git")).unwrap();
        let pushed = origin.refname_to_id("refs/heads/main").unwrap();
        let commit = commit.unwrap();
        assert_eq!(
            pushed.to_string(),
            commit.id,
            "the origin has the demo commit"
        );
        commit.id
    };
    assert_eq!(head(&paths_a), head(&paths_b));
}

#[test]
fn a_deleted_clone_comes_back_from_its_origin_with_pushed_work() {
    let (_dir, paths) = fresh_paths();
    require_venv(&Venv::new(&paths.venv));
    let store = Store::open(&paths.database()).unwrap();
    let ws = demo::ensure(&paths, &store).unwrap().workspace;

    // Someone commits and pushes work, then deletes the clone.
    let repo = git2::Repository::open(&ws.path).unwrap();
    std::fs::write(ws.path.join("NOTES.md"), "pushed work\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new("NOTES.md")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Ada", "ada@example.com").unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, "notes", &tree, &[&parent])
        .unwrap();
    repo.find_remote("origin")
        .unwrap()
        .push(&["refs/heads/main:refs/heads/main"], None)
        .unwrap();
    std::fs::remove_dir_all(&ws.path).unwrap();

    let report = demo::ensure(&paths, &store).unwrap();
    assert_eq!(report.clone, CloneOutcome::ClonedFromOrigin);
    assert!(matches!(report.warehouse, WarehouseOutcome::Loaded { .. }));
    assert_eq!(report.workspace.id, ws.id, "the registration is kept");
    let (_, commit) = workspace::read_head(&report.workspace.path).unwrap();
    assert_eq!(commit.unwrap().id, oid.to_string());
}

#[test]
fn a_foreign_folder_in_the_way_is_never_overwritten() {
    let (_dir, paths) = fresh_paths();
    let target = paths.workspace_root.join(DEMO_NAME);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("mine.txt"), "keep me").unwrap();
    let store = Store::open(&paths.database()).unwrap();
    let err = demo::ensure(&paths, &store).unwrap_err();
    assert!(err.to_string().contains("move it aside"), "{err}");
    assert_eq!(
        std::fs::read_to_string(target.join("mine.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn without_a_venv_the_clone_is_made_and_the_warehouse_problem_explained() {
    let dir = tempfile::tempdir().unwrap();
    let paths = vibedata_core::Paths::under(dir.path(), dir.path().join("no-venv"));
    let store = Store::open(&paths.database()).unwrap();
    let report = demo::ensure(&paths, &store).unwrap();
    match &report.warehouse {
        WarehouseOutcome::NotLoaded { reason } => {
            assert!(reason.contains("scripts/setup.sh"), "{reason}")
        }
        other => panic!("expected NotLoaded, got {other:?}"),
    }
    let dto = workspace::describe(&report.workspace);
    assert!(
        dto.problem.unwrap().contains("warehouse"),
        "the Domains page explains the missing warehouse"
    );
}

#[test]
fn a_deleted_warehouse_is_reloaded_from_the_committed_sample() {
    let (_dir, paths) = fresh_paths();
    require_venv(&Venv::new(&paths.venv));
    let store = Store::open(&paths.database()).unwrap();
    let ws = demo::ensure(&paths, &store).unwrap().workspace;
    std::fs::remove_file(ws.warehouse()).unwrap();
    let report = demo::ensure(&paths, &store).unwrap();
    assert_eq!(report.clone, CloneOutcome::AlreadyThere);
    assert!(
        matches!(report.warehouse, WarehouseOutcome::Loaded { .. }),
        "{:?}",
        report.warehouse
    );
    assert!(ws.warehouse().is_file());
}
