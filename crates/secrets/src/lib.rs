//! Secret values in transit. [`Sensitive`] holds a token, key or password so that it cannot be
//! printed (`Debug` shows `<redacted>`) or serialized (it does not implement `Serialize`); the one
//! place that must send it calls [`Sensitive::expose`].
//!
//! This crate is deliberately tiny and depends on nothing, so that every layer that touches a
//! secret — the GitHub client, the agent runtime, the core, the shell, the CLI — can share the type
//! without depending on each other. Redaction of text (known secrets and secret shapes) is the
//! agent runtime's `redact` module.

/// A secret value: `Debug` prints `<redacted>`, and it does not implement `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The value itself, for the one place that must send it (an HTTP header, the keychain).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::Sensitive;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Sensitive::new("top-secret".to_string());
        let printed = format!("{s:?} {:?}", Some(&s));
        assert!(!printed.contains("top-secret"), "leaked: {printed}");
        assert_eq!(s.expose(), "top-secret");
    }
}
