//! Syncing a repository's GitHub issues and comments into the store, incrementally (`since`, and
//! conditional requests answered 304), page by page in transactions so a sync that dies midway
//! resumes from the last stored page without gaps; and searching them offline with FTS5.
//! Pull requests (which GitHub's issue list also returns) are kept apart by `is_pr`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use vibedata_github::rest::{Client, GhError};

use std::sync::Arc;

use crate::platform::error::{CoreError, Result, blocking};
use crate::platform::store::Store;

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub issues: usize,
    pub comments: usize,
    /// Every page was answered 304 (nothing changed, no rate limit spent).
    pub unchanged: bool,
    /// GitHub redirected the sync: the repository's name there now ("owner/name"), under which
    /// the inbox follows it from now on.
    pub renamed_to: Option<String>,
}

/// How many of a query's most recent matches are ranked (see [`search`]).
const RANK_WINDOW: i64 = 2_000;

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub repo: String,
    pub number: i64,
    pub title: String,
    pub snippet: String,
}

fn since_param(since: Option<String>) -> String {
    since.map(|s| format!("&since={s}")).unwrap_or_default()
}

/// Replaces the searchable text of one issue or comment.
fn index_text(
    c: &Connection,
    repo: &str,
    number: i64,
    key: &str,
    text: &str,
) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM gh_fts WHERE rowid = (SELECT rowid_in_fts FROM gh_fts_rows WHERE repo = ?1 AND number = ?2 AND key = ?3)",
        params![repo, number, key],
    )?;
    c.execute(
        "INSERT INTO gh_fts (repo, number, key, text) VALUES (?1, ?2, ?3, ?4)",
        params![repo, number, key, text],
    )?;
    c.execute(
        "INSERT INTO gh_fts_rows (repo, number, key, rowid_in_fts) VALUES (?1, ?2, ?3, last_insert_rowid())
         ON CONFLICT (repo, number, key) DO UPDATE SET rowid_in_fts = excluded.rowid_in_fts",
        params![repo, number, key],
    )?;
    Ok(())
}

fn store_issue(c: &Connection, repo: &str, issue: &Value) -> rusqlite::Result<()> {
    let number = issue["number"].as_i64().unwrap_or_default();
    let (title, body) = (
        issue["title"].as_str().unwrap_or_default(),
        issue["body"].as_str().unwrap_or_default(),
    );
    let names = |field: &str, key: &str| {
        let list: Vec<&str> = issue[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l[key].as_str())
            .collect();
        serde_json::to_string(&list).unwrap_or_default()
    };
    c.execute(
        "INSERT INTO gh_issues (repo, number, id, title, body, state, author, labels, assignees, is_pr, comments, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (repo, number) DO UPDATE SET title = excluded.title, body = excluded.body, state = excluded.state,
             labels = excluded.labels, assignees = excluded.assignees, is_pr = excluded.is_pr,
             comments = excluded.comments, updated_at = excluded.updated_at",
        params![
            repo,
            number,
            issue["id"].as_i64().unwrap_or_default(),
            title,
            body,
            issue["state"].as_str().unwrap_or("open"),
            issue["user"]["login"].as_str().unwrap_or_default(),
            names("labels", "name"),
            names("assignees", "login"),
            issue.get("pull_request").is_some(),
            issue["comments"].as_i64().unwrap_or_default(),
            issue["created_at"].as_str().unwrap_or_default(),
            issue["updated_at"].as_str().unwrap_or_default(),
        ],
    )?;
    c.execute(
        "DELETE FROM gh_issue_tags WHERE repo = ?1 AND number = ?2",
        params![repo, number],
    )?;
    for (kind, field, key) in [
        ("label", "labels", "name"),
        ("assignee", "assignees", "login"),
    ] {
        for value in issue[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v[key].as_str())
        {
            c.execute(
                "INSERT OR IGNORE INTO gh_issue_tags (repo, number, kind, value) VALUES (?1, ?2, ?3, ?4)",
                params![repo, number, kind, value],
            )?;
        }
    }
    index_text(c, repo, number, "issue", &format!("{title}\n{body}"))
}

fn store_comment(c: &Connection, repo: &str, comment: &Value) -> rusqlite::Result<()> {
    let id = comment["id"].as_i64().unwrap_or_default();
    let number: i64 = comment["issue_url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    let body = comment["body"].as_str().unwrap_or_default();
    c.execute(
        "INSERT INTO gh_comments (repo, id, issue_number, author, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (repo, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        params![repo, id, number, comment["user"]["login"].as_str().unwrap_or_default(), body,
            comment["created_at"].as_str().unwrap_or_default(), comment["updated_at"].as_str().unwrap_or_default()],
    )?;
    index_text(c, repo, number, &format!("comment:{id}"), body)
}

/// Stores issues (`issues` true) or comments as GitHub's REST API gives them, with their
/// searchable text. Part of the caller's transaction.
pub fn store_items(
    c: &Connection,
    repo: &str,
    issues: bool,
    items: &[Value],
) -> rusqlite::Result<()> {
    for item in items {
        if issues {
            store_issue(c, repo, item)?
        } else {
            store_comment(c, repo, item)?
        }
    }
    Ok(())
}

fn cursor(store: &Store, repo: &str, column: &str) -> Result<Option<String>> {
    store.with(|c| {
        c.query_row(
            &format!("SELECT {column} FROM gh_sync WHERE repo = ?1"),
            [repo],
            |r| r.get(0),
        )
        .optional()
        .map(Option::flatten)
    })
}

/// Records why a sync of `repo` failed (shown with the repository; a refused token also brings
/// the sign-in prompt) and returns the error.
async fn failed(store: &Arc<Store>, repo: &str, e: GhError) -> CoreError {
    let error = CoreError::github(format!("syncing {repo}"), e);
    let code = serde_json::to_value(error.code())
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let (store, repo, message) = (store.clone(), repo.to_string(), error.to_string());
    let recorded = blocking(move || {
        store.with(|c| {
            c.execute(
                "INSERT INTO gh_sync (repo, last_error, last_error_code) VALUES (?1, ?2, ?3)
                 ON CONFLICT (repo) DO UPDATE SET last_error = excluded.last_error, last_error_code = excluded.last_error_code",
                params![repo, message, code],
            )
        })
    })
    .await;
    match recorded {
        Ok(_) => error,
        Err(store_error) => store_error,
    }
}

/// Syncs `repo` ("owner/name"): issues, then comments, each listed by `updated` ascending from
/// the stored cursor. Each page is stored in one transaction together with the cursor, so an
/// interrupted sync loses nothing and resumes from there (`since` is inclusive: no gaps). A pass
/// that moved the cursor is followed by another from the new cursor, until a pass finds nothing
/// newer: that closes the window in which items updated during the sync move behind the pages
/// already read, and leaves the ETag of the cursor's page cached, so the next sync with nothing
/// changed costs only conditional requests answered 304.
pub async fn sync(store: Arc<Store>, client: &Client, repo: &str) -> Result<SyncReport> {
    let mut report = SyncReport {
        issues: 0,
        comments: 0,
        unchanged: true,
        renamed_to: None,
    };
    let mut moved_to = None;
    for (kind, column) in [
        ("issues", "issues_since"),
        ("issues/comments", "comments_since"),
    ] {
        loop {
            let since = {
                let (store, repo) = (store.clone(), repo.to_string());
                blocking(move || cursor(&store, &repo, column)).await?
            };
            let mut next = Some(format!(
                "/repos/{repo}/{kind}?state=all&sort=updated&direction=asc&per_page=100{}",
                since_param(since.clone())
            ));
            let mut advanced = false;
            while let Some(url) = next {
                let page = match client.get(&url).await {
                    Ok(page) => page,
                    Err(e) => return Err(failed(&store, repo, e).await),
                };
                next = page.next.clone();
                moved_to = moved_to.or(page.moved_to);
                if page.not_modified {
                    continue;
                }
                report.unchanged = false;
                let items = match page.body {
                    Value::Array(items) => items,
                    other => {
                        let e = GhError::Protocol(format!(
                            "a list was expected, not {}",
                            other.to_string().chars().take(80).collect::<String>()
                        ));
                        return Err(failed(&store, repo, e).await);
                    }
                };
                let newest = items
                    .iter()
                    .filter_map(|i| i["updated_at"].as_str())
                    .max()
                    .map(str::to_string);
                advanced |= newest.is_some() && newest > since;
                // The closing pass re-reads the items at the cursor itself: not counted as new.
                let count = items
                    .iter()
                    .filter(|i| {
                        since.is_none() || i["updated_at"].as_str().map(str::to_string) > since
                    })
                    .count();
                let (store, repo) = (store.clone(), repo.to_string());
                blocking(move || store.with(|c| {
                    let tx = c.unchecked_transaction()?;
                    store_items(&tx, &repo, kind == "issues", &items)?;
                    if newest.is_some() {
                        tx.execute(
                            &format!("INSERT INTO gh_sync (repo, {column}) VALUES (?1, ?2)
                                      ON CONFLICT (repo) DO UPDATE SET {column} = max(coalesce({column}, ''), excluded.{column})"),
                            params![repo, newest],
                        )?;
                    }
                    tx.commit()
                })).await?;
                if kind == "issues" {
                    report.issues += count
                } else {
                    report.comments += count
                }
            }
            if !advanced {
                break;
            }
        }
    }
    if let Some(url) = moved_to {
        report.renamed_to = renamed_to(client, &url, repo).await;
    }
    let (repo, renamed) = (repo.to_string(), report.renamed_to.clone());
    blocking(move || {
        store.with(|c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO gh_sync (repo, synced_at) VALUES (?1, unixepoch())
                 ON CONFLICT (repo) DO UPDATE SET synced_at = unixepoch(), last_error = NULL, last_error_code = NULL",
                [&repo],
            )?;
            // Renamed on GitHub: from now on the inbox follows it under the new name.
            if let Some(new) = renamed {
                crate::github::repos::adopt_rename(&tx, &repo, &new)?;
            }
            tx.commit()
        })
    })
    .await?;
    Ok(report)
}

/// The current name of a repository GitHub redirected to `url` (`…/repositories/{id}/…`), when
/// it is not `repo` any more. The sync itself succeeded through the redirect, so a failed lookup
/// only leaves the name unknown.
async fn renamed_to(client: &Client, url: &str, repo: &str) -> Option<String> {
    let start = url.find("/repositories/")? + "/repositories/".len();
    let id_len = url[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(url.len() - start);
    let page = client.get(&url[..start + id_len]).await.ok()?;
    let name = page.body["full_name"].as_str()?;
    (!name.eq_ignore_ascii_case(repo)).then(|| name.to_string())
}

/// Issues whose title, body or comments hold every word of `query`, best first (bm25), with a
/// snippet. A query matching more than [`RANK_WINDOW`] texts is ranked among the most recently
/// updated of them.
pub fn search(store: &Store, query: &str, limit: usize) -> Result<Vec<Hit>> {
    let Some(fts) = fts_query(query) else {
        return Ok(Vec::new());
    };
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.replace('"', "").to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    store.with(|c| {
        // Ranking is the cost, so it is bounded: a word in half the corpus is ranked among its
        // RANK_WINDOW most recently updated matches (rowid order is update order), found by
        // walking the index backwards; rarer words are ranked among all their matches.
        let floor: i64 = c
            .query_row(
                "SELECT rowid FROM gh_fts WHERE gh_fts MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
                params![fts, RANK_WINDOW - 1],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(i64::MIN);
        // Only rowids are ranked (no stored text is read for the matches); the best few are then
        // looked up by rowid.
        let mut stmt = c.prepare(
            "SELECT f.repo, f.number, f.text, i.title FROM
                 (SELECT rowid AS id FROM gh_fts WHERE gh_fts MATCH ?1 AND rowid >= ?3 ORDER BY rank LIMIT ?2) t
             JOIN gh_fts f ON f.rowid = t.id
             JOIN gh_issues i ON i.repo = f.repo AND i.number = f.number",
        )?;
        stmt.query_map(params![fts, limit as i64, floor], |r| {
            Ok(Hit {
                repo: r.get(0)?,
                number: r.get(1)?,
                snippet: snippet(&r.get::<_, String>(2)?, &words),
                title: r.get(3)?,
            })
        })?
        .collect()
    })
}

/// Up to 12 words around the first matching word, matches in [brackets].
fn snippet(text: &str, words: &[String]) -> String {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let hit = |t: &str| {
        let bare = t
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        words.contains(&bare)
    };
    let first = tokens.iter().position(|t| hit(t)).unwrap_or(0);
    let start = first.saturating_sub(4);
    let end = (start + 12).min(tokens.len());
    let mut out: Vec<String> = tokens[start..end]
        .iter()
        .map(|t| {
            if hit(t) {
                format!("[{t}]")
            } else {
                (*t).to_string()
            }
        })
        .collect();
    if start > 0 {
        out.insert(0, "…".into());
    }
    if end < tokens.len() {
        out.push("…".into());
    }
    out.join(" ")
}

/// The person's words as an FTS5 query that cannot carry FTS syntax.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_quoted_so_fts_syntax_cannot_break_the_query() {
        assert_eq!(
            fts_query("orders NEAR(x \"y").as_deref(),
            Some("\"orders\" \"NEAR\" \"x\" \"y\"")
        );
        assert_eq!(fts_query("  "), None);
    }

    #[test]
    fn snippets_bracket_the_matching_words_in_context() {
        let words = vec!["freshness".to_string()];
        let text = "one two three four five six Freshness, breached at noon on the orders table again today";
        assert_eq!(
            super::snippet(text, &words),
            "… three four five six [Freshness,] breached at noon on the orders table …"
        );
        assert_eq!(super::snippet("no match here", &words), "no match here");
    }
}
