//! The `vibedata` binary as scripts meet it: exit codes, JSON output, messages naming files.

use std::path::Path;
use std::process::{Command, Output};

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
