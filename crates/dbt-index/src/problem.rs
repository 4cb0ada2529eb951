//! Problems found while indexing, each with the file and line it is about.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem: what (a stable `code` and a sentence) and where (file relative to the indexed
/// root, 1-based line; 0 when the problem is about the whole file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(
        severity: Severity,
        code: &'static str,
        file: &str,
        line: u32,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.to_string(),
            line,
            severity,
            code,
            message: message.into(),
        }
    }

    pub fn error(code: &'static str, file: &str, line: u32, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, file, line, message)
    }

    pub fn warning(code: &'static str, file: &str, line: u32, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, file, line, message)
    }
}

/// A YAML syntax error, located where the parser stopped.
pub fn yaml_problem(file: &str, error: &serde_yaml_ng::Error) -> Problem {
    let line = error.location().map(|l| l.line() as u32).unwrap_or(0);
    Problem::error(
        "yaml_invalid",
        file,
        line,
        format!("YAML does not parse: {error}"),
    )
}
