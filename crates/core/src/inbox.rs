//! The issue inbox, read from the store (so it works with the network off): the followed
//! repositories, the filtered and searched list of issues, one issue with its comments (pending
//! outbox comments included), local triage state and read markers. Blocking functions.

use rusqlite::{OptionalExtension, params, types::Value as SqlValue};
use vibedata_protocol::inbox::{
    CommentDto, InboxDto, InboxFilterDto, InboxRepoDto, IssueDetailDto, IssueRowDto, OutboxItemDto,
    OutboxWriteDto, SyncResultDto,
};

use crate::error::blocking;
use crate::store::Store;
use crate::{CoreError, Result, outbox};

/// The triage states, in their order on the page.
pub const TRIAGE: [&str; 4] = ["new", "acknowledged", "investigating", "resolved"];

/// How many issues the list holds at most.
const LIST_LIMIT: i64 = 500;

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
    for ws in crate::workspace::list(store)? {
        let Some(remote) = ws
            .origin_url
            .as_deref()
            .and_then(crate::pull_request::repo_of_remote)
        else {
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

pub(crate) fn fts_query(query: &str) -> Option<String> {
    // Single tokens only (what the index's tokenizer makes of the words), each quoted: no FTS
    // syntax from the person's text reaches the query.
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn json_list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssueRowDto> {
    Ok(IssueRowDto {
        repo: r.get("repo")?,
        number: r.get::<_, i64>("number")? as u64,
        title: r.get("title")?,
        state: r.get("state")?,
        author: r.get("author")?,
        labels: json_list(r.get("labels")?),
        assignees: json_list(r.get("assignees")?),
        comments: r.get::<_, i64>("comments")? as u64,
        updated_at: r.get("updated_at")?,
        is_pr: r.get("is_pr")?,
        triage: r.get("triage")?,
        unread: r.get("unread")?,
    })
}

const ROW_SELECT: &str = "SELECT i.repo, i.number, i.title, i.state, i.author, i.labels, i.assignees,
        i.comments, i.updated_at, i.is_pr, coalesce(t.state, 'new') AS triage,
        NOT EXISTS (SELECT 1 FROM gh_read r WHERE r.repo = i.repo AND r.number = i.number AND r.updated_at >= i.updated_at) AS unread
     FROM gh_issues i LEFT JOIN gh_triage t ON t.repo = i.repo AND t.number = i.number";

/// The followed repositories' issues (not pull requests) matching `filter`, newest change first.
/// `me` is the signed-in login (for "mine").
pub fn list(store: &Store, filter: &InboxFilterDto, me: Option<&str>) -> Result<InboxDto> {
    let mut clauses = vec![
        "i.is_pr = 0".to_string(),
        // `+`: not a way in for the planner, which would then sort every issue of the followed
        // repositories instead of walking the update-order index to the first LIST_LIMIT rows.
        "+i.repo IN (SELECT repo FROM gh_inbox_repos)".to_string(),
    ];
    let mut args: Vec<SqlValue> = Vec::new();
    let mut arg = |clause: &str, value: String, clauses: &mut Vec<String>| {
        args.push(SqlValue::Text(value));
        clauses.push(clause.replace('?', &format!("?{}", args.len())));
    };
    if !filter.repo.is_empty() {
        arg("i.repo = ?", filter.repo.clone(), &mut clauses);
    }
    if !filter.state.is_empty() {
        arg("i.state = ?", filter.state.clone(), &mut clauses);
    }
    if !filter.label.is_empty() {
        arg(
            "EXISTS (SELECT 1 FROM gh_issue_tags g WHERE g.repo = i.repo AND g.number = i.number AND g.kind = 'label' AND g.value = ?)",
            filter.label.clone(),
            &mut clauses,
        );
    }
    if !filter.assignee.is_empty() {
        arg(
            "EXISTS (SELECT 1 FROM gh_issue_tags g WHERE g.repo = i.repo AND g.number = i.number AND g.kind = 'assignee' AND g.value = ?)",
            filter.assignee.clone(),
            &mut clauses,
        );
    }
    if filter.mine {
        arg(
            "EXISTS (SELECT 1 FROM gh_issue_tags g WHERE g.repo = i.repo AND g.number = i.number AND g.kind = 'assignee' AND g.value = ?)",
            me.unwrap_or("\u{0}nobody").to_string(),
            &mut clauses,
        );
    }
    if !filter.triage.is_empty() {
        arg(
            "coalesce(t.state, 'new') = ?",
            filter.triage.clone(),
            &mut clauses,
        );
    }
    let fts = fts_query(&filter.query);
    let repos = repos(store)?;
    store.with(|c| {
        if let Some(fts) = &fts {
            // The issues a search hits, found once for the count and the rows: the matches'
            // rowids come from the full-text index alone, their issues from the row map.
            c.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS inbox_hits (repo TEXT NOT NULL, number INTEGER NOT NULL,
                     PRIMARY KEY (repo, number)) WITHOUT ROWID;
                 DELETE FROM temp.inbox_hits;",
            )?;
            let hits = c.execute(
                "INSERT OR IGNORE INTO temp.inbox_hits (repo, number)
                 SELECT repo, number FROM gh_fts_rows WHERE rowid_in_fts IN
                     (SELECT rowid FROM gh_fts WHERE gh_fts MATCH ?1)",
                [fts],
            )?;
            // Few hits: the rows are found from them, then sorted. Many: the update-order index
            // is walked and each row checked against them (`+`: not a way in), stopping at the
            // limit, instead of sorting thousands.
            clauses.push(if hits as i64 > 4 * LIST_LIMIT {
                "(+i.repo, i.number) IN (SELECT repo, number FROM temp.inbox_hits)".into()
            } else {
                "(i.repo, i.number) IN (SELECT repo, number FROM temp.inbox_hits)".into()
            });
        }
        let filter_sql = clauses.join(" AND ");
        // The count reads only the filtered keys; the rows walk the update-order index and stop
        // at the limit, so unread markers and the rest are read for the shown rows only.
        let total: i64 = c.query_row(
            &format!(
                "SELECT count(*) FROM gh_issues i LEFT JOIN gh_triage t ON t.repo = i.repo AND t.number = i.number
                 WHERE {filter_sql}"
            ),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(&format!(
            "{ROW_SELECT} WHERE {filter_sql} ORDER BY i.updated_at DESC, i.number DESC LIMIT {LIST_LIMIT}"
        ))?;
        let issues = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let distinct = |kind: &str| -> rusqlite::Result<Vec<String>> {
            let mut stmt = c.prepare(
                "SELECT DISTINCT value FROM gh_issue_tags WHERE kind = ?1
                   AND repo IN (SELECT repo FROM gh_inbox_repos) ORDER BY value LIMIT 200",
            )?;
            stmt.query_map([kind], |r| r.get(0))?.collect()
        };
        Ok(InboxDto {
            repos,
            issues,
            total: total as u64,
            labels: distinct("label")?,
            assignees: distinct("assignee")?,
            signed_in_as: me.map(str::to_string),
        })
    })
}

/// One issue with its comments and the person's pending outbox comments; opening it marks it read.
pub fn detail(store: &Store, repo: &str, number: u64) -> Result<IssueDetailDto> {
    let found = store.with(|c| {
        let issue = c
            .query_row(
                &format!("{ROW_SELECT} WHERE i.repo = ?1 AND i.number = ?2"),
                params![repo, number as i64],
                row,
            )
            .optional()?;
        let Some(issue) = issue else {
            return Ok(None);
        };
        let body: String = c.query_row(
            "SELECT body FROM gh_issues WHERE repo = ?1 AND number = ?2",
            params![repo, number as i64],
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(
            "SELECT author, body, created_at FROM gh_comments WHERE repo = ?1 AND issue_number = ?2 ORDER BY created_at, id",
        )?;
        let comments = stmt
            .query_map(params![repo, number as i64], |r| {
                Ok(CommentDto {
                    author: r.get(0)?,
                    body: without_marker(r.get(1)?),
                    created_at: r.get(2)?,
                    pending: false,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        c.execute(
            "INSERT INTO gh_read (repo, number, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (repo, number) DO UPDATE SET updated_at = excluded.updated_at",
            params![repo, number as i64, issue.updated_at],
        )?;
        Ok(Some((issue, body, comments)))
    })?;
    let Some((mut issue, body, mut comments)) = found else {
        return Err(CoreError::NotFound(format!(
            "issue {repo}#{number} is not in the inbox (sync the repository first)"
        )));
    };
    issue.unread = false;
    comments.extend(
        outbox::list(store)?
            .into_iter()
            .filter(|w| {
                w.kind == "comment"
                    && w.repo == repo
                    && w.issue_number == Some(number)
                    && matches!(w.state.as_str(), "queued" | "sending" | "failed")
            })
            .map(|w| CommentDto {
                author: "you".into(),
                body: w.body.unwrap_or_default(),
                created_at: String::new(),
                pending: true,
            }),
    );
    Ok(IssueDetailDto {
        body: without_marker(body),
        html_url: format!("https://github.com/{repo}/issues/{number}"),
        issue,
        comments,
    })
}

/// A body without the outbox's idempotency marker (ours, not the author's words).
fn without_marker(mut body: String) -> String {
    if let Some(at) = body.find("<!-- vibedata-outbox:") {
        body.truncate(at);
        body.truncate(body.trim_end().len());
    }
    body
}

/// Sets the local triage state of an issue (kept in the store, never sent to GitHub).
pub fn set_triage(store: &Store, repo: &str, number: u64, state: &str) -> Result<()> {
    if !TRIAGE.contains(&state) {
        return Err(CoreError::InvalidInput(format!(
            "“{state}” is not a triage state (new, acknowledged, investigating, resolved)"
        )));
    }
    let exists = store.with(|c| {
        c.query_row(
            "SELECT count(*) FROM gh_issues WHERE repo = ?1 AND number = ?2",
            params![repo, number as i64],
            |r| r.get::<_, i64>(0),
        )
    })?;
    if exists == 0 {
        return Err(CoreError::NotFound(format!(
            "issue {repo}#{number} is not in the inbox"
        )));
    }
    store.with(|c| {
        c.execute(
            "INSERT INTO gh_triage (repo, number, state, changed_at) VALUES (?1, ?2, ?3, unixepoch())
             ON CONFLICT (repo, number) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at",
            params![repo, number as i64, state],
        )
    })?;
    Ok(())
}

/// The inbox and outbox as the app uses them (each call on a blocking thread).
impl crate::Studio {
    /// Acts on GitHub with this token from now on, instead of the signed-in account (scripts,
    /// CI and tests; the app and the CLI read `VIBEDATA_GITHUB_TOKEN` themselves). Never stored.
    pub fn use_github_token(
        &self,
        api_url: &str,
        token: vibedata_agent::redact::Sensitive<String>,
    ) {
        let active = crate::github_accounts::Active {
            login: None,
            api_url: api_url.to_string(),
            token,
        };
        *self
            .github_override
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(active);
    }

    /// The identity for a workspace's repository: the override, or
    /// [`crate::github_accounts::active_for_workspace`].
    pub(crate) async fn active_github_for(
        &self,
        workspace_id: &str,
    ) -> Result<Option<crate::github_accounts::Active>> {
        if let Some(active) = self
            .github_override
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(Some(active));
        }
        crate::github_accounts::active_for_workspace(self.store.clone(), workspace_id).await
    }

    /// The identity GitHub work runs as: the override, or [`crate::github_accounts::active`].
    pub(crate) async fn active_github(&self) -> Result<Option<crate::github_accounts::Active>> {
        if let Some(active) = self
            .github_override
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(Some(active));
        }
        crate::github_accounts::active_fresh(self.store.clone()).await
    }

    pub async fn inbox(&self, filter: InboxFilterDto) -> Result<InboxDto> {
        let (store, active) = (self.store.clone(), self.active_github().await?);
        blocking(move || {
            let me = crate::issue_sync::known_login(&store, active.as_ref())?;
            list(&store, &filter, me.as_deref())
        })
        .await
    }

    pub async fn inbox_follow(&self, repo: String) -> Result<String> {
        let store = self.store.clone();
        blocking(move || follow(&store, &repo)).await
    }

    pub async fn issue_detail(&self, repo: String, number: u64) -> Result<IssueDetailDto> {
        let store = self.store.clone();
        blocking(move || detail(&store, &repo, number)).await
    }

    pub async fn set_triage(&self, repo: String, number: u64, state: String) -> Result<()> {
        let store = self.store.clone();
        blocking(move || set_triage(&store, &repo, number, &state)).await
    }

    /// Delivers the outbox and syncs the followed repositories; one at a time (a second call
    /// waits for the first).
    pub async fn inbox_sync(&self) -> Result<SyncResultDto> {
        let _one_at_a_time = self.inbox_sync.lock().await;
        let store = self.store.clone();
        blocking(move || follow_workspace_repos(&store)).await?;
        let active = self.active_github().await?;
        crate::issue_sync::sync_all(self.store.clone(), active).await
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxItemDto>> {
        let store = self.store.clone();
        blocking(move || outbox::list(&store)).await
    }

    pub async fn outbox_enqueue(
        &self,
        repo: String,
        write: OutboxWriteDto,
    ) -> Result<OutboxItemDto> {
        let store = self.store.clone();
        blocking(move || outbox::enqueue(&store, &repo, &write)).await
    }

    pub async fn outbox_retry(&self, seq: i64) -> Result<()> {
        let store = self.store.clone();
        blocking(move || outbox::retry(&store, seq)).await
    }

    pub async fn outbox_cancel(&self, seq: i64) -> Result<()> {
        let store = self.store.clone();
        blocking(move || outbox::cancel(&store, seq)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_read_from_names_and_urls() {
        assert_eq!(parse_repo(" acme/incidents ").unwrap(), "acme/incidents");
        assert_eq!(
            parse_repo("https://github.com/acme/incidents.git").unwrap(),
            "acme/incidents"
        );
        for bad in ["acme", "acme/x/y", "", "acme/<b>", "../x"] {
            assert!(parse_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_words_are_quoted_so_fts_syntax_cannot_break_the_query() {
        assert_eq!(
            fts_query("orders NEAR(x \"y").as_deref(),
            Some("\"orders\" \"NEAR\" \"x\" \"y\"")
        );
        assert_eq!(fts_query("  "), None);
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
}
