//! Silences a person creates: matchers on a signal's fields (`node`, `kind`, `column`,
//! `workspace`, `severity`; `*` matches any run of characters), a time range, who and why. Kept
//! in the store (an expired one stays, for the record), each creation and expiry audited; the
//! alert engine keeps matching signals in their incident but out of notifications. A person's
//! act: no agent tool can create one. Blocking.

use rusqlite::params;
use vibedata_monitor::alerts::{Matcher, Silence};
use vibedata_monitor::time::Millis;

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

const FIELDS: [&str; 5] = ["node", "kind", "column", "workspace", "severity"];

/// A matcher from `field=value`.
pub fn parse_matcher(text: &str) -> Result<Matcher> {
    let (field, value) = text.split_once('=').ok_or_else(|| {
        CoreError::InvalidInput(format!(
            "“{text}” is not a matcher: write field=value (e.g. node=model.shop.*)"
        ))
    })?;
    let field = field.trim().to_lowercase();
    if !FIELDS.contains(&field.as_str()) {
        return Err(CoreError::InvalidInput(format!(
            "“{field}” is not a field a silence can match: one of {}",
            FIELDS.join(", ")
        )));
    }
    let value = value.trim();
    if value.is_empty() || value == "*" {
        return Err(CoreError::InvalidInput(
            "a matcher that matches everything would silence everything: name what to silence"
                .into(),
        ));
    }
    Ok(Matcher {
        field,
        value: value.to_string(),
    })
}

/// Creates a silence (audited).
pub fn create(
    store: &Store,
    workspace_id: Option<&str>,
    matchers: Vec<Matcher>,
    starts: Millis,
    ends: Millis,
    created_by: &str,
    comment: &str,
) -> Result<Silence> {
    if matchers.is_empty() {
        return Err(CoreError::InvalidInput(
            "a silence needs at least one matcher".into(),
        ));
    }
    if ends <= starts {
        return Err(CoreError::InvalidInput(
            "a silence must end after it starts".into(),
        ));
    }
    if comment.trim().is_empty() {
        return Err(CoreError::InvalidInput(
            "say why (a silence without a reason is forgotten)".into(),
        ));
    }
    let silence = Silence {
        id: uuid::Uuid::new_v4().to_string(),
        matchers,
        starts,
        ends,
        created_by: created_by.to_string(),
        comment: comment.trim().to_string(),
    };
    let json =
        serde_json::to_string(&silence.matchers).map_err(|e| CoreError::Internal(e.to_string()))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO monitor_silences (id, workspace_id, matchers, starts, ends, created_by, comment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![silence.id, workspace_id, json, starts, ends, silence.created_by, silence.comment],
        )
        .map(|_| ())
    })?;
    crate::governance::audit::append(
        store,
        crate::platform::clock::now(),
        created_by,
        "silence",
        &silence.id,
        &serde_json::json!({"workspace": workspace_id, "matchers": silence.matchers, "starts": starts, "ends": ends, "comment": silence.comment}),
    )?;
    Ok(silence)
}

/// Ends a silence now (audited); it stays in the list, expired.
pub fn expire(store: &Store, id: &str, by: &str, now: Millis) -> Result<()> {
    let changed = store.with(|c| {
        c.execute(
            "UPDATE monitor_silences SET ends = min(ends, ?2) WHERE id = ?1",
            params![id, now],
        )
    })?;
    if changed == 0 {
        return Err(CoreError::NotFound(format!("no silence {id}")));
    }
    crate::governance::audit::append(
        store,
        crate::platform::clock::now(),
        by,
        "silence_expire",
        id,
        &serde_json::json!({"at": now}),
    )?;
    Ok(())
}

/// The silences of a workspace (and those of every workspace), newest first, with the
/// workspace each is for.
pub fn list(store: &Store, workspace_id: Option<&str>) -> Result<Vec<(Option<String>, Silence)>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT id, workspace_id, matchers, starts, ends, created_by, comment FROM monitor_silences
              WHERE ?1 IS NULL OR workspace_id IS NULL OR workspace_id = ?1 ORDER BY starts DESC",
        )?;
        let rows = stmt.query_map([workspace_id], |r| {
            let matchers: String = r.get(2)?;
            Ok((
                r.get::<_, Option<String>>(1)?,
                Silence {
                    id: r.get(0)?,
                    matchers: serde_json::from_str(&matchers).unwrap_or_default(),
                    starts: r.get(3)?,
                    ends: r.get(4)?,
                    created_by: r.get(5)?,
                    comment: r.get(6)?,
                },
            ))
        })?;
        rows.collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_are_checked() {
        assert_eq!(parse_matcher("node=model.shop.*").unwrap().field, "node");
        for bad in ["node", "owner=me", "node=", "kind=*"] {
            assert!(parse_matcher(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_silence_is_kept_audited_and_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let m = vec![parse_matcher("node=model.shop.*").unwrap()];
        assert!(create(&store, Some("w"), m.clone(), 10, 5, "grace", "x").is_err());
        assert!(create(&store, Some("w"), m.clone(), 0, 5, "grace", " ").is_err());
        let s = create(&store, Some("w"), m, 0, 1_000, "grace", "vendor reload").unwrap();
        assert_eq!(list(&store, Some("w")).unwrap().len(), 1);
        assert!(list(&store, Some("other")).unwrap().is_empty());
        expire(&store, &s.id, "grace", 500).unwrap();
        assert_eq!(list(&store, Some("w")).unwrap()[0].1.ends, 500);
        assert!(expire(&store, "nope", "grace", 1).is_err());
        let audit = crate::governance::audit::verify(&store).unwrap();
        assert!(audit.records >= 2 && audit.broken.is_none(), "{audit:?}");
    }
}
