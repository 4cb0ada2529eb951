//! The provider trait: streaming first; [`Provider::complete`] collects the stream.

use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::message::{ChatRequest, ToolCall, Usage};

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolCalls,
    MaxTokens,
}

/// One event of a streamed model answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProviderEvent {
    TextDelta {
        text: String,
    },
    /// A fragment of a tool call as it arrives (`index` identifies the call within the turn).
    ToolCallDelta {
        index: u32,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// A tool call whose fragments are all in.
    ToolCall {
        call: ToolCall,
    },
    Usage {
        usage: Usage,
    },
    Stop {
        reason: StopReason,
    },
}

/// Provider failures, by what the caller can do about them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the model endpoint refused the credentials ({0})")]
    Auth(String),
    #[error("the model endpoint is rate limiting; retry after {retry_after:?}")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the conversation is longer than the model's context window ({0})")]
    ContextLength(String),
    #[error("the content filter blocked the request or answer ({0})")]
    ContentFilter(String),
    #[error("network problem talking to the model endpoint: {0}")]
    Network(String),
    #[error("the model endpoint failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the model endpoint answered something unexpected: {0}")]
    Protocol(String),
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
}

/// A collected answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    pub stop: Option<StopReason>,
}

impl Completion {
    /// Folds one event in.
    pub fn absorb(&mut self, event: &ProviderEvent) {
        match event {
            ProviderEvent::TextDelta { text } => self.text.push_str(text),
            ProviderEvent::ToolCall { call } => self.tool_calls.push(call.clone()),
            ProviderEvent::Usage { usage } => {
                self.usage.prompt_tokens += usage.prompt_tokens;
                self.usage.completion_tokens += usage.completion_tokens;
            }
            ProviderEvent::Stop { reason } => self.stop = Some(*reason),
            ProviderEvent::ToolCallDelta { .. } => {}
        }
    }
}

pub trait Provider: Send + Sync {
    /// A short label for logs and the UI ("Azure AI Foundry gpt-4o", "replay of …").
    fn label(&self) -> String;

    /// Whether answers are replayed from a recording (the UI labels such sessions).
    fn is_replay(&self) -> bool {
        false
    }

    /// Streams one model answer.
    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxStream<'a, Result<ProviderEvent, ProviderError>>;

    /// The whole answer, collected from [`Provider::stream`].
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let mut stream = self.stream(request);
            let mut completion = Completion::default();
            while let Some(event) = stream.next().await {
                completion.absorb(&event?);
            }
            Ok(completion)
        })
    }
}
