//! A fake Azure AI Foundry (Azure OpenAI) chat-completions server: answers `POST
//! …/chat/completions` (v1 `/openai/v1/chat/completions` and classic
//! `/openai/deployments/{d}/chat/completions?api-version=…`) from a queue of scripted replies,
//! streamed as SSE (`data: {chunk}` … `data: [DONE]`) or not, and records every request so tests
//! can check what left the machine.
//!
//! Faults: any status with headers (429 + `retry-after-ms`/`retry-after`, 500…), a slow first
//! byte, a connection dropped mid-stream, a malformed JSON line (just script a non-JSON chunk).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A streamed completion: each chunk is one `data:` payload, sent in order, then `[DONE]`
    /// unless the connection is dropped first.
    Stream {
        chunks: Vec<String>,
        /// Wait this long before sending anything (headers included).
        first_byte_delay: Duration,
        /// Close the connection after this many chunks, without `[DONE]`.
        drop_after: Option<usize>,
    },
    /// A non-streamed 200 answer.
    Json(Value),
    /// An error answer.
    Error {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
    },
}

impl Reply {
    pub fn stream(chunks: Vec<String>) -> Reply {
        Reply::Stream {
            chunks,
            first_byte_delay: Duration::ZERO,
            drop_after: None,
        }
    }

    /// A streamed text answer in the shape Azure sends: an empty-choices filter chunk first, the
    /// text in pieces, a finish chunk, then the usage chunk.
    pub fn text(pieces: &[&str]) -> Reply {
        let mut chunks = vec![chunk::prompt_filter_results()];
        chunks.extend(pieces.iter().map(|p| chunk::text(p)));
        chunks.push(chunk::finish("stop"));
        chunks.push(chunk::usage(40, pieces.len() as u64 * 3));
        Reply::stream(chunks)
    }

    /// 429 with both Azure retry headers.
    pub fn rate_limited(retry_after_ms: u64) -> Reply {
        Reply::Error {
            status: 429,
            headers: vec![
                ("retry-after-ms".into(), retry_after_ms.to_string()),
                (
                    "retry-after".into(),
                    retry_after_ms.div_ceil(1000).to_string(),
                ),
            ],
            body: json!({"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}),
        }
    }

    pub fn server_error() -> Reply {
        Reply::Error {
            status: 500,
            headers: vec![],
            body: json!({"error": {"code": "InternalServerError", "message": "The server had an error."}}),
        }
    }
}

/// Builders of chunk payloads in the real wire shape.
pub mod chunk {
    use serde_json::json;

    fn wrap(choices: serde_json::Value) -> String {
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1767225600, "model": "gpt-4o", "choices": choices}).to_string()
    }

    /// Azure's first chunk: no choices, only the prompt's filter results.
    pub fn prompt_filter_results() -> String {
        json!({"id": "", "object": "", "created": 0, "model": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": false, "severity": "safe"}}}]}).to_string()
    }

    pub fn text(content: &str) -> String {
        wrap(json!([{"index": 0, "delta": {"content": content}, "finish_reason": null}]))
    }

    /// The first fragment of a tool call: id and name, maybe the start of the arguments.
    pub fn tool_call_start(index: u32, id: &str, name: &str, arguments: &str) -> String {
        wrap(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]}, "finish_reason": null}]),
        )
    }

    /// A later fragment of a tool call's arguments.
    pub fn tool_call_arguments(index: u32, fragment: &str) -> String {
        wrap(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, "finish_reason": null}]),
        )
    }

    pub fn finish(reason: &str) -> String {
        wrap(json!([{"index": 0, "delta": {}, "finish_reason": reason}]))
    }

    /// A content-filter annotation chunk without `delta`.
    pub fn content_filter_annotation() -> String {
        wrap(
            json!([{"index": 0, "finish_reason": null, "content_filter_results": {"violence": {"filtered": false, "severity": "safe"}}}]),
        )
    }

    pub fn usage(prompt: u64, completion: u64) -> String {
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1767225600, "model": "gpt-4o", "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}).to_string()
    }
}

pub use crate::http::Recorded;

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    recorded: Vec<Recorded>,
}

/// The running fake; stops when dropped.
pub struct FakeFoundry {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeFoundry {
    pub async fn start() -> FakeFoundry {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, state).await;
                });
            }
        });
        FakeFoundry { addr, state, task }
    }

    /// `http://127.0.0.1:<port>` — the resource endpoint to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push(&self, reply: Reply) {
        self.state
            .lock()
            .expect("fake state")
            .replies
            .push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("fake state").recorded.clone()
    }
}

impl Drop for FakeFoundry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(request) = crate::http::read_request(&mut socket).await? else {
        return Ok(());
    };
    let (method, path) = (request.method.clone(), request.path.clone());
    let reply = {
        let mut s = state.lock().expect("fake state");
        s.recorded.push(request);
        s.replies.pop_front()
    };
    if method != "POST" || !path.contains("/chat/completions") {
        return crate::http::respond_json(
            &mut socket,
            404,
            &[],
            &json!({"error": {"code": "404", "message": "Resource not found"}}),
        )
        .await;
    }
    match reply {
        None => crate::http::respond_json(&mut socket, 500, &[], &json!({"error": {"code": "InternalServerError", "message": "the fake has no scripted reply"}})).await,
        Some(Reply::Json(body)) => crate::http::respond_json(&mut socket, 200, &[], &body).await,
        Some(Reply::Error { status, headers, body }) => crate::http::respond_json(&mut socket, status, &headers, &body).await,
        Some(Reply::Stream { chunks, first_byte_delay, drop_after }) => {
            tokio::time::sleep(first_byte_delay).await;
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n")
                .await?;
            for (i, c) in chunks.iter().enumerate() {
                if drop_after == Some(i) {
                    socket.flush().await?;
                    return socket.shutdown().await;
                }
                socket.write_all(format!("data: {c}\n\n").as_bytes()).await?;
                socket.flush().await?;
            }
            socket.write_all(b"data: [DONE]\n\n").await?;
            socket.shutdown().await
        }
    }
}
