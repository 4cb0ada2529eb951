//! The issue inbox, read from the store (so it works with the network off): the followed
//! repositories, the filtered and searched list of issues, one issue with its comments (pending
//! outbox comments included), local triage state and read markers. Blocking functions.

use rusqlite::{OptionalExtension, params, types::Value as SqlValue};
use vibedata_protocol::inbox::{
    CommentDto, InboxDto, InboxFilterDto, IssueDetailDto, IssueRowDto, IssueState, OutboxKind,
    OutboxState, Triage,
};

use crate::github::outbox;
use crate::platform::error::{CoreError, Result};
use crate::platform::store::{Store, named};

/// How many issues the list holds at most.
const LIST_LIMIT: i64 = 500;

fn json_list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssueRowDto> {
    Ok(IssueRowDto {
        repo: r.get("repo")?,
        number: r.get::<_, i64>("number")? as u64,
        title: r.get("title")?,
        state: named(r, "state", IssueState::parse)?,
        author: r.get("author")?,
        labels: json_list(r.get("labels")?),
        assignees: json_list(r.get("assignees")?),
        comments: r.get::<_, i64>("comments")? as u64,
        updated_at: r.get("updated_at")?,
        is_pr: r.get("is_pr")?,
        triage: named(r, "triage", Triage::parse)?,
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
    if let Some(state) = filter.state {
        arg("i.state = ?", state.as_str().to_string(), &mut clauses);
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
    if let Some(triage) = filter.triage {
        arg(
            "coalesce(t.state, 'new') = ?",
            triage.as_str().to_string(),
            &mut clauses,
        );
    }
    let fts = crate::github::issue_sync::fts_query(&filter.query);
    let repos = crate::github::repos::repos(store)?;
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
            signed_in: false,
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
                w.kind == OutboxKind::Comment
                    && w.repo == repo
                    && w.issue_number == Some(number)
                    && matches!(
                        w.state,
                        OutboxState::Queued | OutboxState::Sending | OutboxState::Failed
                    )
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
pub fn set_triage(store: &Store, repo: &str, number: u64, state: Triage) -> Result<()> {
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
            params![repo, number as i64, state.as_str()],
        )
    })?;
    Ok(())
}
