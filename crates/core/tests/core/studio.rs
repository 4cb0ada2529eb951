use crate::fresh_paths;
use vibedata_core::{CoreError, Studio, app_status};
use vibedata_protocol::{ErrorCode, ErrorDto};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_workspaces_creates_the_demo_once_even_when_asked_concurrently() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let (a, b) = tokio::join!(
        studio.workspaces().list_workspaces(),
        studio.workspaces().list_workspaces()
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(a.len(), 1);
    let demo = &a[0];
    assert_eq!(demo.name, "demo-crm");
    assert_eq!(demo.branch.as_deref(), Some("main"));
    assert!(demo.last_commit.is_some());
    assert_eq!(
        demo.problem, None,
        "the demo is healthy: {:?}",
        demo.problem
    );
}

#[tokio::test]
async fn state_survives_a_restart_in_the_same_sqlite_file() {
    let (_dir, paths) = fresh_paths();
    let first = Studio::open(paths.clone())
        .await
        .unwrap()
        .workspaces()
        .list_workspaces()
        .await
        .unwrap();
    let again = Studio::open(paths)
        .await
        .unwrap()
        .workspaces()
        .list_workspaces()
        .await
        .unwrap();
    assert_eq!(first[0].id, again[0].id);
}

#[tokio::test]
async fn a_corrupt_database_becomes_a_boundary_error_naming_the_file() {
    let (_dir, paths) = fresh_paths();
    std::fs::create_dir_all(&paths.data_dir).unwrap();
    std::fs::write(paths.database(), vec![0xAB; 64 * 1024]).unwrap();
    let err = match Studio::open(paths.clone()).await {
        Err(e) => e,
        Ok(_) => panic!("a corrupt database must not open"),
    };
    assert!(matches!(err, CoreError::StoreCorrupt { .. }));
    let dto: ErrorDto = err.into();
    assert_eq!(dto.code, ErrorCode::StoreCorrupt);
    assert!(
        dto.message
            .contains(&paths.database().display().to_string())
    );
    // Status still answers, so the UI can explain where things are.
    let status = app_status(&paths).await.unwrap();
    assert_eq!(status.database, paths.database().display().to_string());
}

#[tokio::test]
async fn the_seeded_skills_are_listed() {
    let (_dir, paths) = fresh_paths();
    let skills = Studio::open(paths)
        .await
        .unwrap()
        .skills()
        .platform_skills()
        .await
        .unwrap();
    assert!(skills.problems.is_empty(), "{:?}", skills.problems);
    let names: Vec<&str> = skills.skills.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"dbt-modelling"), "{names:?}");
}
