//! The repositories the Inbox follows: names read from what a person types or from a remote URL,
//! following and unfollowing (with what a followed repository fills in the store), the
//! repositories the workspaces come from, and renames GitHub has shown us. Blocking functions.

use rusqlite::{OptionalExtension, params};
use vibedata_protocol::inbox::InboxRepoDto;

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// Validates "owner/name" (as typed, or from a GitHub URL).
pub fn parse_repo(input: &str) -> Result<String> {
    let trimmed = input
        .trim()
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .trim_start_matches("https://github.com/")
        .trim_start_matches("git@github.com:");
    let parts: Vec<&str> = trimmed.split('/').collect();
    let valid = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match parts.as_slice() {
        [owner, name] if valid(owner) && valid(name) => Ok(format!("{owner}/{name}")),
        _ => Err(CoreError::InvalidInput(format!(
            "“{}” is not a GitHub repository: expected owner/name",
            input.trim()
        ))),
    }
}

pub fn follow(store: &Store, repo: &str) -> Result<String> {
    let repo = parse_repo(repo)?;
    store.with(|c| {
        let repo = current_name(c, &repo)?;
        c.execute(
            "INSERT OR IGNORE INTO gh_inbox_repos (repo, added_at) VALUES (?1, unixepoch())",
            [&repo],
        )?;
        Ok(repo)
    })
}

/// The name a repository has now, following the renames GitHub has shown us.
fn current_name(c: &rusqlite::Connection, repo: &str) -> rusqlite::Result<String> {
    let mut name = repo.to_string();
    // A few hops at most; a cycle (renamed back and forth) stops at the limit.
    for _ in 0..8 {
        let next: Option<String> = c
            .query_row(
                "SELECT new FROM gh_repo_renames WHERE old = ?1 COLLATE NOCASE",
                [&name],
                |r| r.get(0),
            )
            .optional()?;
        match next {
            Some(next) if !next.eq_ignore_ascii_case(&name) => name = next,
            _ => break,
        }
    }
    Ok(name)
}

/// Takes a rename GitHub has shown (a sync of `old` redirected to `new`): the inbox follows the
/// repository under its new name, with its issues, search rows, sync cursors, triage, read
/// markers and unsent outbox writes; if `new` was followed already, its synced data is kept and
/// only the person's own state (triage, read markers, unsent writes) moves over. Part of the
/// caller's transaction.
pub(crate) fn adopt_rename(c: &rusqlite::Connection, old: &str, new: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO gh_repo_renames (old, new, renamed_at) VALUES (?1, ?2, unixepoch())
         ON CONFLICT (old) DO UPDATE SET new = excluded.new, renamed_at = excluded.renamed_at",
        params![old, new],
    )?;
    let new_followed: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM gh_inbox_repos WHERE repo = ?1)",
        [new],
        |r| r.get(0),
    )?;
    // The person's own state moves either way (what `new` has already wins).
    for table in ["gh_triage", "gh_read"] {
        c.execute(
            &format!("UPDATE OR IGNORE {table} SET repo = ?2 WHERE repo = ?1"),
            params![old, new],
        )?;
        c.execute(&format!("DELETE FROM {table} WHERE repo = ?1"), [old])?;
    }
    c.execute(
        "UPDATE gh_outbox SET repo = ?2 WHERE repo = ?1 AND state IN ('queued', 'sending', 'failed')",
        params![old, new],
    )?;
    for table in SYNCED_TABLES {
        if new_followed {
            c.execute(&format!("DELETE FROM {table} WHERE repo = ?1"), [old])?;
        } else {
            // Leftovers under the new name (from before it was unfollowed) give way.
            let verb = if table == "gh_fts" {
                "UPDATE"
            } else {
                "UPDATE OR REPLACE"
            };
            c.execute(
                &format!("{verb} {table} SET repo = ?2 WHERE repo = ?1"),
                params![old, new],
            )?;
        }
    }
    Ok(())
}

/// Follows the GitHub repositories the registered workspaces come from (their `origin`), so the
/// inbox covers the workspaces' repositories without being told. Returns the ones added.
pub fn follow_workspace_repos(store: &Store) -> Result<Vec<String>> {
    let mut added = Vec::new();
    for ws in crate::workspaces::registry::list(store)? {
        let Some(remote) = ws.origin_url.as_deref().and_then(repo_of_remote) else {
            continue;
        };
        let (repo, inserted) = store.with(|c| {
            let repo = current_name(c, &remote)?;
            let inserted = c.execute(
                "INSERT OR IGNORE INTO gh_inbox_repos (repo, added_at) VALUES (?1, unixepoch())",
                [&repo],
            )?;
            Ok((repo, inserted))
        })?;
        if inserted > 0 {
            added.push(repo);
        }
    }
    Ok(added)
}

/// What following a repository keeps in the store, by repository (the person's own triage, read
/// markers and outbox are apart).
const SYNCED_TABLES: [&str; 7] = [
    "gh_inbox_repos",
    "gh_issues",
    "gh_issue_tags",
    "gh_comments",
    "gh_sync",
    "gh_fts",
    "gh_fts_rows",
];

/// Stops following a repository; its synced issues are removed from the store.
pub fn unfollow(store: &Store, repo: &str) -> Result<()> {
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        for table in SYNCED_TABLES {
            tx.execute(&format!("DELETE FROM {table} WHERE repo = ?1"), [repo])?;
        }
        tx.commit()
    })
}

pub fn repos(store: &Store) -> Result<Vec<InboxRepoDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT f.repo, (SELECT count(*) FROM gh_issues i WHERE i.repo = f.repo AND i.is_pr = 0),
                    s.synced_at, s.last_error,
                    (SELECT group_concat(old, ', ') FROM gh_repo_renames n WHERE n.new = f.repo),
                    s.last_error_code = 'github_sign_in'
             FROM gh_inbox_repos f LEFT JOIN gh_sync s ON s.repo = f.repo ORDER BY f.repo",
        )?;
        stmt.query_map([], |r| {
            Ok(InboxRepoDto {
                repo: r.get(0)?,
                issues: r.get::<_, i64>(1)? as u64,
                synced_at: r.get(2)?,
                last_error: r.get(3)?,
                renamed_from: r.get(4)?,
                sign_in_needed: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
            })
        })?
        .collect()
    })
}

/// "owner/name" of a GitHub remote URL (`https://github.com/o/n.git`, `git@github.com:o/n`, or any
/// http(s) URL ending in `/o/n(.git)`, as GitHub Enterprise and the fake use).
pub fn repo_of_remote(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map(|r| r.split_once('/').map(|(_, path)| path).unwrap_or(""))
        .or_else(|| url.strip_prefix("git@github.com:"))?;
    let parts: Vec<&str> = rest
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .split('/')
        .collect();
    match parts.as_slice() {
        [.., owner, name] if !owner.is_empty() && !name.is_empty() => {
            parse_repo(&format!("{owner}/{name}")).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::store::Store;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn repositories_are_read_from_names_and_urls() {
        assert_eq!(parse_repo(" acme/incidents ").unwrap(), "acme/incidents");
        assert_eq!(
            parse_repo("https://github.com/acme/incidents.git").unwrap(),
            "acme/incidents"
        );
        for bad in ["acme", "acme/x/y", "", "acme/<b>", "../x"] {
            assert_eq!(
                parse_repo(bad).map_err(|e| e.code()).err(),
                Some(ErrorCode::InvalidInput),
                "{bad}"
            );
        }
    }

    #[test]
    fn leftovers_under_the_new_name_give_way_to_the_renamed_repository() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("studio.db")).unwrap();
        follow(&store, "acme/old").unwrap();
        let tags: i64 = store
            .with(|c| {
                c.execute_batch(
                    "INSERT INTO gh_issue_tags VALUES ('acme/old', 1, 'label', 'incident'),
                                                     ('acme/new', 1, 'label', 'incident');",
                )?;
                let tx = c.unchecked_transaction()?;
                adopt_rename(&tx, "acme/old", "acme/new")?;
                tx.commit()?;
                c.query_row(
                    "SELECT count(*) FROM gh_issue_tags WHERE repo = 'acme/new'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(tags, 1);
    }

    #[test]
    fn a_rename_onto_a_followed_repository_keeps_its_data_and_moves_the_persons_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("studio.db")).unwrap();
        follow(&store, "acme/old").unwrap();
        follow(&store, "acme/new").unwrap();
        store
            .with(|c| {
                for repo in ["acme/old", "acme/new"] {
                    c.execute(
                        "INSERT INTO gh_issues VALUES (?1, 1, 1, 't', 'b', 'open', 'x', '[]', '[]', 0, 0, 'c', 'u')",
                        [repo],
                    )?;
                }
                c.execute(
                    "INSERT INTO gh_triage VALUES ('acme/old', 1, 'resolved', 0), ('acme/old', 2, 'acknowledged', 0),
                                                  ('acme/new', 2, 'investigating', 0)",
                    [],
                )?;
                let tx = c.unchecked_transaction()?;
                adopt_rename(&tx, "acme/old", "acme/new")?;
                tx.commit()
            })
            .unwrap();
        let rows = |sql: &str| -> Vec<(String, i64, String)> {
            store
                .with(|c| {
                    c.prepare(sql)?
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect()
                })
                .unwrap()
        };
        assert_eq!(
            rows("SELECT repo, number, state FROM gh_triage ORDER BY number"),
            vec![
                ("acme/new".into(), 1, "resolved".into()),
                ("acme/new".into(), 2, "investigating".into())
            ],
            "triage moves; what the new name had wins"
        );
        assert_eq!(
            rows("SELECT repo, number, title FROM gh_issues"),
            vec![("acme/new".into(), 1, "t".into())]
        );
        let followed: Vec<String> = repos(&store).unwrap().into_iter().map(|r| r.repo).collect();
        assert_eq!(followed, ["acme/new"]);
        assert_eq!(
            store.with(|c| current_name(c, "ACME/old")).unwrap(),
            "acme/new"
        );
    }

    #[test]
    fn github_remotes_name_their_repository() {
        for (url, repo) in [
            ("https://github.com/acme/crm.git", Some("acme/crm")),
            ("git@github.com:acme/crm.git", Some("acme/crm")),
            ("http://127.0.0.1:5555/git/acme/crm.git", Some("acme/crm")),
            ("file:///tmp/crm-origin.git", None),
            ("https://github.com/acme", None),
        ] {
            assert_eq!(repo_of_remote(url).as_deref(), repo, "{url}");
        }
    }
}
