//! The outbox's exactly-once promise under fire: `vibedata outbox replay` is SIGKILLed at random
//! points 200 times while the fake GitHub resets a quarter of the connections *after* applying
//! the write. Afterwards every queued write exists on GitHub exactly once.

// Test code: a failed unwrap is a failed run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use vibedata_core::github::outbox::{self, Write, marker};
use vibedata_core::platform::store::Store;
use vibedata_fakes::github::FakeGitHub;

const REPO: &str = "acme/incidents";
const TOKEN: &str = "ghp_crash_test_token_5f1e";

fn replay(data: &Path, api: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vibedata"))
        .args(["outbox", "replay"])
        .env("VIBEDATA_DATA_DIR", data)
        .env("VIBEDATA_WORKSPACE_ROOT", data.join("workspaces"))
        .env("VIBEDATA_VENV", data.join("no-venv"))
        .env("VIBEDATA_GITHUB_TOKEN", TOKEN)
        .env("VIBEDATA_GITHUB_API", api)
        .env("VIBEDATA_GITHUB_MUTATION_GAP_MS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sigkills_during_replay_lose_and_duplicate_nothing() {
    let fake = FakeGitHub::start().await;
    fake.add_issues(REPO, 12);
    fake.accept_token(TOKEN);
    fake.random_resets(250, 0x5eed);
    fake.set_latency(Duration::from_millis(8));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&data.join("studio.sqlite3")).unwrap();
    let mut rng = fastrand::Rng::with_seed(20261122);

    let (mut interrupted, mut expected_state) = (0, std::collections::HashMap::new());
    for round in 0..200u64 {
        // New work arrives while earlier work may still be in flight.
        for _ in 0..rng.usize(1..=2) {
            let number = rng.u64(1..=12);
            let write = match rng.u8(0..10) {
                0..=2 => Write::CreateIssue {
                    title: format!("Round {round}: freshness alert"),
                    body: format!("raised in round {round}"),
                    labels: vec!["incident".into()],
                },
                3..=6 => Write::Comment {
                    number,
                    body: format!("round {round}: looking at it"),
                },
                7 => Write::AddLabels {
                    number,
                    labels: vec![format!("sev{}", round % 3)],
                },
                _ => {
                    let state = if rng.bool() { "closed" } else { "open" };
                    expected_state.insert(number, state);
                    Write::SetState {
                        number,
                        state: vibedata_protocol::inbox::IssueState::parse(state).unwrap(),
                    }
                }
            };
            outbox::enqueue(&store, REPO, &write).unwrap();
        }
        let mut child = replay(&data, &fake.base_url());
        tokio::time::sleep(Duration::from_millis(rng.u64(2..80))).await;
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
    }
    eprintln!("{interrupted} of 200 kills landed mid-replay");
    assert!(
        interrupted >= 100,
        "most kills must land mid-replay for the test to mean anything: {interrupted}"
    );

    // Then let it finish (resets still happen; each run resumes where the last stopped).
    let mut finished = false;
    for _ in 0..400 {
        let status = replay(&data, &fake.base_url()).wait().unwrap();
        if status.success() {
            finished = true;
            break;
        }
    }
    assert!(finished, "the queue drains");

    let rows: Vec<(String, String, String, i64)> = store
        .with(|c| {
            let mut stmt =
                c.prepare("SELECT key, payload, state, attempts FROM gh_outbox ORDER BY seq")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .unwrap();
    assert!(rows.len() >= 200);
    assert!(
        rows.iter().any(|r| r.3 > 1),
        "some writes needed more than one attempt (the faults and kills did bite)"
    );
    let (issues, comments) = (fake.issues_of(REPO), fake.comments_of(REPO));
    let with_marker = |list: &[serde_json::Value], key: &str| {
        list.iter()
            .filter(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker(key))))
            .count()
    };
    for (key, payload, state, _) in &rows {
        assert_eq!(state, "done", "{payload}");
        match serde_json::from_str::<Write>(payload).unwrap() {
            Write::CreateIssue { .. } => {
                assert_eq!(with_marker(&issues, key), 1, "issue {payload} exactly once")
            }
            Write::Comment { .. } => {
                assert_eq!(
                    with_marker(&comments, key),
                    1,
                    "comment {payload} exactly once"
                )
            }
            Write::AddLabels { number, labels } => {
                let issue = issues.iter().find(|i| i["number"] == number).unwrap();
                assert!(
                    issue["labels"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l["name"] == labels[0].as_str())
                );
            }
            // This test's writes never hold these (the review's writes have their own test).
            Write::SetState { .. }
            | Write::CreatePr { .. }
            | Write::PushBranch { .. }
            | Write::UpsertComment { .. }
            | Write::Review { .. } => {}
        }
    }
    for (number, state) in expected_state {
        let issue = issues.iter().find(|i| i["number"] == number).unwrap();
        assert_eq!(
            issue["state"], state,
            "writes were applied in order (#{number})"
        );
    }
    let created = rows.iter().filter(|r| r.1.contains("create_issue")).count();
    assert_eq!(issues.len(), 12 + created, "no stray issues");
    let commented = rows.iter().filter(|r| r.1.contains("\"comment\"")).count();
    assert_eq!(comments.len(), commented, "no stray comments");
    vibedata_fakes::secrets::assert_none_on_disk(&data, &[TOKEN]);
}
