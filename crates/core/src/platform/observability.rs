//! Logging: JSON lines in `<data dir>/logs/` (rotated daily, two weeks kept) and, in development, a
//! human-readable copy on the console.
//!
//! Work done for an agent session or an intent runs inside [`work_span`], so every line it logs
//! carries `session_id` / `intent_id` (the JSON layer writes the current span's fields and its
//! parents'). Never log prompts, payloads, tokens or other secrets — log ids and sizes.

use crate::platform::error::{CoreError, Result};
use std::path::Path;
use tracing::Span;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

pub const LOG_FILE_PREFIX: &str = "vibedata";
const KEEP_FILES: usize = 14;

/// Keeps the background log writer alive; drop it last (it flushes on drop).
#[must_use = "logs stop being written when the guard is dropped"]
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Where console output goes besides the JSON file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Human-readable lines on stderr (development).
    Human,
    Off,
}

/// Installs the global subscriber with the level filter `level` (the config's `VIBEDATA_LOG`,
/// e.g. `debug` or `vibedata_core=trace`; default `info`).
pub fn init(log_dir: &Path, console: Console, level: Option<&str>) -> Result<LogGuard> {
    let filter = || {
        level
            .and_then(|l| EnvFilter::try_new(l).ok())
            .unwrap_or_else(|| EnvFilter::new("info"))
    };
    std::fs::create_dir_all(log_dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", log_dir.display()), e))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("jsonl")
        .max_log_files(KEEP_FILES)
        .build(log_dir)
        .map_err(|e| {
            CoreError::Internal(format!("cannot open logs in {}: {e}", log_dir.display()))
        })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let console_layer = (console == Console::Human).then(|| {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    Registry::default()
        .with(json_layer(writer).with_filter(filter()))
        .with(console_layer)
        .try_init()
        .map_err(|e| CoreError::Internal(format!("logging was already set up: {e}")))?;
    Ok(LogGuard { _file: guard })
}

/// The JSON-lines format of the log files: one object per event with the fields of the current
/// span and its parents.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_target(true)
        .with_writer(writer)
}

/// The span for work on behalf of an agent session and/or an intent.
pub fn work_span(session_id: Option<&str>, intent_id: Option<&str>) -> Span {
    tracing::info_span!(
        "work",
        session_id = session_id.unwrap_or(""),
        intent_id = intent_id.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn every_line_logged_inside_a_work_span_carries_its_ids_as_json() {
        let buffer = Buffer::default();
        let subscriber = Registry::default().with(json_layer(buffer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let _outer = work_span(Some("ses-42"), Some("int-7")).entered();
            let _inner = tracing::info_span!("tool", tool = "read_file").entered();
            tracing::info!(bytes = 10, "tool finished");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let spans = line["spans"].as_array().expect("the span list is written");
        assert_eq!(spans[0]["session_id"], "ses-42");
        assert_eq!(spans[0]["intent_id"], "int-7");
        assert_eq!(line["fields"]["message"], "tool finished");
    }
}
