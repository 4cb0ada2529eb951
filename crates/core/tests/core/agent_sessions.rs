//! Agent sessions persisted by the core: the transcript and events in SQLite (redacted), the
//! hash-chained audit log, and resuming after a restart — against the fake Foundry server.

use std::sync::{Arc, Mutex, RwLock};

use futures::future::BoxFuture;
use vibedata_agent::foundry::{ApiStyle, Credential, FoundryConfig, FoundryProvider};
use vibedata_agent::message::Message;
use vibedata_agent::policy::Policy;
use vibedata_agent::redact::Redactor;
use vibedata_agent::session::{
    Answer, ApprovalRequest, Approver, Outcome, Session, SessionConfig, SessionEvent,
};
use vibedata_agent::tools::file_tools;
use vibedata_core::agents::sessions::{self as agent_sessions, SqliteJournal};
use vibedata_core::governance::audit;
use vibedata_core::platform::store::Store;
use vibedata_fakes::foundry::{FakeFoundry, Reply, chunk};
use vibedata_protocol::{AgentRole, ErrorCode, SessionStatus};
use vibedata_secrets::Sensitive;

const CANARY: &str = "CANARY-91c4-never-stored";

struct Answers(Mutex<Vec<bool>>);

impl Approver for Answers {
    fn decide<'a>(&'a self, _request: &'a ApprovalRequest) -> BoxFuture<'a, Answer> {
        let answer = self.0.lock().unwrap().pop();
        Box::pin(async move {
            match answer {
                Some(a) => a.into(),
                // No answer scripted: wait like a person who never comes back.
                None => futures::future::pending().await,
            }
        })
    }
}

fn write_turn() -> Reply {
    Reply::stream(vec![
        chunk::prompt_filter_results(),
        chunk::tool_call_start(0, "c1", "read_file", r#"{"path": "secret.env"}"#),
        chunk::tool_call_start(
            1,
            "c2",
            "write_file",
            r#"{"path": "models/notes.sql", "content": "select 1 as id\n"}"#,
        ),
        chunk::finish("tool_calls"),
        chunk::usage(120, 30),
    ])
}

fn session(
    fake: &FakeFoundry,
    ws: &std::path::Path,
    store: &Arc<Store>,
    id: &str,
    messages: Vec<Message>,
    approvals: Vec<bool>,
) -> (
    Session,
    Arc<SqliteJournal>,
    tokio_util::sync::CancellationToken,
    tokio::sync::mpsc::UnboundedReceiver<SessionEvent>,
) {
    let config = FoundryConfig::new(
        fake.base_url(),
        "gpt-4o",
        ApiStyle::V1,
        Credential::ApiKey(Sensitive::new("k-123456".into())),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut s = Session::new(
        Arc::new(FoundryProvider::new(config).unwrap()),
        file_tools(),
        Arc::new(RwLock::new(Policy::default())),
        Arc::new(Answers(Mutex::new(approvals))),
        Redactor::new(vec![CANARY.into()], &[]).unwrap(),
        SessionConfig::new(ws.to_path_buf()),
        cancel.clone(),
        tx,
        messages,
    );
    let journal = SqliteJournal::start(store.clone(), id.to_string(), "build".into()).unwrap();
    s.set_journal(journal.clone());
    (s, journal, cancel, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_stored_redacted_audited_and_resumed_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("models")).unwrap();
    std::fs::write(ws.join("secret.env"), format!("API_TOKEN={CANARY}\n")).unwrap();
    let db = dir.path().join("studio.sqlite3");
    let fake = FakeFoundry::start().await;
    fake.push(write_turn());
    fake.push(Reply::text(&["Notes model added."]));

    let first = vec![
        Message::system("You are the build agent."),
        Message::user(format!("Add notes. (my token: {CANARY})")),
    ];
    let redactor = Redactor::new(vec![CANARY.into()], &[]).unwrap();
    let stored_first: Vec<Message> = first
        .iter()
        .map(|m| Message {
            content: redactor.redact(&m.content),
            ..m.clone()
        })
        .collect();

    // First run: the write waits for an approval that never comes; the app "stops".
    let id = {
        let store = Arc::new(Store::open(&db).unwrap());
        let id = agent_sessions::create(
            &store,
            None,
            AgentRole::Build,
            "Azure AI Foundry gpt-4o",
            false,
            &stored_first,
        )
        .unwrap();
        let (mut s, journal, _cancel, mut events) =
            session(&fake, &ws, &store, &id, first.clone(), vec![]);
        let run = tokio::spawn(async move { s.run().await });
        // The app stops while the write waits for the person.
        loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(30), events.recv())
                .await
                .expect("the session reaches the approval")
                .expect("events until then");
            if matches!(event, SessionEvent::ApprovalNeeded { .. }) {
                break;
            }
        }
        run.abort();
        let _ = run.await;
        tokio::task::spawn_blocking(move || journal.flush())
            .await
            .unwrap();
        agent_sessions::mark_interrupted(&store).unwrap();
        id
    };
    assert!(
        !ws.join("models/notes.sql").exists(),
        "nothing was written without approval"
    );

    // Restart: a new store on the same file; the session resumes, asks again, is approved.
    let store = Arc::new(Store::open(&db).unwrap());
    let loaded = agent_sessions::load(&store, &id).unwrap();
    assert_eq!(loaded.status, SessionStatus::Interrupted);
    assert_eq!(loaded.usage.prompt_tokens, 120, "usage was kept");
    let roles: Vec<_> = loaded.messages.iter().map(|m| m.role).collect();
    use vibedata_agent::message::Role;
    assert_eq!(
        roles,
        [Role::System, Role::User, Role::Assistant, Role::Tool],
        "the read ran; the write is still pending"
    );
    assert_eq!(loaded.messages[2].tool_calls.len(), 2);
    let (mut s, journal, _cancel, _events) =
        session(&fake, &ws, &store, &id, loaded.messages.clone(), vec![true]);
    s.set_usage(loaded.usage);
    assert_eq!(
        s.run().await,
        Outcome::Completed {
            text: "Notes model added.".into()
        }
    );
    tokio::task::spawn_blocking(move || journal.flush())
        .await
        .unwrap();
    agent_sessions::set_status(&store, &id, SessionStatus::Completed).unwrap();
    assert_eq!(
        std::fs::read_to_string(ws.join("models/notes.sql")).unwrap(),
        "select 1 as id\n"
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "the resumed session did not ask the model again for the same turn"
    );
    let resumed = fake.requests()[1].json();
    let roles: Vec<&str> = resumed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "tool"],
        "the whole history went to the model"
    );

    // Nothing stored or sent carries the canary.
    drop(store);
    let bytes = std::fs::read(&db).unwrap();
    let wal = std::fs::read(dir.path().join("studio.sqlite3-wal")).unwrap_or_default();
    for (name, content) in [("database", &bytes), ("WAL", &wal)] {
        assert!(
            !String::from_utf8_lossy(content).contains(CANARY),
            "the canary reached the {name}"
        );
    }
    for r in fake.requests() {
        assert!(!r.body.contains(CANARY), "the canary reached the provider");
    }

    // The audit chain holds, then breaks at the record someone edits.
    let store = Store::open(&db).unwrap();
    let records = audit::records(&store, 100).unwrap();
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"approved") && actions.contains(&"tool_executed"),
        "{actions:?}"
    );
    assert_eq!(audit::verify(&store).unwrap().broken, None);
    let target = records.iter().find(|r| r.action == "approved").unwrap().seq;
    store
        .with(|c| {
            c.execute_batch("DROP TRIGGER audit_log_no_update;")?;
            c.execute(
                "UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?1",
                [target],
            )
        })
        .unwrap();
    assert_eq!(
        audit::verify(&store).unwrap().broken.map(|b| b.0),
        Some(target)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_runs_the_build_agent_on_the_demo_replay_with_approvals() {
    let (_dir, paths) = crate::fresh_paths();
    let db = paths.database();
    let studio = vibedata_core::Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .agents()
        .start_session(&demo.id, "Add an account summary mart.".into(), move |e| {
            let _ = tx.send(e);
        })
        .await
        .unwrap();
    assert!(
        session.is_replay,
        "without a Foundry endpoint the demo replay runs, and says so"
    );
    assert!(
        session.provider.starts_with("replay of"),
        "{}",
        session.provider
    );
    use vibedata_protocol::SessionEventDto as E;
    let mut text = String::new();
    let finished = loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match event {
            E::Delta { text: t } => text.push_str(&t),
            E::ApprovalNeeded {
                call_id,
                tool,
                preview,
                ..
            } => {
                assert_eq!(tool, "write_file");
                assert!(
                    preview.unwrap().contains("+    count(*) as account_count"),
                    "the card shows the diff"
                );
                studio
                    .agents()
                    .decide_approval(&session.id, &call_id, true, None)
                    .unwrap();
            }
            E::Finished { status, .. } => break status,
            _ => {}
        }
    };
    assert_eq!(finished, SessionStatus::Completed);
    assert!(text.contains("Added models/marts/account_summary.sql"));
    assert!(
        demo.path.join("models/marts/account_summary.sql").is_file(),
        "the approved write happened in the clone"
    );
    // The replay's recorded tokens are shown on the session but are not usage: no model answered.
    let usage = studio.agents().usage().await.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.sessions.len()),
        (0, 0),
        "a replay is not usage"
    );
    assert_eq!(
        studio
            .agents()
            .decide_approval(&session.id, "nope", true, None)
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::NotFound),
        "no approval is waiting for that call"
    );

    // Looking back at it (as after a restart): the prompt, the agent's text, each tool call with
    // its result, the tokens and the ending, from the stored transcript.
    let shown = studio
        .agents()
        .session_transcript(&session.id)
        .await
        .unwrap();
    assert_eq!(shown.session.status, SessionStatus::Completed);
    assert!(shown.session.is_replay);
    assert!(
        matches!(&shown.events[0], E::Prompt { text } if text.contains("Add an account summary mart.")),
        "{:?}",
        shown.events[0]
    );
    let said: String = shown
        .events
        .iter()
        .filter_map(|e| match e {
            E::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        said.contains("Added models/marts/account_summary.sql"),
        "{said}"
    );
    let calls: Vec<&str> = shown
        .events
        .iter()
        .filter_map(|e| match e {
            E::ToolUse { call_id, .. } => Some(call_id.as_str()),
            _ => None,
        })
        .collect();
    assert!(!calls.is_empty());
    for call in &calls {
        assert!(
            shown
                .events
                .iter()
                .any(|e| matches!(e, E::ToolResult { call_id, .. } if call_id == call)),
            "the result of {call} is shown"
        );
    }
    assert!(matches!(
        shown.events.last(),
        Some(E::Finished { status, .. }) if *status == SessionStatus::Completed
    ));
    assert!(matches!(
        &shown.events[shown.events.len() - 2],
        E::Usage { prompt_tokens, .. } if *prompt_tokens == 812 + 1040 + 1180
    ));
    assert_eq!(
        studio
            .agents()
            .session_transcript("no-such-session")
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::NotFound),
        "there is no such session"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(
        agent_sessions::load(&store, &session.id).unwrap().status,
        SessionStatus::Completed
    );
    assert_eq!(audit::verify(&store).unwrap().broken, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_session_resumes_where_it_stopped() {
    use vibedata_protocol::SessionEventDto as E;
    let (_dir, paths) = crate::fresh_paths();
    let studio = vibedata_core::Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let next = |rx: &mut tokio::sync::mpsc::UnboundedReceiver<E>| {
        let mut rx_events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            rx_events.push(e);
        }
        rx_events
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .agents()
        .start_session(&demo.id, "Add a summary.".into(), move |e| drop(tx.send(e)))
        .await
        .unwrap();
    // Wait for the approval, then cancel instead of answering.
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            E::ApprovalNeeded { .. } => break,
            _ => continue,
        }
    }
    studio.agents().cancel_session(&session.id).unwrap();
    loop {
        if let E::Finished { status, .. } =
            tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap()
        {
            assert_eq!(status, SessionStatus::Cancelled);
            break;
        }
    }
    let _ = next(&mut rx);
    let listed = studio.agents().list_sessions(&demo.id).await.unwrap();
    assert_eq!(listed[0].status, SessionStatus::Cancelled);
    assert!(!demo.path.join("models/marts/account_summary.sql").exists());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let resumed = studio
        .agents()
        .resume_session(&session.id, move |e| drop(tx.send(e)))
        .await
        .unwrap();
    assert_eq!(resumed.id, session.id);
    let mut text = String::new();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            E::ApprovalNeeded { call_id, tool, .. } => {
                assert_eq!(tool, "write_file", "the pending write is asked again");
                studio
                    .agents()
                    .decide_approval(&session.id, &call_id, true, None)
                    .unwrap();
            }
            E::Delta { text: t } => text.push_str(&t),
            E::Finished { status, .. } => {
                assert_eq!(status, SessionStatus::Completed);
                break;
            }
            _ => {}
        }
    }
    assert!(
        text.starts_with("Added models/marts/account_summary.sql"),
        "the replay continued at its next turn: {text}"
    );
    assert!(demo.path.join("models/marts/account_summary.sql").is_file());
    assert_eq!(
        studio
            .agents()
            .resume_session(&session.id, |_| {})
            .await
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidInput),
        "a completed session does not resume"
    );
}

/// Logs written while a session reads a secret never contain it (everything on this thread is
/// captured at TRACE level).
#[tokio::test]
async fn canary_secrets_never_reach_the_logs() {
    use std::io::Write;
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("models")).unwrap();
    std::fs::write(ws.join("secret.env"), format!("API_TOKEN={CANARY}\n")).unwrap();
    let store = Arc::new(Store::open(&dir.path().join("studio.sqlite3")).unwrap());
    let fake = FakeFoundry::start().await;
    fake.push(Reply::rate_limited(50));
    fake.push(write_turn());
    fake.push(Reply::text(&["Done."]));
    let id = agent_sessions::create(&store, None, AgentRole::Build, "test", false, &[]).unwrap();
    let first = vec![Message::user(format!("token {CANARY}"))];
    let (mut s, journal, _cancel, _events) = session(&fake, &ws, &store, &id, first, vec![false]);
    s.run().await;
    journal.flush();
    let logs = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("retried"),
        "the capture works (the 429 retry is logged): {logs}"
    );
    assert!(!logs.contains(CANARY), "the canary reached the logs");
    assert!(!logs.contains("k-123456"), "the API key reached the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_token_ceiling_stops_an_app_session() {
    use vibedata_protocol::SessionEventDto as E;
    let (_dir, paths) = crate::fresh_paths();
    let studio = vibedata_core::Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    studio
        .agents()
        .set_budget_settings(vibedata_core::agents::budgets::BudgetSettings {
            max_tokens: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .agents()
        .start_session(&demo.id, "Add a summary.".into(), move |e| drop(tx.send(e)))
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            // After the second turn 1,989 tokens are spent; its write is denied, and no third
            // model call is made.
            E::ApprovalNeeded { call_id, .. } => studio
                .agents()
                .decide_approval(&session.id, &call_id, false, None)
                .unwrap(),
            E::Finished { status, message } => {
                assert_eq!(status, SessionStatus::BudgetExceeded);
                assert!(message.unwrap().contains("1000"));
                break;
            }
            _ => {}
        }
    }
}

/// A person who denies a write may say why: the agent gets the reason as the tool's result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_carries_the_persons_reason_to_the_agent() {
    use vibedata_protocol::SessionEventDto as E;
    let (_dir, paths) = crate::fresh_paths();
    let studio = vibedata_core::Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .agents()
        .start_session(&demo.id, "Add an account summary.".into(), move |e| {
            drop(tx.send(e))
        })
        .await
        .unwrap();
    let mut denied = None;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            E::ApprovalNeeded { call_id, .. } if denied.is_none() => {
                studio
                    .agents()
                    .decide_approval(
                        &session.id,
                        &call_id,
                        false,
                        Some("not in the plan; use the staging model".into()),
                    )
                    .unwrap();
                denied = Some(call_id);
            }
            E::ApprovalNeeded { call_id, .. } => studio
                .agents()
                .decide_approval(&session.id, &call_id, false, None)
                .unwrap(),
            E::ToolResult {
                call_id, output, ..
            } if Some(&call_id) == denied.as_ref() => {
                assert!(
                    output.contains("their reason: not in the plan; use the staging model"),
                    "{output}"
                );
            }
            E::Finished { .. } => break,
            _ => {}
        }
    }
    assert!(denied.is_some(), "the replay asked for a write");
}
