//! Every IPC command is named in five places: its function in `src/commands/*.rs`, the handler
//! list in `src/main.rs`, the app manifest in `build.rs`, the grant in
//! `capabilities/default.json`, and the UI's typed call in `ui/src/api.rs` / `ui/src/api/*.rs`.
//! This test reads all five and fails, naming the command and the place, when they disagree.

// Test code: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
}

/// Words that follow `marker` up to the next non-identifier character, for each occurrence.
fn names_after(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .map(|(i, _)| {
            text[i + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The command functions: `#[tauri::command]` followed by `pub (async) fn name`.
fn defined() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in rust_files(&root().join("src/commands")) {
        let text = read(&file);
        for (i, _) in text.match_indices("#[tauri::command]") {
            let rest = &text[i..];
            let after = rest.find("fn ").map(|f| &rest[f + 3..]).unwrap_or_else(|| {
                panic!("a #[tauri::command] without a fn in {}", file.display())
            });
            names.insert(
                after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    names
}

fn handled() -> BTreeSet<String> {
    let text = read(&root().join("src/main.rs"));
    let start = text
        .find("generate_handler![")
        .unwrap_or_else(|| panic!("main.rs has no generate_handler!"));
    let list = &text[start..start + text[start..].find(']').unwrap_or(0)];
    list.split(',')
        .filter_map(|item| item.trim().rsplit("::").next().map(str::to_owned))
        .filter(|n| !n.is_empty() && !n.contains('['))
        .collect()
}

fn manifested() -> BTreeSet<String> {
    let text = read(&root().join("build.rs"));
    let start = text
        .find("let commands = &[")
        .unwrap_or_else(|| panic!("build.rs lists no commands"));
    let list = &text[start..start + text[start..].find("];").unwrap_or(0)];
    names_after(list, "\"")
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect()
}

fn granted() -> BTreeSet<String> {
    let text = read(&root().join("capabilities/default.json"));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("capabilities/default.json: {e}"));
    json["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("capabilities/default.json has no permissions"))
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

fn called_by_ui() -> BTreeSet<String> {
    let ui = root().join("../ui/src");
    let mut files = vec![ui.join("api.rs")];
    files.extend(rust_files(&ui.join("api")));
    let mut names = BTreeSet::new();
    for file in files {
        let text = read(&file);
        for (i, _) in text.match_indices("call(") {
            let rest = text[i + 5..].trim_start();
            if let Some(quoted) = rest.strip_prefix('"') {
                names.insert(quoted.chars().take_while(|c| *c != '"').collect());
            }
        }
    }
    names
}

#[test]
fn command_lists_agree() {
    let defined = defined();
    assert!(
        defined.len() > 40,
        "found only {} commands in src/commands",
        defined.len()
    );
    let places = [
        ("src/main.rs generate_handler!", handled()),
        ("build.rs app manifest", manifested()),
        ("capabilities/default.json", granted()),
        ("ui/src/api (call(\"…\"))", called_by_ui()),
    ];
    let mut problems = Vec::new();
    for (place, names) in &places {
        for missing in defined.difference(names) {
            problems.push(format!("{missing} is a command but not in {place}"));
        }
        for extra in names.difference(&defined) {
            problems.push(format!(
                "{extra} is in {place} but no command has that name"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the command lists disagree:\n{}",
        problems.join("\n")
    );
}
