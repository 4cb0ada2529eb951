//! The agent runtime against the fake Foundry server (real HTTP, real SSE, injected faults) and a
//! real workspace folder.

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod confinement;
mod faults;
mod loop_;

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vibedata_agent::foundry::{ApiStyle, Credential, FoundryConfig, FoundryProvider};
use vibedata_agent::message::Message;
use vibedata_agent::policy::Policy;
use vibedata_agent::redact::Redactor;
use vibedata_agent::session::{
    Answer, ApprovalRequest, Approver, Session, SessionConfig, SessionEvent,
};
use vibedata_agent::tools::file_tools;
use vibedata_fakes::foundry::FakeFoundry;
use vibedata_secrets::Sensitive;

pub fn provider(fake: &FakeFoundry) -> FoundryProvider {
    let mut config = FoundryConfig::new(
        fake.base_url(),
        "gpt-4o",
        ApiStyle::V1,
        Credential::ApiKey(Sensitive::new("test-api-key-0000".into())),
    );
    config.first_byte_timeout = Duration::from_millis(800);
    config.idle_timeout = Duration::from_millis(800);
    config.max_retry_wait = Duration::from_secs(2);
    FoundryProvider::new(config).unwrap()
}

/// Answers approvals from a script, remembering what it was asked.
pub struct Scripted {
    pub answers: Mutex<Vec<bool>>,
    pub asked: Mutex<Vec<ApprovalRequest>>,
}

impl Scripted {
    pub fn new(answers: &[bool]) -> Arc<Self> {
        Arc::new(Scripted {
            answers: Mutex::new(answers.to_vec()),
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl Approver for Scripted {
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, Answer> {
        self.asked.lock().unwrap().push(request.clone());
        let answer = {
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                false
            } else {
                answers.remove(0)
            }
        };
        Box::pin(async move { answer.into() })
    }
}

pub struct Harness {
    pub session: Session,
    pub events: mpsc::UnboundedReceiver<SessionEvent>,
    pub cancel: CancellationToken,
    pub policy: Arc<RwLock<Policy>>,
}

pub fn session(
    fake: &FakeFoundry,
    workspace: &Path,
    approver: Arc<Scripted>,
    redactor: Redactor,
) -> Harness {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let policy = Arc::new(RwLock::new(Policy::default()));
    let session = Session::new(
        Arc::new(provider(fake)),
        file_tools(),
        policy.clone(),
        approver,
        redactor,
        SessionConfig::new(workspace.to_path_buf()),
        cancel.clone(),
        tx,
        vec![
            Message::system("You are the build agent."),
            Message::user("Add a notes model."),
        ],
    );
    Harness {
        session,
        events: rx,
        cancel,
        policy,
    }
}

pub fn drain(rx: &mut mpsc::UnboundedReceiver<SessionEvent>) -> Vec<SessionEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}
