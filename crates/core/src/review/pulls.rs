//! Pull requests reviewed from the synced inbox. The open ones of a workspace's GitHub
//! repository are listed from the store (offline); one picked for review is asked of GitHub
//! (its head and target branch), both fetched into remote-tracking refs —
//! `refs/remotes/origin/pull/<n>` (GitHub's `refs/pull/<n>/head`, which also serves forks) and
//! `refs/remotes/origin/<base>` — and recorded, so it can be reviewed again offline as last
//! fetched. A review's head is then `pull/<n>`; [`sides`] turns any head into the two revisions.

use rusqlite::OptionalExtension;
use vibedata_protocol::review::ReviewPullDto;

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use crate::workspaces::registry::Workspace;

/// The number of a pull request head (`pull/12` → 12).
pub fn number_of(head: &str) -> Option<u64> {
    head.strip_prefix("pull/")?.parse().ok()
}

/// The ref a fetched pull request's head is kept in.
pub fn head_ref_of(number: u64) -> String {
    format!("refs/remotes/origin/pull/{number}")
}

/// A pull request as GitHub described it when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub fetched_at: i64,
}

impl Fetched {
    /// From GitHub's pull request object.
    pub fn from_github(
        repo: &str,
        number: u64,
        pull: &serde_json::Value,
        now: i64,
    ) -> Result<Self> {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let (Some(head_ref), Some(head_sha), Some(base_ref)) = (
            text(&pull["head"]["ref"]),
            text(&pull["head"]["sha"]),
            text(&pull["base"]["ref"]),
        ) else {
            return Err(CoreError::InvalidInput(format!(
                "GitHub's answer for pull request #{number} of {repo} has no head or base"
            )));
        };
        Ok(Fetched {
            repo: repo.to_string(),
            number,
            title: text(&pull["title"]).unwrap_or_default(),
            head_ref,
            head_sha,
            base_ref,
            fetched_at: now,
        })
    }

    /// The refspecs that fetch its head and its target branch.
    pub fn refspecs(&self) -> Vec<String> {
        vec![
            format!(
                "+refs/pull/{}/head:{}",
                self.number,
                head_ref_of(self.number)
            ),
            format!("+refs/heads/{0}:refs/remotes/origin/{0}", self.base_ref),
        ]
    }
}

/// Records a fetched pull request (the latest fetch replaces the one before).
pub fn record(store: &Store, workspace_id: &str, f: &Fetched) -> Result<()> {
    store.with(|c| {
        c.execute(
            "INSERT INTO review_pulls (workspace_id, number, repo, title, head_ref, head_sha, base_ref, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (workspace_id, number) DO UPDATE SET repo = excluded.repo,
               title = excluded.title, head_ref = excluded.head_ref, head_sha = excluded.head_sha,
               base_ref = excluded.base_ref, fetched_at = excluded.fetched_at",
            rusqlite::params![
                workspace_id,
                f.number as i64,
                f.repo,
                f.title,
                f.head_ref,
                f.head_sha,
                f.base_ref,
                f.fetched_at
            ],
        )
        .map(|_| ())
    })
}

/// The pull request as last fetched, if it ever was.
pub fn fetched(store: &Store, workspace_id: &str, number: u64) -> Result<Option<Fetched>> {
    store.with(|c| {
        c.query_row(
            "SELECT repo, title, head_ref, head_sha, base_ref, fetched_at FROM review_pulls
              WHERE workspace_id = ?1 AND number = ?2",
            rusqlite::params![workspace_id, number as i64],
            |r| {
                Ok(Fetched {
                    repo: r.get(0)?,
                    number,
                    title: r.get(1)?,
                    head_ref: r.get(2)?,
                    head_sha: r.get(3)?,
                    base_ref: r.get(4)?,
                    fetched_at: r.get(5)?,
                })
            },
        )
        .optional()
    })
}

/// The open pull requests of the workspace's GitHub repository in the synced inbox, most
/// recently updated first (none when its origin is not on GitHub).
pub fn open_pulls(store: &Store, ws: &Workspace) -> Result<Vec<ReviewPullDto>> {
    let Some(repo) = ws
        .origin_url
        .as_deref()
        .and_then(crate::github::repos::repo_of_remote)
    else {
        return Ok(Vec::new());
    };
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT i.number, i.title, i.author, i.updated_at, p.head_ref, p.base_ref
               FROM gh_issues i
               LEFT JOIN review_pulls p ON p.workspace_id = ?2 AND p.number = i.number
              WHERE i.repo = ?1 AND i.is_pr = 1 AND i.state = 'open'
              ORDER BY i.updated_at DESC, i.number DESC",
        )?;
        let rows = stmt.query_map([&repo, &ws.id], |r| {
            let number: i64 = r.get(0)?;
            Ok(ReviewPullDto {
                number: number as u64,
                title: r.get(1)?,
                author: r.get(2)?,
                updated_at: r.get(3)?,
                head: format!("pull/{number}"),
                head_ref: r.get(4)?,
                base_ref: r.get(5)?,
            })
        })?;
        rows.collect()
    })
}

/// The two revisions a review of `head` compares: a pull request's fetched target branch and
/// head, else the workspace's default branch and the branch itself.
pub fn sides(store: &Store, ws: &Workspace, head: &str) -> Result<(String, String)> {
    match number_of(head) {
        Some(number) => {
            let f = fetched(store, &ws.id, number)?.ok_or_else(|| {
                CoreError::NotFound(format!(
                    "pull request #{number} has not been fetched yet: review it once while GitHub can be reached"
                ))
            })?;
            Ok((
                format!("refs/remotes/origin/{}", f.base_ref),
                head_ref_of(number),
            ))
        }
        None => Ok((
            crate::workspaces::git::default_branch(&ws.path)?,
            head.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_heads_are_recognised_and_nothing_else() {
        assert_eq!(number_of("pull/12"), Some(12));
        for other in [
            "pull/",
            "pull/x",
            "intent/pull/3",
            "feature/pull",
            "pulls/3",
        ] {
            assert_eq!(number_of(other), None, "{other}");
        }
    }

    #[test]
    fn github_s_answer_gives_the_refs_to_fetch() {
        let pull = serde_json::json!({"title": "Amounts in cents",
            "head": {"ref": "feature/cents", "sha": "abc123"}, "base": {"ref": "main"}});
        let f = Fetched::from_github("acme/shop", 7, &pull, 1).unwrap();
        assert_eq!(
            f.refspecs(),
            [
                "+refs/pull/7/head:refs/remotes/origin/pull/7",
                "+refs/heads/main:refs/remotes/origin/main"
            ]
        );
        let broken = serde_json::json!({"title": "x", "head": {"ref": "a"}});
        assert!(Fetched::from_github("acme/shop", 7, &broken, 1).is_err());
    }
}
