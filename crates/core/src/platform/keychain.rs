//! Credentials (the Foundry API key, later tokens) live only in the OS keychain — the Secret
//! Service on Linux — one entry per credential under the service `vibedata-studio`. When the
//! keychain cannot be reached the error says so ([`CoreError::Keychain`]); there is no plaintext
//! fallback, ever. Values travel as [`Sensitive`] and are never logged. Blocking (D-Bus).

use vibedata_secrets::Sensitive;

use crate::platform::error::{CoreError, Result};

pub const SERVICE: &str = "vibedata-studio";

fn entry(name: &str) -> Result<keyring::Entry> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(CoreError::InvalidInput(format!(
            "'{name}' is not a credential name (use a-z, 0-9 and '-')"
        )));
    }
    keyring::Entry::new(SERVICE, name).map_err(keychain_error)
}

fn keychain_error(e: keyring::Error) -> CoreError {
    match e {
        keyring::Error::BadEncoding(_) => {
            CoreError::Internal("the stored credential is not text".into())
        }
        other => CoreError::Keychain(other.to_string()),
    }
}

/// Stores (or replaces) a credential.
pub fn set(name: &str, value: &Sensitive<String>) -> Result<()> {
    if value.expose().is_empty() {
        return Err(CoreError::InvalidInput(
            "an empty credential cannot be stored".into(),
        ));
    }
    entry(name)?
        .set_password(value.expose())
        .map_err(keychain_error)?;
    tracing::info!(credential = name, "credential stored in the keychain");
    Ok(())
}

/// The credential, if one is stored.
pub fn get(name: &str) -> Result<Option<Sensitive<String>>> {
    match entry(name)?.get_password() {
        Ok(value) => Ok(Some(Sensitive::new(value))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain_error(e)),
    }
}

/// Removes the credential; false when there was none.
pub fn delete(name: &str) -> Result<bool> {
    match entry(name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(keychain_error(e)),
    }
}

/// The keychain's front door for a person managing credentials by name (the CLI's
/// `credentials`); each call runs on a blocking thread.
#[derive(Debug, Default)]
pub struct Keychain;

impl Keychain {
    pub async fn set(&self, name: String, value: Sensitive<String>) -> Result<()> {
        crate::platform::error::blocking(move || set(&name, &value)).await
    }

    /// Whether a credential is stored (its value never leaves the keychain here).
    pub async fn contains(&self, name: String) -> Result<bool> {
        crate::platform::error::blocking(move || Ok(get(&name)?.is_some())).await
    }

    pub async fn delete(&self, name: String) -> Result<bool> {
        crate::platform::error::blocking(move || delete(&name)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn round_trip_through_the_mock_keychain() {
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        // The mock keeps nothing between entries, so exercise one entry object's life here.
        let e = entry("foundry-api-key").unwrap();
        e.set_password("sk-test-value-123").unwrap();
        assert_eq!(e.get_password().unwrap(), "sk-test-value-123");
        assert_eq!(
            entry("Bad Name").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "a credential name is a-z, 0-9 and '-'"
        );
        assert_eq!(
            set("foundry-api-key", &Sensitive::new(String::new()))
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::InvalidInput),
            "an empty credential is refused before the keychain is asked"
        );
        assert_eq!(
            format!("{:?}", Sensitive::new("x".to_string())),
            "<redacted>"
        );
    }
}
