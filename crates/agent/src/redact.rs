//! Secrets: [`Sensitive`] holds one without ever printing or serializing it, and [`Redactor`]
//! replaces known secrets and secret-shaped text before anything leaves the machine (prompts,
//! tool results) or reaches a log or the database.

use regex::Regex;

/// A secret value: `Debug` prints `<redacted>`, and it does not implement `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The value itself, for the one place that must send it (an HTTP header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

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

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(Vec::new(), &[]).expect("built-in patterns compile")
    }
}

impl Redactor {
    /// `known`: secret values to replace wherever they appear (keychain entries, tokens);
    /// `pii`: extra regular expressions configured by the team.
    pub fn new(known: Vec<String>, pii: &[&str]) -> Result<Self, regex::Error> {
        let patterns = DEFAULT_PATTERNS
            .iter()
            .chain(pii.iter())
            .map(|p| Regex::new(p))
            .collect::<Result<_, _>>()?;
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

    #[test]
    fn known_secrets_and_secret_shapes_are_replaced() {
        let r = Redactor::new(
            vec!["hunter2-canary-value".into()],
            &[r"\b\d{3}-\d{2}-\d{4}\b"],
        )
        .unwrap();
        let text = "key hunter2-canary-value token ghp_abcdefghijklmnopqrstuvwxyz0123456789 conn Server=x;AccountKey=abc123==;x ssn 123-45-6789";
        let clean = r.redact(text);
        for secret in [
            "hunter2-canary-value",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
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
    fn sensitive_values_never_print() {
        let s = Sensitive::new("top-secret".to_string());
        assert_eq!(format!("{s:?}"), "<redacted>");
    }
}
