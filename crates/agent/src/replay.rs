//! Recorded transcripts: [`ReplayProvider`] plays one back deterministically (tests, the offline
//! demo — sessions on it are labelled as replays), [`RecordingProvider`] captures a real
//! provider's answers into the same format with secrets redacted.
//!
//! Format (JSON lines, version 1): a header line
//! `{"format":"vibedata-transcript","version":1,"source":"…"}`, then one line per model call:
//! `{"turn":N,"events":[<ProviderEvent>…]}` (events as `{"type":"text_delta","text":…}` etc.).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::message::ChatRequest;
use crate::provider::{Provider, ProviderError, ProviderEvent};
use crate::redact::Redactor;

pub const FORMAT: &str = "vibedata-transcript";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    source: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Turn {
    turn: usize,
    events: Vec<ProviderEvent>,
}

#[derive(Debug)]
pub struct ReplayProvider {
    source: String,
    turns: Vec<Vec<ProviderEvent>>,
    next: AtomicUsize,
}

impl ReplayProvider {
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a transcript; errors name the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or("the transcript is empty")?;
        let header: Header = serde_json::from_str(first)
            .map_err(|e| format!("line 1 is not a transcript header: {e}"))?;
        if header.format != FORMAT || header.version != VERSION {
            return Err(format!(
                "line 1: expected {FORMAT} version {VERSION}, found {} version {}",
                header.format, header.version
            ));
        }
        let mut turns = Vec::new();
        for (i, line) in lines {
            let turn: Turn =
                serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            turns.push(turn.events);
        }
        Ok(ReplayProvider {
            source: header.source,
            turns,
            next: AtomicUsize::new(0),
        })
    }
}

impl ReplayProvider {
    /// Continues a recording from turn `turn` (a resumed session has already had the earlier ones).
    pub fn starting_at(self, turn: usize) -> Self {
        self.next.store(turn, Ordering::SeqCst);
        self
    }
}

impl Provider for ReplayProvider {
    fn label(&self) -> String {
        format!("replay of {}", self.source)
    }

    fn is_replay(&self) -> bool {
        true
    }

    fn stream<'a>(
        &'a self,
        _request: &'a ChatRequest,
    ) -> BoxStream<'a, Result<ProviderEvent, ProviderError>> {
        let turn = self.next.fetch_add(1, Ordering::SeqCst);
        match self.turns.get(turn) {
            Some(events) => futures::stream::iter(events.clone().into_iter().map(Ok)).boxed(),
            None => futures::stream::once(async move {
                Err(ProviderError::Protocol(format!(
                    "the recording has {} turns; turn {} was asked for",
                    self.turns.len(),
                    turn + 1
                )))
            })
            .boxed(),
        }
    }
}

/// Wraps a provider and appends each answer to a transcript file (redacted).
pub struct RecordingProvider<P> {
    inner: P,
    path: PathBuf,
    redactor: Redactor,
    turns: Mutex<usize>,
}

impl<P: Provider> RecordingProvider<P> {
    /// Starts a new transcript at `path` (replacing one that is there).
    pub fn create(inner: P, path: &Path, redactor: Redactor) -> std::io::Result<Self> {
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            source: inner.label(),
        };
        std::fs::write(path, format!("{}\n", serde_json::to_string(&header)?))?;
        Ok(RecordingProvider {
            inner,
            path: path.to_path_buf(),
            redactor,
            turns: Mutex::new(0),
        })
    }

    fn redacted(&self, event: &ProviderEvent) -> ProviderEvent {
        match event {
            ProviderEvent::TextDelta { text } => ProviderEvent::TextDelta {
                text: self.redactor.redact(text),
            },
            ProviderEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } => ProviderEvent::ToolCallDelta {
                index: *index,
                id: id.clone(),
                name: name.clone(),
                arguments: self.redactor.redact(arguments),
            },
            ProviderEvent::ToolCall { call } => {
                let mut call = call.clone();
                call.arguments = self.redactor.redact(&call.arguments);
                ProviderEvent::ToolCall { call }
            }
            other => other.clone(),
        }
    }

    fn append(&self, events: Vec<ProviderEvent>) {
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let line = Turn {
            turn: *turns,
            events,
        };
        *turns += 1;
        let written = serde_json::to_string(&line)
            .map_err(std::io::Error::other)
            .and_then(|json| {
                use std::io::Write;
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&self.path)?
                    .write_all(format!("{json}\n").as_bytes())
            });
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot append to the transcript");
        }
    }
}

impl<P: Provider> Provider for RecordingProvider<P> {
    fn label(&self) -> String {
        format!("{} (recording)", self.inner.label())
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxStream<'a, Result<ProviderEvent, ProviderError>> {
        let inner = self.inner.stream(request);
        futures::stream::unfold(
            (inner, Vec::new(), false),
            move |(mut inner, mut seen, done)| async move {
                if done {
                    return None;
                }
                match inner.next().await {
                    Some(Ok(event)) => {
                        seen.push(self.redacted(&event));
                        Some((Ok(event), (inner, seen, false)))
                    }
                    Some(Err(e)) => {
                        // The turn is recorded as far as it got.
                        self.append(seen);
                        Some((Err(e), (inner, Vec::new(), true)))
                    }
                    None => {
                        self.append(seen);
                        None
                    }
                }
            },
        )
        .boxed()
    }
}
