//! Who the person is when the app commits for them: a name and email kept in the store's profile,
//! falling back to git's own `user.name`/`user.email` configuration. Blocking (rusqlite, git2).

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use vibedata_protocol::IdentityDto;

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use crate::workspaces::git::Identity;

/// The identity set in the app, if any.
pub fn stored(store: &Store) -> Result<Option<Identity>> {
    let get = |key: &'static str| {
        store.with(move |c| {
            c.query_row("SELECT value FROM profile WHERE key = ?1", [key], |r| {
                r.get::<_, String>(0)
            })
            .optional()
        })
    };
    Ok(match (get("name")?, get("email")?) {
        (Some(name), Some(email)) => Some(Identity { name, email }),
        _ => None,
    })
}

/// Saves the identity commits are made as. Both fields are required; the email must look like one.
pub fn save(store: &Store, identity: &IdentityDto) -> Result<()> {
    let (name, email) = (identity.name.trim(), identity.email.trim());
    if name.is_empty() || name.len() > 200 || name.contains(['<', '>', '\n']) {
        return Err(CoreError::InvalidInput(
            "give your name (up to 200 characters, no < > or line breaks)".into(),
        ));
    }
    let at = email.find('@');
    if email.len() > 320
        || email.contains(['<', '>', ' ', '\n'])
        || !at.is_some_and(|i| i > 0 && i + 1 < email.len())
    {
        return Err(CoreError::InvalidInput(format!(
            "'{email}' is not an email address"
        )));
    }
    store.with(|c| {
        c.execute(
            "INSERT INTO profile (key, value) VALUES ('name', ?1), ('email', ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![name, email],
        )
        .map(|_| ())
    })
}

/// git's global identity (`user.name`, `user.email`), if it has one.
pub fn from_git_config() -> Option<Identity> {
    git2::Config::open_default()
        .ok()
        .and_then(|c| identity_in(&c))
}

fn identity_in(config: &git2::Config) -> Option<Identity> {
    match (
        config.get_string("user.name"),
        config.get_string("user.email"),
    ) {
        (Ok(name), Ok(email)) if !name.trim().is_empty() && !email.trim().is_empty() => {
            Some(Identity { name, email })
        }
        _ => None,
    }
}

/// The identity to commit as in `repo`: the app's, else git's configuration for that repository.
pub fn for_commit(store: &Store, repo: &Path) -> Result<Identity> {
    if let Some(identity) = stored(store)? {
        return Ok(identity);
    }
    let config = git2::Repository::open(repo)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    if let Some(identity) = config.ok().and_then(|c| identity_in(&c)) {
        return Ok(identity);
    }
    Err(CoreError::InvalidInput(
        "set your name and email in Settings before committing (or git's user.name and user.email)"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn a_saved_identity_wins_and_bad_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        assert_eq!(stored(&store).unwrap(), None);
        let ok = IdentityDto {
            name: "Grace Analyst".into(),
            email: "grace@example.com".into(),
        };
        save(&store, &ok).unwrap();
        save(
            &store,
            &IdentityDto {
                name: " Grace A. ".into(),
                email: "grace@example.com".into(),
            },
        )
        .unwrap();
        assert_eq!(
            stored(&store).unwrap().unwrap().name,
            "Grace A.",
            "saving again updates"
        );
        for (name, email) in [
            ("", "a@b.c"),
            ("A", "nope"),
            ("A <x>", "a@b.c"),
            ("A", "@b.c"),
            ("A", "a@"),
        ] {
            assert_eq!(
                save(
                    &store,
                    &IdentityDto {
                        name: name.into(),
                        email: email.into()
                    }
                )
                .map_err(|e| e.code())
                .err(),
                Some(ErrorCode::InvalidInput),
                "{name} {email}"
            );
        }
        assert_eq!(
            for_commit(&store, dir.path()).unwrap().email,
            "grace@example.com"
        );
    }
}
