//! Redaction: [`Redactor`] replaces known secrets and secret-shaped text before anything leaves the machine (prompts,
//! tool results) or reaches a log or the database.

use std::sync::LazyLock;

use regex::Regex;

/// The marker that replaces a secret.
pub const MARK: &str = "[REDACTED]";

/// Replaces known secret values and secret-shaped text (tokens, keys, connection strings,
/// configured PII patterns).
#[derive(Debug, Clone)]
pub struct Redactor {
    known: Vec<String>,
    patterns: Vec<Regex>,
}

/// Shapes of secrets worth catching even when nobody told us the value.
const DEFAULT_PATTERNS: &[&str] = &[
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"sk-[A-Za-z0-9_-]{20,}",
    r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{20,}",
    r"(?i)(AccountKey|SharedAccessKey|Password|Pwd)=[^;\s]+",
    r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
];

/// [`DEFAULT_PATTERNS`] compiled once.
// The patterns are string literals in this file, and `default_patterns_all_compile` checks every
// one of them, so a failure here is a programming error caught by the tests, not a runtime case.
#[allow(clippy::expect_used)]
static DEFAULT_REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    DEFAULT_PATTERNS
        .iter()
        .map(|p| Regex::new(p).expect("each built-in secret pattern is a valid regex"))
        .collect()
});

impl Default for Redactor {
    fn default() -> Self {
        Redactor {
            known: Vec::new(),
            patterns: DEFAULT_REGEXES.clone(),
        }
    }
}

impl Redactor {
    /// `known`: secret values to replace wherever they appear (keychain entries, tokens);
    /// `pii`: extra regular expressions configured by the team.
    pub fn new(known: Vec<String>, pii: &[&str]) -> Result<Self, regex::Error> {
        let mut patterns = DEFAULT_REGEXES.clone();
        for p in pii {
            patterns.push(Regex::new(p)?);
        }
        let mut known: Vec<String> = known.into_iter().filter(|k| k.len() >= 6).collect();
        // Longest first, so a secret containing another is replaced whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        Ok(Redactor { known, patterns })
    }

    pub fn add_secret(&mut self, secret: &str) {
        if secret.len() >= 6 && !self.known.iter().any(|k| k == secret) {
            self.known.push(secret.to_string());
            self.known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.known {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MARK);
            }
        }
        for pattern in &self.patterns {
            if pattern.is_match(&out) {
                out = pattern.replace_all(&out, MARK).into_owned();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GitHub-token-shaped value, built at run time so no token-shaped text sits in the source.
    fn fake_token() -> String {
        format!("ghp_{}", "0fake".repeat(8))
    }

    #[test]
    fn known_secrets_and_secret_shapes_are_replaced() {
        let r = Redactor::new(
            vec!["hunter2-canary-value".into()],
            &[r"\b\d{3}-\d{2}-\d{4}\b"],
        )
        .unwrap();
        let token = fake_token();
        let text = format!(
            "key hunter2-canary-value token {token} conn Server=x;AccountKey=abc123==;x ssn 123-45-6789"
        );
        let clean = r.redact(&text);
        for secret in [
            "hunter2-canary-value",
            token.as_str(),
            "abc123==",
            "123-45-6789",
        ] {
            assert!(!clean.contains(secret), "{secret} leaked: {clean}");
        }
        assert!(
            clean.contains("conn Server=x;"),
            "the rest stays readable: {clean}"
        );
    }

    #[test]
    fn default_patterns_all_compile() {
        for p in DEFAULT_PATTERNS {
            assert!(Regex::new(p).is_ok(), "built-in pattern {p} must compile");
        }
        assert_eq!(DEFAULT_REGEXES.len(), DEFAULT_PATTERNS.len());
        let clean = Redactor::default().redact(&format!("token {} end", fake_token()));
        assert_eq!(clean, format!("token {MARK} end"));
    }

    #[test]
    fn a_bad_pii_pattern_is_an_error_not_a_panic() {
        let r = Redactor::new(Vec::new(), &["(unclosed"]);
        assert!(
            matches!(r, Err(regex::Error::Syntax(_))),
            "an unclosed group is a syntax error: {r:?}"
        );
    }
}
