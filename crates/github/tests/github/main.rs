//! The device flow against the fake GitHub, every branch.

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use vibedata_fakes::github::{FakeGitHub, Poll};
use vibedata_github::device::{DeviceError, DeviceFlow};

fn flow(fake: &FakeGitHub) -> DeviceFlow {
    DeviceFlow::new(&fake.base_url(), "Iv1.test-client", "repo")
        .unwrap()
        .with_timing(Duration::from_millis(20), Duration::from_millis(5))
}

async fn sign_in(fake: &FakeGitHub) -> Result<vibedata_github::device::Tokens, DeviceError> {
    let flow = flow(fake);
    let code = flow.start().await?;
    assert_eq!(code.user_code, "WDJB-MJHT");
    flow.poll(&code, &CancellationToken::new()).await
}

#[tokio::test]
async fn pending_and_slow_down_are_waited_out_then_tokens_arrive() {
    let fake = FakeGitHub::start().await;
    fake.script(&[
        Poll::Pending,
        Poll::SlowDown,
        Poll::Pending,
        Poll::Tokens {
            access: "ghu_test_access".into(),
            refresh: Some("ghr_test_refresh".into()),
        },
    ]);
    let tokens = sign_in(&fake).await.unwrap();
    assert_eq!(tokens.access_token.expose(), "ghu_test_access");
    assert_eq!(
        tokens.refresh_token.as_ref().map(|r| r.expose().as_str()),
        Some("ghr_test_refresh")
    );
    assert_eq!(tokens.expires_in, Some(28800));
    assert_eq!(
        format!("{tokens:?}").matches("<redacted>").count(),
        2,
        "tokens never print"
    );
    let polls: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/login/oauth/access_token")
        .collect();
    assert_eq!(polls.len(), 4, "one poll per scripted answer");
    assert_eq!(
        polls[0].form("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    assert_eq!(polls[0].header("accept"), Some("application/json"));
}

#[tokio::test]
async fn expired_denied_and_malformed_answers_end_with_their_reason() {
    for (poll, expected) in [
        (Poll::Expired, DeviceError::Expired),
        (Poll::Denied, DeviceError::Denied),
    ] {
        let fake = FakeGitHub::start().await;
        fake.script(&[Poll::Pending, poll]);
        assert_eq!(sign_in(&fake).await.unwrap_err(), expected);
    }
    let fake = FakeGitHub::start().await;
    fake.script(&[Poll::Malformed]);
    assert!(matches!(
        sign_in(&fake).await.unwrap_err(),
        DeviceError::Protocol(_)
    ));
}

#[tokio::test]
async fn a_code_that_runs_out_of_time_expires_and_cancelling_stops_polling() {
    let fake = FakeGitHub::start().await;
    fake.set_expires_in(0);
    assert_eq!(
        sign_in(&fake).await.unwrap_err(),
        DeviceError::Expired,
        "never pending forever"
    );

    let fake = FakeGitHub::start().await;
    let flow = flow(&fake);
    let code = flow.start().await.unwrap();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.cancel();
    });
    assert_eq!(
        flow.poll(&code, &cancel).await.unwrap_err(),
        DeviceError::Cancelled
    );
}

#[tokio::test]
async fn an_unreachable_github_is_a_network_error() {
    let flow = DeviceFlow::new("http://127.0.0.1:9", "Iv1.x", "repo").unwrap();
    assert!(matches!(
        flow.start().await.unwrap_err(),
        DeviceError::Network(_)
    ));
    let fake = FakeGitHub::start().await;
    let bad = DeviceFlow::new(&fake.base_url(), "", "repo").unwrap();
    assert!(
        matches!(bad.start().await.unwrap_err(), DeviceError::Protocol(m) if m.contains("unauthorized_client"))
    );
}

mod rest {
    use std::time::{Duration, Instant};

    use vibedata_fakes::github::FakeGitHub;
    use vibedata_github::rest::{Client, GhError, Method};
    use vibedata_secrets::Sensitive;

    fn client(fake: &FakeGitHub) -> Client {
        fake.accept_token("ghp_test");
        Client::new(&fake.base_url(), Sensitive::new("ghp_test".into())).unwrap()
    }

    #[tokio::test]
    async fn pages_are_followed_and_a_second_pass_is_all_304() {
        let fake = FakeGitHub::start().await;
        fake.add_issues("acme/crm", 250);
        let c = client(&fake);
        let (items, cached) = c
            .get_all("/repos/acme/crm/issues?per_page=100")
            .await
            .unwrap();
        assert_eq!((items.len(), cached), (250, false));
        let (again, cached) = c
            .get_all("/repos/acme/crm/issues?per_page=100")
            .await
            .unwrap();
        assert_eq!(
            (again.len(), cached),
            (250, true),
            "nothing changed: every page answered 304 from the cache"
        );
        let requests = fake.requests();
        let conditional = requests
            .iter()
            .filter(|r| r.header("if-none-match").is_some())
            .count();
        assert_eq!(conditional, 3);
        assert!(
            requests
                .iter()
                .all(|r| r.header("x-github-api-version") == Some("2022-11-28"))
        );
        assert!(
            requests
                .iter()
                .all(|r| r.header("authorization") == Some("Bearer ghp_test"))
        );
    }

    #[tokio::test]
    async fn rate_limits_are_waited_out_or_reported_with_their_wait() {
        let fake = FakeGitHub::start().await;
        fake.add_issues("acme/crm", 5);
        fake.rate_limit(429, 1);
        fake.rate_limit(403, 1);
        let c = client(&fake);
        let started = Instant::now();
        let (items, _) = c.get_all("/repos/acme/crm/issues").await.unwrap();
        assert_eq!(items.len(), 5);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "retry-after and the reset were honoured"
        );
        // A secondary limit with no header: waited out (a minute on GitHub; shortened here).
        let mut patient = client(&fake);
        patient.secondary_wait = Duration::from_millis(500);
        fake.rate_limit(403, 0);
        let started = Instant::now();
        assert_eq!(
            patient
                .get_all("/repos/acme/crm/issues")
                .await
                .unwrap()
                .0
                .len(),
            5
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
        // …and reported with its wait when that is longer than the client allows.
        patient.max_wait = Duration::from_millis(100);
        fake.rate_limit(403, 0);
        assert_eq!(
            patient.get("/repos/acme/crm/issues").await.unwrap_err(),
            GhError::RateLimited(Duration::from_millis(500))
        );
        fake.rate_limit(403, 3600);
        assert!(
            matches!(c.get("/repos/acme/crm/issues").await.unwrap_err(), GhError::RateLimited(w) if w > Duration::from_secs(3000))
        );
    }

    #[tokio::test]
    async fn writes_are_sent_one_at_a_time_a_second_apart() {
        let fake = FakeGitHub::start().await;
        fake.add_issues("acme/crm", 1);
        let c = client(&fake);
        let started = Instant::now();
        let body = serde_json::json!({"body": "seen"});
        let (a, b, d) = tokio::join!(
            c.send(Method::POST, "/repos/acme/crm/issues/1/comments", &body),
            c.send(Method::POST, "/repos/acme/crm/issues/1/comments", &body),
            c.send(Method::POST, "/repos/acme/crm/issues/1/comments", &body),
        );
        assert!(a.is_ok() && b.is_ok() && d.is_ok());
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "three writes need two gaps of a second: {:?}",
            started.elapsed()
        );
        assert_eq!(fake.comments_of("acme/crm").len(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_in_flight_are_bounded() {
        let fake = FakeGitHub::start().await;
        fake.add_issues("acme/crm", 1);
        fake.set_latency(Duration::from_millis(300));
        let c = client(&fake);
        let started = Instant::now();
        let gets = (0..3 * vibedata_github::rest::MAX_IN_FLIGHT)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move { c.get(&format!("/repos/acme/crm/issues?n={i}")).await })
            })
            .collect::<Vec<_>>();
        for get in gets {
            get.await.unwrap().unwrap();
        }
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "three times the limit take at least three rounds: {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn validation_failures_carry_githubs_message() {
        let fake = FakeGitHub::start().await;
        fake.add_repo("acme/crm");
        let e = client(&fake)
            .send(
                Method::POST,
                "/repos/acme/crm/issues",
                &serde_json::json!({"body": "no title"}),
            )
            .await
            .unwrap_err();
        assert_eq!(e, GhError::Validation("Validation Failed".into()));
    }

    #[tokio::test]
    async fn malformed_json_and_a_silent_server_are_clear_errors_not_hangs() {
        let fake = FakeGitHub::start().await;
        fake.add_issues("acme/crm", 2);
        let mut c = client(&fake);
        fake.malformed_reads(1);
        assert!(matches!(
            c.get("/repos/acme/crm/issues").await.unwrap_err(),
            GhError::Protocol(m) if m.contains("not JSON")
        ));
        assert_eq!(
            c.get_all("/repos/acme/crm/issues").await.unwrap().0.len(),
            2,
            "the next answer is read normally"
        );
        c.timeout = Duration::from_millis(300);
        fake.set_latency(Duration::from_secs(2));
        let started = Instant::now();
        let e = c.get("/repos/acme/crm/issues?page=2").await.unwrap_err();
        assert_eq!(e, GhError::Network("no answer within 0.3 s".into()));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn errors_are_typed() {
        let fake = FakeGitHub::start().await;
        let c = client(&fake);
        assert!(matches!(
            c.get("/repos/acme/gone/issues").await.unwrap_err(),
            GhError::NotFound(_)
        ));
        let stranger = Client::new(&fake.base_url(), Sensitive::new("ghp_revoked".into())).unwrap();
        assert!(matches!(
            stranger.get("/user").await.unwrap_err(),
            GhError::Auth
        ));
    }
}
