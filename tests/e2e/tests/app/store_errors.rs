use vibedata_e2e::{App, DEFAULT_WAIT, Launch};

async fn launch_with_database(
    bytes: impl FnOnce(&std::path::Path),
) -> (tempfile::TempDir, Launch, App) {
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path());
    std::fs::create_dir_all(&launch.data_dir).unwrap();
    bytes(&launch.database());
    let app = App::launch(&launch).await.unwrap();
    (dir, launch, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_database_is_explained_with_its_file_name_and_left_untouched() {
    let garbage = b"not a database\n".repeat(4096);
    let (_dir, launch, app) =
        launch_with_database(|db| std::fs::write(db, &garbage).unwrap()).await;
    let message = app
        .wait_for_text("error-message", "damaged", DEFAULT_WAIT)
        .await
        .unwrap();
    assert!(
        message.contains(&launch.database().display().to_string()),
        "the message names the file: {message}"
    );
    let code = app
        .find("error")
        .await
        .unwrap()
        .attr("data-code")
        .await
        .unwrap();
    assert_eq!(code.as_deref(), Some("StoreCorrupt"));
    app.screenshot("store-corrupt").await.unwrap();
    app.close().await.unwrap();
    assert_eq!(
        std::fs::read(launch.database()).unwrap(),
        garbage,
        "the damaged file is never reset"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_version_is_refused_with_a_clear_message() {
    let (_dir, launch, app) = launch_with_database(|db| {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    })
    .await;
    let message = app
        .wait_for_text("error-message", "newer", DEFAULT_WAIT)
        .await
        .unwrap();
    assert!(
        message.contains(&launch.database().display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("999"),
        "the message says which version it found: {message}"
    );
    app.close().await.unwrap();
}
