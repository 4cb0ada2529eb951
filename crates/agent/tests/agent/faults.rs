//! The Foundry provider against each injected fault.

use std::time::{Duration, Instant};

use futures::StreamExt;
use vibedata_agent::message::{ChatRequest, Message};
use vibedata_agent::provider::{Provider, ProviderError, ProviderEvent};
use vibedata_fakes::foundry::{FakeFoundry, Reply, chunk};

use crate::provider;

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![Message::user("hello")],
        tools: vec![],
        max_tokens: None,
    }
}

#[tokio::test]
async fn streamed_text_with_azure_quirks_and_usage() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::stream(vec![
        chunk::prompt_filter_results(),
        chunk::text("Hel"),
        chunk::content_filter_annotation(),
        chunk::text("lo"),
        chunk::finish("stop"),
        chunk::usage(12, 3),
    ]));
    let p = provider(&fake);
    let events: Vec<ProviderEvent> = p.stream(&request()).map(|e| e.unwrap()).collect().await;
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Hello");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProviderEvent::Usage { usage } if usage.prompt_tokens == 12))
    );
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/openai/v1/chat/completions");
    assert_eq!(sent.header("api-key"), Some("test-api-key-0000"));
    assert_eq!(sent.json()["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_ms_says() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::rate_limited(300));
    fake.push(Reply::text(&["ok"]));
    let started = Instant::now();
    let done = provider(&fake).complete(&request()).await.unwrap();
    assert_eq!(done.text, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_429_asking_too_long_is_returned_with_its_delay() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::rate_limited(30_000));
    let err = provider(&fake).complete(&request()).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
}

#[tokio::test]
async fn a_500_is_retried_then_succeeds() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::server_error());
    fake.push(Reply::text(&["fine"]));
    assert_eq!(
        provider(&fake).complete(&request()).await.unwrap().text,
        "fine"
    );
}

#[tokio::test]
async fn a_slow_first_byte_times_out() {
    let fake = FakeFoundry::start().await;
    for _ in 0..4 {
        fake.push(Reply::Stream {
            chunks: vec![chunk::text("late")],
            first_byte_delay: Duration::from_secs(3),
            drop_after: None,
        });
    }
    let err = provider(&fake).complete(&request()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_is_a_network_error() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::Stream {
        chunks: vec![
            chunk::text("par"),
            chunk::text("tial"),
            chunk::finish("stop"),
        ],
        first_byte_delay: Duration::ZERO,
        drop_after: Some(2),
    });
    let err = provider(&fake).complete(&request()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Network(_)), "{err:?}");
}

#[tokio::test]
async fn a_malformed_json_line_is_a_protocol_error() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::stream(vec![
        chunk::text("a"),
        "{\"choices\": [".into(),
    ]));
    let err = provider(&fake).complete(&request()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn auth_and_context_errors_are_typed() {
    let fake = FakeFoundry::start().await;
    fake.push(Reply::Error { status: 401, headers: vec![], body: serde_json::json!({"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}) });
    fake.push(Reply::Error { status: 400, headers: vec![], body: serde_json::json!({"error": {"code": "context_length_exceeded", "message": "This model's maximum context length is 128000 tokens."}}) });
    let p = provider(&fake);
    assert!(matches!(
        p.complete(&request()).await.unwrap_err(),
        ProviderError::Auth(_)
    ));
    assert!(matches!(
        p.complete(&request()).await.unwrap_err(),
        ProviderError::ContextLength(_)
    ));
}
