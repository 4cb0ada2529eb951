//! Autonomy grants: a person sets a tool's level (L1, L2, L3) for a workspace; the grant is kept
//! in the store, audited, and loaded into every session's policy on that workspace. Agents cannot
//! reach this (their `set_autonomy` tool is privileged and always refused). Blocking (rusqlite).

use std::path::Path;

use rusqlite::params;
use vibedata_agent::policy::{Autonomy, Policy};

use crate::governance::audit;
use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

fn level_str(level: Autonomy) -> &'static str {
    match level {
        Autonomy::L1 => "L1",
        Autonomy::L2 => "L2",
        Autonomy::L3 => "L3",
    }
}

pub fn parse_level(text: &str) -> Result<Autonomy> {
    match text.trim().to_ascii_uppercase().as_str() {
        "L1" => Ok(Autonomy::L1),
        "L2" => Ok(Autonomy::L2),
        "L3" => Ok(Autonomy::L3),
        other => Err(CoreError::InvalidInput(format!(
            "'{other}' is not an autonomy level (L1, L2 or L3)"
        ))),
    }
}

/// Records a person's grant (replacing an earlier one) and audits it.
pub fn grant(
    store: &Store,
    workspace_id: &str,
    tool: &str,
    level: Autonomy,
    by: &str,
) -> Result<()> {
    if tool.is_empty()
        || !tool
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(CoreError::InvalidInput(format!(
            "'{tool}' is not a tool name"
        )));
    }
    let at = crate::platform::clock::now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO autonomy_grants (workspace_id, tool, level, granted_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id, tool) DO UPDATE SET level = excluded.level, granted_at = excluded.granted_at",
            params![workspace_id, tool, level_str(level), at],
        )?;
        audit::append_on(&tx, at, by, "autonomy_changed", tool, &serde_json::json!({"workspace": workspace_id, "level": level_str(level)}))?;
        tx.commit()
    })
}

/// The policy for sessions on a workspace (its folder is the policy's key).
pub fn policy_for(store: &Store, workspace_id: &str, workspace_path: &Path) -> Result<Policy> {
    let grants: Vec<(String, String)> = store.with(|c| {
        let mut stmt =
            c.prepare("SELECT tool, level FROM autonomy_grants WHERE workspace_id = ?1")?;
        stmt.query_map([workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })?;
    let mut policy = Policy::default();
    for (tool, level) in grants {
        policy.grant(workspace_path.to_path_buf(), &tool, parse_level(&level)?);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_agent::policy::Decision;
    use vibedata_agent::policy::Scope;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn grants_are_kept_audited_and_loaded_but_never_unlock_privileged_tools() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        let ws = dir.path().join("ws");
        grant(&store, "w1", "write_file", Autonomy::L3, "person").unwrap();
        grant(&store, "w1", "set_autonomy", Autonomy::L3, "person").unwrap();
        let policy = policy_for(&store, "w1", &ws).unwrap();
        assert_eq!(
            policy.decide(&ws, "write_file", Scope::Write),
            Decision::Allow
        );
        assert!(matches!(
            policy.decide(&ws, "set_autonomy", Scope::Privileged),
            Decision::Deny(_)
        ));
        assert_eq!(
            policy_for(&store, "w2", &ws)
                .unwrap()
                .decide(&ws, "write_file", Scope::Write),
            Decision::Ask
        );
        let actions: Vec<String> = audit::records(&store, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, ["autonomy_changed", "autonomy_changed"]);
        assert_eq!(
            grant(&store, "w1", "Bad Tool", Autonomy::L1, "person")
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::InvalidInput),
            "a tool name has no spaces or capitals"
        );
        assert_eq!(
            parse_level("L4").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidInput),
            "the levels are L1, L2 and L3"
        );
    }
}
