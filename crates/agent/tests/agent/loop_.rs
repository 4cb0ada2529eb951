//! The loop end to end: tool calls split across chunks, approvals, denials, the agent guard,
//! budgets, cancellation, redaction, confinement, truncation and runaway loops.

use std::sync::Arc;
use std::time::Duration;

use vibedata_agent::budget::Budget;
use vibedata_agent::policy::Autonomy;
use vibedata_agent::policy::Scope;
use vibedata_agent::redact::Redactor;
use vibedata_agent::session::{Outcome, SessionEvent};
use vibedata_fakes::foundry::{FakeFoundry, Reply, chunk};

use crate::{Scripted, drain, session};

/// One model turn calling tools, each call's arguments split in two fragments.
fn tool_turn(calls: &[(&str, &str, &str)], usage: (u64, u64)) -> Reply {
    let mut chunks = vec![chunk::prompt_filter_results()];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let cut = args.len() / 2;
        let cut = (0..=cut)
            .rev()
            .find(|c| args.is_char_boundary(*c))
            .unwrap_or(0);
        chunks.push(chunk::tool_call_start(i as u32, id, name, &args[..cut]));
        chunks.push(chunk::tool_call_arguments(i as u32, &args[cut..]));
    }
    chunks.push(chunk::finish("tool_calls"));
    chunks.push(chunk::usage(usage.0, usage.1));
    Reply::stream(chunks)
}

/// The tool messages of the n-th request the fake received.
fn tool_messages(fake: &FakeFoundry, n: usize) -> Vec<String> {
    fake.requests()[n].json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_multi_tool_turn_runs_reads_alone_and_writes_after_approval() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::write(dir.path().join("models/orders.sql"), "select 1 as id\n").unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[
            ("call_1", "list_files", r#"{"path": "models"}"#),
            (
                "call_2",
                "write_file",
                r#"{"path": "models/notes.sql", "content": "select 'n' as note\n"}"#,
            ),
        ],
        (100, 20),
    ));
    fake.push(Reply::text(&["Added ", "the notes model."]));
    let approver = Scripted::new(&[true]);
    let mut h = session(&fake, dir.path(), approver.clone(), Redactor::default());
    let outcome = h.session.run().await;
    assert_eq!(
        outcome,
        Outcome::Completed {
            text: "Added the notes model.".into()
        }
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("models/notes.sql")).unwrap(),
        "select 'n' as note\n"
    );
    let asked = approver.asked.lock().unwrap();
    assert_eq!(asked.len(), 1, "only the write needed a person");
    assert_eq!(asked[0].call.name, "write_file");
    assert_eq!(asked[0].scope, Scope::Write);
    assert!(
        asked[0]
            .preview
            .as_deref()
            .unwrap()
            .contains("+select 'n' as note"),
        "the approval shows the diff"
    );
    let results = tool_messages(&fake, 1);
    assert!(
        results[0].contains("models/orders.sql"),
        "list_files answered: {results:?}"
    );
    assert!(results[1].starts_with("wrote models/notes.sql"));
    let events = drain(&mut h.events);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SessionEvent::ApprovalNeeded { .. }))
    );
    assert!(
        events.iter().any(|e| matches!(
            e,
            SessionEvent::Note { note: vibedata_agent::tools::ToolNote::Artifact { path } } if path == "models/notes.sql"
        )),
        "the written file is reported as an artifact"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SessionEvent::Usage { total, .. } if total.prompt_tokens == 140))
    );
    assert_eq!(
        fake.requests()[0].json()["tools"].as_array().unwrap().len(),
        7,
        "the tools are offered with their schemas"
    );
}

#[tokio::test]
async fn a_denied_approval_is_told_to_the_model_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[(
            "c1",
            "write_file",
            r#"{"path": "x.sql", "content": "select 1"}"#,
        )],
        (10, 5),
    ));
    fake.push(Reply::text(&["Understood."]));
    let mut h = session(
        &fake,
        dir.path(),
        Scripted::new(&[false]),
        Redactor::default(),
    );
    assert!(matches!(h.session.run().await, Outcome::Completed { .. }));
    assert!(!dir.path().join("x.sql").exists());
    assert!(
        tool_messages(&fake, 1)[0].contains("denied: the person did not approve"),
        "{:?}",
        tool_messages(&fake, 1)
    );
}

#[tokio::test]
async fn privileged_tools_are_refused_even_at_l3() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[(
            "c1",
            "set_autonomy",
            r#"{"tool": "write_file", "level": "L3"}"#,
        )],
        (10, 5),
    ));
    fake.push(Reply::text(&["I cannot."]));
    let mut h = session(
        &fake,
        dir.path(),
        Scripted::new(&[true, true]),
        Redactor::default(),
    );
    let ws = dir.path().to_path_buf();
    h.policy
        .write()
        .unwrap()
        .grant(ws.clone(), "set_autonomy", Autonomy::L3);
    h.session.run().await;
    assert!(
        tool_messages(&fake, 1)[0].contains("privileged"),
        "{:?}",
        tool_messages(&fake, 1)
    );
    assert_eq!(
        h.policy
            .read()
            .unwrap()
            .level(&ws, "write_file", Scope::Write),
        Autonomy::L2,
        "the agent could not raise its own autonomy"
    );
}

#[tokio::test]
async fn the_budget_stops_the_session_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(&[("c1", "list_files", "{}")], (900, 200)));
    fake.push(Reply::text(&["never reached"]));
    let mut h = session(&fake, dir.path(), Scripted::new(&[]), Redactor::default());
    h.session.set_budget(Budget {
        max_tokens: Some(1000),
        ..Budget::default()
    });
    let outcome = h.session.run().await;
    assert!(
        matches!(&outcome, Outcome::BudgetExceeded(why) if why.contains("1000")),
        "{outcome:?}"
    );
    assert_eq!(fake.requests().len(), 1, "no model call after the ceiling");
}

#[tokio::test]
async fn cancelling_stops_a_call_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(Reply::Stream {
        chunks: vec![chunk::text("slow")],
        first_byte_delay: Duration::from_millis(600),
        drop_after: None,
    });
    let mut h = session(&fake, dir.path(), Scripted::new(&[]), Redactor::default());
    let cancel = h.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    assert_eq!(h.session.run().await, Outcome::Cancelled);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "cancellation does not wait for the model"
    );
}

#[tokio::test]
async fn canary_secrets_never_reach_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let canary = "CANARY-7f3a9c2e-do-not-leak";
    // GitHub-token-shaped, built at run time so no token-shaped text sits in the source.
    let token = format!("ghp_{}", "0fake".repeat(8));
    std::fs::write(
        dir.path().join("profiles.yml"),
        format!("password: {canary}\ntoken: {token}\n"),
    )
    .unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[("c1", "read_file", r#"{"path": "profiles.yml"}"#)],
        (10, 5),
    ));
    fake.push(Reply::text(&["Read it."]));
    let mut h = session(
        &fake,
        dir.path(),
        Scripted::new(&[]),
        Redactor::new(vec![canary.into()], &[]).unwrap(),
    );
    h.session
        .messages
        .push(vibedata_agent::message::Message::user(format!(
            "my key is {canary}"
        )));
    h.session.run().await;
    for request in fake.requests() {
        assert!(
            !request.body.contains(canary),
            "the canary left the machine"
        );
        assert!(!request.body.contains(&token), "a token left the machine");
    }
    assert!(fake.requests()[1].body.contains("[REDACTED]"));
    for event in drain(&mut h.events) {
        assert!(
            !format!("{event:?}").contains(canary),
            "the canary reached a UI event"
        );
    }
}

#[tokio::test]
async fn bad_calls_come_back_as_tool_results_and_nothing_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("escape")).unwrap();
    std::os::unix::fs::symlink("/", ws.join("root")).unwrap();
    std::fs::write(ws.join("big.txt"), "x".repeat(50_000)).unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[
            ("c1", "read_file", r#"{"path": "../../etc/passwd"}"#),
            ("c2", "read_file", r#"{"path": "root/etc/passwd"}"#),
            (
                "c3",
                "write_file",
                r#"{"path": "escape/pwned.txt", "content": "x"}"#,
            ),
            ("c4", "no_such_tool", "{}"),
            ("c5", "read_file", r#"{"path": "#),
            ("c6", "read_file", r#"{"path": "big.txt"}"#),
        ],
        (10, 5),
    ));
    fake.push(Reply::text(&["ok"]));
    let mut h = session(
        &fake,
        &ws,
        Scripted::new(&[true, true]),
        Redactor::default(),
    );
    h.session.run().await;
    let results = tool_messages(&fake, 1);
    assert!(
        results[0].contains("outside the workspace"),
        "{}",
        results[0]
    );
    assert!(
        results[1].contains("outside the workspace"),
        "{}",
        results[1]
    );
    assert!(
        results[2].contains("outside the workspace"),
        "{}",
        results[2]
    );
    assert!(
        !outside.join("pwned.txt").exists(),
        "nothing was written outside the workspace"
    );
    assert!(results[3].contains("there is no tool `no_such_tool`"));
    assert!(results[4].contains("not valid JSON"));
    assert!(results[5].contains("[output truncated: 20000 of 50000 characters shown]"));
}

#[tokio::test]
async fn a_model_that_keeps_calling_tools_is_stopped_at_max_turns() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    for i in 0..5 {
        fake.push(tool_turn(&[(&format!("c{i}"), "list_files", "{}")], (1, 1)));
    }
    let mut h = session(&fake, dir.path(), Scripted::new(&[]), Redactor::default());
    h.session.set_max_turns(3);
    assert_eq!(h.session.run().await, Outcome::MaxTurns(3));
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_replayed_session_runs_the_same_loop_and_says_it_is_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("t.jsonl");
    // Record a real (fake-served) session, then replay it.
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(&[("c1", "list_files", "{}")], (10, 5)));
    fake.push(Reply::text(&["Recorded answer."]));
    let recording = vibedata_agent::replay::RecordingProvider::create(
        crate::provider(&fake),
        &transcript,
        Redactor::default(),
    )
    .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let policy = Arc::new(std::sync::RwLock::new(
        vibedata_agent::policy::Policy::default(),
    ));
    let mut live = vibedata_agent::session::Session::new(
        Arc::new(recording),
        vibedata_agent::tools::file_tools(),
        policy.clone(),
        Scripted::new(&[]),
        Redactor::default(),
        vibedata_agent::session::SessionConfig::new(dir.path().to_path_buf()),
        tokio_util::sync::CancellationToken::new(),
        tx.clone(),
        vec![vibedata_agent::message::Message::user("go")],
    );
    assert!(matches!(live.run().await, Outcome::Completed { .. }));
    let replay = vibedata_agent::replay::ReplayProvider::from_file(&transcript).unwrap();
    assert!(vibedata_agent::provider::Provider::is_replay(&replay));
    let mut replayed = vibedata_agent::session::Session::new(
        Arc::new(replay),
        vibedata_agent::tools::file_tools(),
        policy,
        Scripted::new(&[]),
        Redactor::default(),
        vibedata_agent::session::SessionConfig::new(dir.path().to_path_buf()),
        tokio_util::sync::CancellationToken::new(),
        tx,
        vec![vibedata_agent::message::Message::user("go")],
    );
    assert_eq!(
        replayed.run().await,
        Outcome::Completed {
            text: "Recorded answer.".into()
        }
    );
}

#[tokio::test]
async fn a_patch_replaces_one_unique_passage_after_approval() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.sql"), "select 1 as id\nfrom t\n").unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[
            (
                "c1",
                "patch_file",
                r#"{"path": "m.sql", "find": "1 as id", "replace": "1 as id, 2 as two"}"#,
            ),
            (
                "c2",
                "patch_file",
                r#"{"path": "m.sql", "find": "nowhere", "replace": "x"}"#,
            ),
        ],
        (10, 5),
    ));
    fake.push(Reply::text(&["Patched."]));
    let approver = Scripted::new(&[true, true]);
    let mut h = session(&fake, dir.path(), approver.clone(), Redactor::default());
    h.session.run().await;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.sql")).unwrap(),
        "select 1 as id, 2 as two\nfrom t\n"
    );
    assert!(
        approver.asked.lock().unwrap()[0]
            .preview
            .as_deref()
            .unwrap()
            .contains("+select 1 as id, 2 as two")
    );
    assert!(
        tool_messages(&fake, 1)[1].contains("does not occur"),
        "{:?}",
        tool_messages(&fake, 1)
    );
}

#[tokio::test]
async fn the_todo_tool_reports_items_as_they_are_added_and_done() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeFoundry::start().await;
    fake.push(tool_turn(
        &[("c1", "todo", r#"{"add": ["stage orders", "test orders"]}"#)],
        (1, 1),
    ));
    fake.push(tool_turn(&[("c2", "todo", r#"{"done": [1]}"#)], (1, 1)));
    fake.push(Reply::text(&["Planned."]));
    let mut h = session(&fake, dir.path(), Scripted::new(&[]), Redactor::default());
    h.session.run().await;
    use vibedata_agent::tools::ToolNote;
    let notes: Vec<ToolNote> = drain(&mut h.events)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Note { note } => Some(note),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            ToolNote::TodoAdd {
                id: 1,
                text: "stage orders".into()
            },
            ToolNote::TodoAdd {
                id: 2,
                text: "test orders".into()
            },
            ToolNote::TodoUpdate { id: 1, done: true },
        ]
    );
    assert_eq!(
        tool_messages(&fake, 2)[1],
        "1. [x] stage orders\n2. [ ] test orders"
    );
}
