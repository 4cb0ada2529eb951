//! `agent-bench [TURNS] [RUNS]`: the loop's own overhead per turn. An in-process provider answers
//! instantly (each turn one `read_file` call on a small file, then a final answer), so what is
//! measured is the runtime: redaction of the whole conversation, tool specs, streaming plumbing,
//! policy, tool dispatch, truncation and event emission. Prints a table.

// A benchmark, not product code: failing loudly on a broken temp folder or setup is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use vibedata_agent::message::{ChatRequest, Message, ToolCall, Usage};
use vibedata_agent::policy::Policy;
use vibedata_agent::provider::{Provider, ProviderError, ProviderEvent, StopReason};
use vibedata_agent::redact::Redactor;
use vibedata_agent::session::{Answer, ApprovalRequest, Approver, Outcome, Session, SessionConfig};
use vibedata_agent::tools::file_tools;

struct Instantly {
    turns: usize,
    served: AtomicUsize,
}

impl Provider for Instantly {
    fn label(&self) -> String {
        "instant".into()
    }

    fn stream<'a>(
        &'a self,
        _request: &'a ChatRequest,
    ) -> BoxStream<'a, Result<ProviderEvent, ProviderError>> {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let events = if n + 1 < self.turns {
            vec![
                ProviderEvent::TextDelta {
                    text: "Reading the model.".into(),
                },
                ProviderEvent::ToolCall {
                    call: ToolCall {
                        id: format!("c{n}"),
                        name: "read_file".into(),
                        arguments: r#"{"path":"models/orders.sql"}"#.into(),
                    },
                },
                ProviderEvent::Stop {
                    reason: StopReason::ToolCalls,
                },
                ProviderEvent::Usage {
                    usage: Usage {
                        prompt_tokens: 500,
                        completion_tokens: 20,
                    },
                },
            ]
        } else {
            vec![
                ProviderEvent::TextDelta {
                    text: "Done.".into(),
                },
                ProviderEvent::Stop {
                    reason: StopReason::EndTurn,
                },
            ]
        };
        futures::stream::iter(events.into_iter().map(Ok)).boxed()
    }
}

struct Never;

impl Approver for Never {
    fn decide<'a>(&'a self, _request: &'a ApprovalRequest) -> BoxFuture<'a, Answer> {
        Box::pin(async { false.into() })
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let turns = args.first().copied().unwrap_or(100);
    let runs = args.get(1).copied().unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("models")).expect("models folder");
    std::fs::write(
        dir.path().join("models/orders.sql"),
        "select order_id, amount from {{ ref('stg_orders') }}\n".repeat(20),
    )
    .expect("file");
    let redactor = Redactor::new(vec!["CANARY-secret-value".into()], &[]).expect("redactor");
    let mut per_turn = Vec::new();
    for _ in 0..runs {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let mut session = Session::new(
            Arc::new(Instantly {
                turns,
                served: AtomicUsize::new(0),
            }),
            file_tools(),
            Arc::new(RwLock::new(Policy::default())),
            Arc::new(Never),
            redactor.clone(),
            SessionConfig {
                max_turns: turns as u32 + 1,
                ..SessionConfig::new(dir.path().to_path_buf())
            },
            tokio_util::sync::CancellationToken::new(),
            tx,
            vec![
                Message::system("You are the build agent."),
                Message::user("Look at the orders model."),
            ],
        );
        let started = Instant::now();
        let outcome = session.run().await;
        let elapsed = started.elapsed();
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
        per_turn.push(elapsed / turns as u32);
    }
    per_turn.sort();
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
    println!("| turns per session | runs | min per turn | median per turn | max per turn |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {turns} | {runs} | {} | {} | {} |",
        ms(per_turn[0]),
        ms(per_turn[per_turn.len() / 2]),
        ms(per_turn[per_turn.len() - 1])
    );
}
