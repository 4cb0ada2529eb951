//! Azure AI Foundry (Azure OpenAI) chat completions, and any OpenAI-compatible endpoint.
//!
//! URL styles: v1 (`{resource}/openai/v1/chat/completions`, `model` = the deployment), classic
//! (`{resource}/openai/deployments/{deployment}/chat/completions?api-version=…`) and plain
//! OpenAI-compatible (`{base}/chat/completions`). Auth by `api-key` or an Entra bearer token.
//! Streaming SSE with tool-call fragments joined per `index`, `stream_options.include_usage`, and
//! Azure's quirks: chunks with empty `choices` (prompt filter results, usage), chunks without
//! `delta` (content-filter annotations). 429 honours `retry-after-ms`, then `retry-after`; 5xx
//! and connection failures are retried with backoff; a slow first byte or a stalled stream times
//! out. Errors come back typed ([`ProviderError`]).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

use crate::message::{ChatRequest, Message, Role, ToolCall, Usage};
use crate::provider::{Provider, ProviderError, ProviderEvent, StopReason};
use vibedata_secrets::Sensitive;

/// How the endpoint's URL is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiStyle {
    /// `{base}/openai/v1/chat/completions` with `model` = deployment.
    V1,
    /// `{base}/openai/deployments/{deployment}/chat/completions?api-version={version}`.
    Classic { api_version: String },
    /// `{base}/chat/completions` (a local runtime or any OpenAI-compatible server).
    OpenAiCompatible,
}

#[derive(Debug, Clone)]
pub enum Credential {
    ApiKey(Sensitive<String>),
    Bearer(Sensitive<String>),
    /// Local runtimes without auth.
    None,
}

#[derive(Debug, Clone)]
pub struct FoundryConfig {
    pub base_url: String,
    pub deployment: String,
    pub style: ApiStyle,
    pub credential: Credential,
    /// Longest wait for the response headers.
    pub first_byte_timeout: Duration,
    /// Longest silence between two streamed chunks.
    pub idle_timeout: Duration,
    /// Retries after 429, 5xx or a failed connection.
    pub max_retries: u32,
    /// A 429 asking to wait longer than this is returned instead of waited out.
    pub max_retry_wait: Duration,
}

impl FoundryConfig {
    pub fn new(
        base_url: impl Into<String>,
        deployment: impl Into<String>,
        style: ApiStyle,
        credential: Credential,
    ) -> Self {
        FoundryConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            deployment: deployment.into(),
            style,
            credential,
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

pub struct FoundryProvider {
    config: FoundryConfig,
    client: reqwest::Client,
}

impl FoundryProvider {
    pub fn new(config: FoundryConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| ProviderError::Network(e.to_string()))?;
        Ok(FoundryProvider { config, client })
    }

    pub fn url(&self) -> String {
        let c = &self.config;
        match &c.style {
            ApiStyle::V1 => format!("{}/openai/v1/chat/completions", c.base_url),
            ApiStyle::Classic { api_version } => {
                format!(
                    "{}/openai/deployments/{}/chat/completions?api-version={api_version}",
                    c.base_url, c.deployment
                )
            }
            ApiStyle::OpenAiCompatible => format!("{}/chat/completions", c.base_url),
        }
    }

    /// The request body (streaming, with usage).
    pub fn body(&self, request: &ChatRequest) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut body = json!({
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if !matches!(self.config.style, ApiStyle::Classic { .. }) {
            body["model"] = json!(self.config.deployment);
        }
        if !request.tools.is_empty() {
            body["tools"] = Value::Array(
                request
                    .tools
                    .iter()
                    .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
                    .collect(),
            );
        }
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        body
    }

    /// Sends the request, retrying 429 (as told), 5xx and connection failures (with backoff).
    async fn send(&self, body: &Value) -> Result<reqwest::Response, ProviderError> {
        let mut attempt = 0u32;
        loop {
            let mut builder = self.client.post(self.url()).json(body);
            builder = match &self.config.credential {
                Credential::ApiKey(key) => builder.header("api-key", key.expose()),
                Credential::Bearer(token) => builder.bearer_auth(token.expose()),
                Credential::None => builder,
            };
            let error =
                match tokio::time::timeout(self.config.first_byte_timeout, builder.send()).await {
                    Err(_) => ProviderError::Timeout(self.config.first_byte_timeout),
                    Ok(Err(e)) => ProviderError::Network(e.without_url().to_string()),
                    Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                    Ok(Ok(response)) => error_from(response).await,
                };
            let wait = match &error {
                ProviderError::RateLimited { retry_after } => {
                    retry_after.unwrap_or(Duration::from_secs(1))
                }
                ProviderError::Server { .. } | ProviderError::Network(_) => {
                    Duration::from_millis(200 * 2u64.pow(attempt))
                }
                _ => return Err(error),
            };
            if attempt >= self.config.max_retries || wait > self.config.max_retry_wait {
                return Err(error);
            }
            tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "model call retried");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.content}),
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Tool => json!({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}),
        Role::Assistant => {
            let mut v = json!({"role": "assistant", "content": if m.content.is_empty() && !m.tool_calls.is_empty() { Value::Null } else { json!(m.content) }});
            if !m.tool_calls.is_empty() {
                v["tool_calls"] = Value::Array(
                    m.tool_calls
                        .iter()
                        .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                        .collect(),
                );
            }
            v
        }
    }
}

/// Reads a failed response into a typed error (retry delays from `retry-after-ms`, then
/// `retry-after`).
async fn error_from(response: reqwest::Response) -> ProviderError {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = header("retry-after-ms")
        .and_then(|ms| ms.trim().parse::<u64>().ok().map(Duration::from_millis))
        .or_else(|| {
            header("retry-after")
                .and_then(|s| s.trim().parse::<u64>().ok().map(Duration::from_secs))
        });
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let message = body["error"]["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| text.chars().take(300).collect());
    match status {
        401 | 403 => ProviderError::Auth(message),
        429 => ProviderError::RateLimited { retry_after },
        400 if code == "context_length_exceeded" => ProviderError::ContextLength(message),
        400 if code == "content_filter" => ProviderError::ContentFilter(message),
        _ => ProviderError::Server { status, message },
    }
}

/// Tool-call fragments being joined, by `index`.
#[derive(Default)]
struct Calls {
    partial: BTreeMap<u32, ToolCall>,
}

impl Calls {
    fn drain(&mut self) -> Vec<ProviderEvent> {
        std::mem::take(&mut self.partial)
            .into_values()
            .map(|call| ProviderEvent::ToolCall { call })
            .collect()
    }
}

/// Turns one chunk into events; `Err` for a chunk that breaks the protocol.
fn chunk_events(
    data: &str,
    calls: &mut Calls,
    out: &mut VecDeque<Result<ProviderEvent, ProviderError>>,
) {
    let chunk: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            out.push_back(Err(ProviderError::Protocol(format!(
                "a streamed chunk is not JSON ({e})"
            ))));
            return;
        }
    };
    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
        out.push_back(Ok(ProviderEvent::Usage {
            usage: Usage {
                prompt_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
                completion_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
            },
        }));
    }
    for choice in chunk["choices"].as_array().into_iter().flatten() {
        if let Some(delta) = choice.get("delta") {
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                out.push_back(Ok(ProviderEvent::TextDelta {
                    text: text.to_string(),
                }));
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().unwrap_or(0) as u32;
                let id = call["id"].as_str().map(str::to_string);
                let name = call["function"]["name"].as_str().map(str::to_string);
                let arguments = call["function"]["arguments"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let entry = calls.partial.entry(index).or_insert_with(|| ToolCall {
                    id: String::new(),
                    name: String::new(),
                    arguments: String::new(),
                });
                if let Some(id) = &id {
                    entry.id = id.clone();
                }
                if let Some(name) = &name {
                    entry.name.push_str(name);
                }
                entry.arguments.push_str(&arguments);
                out.push_back(Ok(ProviderEvent::ToolCallDelta {
                    index,
                    id,
                    name,
                    arguments,
                }));
            }
        }
        match choice["finish_reason"].as_str() {
            Some("tool_calls") | Some("function_call") => {
                out.extend(calls.drain().into_iter().map(Ok));
                out.push_back(Ok(ProviderEvent::Stop {
                    reason: StopReason::ToolCalls,
                }));
            }
            Some("stop") => {
                out.extend(calls.drain().into_iter().map(Ok));
                out.push_back(Ok(ProviderEvent::Stop {
                    reason: StopReason::EndTurn,
                }));
            }
            Some("length") => out.push_back(Ok(ProviderEvent::Stop {
                reason: StopReason::MaxTokens,
            })),
            Some("content_filter") => out.push_back(Err(ProviderError::ContentFilter(
                "the answer was filtered".into(),
            ))),
            _ => {}
        }
    }
}

enum Phase<'a> {
    Start,
    Streaming {
        events: std::pin::Pin<
            Box<dyn Stream<Item = Result<eventsource_stream::Event, String>> + Send + 'a>,
        >,
        calls: Calls,
        pending: VecDeque<Result<ProviderEvent, ProviderError>>,
    },
    /// `[DONE]` arrived: hand out what is left, then end.
    Draining(VecDeque<Result<ProviderEvent, ProviderError>>),
    Done,
}

impl Provider for FoundryProvider {
    fn label(&self) -> String {
        format!("Azure AI Foundry {}", self.config.deployment)
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxStream<'a, Result<ProviderEvent, ProviderError>> {
        let idle = self.config.idle_timeout;
        futures::stream::unfold(Phase::Start, move |phase| async move {
            let mut phase = phase;
            loop {
                match phase {
                    Phase::Done => return None,
                    Phase::Draining(mut rest) => {
                        return rest.pop_front().map(|item| (item, Phase::Draining(rest)));
                    }
                    Phase::Start => match self.send(&self.body(request)).await {
                        Err(e) => return Some((Err(e), Phase::Done)),
                        Ok(response) => {
                            let events = response
                                .bytes_stream()
                                .eventsource()
                                .map(|r| r.map_err(|e| e.to_string()))
                                .boxed();
                            phase = Phase::Streaming {
                                events,
                                calls: Calls::default(),
                                pending: VecDeque::new(),
                            };
                        }
                    },
                    Phase::Streaming {
                        mut events,
                        mut calls,
                        mut pending,
                    } => {
                        if let Some(item) = pending.pop_front() {
                            let next = if item.is_err() {
                                Phase::Done
                            } else {
                                Phase::Streaming {
                                    events,
                                    calls,
                                    pending,
                                }
                            };
                            return Some((item, next));
                        }
                        match tokio::time::timeout(idle, events.next()).await {
                            Err(_) => {
                                return Some((Err(ProviderError::Timeout(idle)), Phase::Done));
                            }
                            Ok(None) => {
                                return Some((
                                    Err(ProviderError::Network(
                                        "the stream ended before [DONE]".into(),
                                    )),
                                    Phase::Done,
                                ));
                            }
                            Ok(Some(Err(e))) => {
                                return Some((Err(ProviderError::Network(e)), Phase::Done));
                            }
                            Ok(Some(Ok(event))) if event.data.trim() == "[DONE]" => {
                                pending.extend(calls.drain().into_iter().map(Ok));
                                phase = Phase::Draining(pending);
                            }
                            Ok(Some(Ok(event))) => {
                                chunk_events(&event.data, &mut calls, &mut pending);
                                phase = Phase::Streaming {
                                    events,
                                    calls,
                                    pending,
                                };
                            }
                        }
                    }
                }
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(style: ApiStyle) -> FoundryProvider {
        FoundryProvider::new(FoundryConfig::new(
            "https://acme.openai.azure.com/",
            "gpt-4o",
            style,
            Credential::None,
        ))
        .unwrap()
    }

    #[test]
    fn urls_for_each_style() {
        assert_eq!(
            provider(ApiStyle::V1).url(),
            "https://acme.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(
            provider(ApiStyle::Classic {
                api_version: "2024-10-21".into()
            })
            .url(),
            "https://acme.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            provider(ApiStyle::OpenAiCompatible).url(),
            "https://acme.openai.azure.com/chat/completions"
        );
    }

    #[test]
    fn the_classic_style_names_the_deployment_in_the_url_not_the_body() {
        let request = ChatRequest {
            messages: vec![Message::user("hi")],
            tools: vec![],
            max_tokens: None,
        };
        assert_eq!(provider(ApiStyle::V1).body(&request)["model"], "gpt-4o");
        assert!(
            provider(ApiStyle::Classic {
                api_version: "2024-10-21".into()
            })
            .body(&request)
            .get("model")
            .is_none()
        );
        assert_eq!(
            provider(ApiStyle::V1).body(&request)["stream_options"]["include_usage"],
            true
        );
    }

    #[test]
    fn fragments_join_per_index_and_quirky_chunks_are_skipped() {
        let mut calls = Calls::default();
        let mut out = VecDeque::new();
        for data in [
            r#"{"choices":[],"prompt_filter_results":[]}"#,
            r#"{"choices":[{"index":0,"finish_reason":null,"content_filter_results":{}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"read_file","arguments":"{\"pa"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"list_files","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"th\":\"x\"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
        ] {
            chunk_events(data, &mut calls, &mut out);
        }
        let complete: Vec<ToolCall> = out
            .into_iter()
            .filter_map(|e| match e {
                Ok(ProviderEvent::ToolCall { call }) => Some(call),
                _ => None,
            })
            .collect();
        assert_eq!(
            complete[0],
            ToolCall {
                id: "a".into(),
                name: "list_files".into(),
                arguments: "{}".into()
            }
        );
        assert_eq!(
            complete[1],
            ToolCall {
                id: "b".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"x\"}".into()
            }
        );
    }

    #[test]
    fn a_malformed_chunk_is_a_protocol_error() {
        let mut out = VecDeque::new();
        chunk_events("{not json", &mut Calls::default(), &mut out);
        assert!(matches!(
            out.pop_front(),
            Some(Err(ProviderError::Protocol(_)))
        ));
    }
}
