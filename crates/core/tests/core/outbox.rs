//! The outbox against the fake GitHub's faults: each write ends up on GitHub exactly once
//! whatever happens to its answer — a 500 before it is applied, the connection reset after it is
//! applied, a malformed answer after it is applied, an answer that arrives after the client gave
//! up — and GitHub's refusals are kept as failed with the reason instead of being retried.

use std::sync::Arc;
use std::time::Duration;

use vibedata_core::github::outbox::{self, Write};
use vibedata_core::platform::store::Store;
use vibedata_fakes::github::{FakeGitHub, Fault};
use vibedata_github::rest::Client;
use vibedata_protocol::inbox::{IssueState, OutboxState};
use vibedata_secrets::Sensitive;

const TOKEN: &str = "ghp_outbox_test_token";
const LOGIN: &str = "octo-analyst";

fn client(fake: &FakeGitHub) -> Client {
    fake.accept_token(TOKEN);
    let mut c = Client::new(&fake.base_url(), Sensitive::new(TOKEN.into())).unwrap();
    c.mutation_gap = Duration::from_millis(50);
    c
}

async fn replay(store: &Arc<Store>, c: &Client) -> outbox::ReplayReport {
    outbox::replay(store.clone(), c, LOGIN, &Sensitive::new(TOKEN.into()))
        .await
        .unwrap()
}

fn bodies_starting(values: &[serde_json::Value], field: &str, start: &str) -> usize {
    values
        .iter()
        .filter(|v| v[field].as_str().is_some_and(|b| b.starts_with(start)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_the_way_back_still_delivers_each_write_once() {
    let fake = FakeGitHub::start().await;
    fake.add_issues("acme/incidents", 2);
    let (_dir, store) = crate::temp_store();
    let mut c = client(&fake);
    let repo = "acme/incidents";
    for write in [
        Write::CreateIssue {
            title: "Orders arrive late".into(),
            body: "Freshness breached at 06:00.".into(),
            labels: vec!["incident".into()],
        },
        Write::Comment {
            number: 1,
            body: "Looking into it".into(),
        },
        Write::AddLabels {
            number: 1,
            labels: vec!["p1".into()],
        },
        Write::SetState {
            number: 2,
            state: IssueState::Closed,
        },
    ] {
        outbox::enqueue(&store, repo, &write).unwrap();
    }
    fake.fault(&[
        Fault::ServerError,
        Fault::ResetAfterApply,
        Fault::MalformedAfterApply,
        Fault::ResetAfterApply,
    ]);
    let mut stops = Vec::new();
    for _ in 0..10 {
        let report = replay(&store, &c).await;
        if let Some(why) = report.stopped_by {
            stops.push(why);
        }
        if report.remaining == 0 {
            break;
        }
    }
    assert_eq!(stops.len(), 4, "each fault stopped one replay: {stops:?}");
    assert!(stops[0].contains("HTTP 500"), "{stops:?}");
    assert!(stops[2].contains("not JSON"), "{stops:?}");

    // The answer comes after the client gave up; the write is applied on GitHub all the same.
    outbox::enqueue(
        &store,
        repo,
        &Write::Comment {
            number: 2,
            body: "Closed after the backfill".into(),
        },
    )
    .unwrap();
    c.timeout = Duration::from_millis(300);
    fake.set_latency(Duration::from_millis(900));
    let report = replay(&store, &c).await;
    assert_eq!(
        report.stopped_by.as_deref(),
        Some("cannot reach GitHub: no answer within 0.3 s")
    );
    assert_eq!(report.remaining, 1);
    // GitHub applies the late write; the test waits for it to be there, not for a set time.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while bodies_starting(&fake.comments_of(repo), "body", "Closed after the backfill") == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the late comment never reached the fake"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.set_latency(Duration::ZERO);
    let report = replay(&store, &c).await;
    assert_eq!(
        (report.delivered, report.found_delivered, report.remaining),
        (0, 1, 0),
        "found on GitHub by its marker, not sent again"
    );

    let issues = fake.issues_of(repo);
    let comments = fake.comments_of(repo);
    assert_eq!(bodies_starting(&issues, "title", "Orders arrive late"), 1);
    assert_eq!(bodies_starting(&comments, "body", "Looking into it"), 1);
    assert_eq!(
        bodies_starting(&comments, "body", "Closed after the backfill"),
        1
    );
    let one = issues.iter().find(|i| i["number"] == 1).unwrap();
    assert!(one["labels"].to_string().contains("\"p1\""), "{one}");
    let two = issues.iter().find(|i| i["number"] == 2).unwrap();
    assert_eq!(two["state"], "closed");
    assert!(
        outbox::list(&store)
            .unwrap()
            .iter()
            .all(|w| w.state == OutboxState::Done),
        "{:?}",
        outbox::list(&store).unwrap()
    );
}

#[tokio::test]
async fn a_refused_write_is_failed_with_the_reason_and_the_queue_goes_on() {
    let fake = FakeGitHub::start().await;
    fake.add_issues("acme/incidents", 1);
    let (_dir, store) = crate::temp_store();
    let c = client(&fake);
    let refused = outbox::enqueue(
        &store,
        "acme/incidents",
        &Write::Comment {
            number: 999,
            body: "On an issue that does not exist".into(),
        },
    )
    .unwrap();
    outbox::enqueue(
        &store,
        "acme/incidents",
        &Write::Comment {
            number: 1,
            body: "On the real one".into(),
        },
    )
    .unwrap();
    let report = replay(&store, &c).await;
    assert_eq!((report.failed, report.delivered), (1, 1), "{report:?}");
    let item = outbox::get(&store, refused.seq).unwrap().unwrap();
    assert_eq!(item.state, OutboxState::Failed);
    assert!(
        item.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not found"),
        "{item:?}"
    );
    // Failed writes wait for the person: a second replay does not send it again.
    let again = replay(&store, &c).await;
    assert_eq!((again.failed, again.delivered), (0, 0));
    assert_eq!(
        bodies_starting(&fake.comments_of("acme/incidents"), "body", "On "),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replayers_at_once_deliver_each_write_once() {
    let fake = FakeGitHub::start().await;
    fake.add_issues("acme/incidents", 1);
    fake.set_latency(Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("studio.db");
    // Two stores on one file: as the app and the CLI would have.
    let app = Arc::new(Store::open(&path).unwrap());
    let cli = Arc::new(Store::open(&path).unwrap());
    for i in 0..8 {
        outbox::enqueue(
            &app,
            "acme/incidents",
            &Write::Comment {
                number: 1,
                body: format!("Update {i}"),
            },
        )
        .unwrap();
    }
    let (c1, c2) = (client(&fake), client(&fake));
    let (a, b) = tokio::join!(replay(&app, &c1), replay(&cli, &c2));
    assert_eq!(
        a.delivered + b.delivered + a.found_delivered + b.found_delivered,
        8,
        "{a:?} {b:?}"
    );
    let comments = fake.comments_of("acme/incidents");
    for i in 0..8 {
        assert_eq!(
            bodies_starting(&comments, "body", &format!("Update {i}\n")),
            1,
            "Update {i}"
        );
    }
}

#[tokio::test]
async fn a_refused_token_keeps_the_writes_queued_until_the_person_signs_in_again() {
    let fake = FakeGitHub::start().await;
    fake.add_issues("acme/incidents", 1);
    let (_dir, store) = crate::temp_store();
    let item = outbox::enqueue(
        &store,
        "acme/incidents",
        &Write::Comment {
            number: 1,
            body: "Written before the token was revoked".into(),
        },
    )
    .unwrap();
    let revoked = Client::new(&fake.base_url(), Sensitive::new("ghp_revoked".into())).unwrap();
    let report = replay(&store, &revoked).await;
    assert!(
        report
            .stopped_by
            .as_deref()
            .is_some_and(|why| why.contains("sign in again")),
        "{report:?}"
    );
    assert_eq!((report.failed, report.remaining), (0, 1));
    assert_eq!(
        outbox::get(&store, item.seq).unwrap().unwrap().state,
        OutboxState::Queued
    );

    let report = replay(&store, &client(&fake)).await;
    assert_eq!(
        (report.found_delivered + report.delivered, report.remaining),
        (1, 0)
    );
    assert_eq!(
        bodies_starting(
            &fake.comments_of("acme/incidents"),
            "body",
            "Written before"
        ),
        1
    );
}
