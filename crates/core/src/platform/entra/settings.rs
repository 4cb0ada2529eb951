//! The organisation's Fabric settings, one row in the store: the Entra tenant and app registration
//! (a public client), the capacity ephemeral workspaces go on, the Fabric connection holding the
//! GitHub credentials, and when the person signed in. No token is ever here (see [`super::identity`]).

use rusqlite::{OptionalExtension, params};
use vibedata_protocol::fabric::FabricSettingsDto;

use crate::platform::clock;
use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// The settings row (all empty before anything is saved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub tenant: String,
    pub client_id: String,
    pub capacity_id: String,
    pub connection_id: String,
    pub signed_in_at: Option<i64>,
}

pub fn get(store: &Store) -> Result<Settings> {
    Ok(store
        .with(|c| {
            c.query_row(
                "SELECT tenant, client_id, capacity_id, connection_id, signed_in_at
                 FROM fabric_settings WHERE id = 1",
                [],
                |r| {
                    Ok(Settings {
                        tenant: r.get(0)?,
                        client_id: r.get(1)?,
                        capacity_id: r.get(2)?,
                        connection_id: r.get(3)?,
                        signed_in_at: r.get(4)?,
                    })
                },
            )
            .optional()
        })?
        .unwrap_or_default())
}

/// Checks and saves what Settings sends. Changing the tenant or the app signs the person out
/// (their tokens belong to the old one): the caller forgets them.
pub fn save(store: &Store, dto: &FabricSettingsDto) -> Result<bool> {
    let tenant = dto.tenant.trim();
    let client_id = dto.client_id.trim();
    let valid_tenant = !tenant.is_empty()
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid_tenant {
        return Err(CoreError::InvalidInput(format!(
            "'{tenant}' is not an Entra tenant: give its domain (contoso.onmicrosoft.com) or its id"
        )));
    }
    if client_id.is_empty() || client_id.chars().any(char::is_whitespace) {
        return Err(CoreError::InvalidInput(
            "the app registration's client id is required (Entra: App registrations → Overview)"
                .into(),
        ));
    }
    for (what, v) in [
        ("capacity id", dto.capacity_id.trim()),
        ("connection id", dto.connection_id.trim()),
    ] {
        if !v.is_empty() && !v.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(CoreError::InvalidInput(format!(
                "the {what} '{v}' is not an id (a GUID from Fabric)"
            )));
        }
    }
    let before = get(store)?;
    let identity_changed = before.tenant != tenant || before.client_id != client_id;
    store.with(|c| {
        c.execute(
            "INSERT INTO fabric_settings (id, tenant, client_id, capacity_id, connection_id, signed_in_at, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, NULL, ?5)
             ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, client_id = excluded.client_id,
               capacity_id = excluded.capacity_id, connection_id = excluded.connection_id,
               signed_in_at = CASE WHEN ?6 THEN NULL ELSE fabric_settings.signed_in_at END,
               updated_at = excluded.updated_at",
            params![
                tenant,
                client_id,
                dto.capacity_id.trim(),
                dto.connection_id.trim(),
                clock::now(),
                identity_changed
            ],
        )
        .map(|_| ())
    })?;
    Ok(identity_changed && before.signed_in_at.is_some())
}

/// Records the sign-in (or, with `None`, the sign-out).
pub fn set_signed_in(store: &Store, at: Option<i64>) -> Result<()> {
    store.with(|c| {
        c.execute(
            "UPDATE fabric_settings SET signed_in_at = ?1, updated_at = ?2 WHERE id = 1",
            params![at, clock::now()],
        )
        .map(|_| ())
    })
}
