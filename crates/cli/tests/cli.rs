//! The `vibedata` binary as scripts meet it: exit codes, JSON output, messages naming files.

// Test code: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use vibedata_fakes::secrets::{assert_none_on_disk, files_holding};

fn vibedata(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vibedata"))
        .args(args)
        .env("VIBEDATA_DATA_DIR", data.join("data"))
        .env("VIBEDATA_WORKSPACE_ROOT", data.join("workspaces"))
        .env("VIBEDATA_VENV", data.join("no-venv"))
        .output()
        .expect("the binary runs")
}

#[test]
fn skills_check_exits_1_and_names_the_malformed_file() {
    let dir = tempfile::tempdir().unwrap();
    let skill = dir.path().join("Bad_Name");
    std::fs::create_dir(&skill).unwrap();
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: Bad_Name\ndescription: x\n---\n",
    )
    .unwrap();
    let out = vibedata(
        dir.path(),
        &["skills", "check", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Bad_Name/SKILL.md"), "{stdout}");
}

#[test]
fn skills_check_passes_on_the_seeded_skills() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibedata(dir.path(), &["skills", "check", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["skills"].as_array().unwrap().len() >= 3);
}

#[test]
fn status_json_reports_the_overridden_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibedata(dir.path(), &["status", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let db = dir.path().join("data/studio.sqlite3");
    assert_eq!(json["database"], db.to_str().unwrap());
    assert!(
        json["venv"]["problem"]
            .as_str()
            .unwrap()
            .contains("scripts/setup.sh")
    );
}

#[test]
fn demo_init_without_a_venv_creates_the_clone_but_exits_1_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibedata(dir.path(), &["demo", "init"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an incomplete demo is not success"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("created"), "{stdout}");
    assert!(stdout.contains("NOT loaded"), "{stdout}");
    assert!(dir.path().join("workspaces/demo-crm/.git").is_dir());
}

#[test]
fn a_corrupt_database_fails_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/studio.sqlite3"),
        b"garbage".repeat(1000),
    )
    .unwrap();
    let out = vibedata(dir.path(), &["workspaces"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("studio.sqlite3") && stderr.contains("damaged"),
        "{stderr}"
    );
}

#[test]
fn index_prints_a_summary_and_exits_1_on_error_problems() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    vibedata_core::dbt_index::synthetic::write_feature_tour(&project).unwrap();
    let out = vibedata(dir.path(), &["index", project.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "a clean project exits 0: {stdout}");
    assert!(
        stdout.contains("project tour") && stdout.contains("coverage: docs"),
        "{stdout}"
    );
    assert!(stdout.contains("problems: 0 errors"), "{stdout}");

    std::fs::write(
        project.join("models/broken.sql"),
        "select 1\nfrom {{ ref('missing') }}\n",
    )
    .unwrap();
    let out = vibedata(dir.path(), &["index", project.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unknown ref is an error-level problem"
    );
    assert!(
        stdout.contains("models/broken.sql:2  unknown_ref"),
        "the problem has its file and line: {stdout}"
    );
}

#[test]
fn index_json_has_manifest_shaped_nodes_and_parent_map() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    vibedata_core::dbt_index::synthetic::write_feature_tour(&project).unwrap();
    let out = vibedata(dir.path(), &["index", project.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let orders = &json["nodes"]["model.tour.orders"];
    assert_eq!(orders["resource_type"], "model");
    assert_eq!(
        json["parent_map"]["model.tour.orders"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(
        json["nodes"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("test.tour.not_null_orders_order_id.")),
        "generic tests carry dbt's ids"
    );
    assert!(json["sources"]["source.tour.shop.raw_orders"].is_object());
    assert!(json["unit_tests"]["unit_test.tour.orders.orders_keep_amounts"].is_object());
}

#[test]
fn index_compare_reports_differences_with_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    vibedata_core::dbt_index::synthetic::write_feature_tour(&project).unwrap();
    let out = vibedata(dir.path(), &["index", project.to_str().unwrap(), "--json"]);
    let mut manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest_path = dir.path().join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let same = vibedata(
        dir.path(),
        &[
            "index",
            project.to_str().unwrap(),
            "--compare",
            manifest_path.to_str().unwrap(),
        ],
    );
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    manifest["parent_map"]["model.tour.orders"] = serde_json::json!([]);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let differs = vibedata(
        dir.path(),
        &[
            "index",
            project.to_str().unwrap(),
            "--compare",
            manifest_path.to_str().unwrap(),
        ],
    );
    assert_eq!(differs.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&differs.stdout).contains("parent_map[model.tour.orders]"));
}

#[test]
fn index_of_a_missing_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibedata(dir.path(), &["index", "/no/such/project"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a folder"));
}

#[test]
fn audit_verify_passes_then_names_the_edited_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/studio.sqlite3");
    {
        let store = vibedata_core::platform::store::Store::open(&db).unwrap();
        for i in 0..4 {
            vibedata_core::governance::audit::append(
                &store,
                1_767_225_600 + i,
                "agent:build",
                "tool_executed",
                "write_file",
                &serde_json::json!({"n": i}),
            )
            .unwrap();
        }
    }
    let ok = vibedata(dir.path(), &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 4 records"));
    {
        let store = vibedata_core::platform::store::Store::open(&db).unwrap();
        store
            .with(|c| {
                c.execute_batch("DROP TRIGGER audit_log_no_update;")?;
                c.execute(
                    "UPDATE audit_log SET subject = 'read_file' WHERE seq = 2",
                    [],
                )
            })
            .unwrap();
    }
    let broken = vibedata(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(broken.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(v["broken"][0], 2, "the edited record is named: {v}");
}

/// Runs `vibedata` inside a private D-Bus session with an unlocked gnome-keyring: a real Secret
/// Service. It must succeed; its stdout and stderr come back. `None` when this machine has neither
/// tool — only outside CI: the setup script installs both, so in CI their absence fails the test.
fn with_secret_service(data: &Path, script: &str, secret: &str) -> Option<(String, String)> {
    let available = ["dbus-run-session", "gnome-keyring-daemon"]
        .iter()
        .all(|tool| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {tool}"))
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "dbus-run-session and gnome-keyring-daemon are missing: run scripts/setup.sh test"
        );
        eprintln!(
            "no dbus-run-session/gnome-keyring-daemon here: the real keychain test cannot run"
        );
        return None;
    }
    let wrapper = format!(
        "echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; {script}"
    );
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &wrapper])
        .env("VIBEDATA", env!("CARGO_BIN_EXE_vibedata"))
        .env("SECRET", secret)
        .env("VIBEDATA_DATA_DIR", data.join("data"))
        .env("VIBEDATA_WORKSPACE_ROOT", data.join("workspaces"))
        .env("VIBEDATA_VENV", data.join("no-venv"))
        .env("HOME", data)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    Some((stdout, stderr))
}

/// [`with_secret_service`] from async tests (the fakes they talk to keep running meanwhile).
async fn with_secret_service_async(data: &Path, script: String) -> Option<(String, String)> {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || with_secret_service(&data, &script, "unused"))
        .await
        .unwrap()
}

#[test]
fn credentials_round_trip_through_a_real_secret_service_and_never_touch_disk() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "sk-canary-3b7f1e-real-keychain";
    let script = r#"printf %s "$SECRET" | "$VIBEDATA" credentials set foundry-api-key && "$VIBEDATA" credentials check foundry-api-key && "$VIBEDATA" credentials delete foundry-api-key && "$VIBEDATA" credentials check foundry-api-key"#;
    let Some((stdout, _)) = with_secret_service(dir.path(), script, secret) else {
        return;
    };
    assert!(
        stdout.contains("foundry-api-key: present")
            && stdout.ends_with("foundry-api-key: absent\n"),
        "{stdout}"
    );
    assert!(!stdout.contains(secret), "the value is never printed");
    // The keyring keeps its own encrypted file under HOME; the app's data dir never holds the secret.
    let found = files_holding(&dir.path().join("data"), &[secret]);
    assert!(found.is_empty(), "the secret is on disk: {found:?}");
}

#[test]
fn without_a_keychain_the_error_says_so_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vibedata"))
        .args(["credentials", "set", "foundry-api-key"])
        .env("VIBEDATA_DATA_DIR", dir.path().join("data"))
        .env("VIBEDATA_VENV", dir.path().join("no-venv"))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", dir.path().display()),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"sk-never-on-disk-1234")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keychain is not available"), "{stderr}");
    let found = files_holding(&dir.path().join("data"), &["sk-never-on-disk-1234"]);
    assert!(found.is_empty(), "no plaintext fallback: {found:?}");
}

#[test]
fn autonomy_grants_are_a_persons_audited_decision() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibedata(dir.path(), &["autonomy", "demo-crm", "write_file", "L3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("write_file is now L3 on demo-crm"));
    let bad = vibedata(dir.path(), &["autonomy", "demo-crm", "write_file", "L9"]);
    assert_eq!(bad.status.code(), Some(1));
    let verify = vibedata(dir.path(), &["audit", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(v["records"], 1, "the grant is in the audit log: {v}");
}

#[test]
fn audit_verify_on_a_real_agent_session_then_after_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let paths = vibedata_core::Paths::under(dir.path(), dir.path().join("no-venv"));
    let db = paths.database();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let studio = vibedata_core::Studio::open(paths).await.unwrap();
        let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let session = studio
            .agents()
            .start_session(&demo.id, "Add a summary.".into(), move |e| drop(tx.send(e)))
            .await
            .unwrap();
        while let Some(event) = rx.recv().await {
            match event {
                vibedata_protocol::SessionEventDto::ApprovalNeeded { call_id, .. } => studio
                    .agents()
                    .decide_approval(&session.id, &call_id, true, None)
                    .unwrap(),
                vibedata_protocol::SessionEventDto::Finished { status, .. } => {
                    assert_eq!(status, vibedata_protocol::SessionStatus::Completed);
                    break;
                }
                _ => {}
            }
        }
    });
    let ok = vibedata(dir.path(), &["audit", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(
        ok.status.success() && v["records"].as_u64().unwrap() >= 4,
        "session start, tool runs and the approval are audited: {v}"
    );
    {
        let store = vibedata_core::platform::store::Store::open(&db).unwrap();
        store
            .with(|c| {
                c.execute_batch("DROP TRIGGER audit_log_no_update;")?;
                c.execute(
                    "UPDATE audit_log SET action = 'denied' WHERE action = 'approved'",
                    [],
                )
            })
            .unwrap();
    }
    let broken = vibedata(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(
        out.contains("BROKEN at record") && out.contains("was altered"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_device_login_keeps_the_token_in_the_keychain_and_logout_removes_it() {
    use vibedata_fakes::github::{FakeGitHub, Poll};
    let fake = FakeGitHub::start().await;
    fake.script(&[
        Poll::Pending,
        Poll::Tokens {
            access: "ghu_canary_device_token".into(),
            refresh: Some("ghr_canary_refresh".into()),
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.base_url();
    let script = format!(
        r#""$VIBEDATA" github login --client-id Iv1.test --base-url {url} --api-url {url} && "$VIBEDATA" github accounts && "$VIBEDATA" github logout octo-analyst && "$VIBEDATA" github accounts --json"#
    );
    let Some((stdout, stderr)) = with_secret_service_async(dir.path(), script).await else {
        return;
    };
    assert!(
        stderr.contains("enter the code WDJB-MJHT"),
        "the person is shown the code: {stderr}"
    );
    assert!(
        stdout.contains(&format!("signed in to {url} as octo-analyst")),
        "{stdout}"
    );
    assert!(
        stdout.contains("octo-analyst signed out") && stdout.trim_end().ends_with("[]"),
        "{stdout}"
    );
    for secret in ["ghu_canary_device_token", "ghr_canary_refresh"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a token was printed"
        );
        let found = files_holding(&dir.path().join("data"), &[secret]);
        assert!(found.is_empty(), "a token is on disk: {found:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_personal_access_token_is_refused_and_not_stored() {
    let fake = vibedata_fakes::github::FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = fake.base_url();
    let data = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vibedata"))
            .args(["github", "token", "--base-url", &url, "--api-url", &url])
            .env("VIBEDATA_DATA_DIR", data.join("data"))
            .env("VIBEDATA_VENV", data.join("no-venv"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"ghp_revoked_canary_token")
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused the token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_none_on_disk(&dir.path().join("data"), &["ghp_revoked_canary_token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_github_app_token_is_refreshed_and_the_new_pair_replaces_the_old() {
    use vibedata_fakes::github::{FakeGitHub, Poll};
    let fake = FakeGitHub::start().await;
    fake.add_issues("acme/incidents", 3);
    fake.set_token_lifetime(1); // every command finds the token about to expire
    fake.script(&[
        Poll::Pending,
        Poll::Tokens {
            access: "ghu_canary_first_access".into(),
            refresh: Some("ghr_canary_first_refresh".into()),
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.base_url();
    // Two syncs: the second can only refresh with the pair the first one stored (a refresh
    // token is good once, and the first access token stops working when it is refreshed).
    let script = format!(
        r#""$VIBEDATA" github login --client-id Iv1.test --base-url {url} --api-url {url} && "$VIBEDATA" inbox follow acme/incidents && "$VIBEDATA" inbox sync && "$VIBEDATA" inbox sync && "$VIBEDATA" inbox list"#
    );
    let Some((stdout, _)) = with_secret_service_async(dir.path(), script).await else {
        return;
    };
    assert_eq!(
        fake.refreshes(),
        2,
        "each sync refreshed the expiring token"
    );
    assert!(stdout.contains("3 issues"), "{stdout}");
    let found = files_holding(
        &dir.path().join("data"),
        &[
            "ghu_canary_first_access",
            "ghr_canary_first_refresh",
            "ghu_refreshed_",
            "ghr_refreshed_",
        ],
    );
    assert!(found.is_empty(), "tokens on disk: {found:?}");
}

/// `workspaces set-project <name> [dir]` says where a workspace's dbt project is (JSON: the
/// workspace as listed, with `project_dir`); a folder without a project, or a repository with
/// several when none is given, is refused with exit 1 and the reason.
#[test]
fn workspaces_set_project_points_a_workspace_at_its_dbt_project() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repos/analytics");
    for folder in ["legacy", "transform"] {
        std::fs::create_dir_all(repo.join(folder)).unwrap();
        std::fs::write(
            repo.join(folder).join("dbt_project.yml"),
            format!("name: {folder}\nversion: \"1.0\"\nprofile: {folder}\n"),
        )
        .unwrap();
    }
    let init = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status()
        .unwrap();
    assert!(init.success());
    let paths = vibedata_core::Paths::under(dir.path(), dir.path().join("no-venv"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let studio = vibedata_core::Studio::open(paths).await.unwrap();
        studio
            .workspaces()
            .add_workspace(
                vibedata_protocol::AddWorkspaceDto {
                    source: repo.display().to_string(),
                    name: Some("analytics".into()),
                    kind: vibedata_protocol::WorkspaceKind::Domain,
                    project_dir: Some("legacy".into()),
                },
                |_| {},
            )
            .await
            .unwrap();
    });
    let set = vibedata(
        dir.path(),
        &[
            "workspaces",
            "set-project",
            "analytics",
            "transform",
            "--json",
        ],
    );
    assert!(set.status.success(), "{set:?}");
    let v: serde_json::Value = serde_json::from_slice(&set.stdout).unwrap();
    assert_eq!(v["project_dir"], "transform", "{v}");
    let missing = vibedata(
        dir.path(),
        &["workspaces", "set-project", "analytics", "docs"],
    );
    assert_eq!(missing.status.code(), Some(1));
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("docs"), "{said}");
    let ambiguous = vibedata(dir.path(), &["workspaces", "set-project", "analytics"]);
    assert_eq!(ambiguous.status.code(), Some(1));
    let said = String::from_utf8_lossy(&ambiguous.stderr);
    assert!(said.contains("several dbt projects"), "{said}");
    let listed = vibedata(dir.path(), &["workspaces", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let analytics = v
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "analytics")
        .unwrap();
    assert_eq!(
        analytics["project_dir"], "transform",
        "a refusal changed nothing"
    );
}

/// `vibedata review <repo> --base --head --json`: the JSON contract CI relies on — `changed[]`
/// (`unique_id`, `change`, `category`, `columns.added/removed/modified`), `impacted[]`,
/// `contract_breaks[]` (`unique_id`, `column`, `kind`); a revision that does not exist is exit 1
/// with its name.
#[test]
fn review_json_says_what_a_branch_changes() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        git init -q -b main shop && cd shop && mkdir models
        printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
        echo "select 1 as id, 2 as amount" > models/stg.sql
        echo "select id, amount from {{ ref('stg') }}" > models/mart.sql
        printf 'version: 2\nmodels:\n  - name: mart\n    config: {contract: {enforced: true}}\n    columns: [{name: id, data_type: int}, {name: amount, data_type: int}]\n' > models/_m.yml
        git add . && git commit -q -m base && git checkout -q -b feature
        echo "select 1 as id" > models/stg.sql
        printf 'version: 2\nmodels:\n  - name: mart\n    config: {contract: {enforced: true}}\n    columns: [{name: id, data_type: int}]\n' > models/_m.yml
        git commit -qam change
    "#;
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(ok.success());
    let repo = dir.path().join("shop").display().to_string();
    let out = vibedata(
        dir.path(),
        &[
            "review", &repo, "--base", "main", "--head", "feature", "--json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stg = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unique_id"] == "model.shop.stg")
        .unwrap();
    assert_eq!(stg["change"], "modified");
    assert_eq!(stg["category"], "partial_breaking");
    assert_eq!(stg["columns"]["removed"], serde_json::json!(["amount"]));
    assert_eq!(stg["columns"]["added"], serde_json::json!([]));
    assert!(v["impacted"].as_array().is_some());
    let breaks = v["contract_breaks"].as_array().unwrap();
    assert!(
        breaks.iter().any(|b| b["unique_id"] == "model.shop.mart"
            && b["column"] == "amount"
            && b["kind"] == "removed"),
        "{v}"
    );
    let missing = vibedata(
        dir.path(),
        &[
            "review", &repo, "--base", "main", "--head", "gone", "--json",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("gone"));
}

/// `vibedata review … --data --json`: both sides built on DuckDB (the seed loaded by the base, the
/// head deferring to it) and the changed model's data diffed by its declared key, in `data`.
#[test]
fn review_data_builds_both_sides_and_diffs_the_changed_model() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
        set -e
        export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
        git init -q -b main shop && cd shop && mkdir models seeds
        printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
        printf 'shop:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: .vibedata/local/warehouse.duckdb\n      threads: 1\n' > profiles.yml
        printf 'id,amount\n1,10\n2,20\n3,30\n4,0\n' > seeds/raw_orders.csv
        echo "select id, amount from {{ ref('raw_orders') }}" > models/stg_orders.sql
        printf 'version: 2\nmodels:\n  - name: stg_orders\n    columns:\n      - name: id\n        data_tests: [unique]\n' > models/_m.yml
        git add . && git commit -q -m base && git checkout -q -b feature
        echo "select id, amount * 100 as amount from {{ ref('raw_orders') }}" > models/stg_orders.sql
        git commit -qam cents && git checkout -q main
    "#;
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(ok.success());
    let repo = dir.path().join("shop").display().to_string();
    // The shared venv the setup script built (as the core's tests use it).
    let mut command = Command::new(env!("CARGO_BIN_EXE_vibedata"));
    command
        .args([
            "review", &repo, "--base", "main", "--head", "feature", "--data", "--json",
        ])
        .env("VIBEDATA_DATA_DIR", dir.path().join("data"))
        .env("VIBEDATA_WORKSPACE_ROOT", dir.path().join("workspaces"));
    let out = command.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["changed"].as_array().is_some(),
        "the review is still there"
    );
    let models = v["data"]["models"].as_array().unwrap();
    let stg = models
        .iter()
        .find(|m| m["unique_id"] == "model.shop.stg_orders")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(stg["key"], serde_json::json!(["id"]), "{stg}");
    assert!(
        stg["key_evidence"].as_str().unwrap().contains("unique"),
        "{stg}"
    );
    assert_eq!(
        (stg["base_rows"].as_u64(), stg["head_rows"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(stg["changed_rows"], 3, "amount 0 stays 0: {stg}");
    assert_eq!(v["data"]["build_failures"], serde_json::json!([]));
}

/// `vibedata alerts group --events … --manifest … --json`: the contract — `incidents[]` with
/// `id`, `events[]` (suppressed ones included) and `suppressed[]`; a test grouped with the model
/// it checks; an unreadable line said, the rest still grouped; a duplicate counted once.
#[test]
fn alerts_group_json_groups_by_lineage_and_says_what_it_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"id":"e1","at":"2026-11-30T08:00:00Z","kind":"model_error","node":"model.shop.stg_orders","severity":"error","message":"boom","correlation_id":"run-1"}"#, "\n",
            r#"{"id":"e2","at":"2026-11-30T08:00:05Z","kind":"test_failure","node":"test.shop.not_null_orders_id.a1","severity":"error","message":"3 rows"}"#, "\n",
            r#"{"id":"e2","at":"2026-11-30T08:00:05Z","kind":"test_failure","node":"test.shop.not_null_orders_id.a1","severity":"error","message":"3 rows"}"#, "\n",
            "{not json\n",
            r#"{"id":"e3","at":"2026-11-30T08:00:09Z","kind":"test_failure","node":"test.shop.unique_customers_id.b2","severity":"warn","message":"1 row"}"#, "\n",
        ),
    )
    .unwrap();
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        serde_json::json!({
            "nodes": {
                "test.shop.not_null_orders_id.a1": {"attached_node": "model.shop.orders", "depends_on": {"nodes": ["model.shop.orders"]}},
                "test.shop.unique_customers_id.b2": {"attached_node": "model.shop.customers", "depends_on": {"nodes": ["model.shop.customers"]}}
            },
            "parent_map": {
                "model.shop.stg_orders": [],
                "model.shop.orders": ["model.shop.stg_orders"],
                "model.shop.customers": [],
                "test.shop.not_null_orders_id.a1": ["model.shop.orders"],
                "test.shop.unique_customers_id.b2": ["model.shop.customers"]
            }
        })
        .to_string(),
    )
    .unwrap();
    let out = vibedata(
        dir.path(),
        &[
            "alerts",
            "group",
            "--events",
            events.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2, "{v}");
    assert_eq!(incidents[0]["events"], serde_json::json!(["e1", "e2"]));
    assert_eq!(incidents[0]["suppressed"], serde_json::json!(["e2"]));
    assert!(
        incidents[0]["id"]
            .as_str()
            .unwrap()
            .starts_with("model.shop.stg_orders@")
    );
    assert_eq!(incidents[1]["root"], "model.shop.customers");
    assert_eq!(incidents[1]["severity"], "warning");
    assert_eq!(v["duplicates"], 1);
    assert_eq!(v["unreadable"][0]["line"], 4);
    let missing = vibedata(
        dir.path(),
        &["alerts", "group", "--events", "/no/such.jsonl"],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such.jsonl"));
}

/// `vibedata monitor score --series … --json`: every point with `at`, `value`, `expected`,
/// `low`, `high`, `anomaly`; learning at first; the one spike flagged.
#[test]
fn monitor_score_json_flags_the_spike_with_its_band() {
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("rows.csv");
    let mut csv = String::from("at,value\n");
    // October, then nine days of November with a spike on the 6th: 40 days.
    for d in 0..31 {
        let value = 1_000 + (d * 37) % 50;
        csv.push_str(&format!("2026-10-{:02}T06:00:00Z,{value}\n", d + 1));
    }
    for d in 0..9 {
        let value = if d == 5 { 5_000 } else { 1_000 + (d * 37) % 50 };
        csv.push_str(&format!("2026-11-{:02}T06:00:00Z,{value}\n", d + 1));
    }
    std::fs::write(&series, csv).unwrap();
    let out = vibedata(
        dir.path(),
        &[
            "monitor",
            "score",
            "--series",
            series.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 40);
    assert_eq!(points[0]["status"], "learning");
    assert!(points[0]["expected"].is_null());
    let flagged: Vec<&str> = points
        .iter()
        .filter(|p| p["anomaly"] == true)
        .map(|p| p["at"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["2026-11-06T06:00:00Z"]);
    let spike = points.iter().find(|p| p["anomaly"] == true).unwrap();
    assert!(spike["high"].as_f64().unwrap() < 5_000.0 && spike["low"].as_f64().unwrap() > 0.0);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "at,value\n2026-11-01,1\n2026-11-02,lots\n").unwrap();
    let refused = vibedata(
        dir.path(),
        &["monitor", "score", "--series", bad.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 3"));
}

/// `vibedata alerts silence add|list|expire`: a silence with matchers and a reason, listed
/// active, expired on demand (and still listed); a matcher that would silence everything is
/// refused.
#[test]
fn alerts_silences_are_added_listed_and_expired() {
    let dir = tempfile::tempdir().unwrap();
    let added = vibedata(
        dir.path(),
        &[
            "alerts",
            "silence",
            "add",
            "--match",
            "node=model.shop.*",
            "--match",
            "kind=test_failure",
            "--hours",
            "1",
            "--comment",
            "vendor reload tonight",
            "--by",
            "grace",
            "--json",
        ],
    );
    assert!(added.status.success(), "{added:?}");
    let s: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["matchers"][0]["value"], "model.shop.*");
    let listed = vibedata(dir.path(), &["alerts", "silence", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v[0]["active"], true, "{v}");
    assert_eq!(v[0]["created_by"], "grace");
    let expired = vibedata(dir.path(), &["alerts", "silence", "expire", &id, "--json"]);
    assert!(expired.status.success(), "{expired:?}");
    let v: serde_json::Value = serde_json::from_slice(
        &vibedata(dir.path(), &["alerts", "silence", "list", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(v[0]["active"], false);
    let everything = vibedata(
        dir.path(),
        &[
            "alerts",
            "silence",
            "add",
            "--match",
            "node=*",
            "--comment",
            "x",
        ],
    );
    assert_eq!(everything.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&everything.stderr).contains("everything"));
}

/// `vibedata alerts run --load-info …`: a dlt load (recorded from dlt: a second load that added
/// a column) read without a dbt run — its schema change becomes an incident on the source that
/// reads the table.
#[test]
fn alerts_run_reads_a_dlt_load_and_names_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("crm");
    std::fs::create_dir_all(project.join("models")).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: crm\nversion: '1.0'\nprofile: crm\n",
    )
    .unwrap();
    std::fs::write(
        project.join("models/_sources.yml"),
        "version: 2\nsources:\n  - name: raw\n    schema: bronze\n    tables: [{name: accounts}]\n",
    )
    .unwrap();
    let info = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../monitor/tests/fixtures/dlt_load_info.json"
    );
    let out = vibedata(
        dir.path(),
        &[
            "alerts",
            "run",
            "--workspace",
            project.to_str().unwrap(),
            "--load-info",
            info,
            "--json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{v}");
    assert_eq!(incidents[0]["root"], "source.crm.raw.accounts");
    assert_eq!(incidents[0]["kinds"], serde_json::json!(["schema_change"]));
    assert!(v["repo"].is_null(), "no GitHub origin: kept here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fabric_sign_in_keeps_tokens_in_the_keychain_refreshes_them_and_a_revoked_grant_signs_out()
{
    use vibedata_fakes::entra::FakeEntra;
    use vibedata_fakes::fabric::FakeFabric;
    let (entra, fabric) = (FakeEntra::start().await, FakeFabric::start().await);
    fabric.add_workspaces(3);
    // Tokens that end within the refresh margin: every use refreshes (and rotates) first.
    entra.token_lifetime(60);
    let dir = tempfile::tempdir().unwrap();
    let env = format!(
        "export VIBEDATA_ENTRA_AUTHORITY={} VIBEDATA_FABRIC_API={};",
        entra.authority(),
        fabric.base_url()
    );
    // The person's browser: the authorize page (the fake consents), then back to the loopback.
    let script = format!(
        r#"{env} "$VIBEDATA" fabric settings --tenant contoso.onmicrosoft.com --client-id 0b1c2d3e-app >/dev/null &&
("$VIBEDATA" fabric sign-in > signin.out 2> signin.err &) ;
for i in $(seq 200); do url=$(grep -o 'http://[^ ]*authorize[^ ]*' signin.err); [ -n "$url" ] && break; sleep 0.05; done;
curl -s -L "$url" > browser.txt;
for i in $(seq 200); do grep -q signed signin.out && break; sleep 0.05; done;
cat signin.out browser.txt; "$VIBEDATA" fabric status --json > status.json &&
"$VIBEDATA" fabric workspaces --json > first.json && "$VIBEDATA" fabric workspaces --json > second.json"#
    );
    let data = dir.path().to_path_buf();
    let run = |script: String| {
        let data = data.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let wrapped = format!("cd {} && {script}", data.display());
                with_secret_service(&data, &wrapped, "unused")
            })
            .await
            .unwrap()
        }
    };
    let Some((stdout, _)) = run(script).await else {
        return;
    };
    assert!(
        stdout.contains("signed in to Fabric (and Foundry)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Signed in. You can close this tab"),
        "{stdout}"
    );
    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("status.json")).unwrap())
            .unwrap();
    assert_eq!(status["signed_in"], true);
    assert_eq!(status["foundry_token"], true);
    for f in ["first.json", "second.json"] {
        let listed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(f)).unwrap()).unwrap();
        assert_eq!(listed["live"], true, "{f}: {listed}");
        assert_eq!(listed["workspaces"].as_array().unwrap().len(), 3);
    }
    // Each use refreshed with the newest refresh token (the rotated one was kept each time).
    let refreshes = entra
        .requests()
        .iter()
        .filter(|r| r.body.contains("grant_type=refresh_token"))
        .count();
    assert!(refreshes >= 3, "{refreshes} refreshes");
    assert_eq!(entra.live_refresh_tokens(), 1, "one live refresh token");
    // No token in the data dir: the SQLite file, its WAL, the logs.
    let tokens: Vec<String> = fabric
        .requests()
        .iter()
        .filter_map(|r| {
            r.header("authorization")
                .map(|a| a.trim_start_matches("Bearer ").to_string())
        })
        .collect();
    let refresh: Vec<String> = (1..40).map(|n| format!("entra-refresh-{n}")).collect();
    let all: Vec<&str> = tokens
        .iter()
        .chain(refresh.iter())
        .map(String::as_str)
        .collect();
    assert!(!all.is_empty());
    assert_none_on_disk(&dir.path().join("data"), &all);

    // The grant is revoked: the next use says to sign in again, and the tokens are forgotten.
    entra.revoke();
    let script = format!(
        r#"{env} "$VIBEDATA" fabric workspaces --json > revoked.json 2> revoked.err; "$VIBEDATA" fabric status --json"#
    );
    let (stdout, _) = run(script).await.unwrap();
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["signed_in"], false, "{stdout}");
    let listed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("revoked.json")).unwrap())
            .unwrap();
    assert_eq!(listed["live"], false);
    assert!(
        listed["problem"]
            .as_str()
            .unwrap()
            .contains("sign in to Fabric again"),
        "{listed}"
    );
}
