//! Git operations on workspace clones: clone with progress, branches, the intent branch
//! `intent/<slug>`, commit, push, and the stale `index.lock` check. Blocking (git2): call from a
//! blocking thread. Remotes are file:// (or a path) for now; https with the user's token comes
//! with GitHub sign-in.

use crate::platform::error::{CoreError, Result};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Transfer progress of a clone or fetch, as git reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferProgress {
    pub received_objects: usize,
    pub total_objects: usize,
    pub indexed_deltas: usize,
    pub total_deltas: usize,
    pub received_bytes: usize,
}

/// Who commits: the configured user identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub name: String,
    pub is_head: bool,
    pub upstream: Option<String>,
    /// Commits not on the upstream / on the upstream but not here (0 without an upstream).
    pub ahead: usize,
    pub behind: usize,
}

pub const INTENT_PREFIX: &str = "intent/";

/// Maps a git2 error to [`CoreError::Git`] with what we were doing.
pub(crate) fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> CoreError {
    let context = context.into();
    move |e| CoreError::git(context, e)
}

/// Clones `url` into `dest`, reporting transfer progress. It clones into a scratch folder beside
/// `dest` and renames it into place, so an interrupted clone leaves nothing half-made at `dest`.
/// Answers git's credential requests with a GitHub token: offered once as the password of
/// `x-access-token` (GitHub's convention); asked again means refused — an error, not a loop.
/// git's callbacks for talking to a remote: transfer progress to `progress`, and the token (when
/// there is one) offered as the password.
fn remote_callbacks<'a>(
    token: Option<&'a str>,
    progress: &'a mut impl FnMut(TransferProgress),
) -> git2::RemoteCallbacks<'a> {
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.transfer_progress(move |p| {
        progress(TransferProgress {
            received_objects: p.received_objects(),
            total_objects: p.total_objects(),
            indexed_deltas: p.indexed_deltas(),
            total_deltas: p.total_deltas(),
            received_bytes: p.received_bytes(),
        });
        true
    });
    callbacks.credentials(token_credentials(token));
    callbacks
}

fn token_credentials<'a>(
    token: Option<&'a str>,
) -> impl FnMut(&str, Option<&str>, git2::CredentialType) -> std::result::Result<git2::Cred, git2::Error>
+ 'a {
    let mut offered = false;
    move |_url, _user, allowed| match token {
        Some(token) if !offered && allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) => {
            offered = true;
            git2::Cred::userpass_plaintext("x-access-token", token)
        }
        Some(_) => Err(git2::Error::from_str(
            "the remote refused the GitHub token (revoked, expired or without access to this repository); sign in again",
        )),
        None => Err(git2::Error::from_str(
            "the remote asks for credentials: sign in to GitHub first",
        )),
    }
}

pub fn clone(url: &str, dest: &Path, progress: impl FnMut(TransferProgress)) -> Result<()> {
    clone_as(url, dest, None, progress)
}

/// [`clone`] with a GitHub token for a private http(s) repository (never written to the clone).
pub fn clone_as(
    url: &str,
    dest: &Path,
    token: Option<&str>,
    mut progress: impl FnMut(TransferProgress),
) -> Result<()> {
    if dest.exists() {
        return Err(CoreError::InvalidInput(format!(
            "{} already exists; choose another folder",
            dest.display()
        )));
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clone".into());
    let partial = parent.join(format!(".{name}.partial"));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .map_err(|e| CoreError::io(format!("cannot remove {}", partial.display()), e))?;
    }
    let callbacks = remote_callbacks(token, &mut progress);
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(callbacks);
    git2::build::RepoBuilder::new()
        .fetch_options(fetch)
        .clone(url, &partial)
        .map_err(git(format!("cannot clone {url}")))?;
    std::fs::rename(&partial, dest).map_err(|e| {
        CoreError::io(
            format!("cannot move {} to {}", partial.display(), dest.display()),
            e,
        )
    })
}

fn open(path: &Path) -> Result<git2::Repository> {
    git2::Repository::open(path).map_err(git(format!(
        "cannot open the repository at {}",
        path.display()
    )))
}

/// Local branches, the checked-out one marked.
pub fn branches(path: &Path) -> Result<Vec<Branch>> {
    let repo = open(path)?;
    let mut out = Vec::new();
    for entry in repo
        .branches(Some(git2::BranchType::Local))
        .map_err(git("cannot list branches"))?
    {
        let (branch, _) = entry.map_err(git("cannot read a branch"))?;
        let name = branch
            .name()
            .map_err(git("cannot read a branch name"))?
            .unwrap_or_default()
            .to_owned();
        let upstream_branch = branch.upstream().ok();
        let upstream = upstream_branch
            .as_ref()
            .and_then(|u| u.name().ok().flatten().map(str::to_owned));
        let (ahead, behind) = match (
            branch.get().target(),
            upstream_branch.and_then(|u| u.get().target()),
        ) {
            (Some(local), Some(remote)) => repo.graph_ahead_behind(local, remote).unwrap_or((0, 0)),
            _ => (0, 0),
        };
        out.push(Branch {
            is_head: branch.is_head(),
            name,
            upstream,
            ahead,
            behind,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The branch intents start from: what `origin/HEAD` points at, else `main`, else `master`.
pub fn default_branch(path: &Path) -> Result<String> {
    let repo = open(path)?;
    if let Ok(head) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Some(target) = head.symbolic_target()
        && let Some(name) = target.strip_prefix("refs/remotes/origin/")
    {
        return Ok(name.to_owned());
    }
    for candidate in ["main", "master"] {
        if repo.find_branch(candidate, git2::BranchType::Local).is_ok() {
            return Ok(candidate.to_owned());
        }
    }
    Err(CoreError::NotFound(format!(
        "{} has no main or master branch and no origin/HEAD",
        path.display()
    )))
}

/// Creates `intent/<slug>` from the default branch and checks it out. Refuses a dirty working
/// tree (the person's edits would be carried onto the intent) and a slug that is not kebab-case.
pub fn create_intent_branch(path: &Path, slug: &str) -> Result<String> {
    valid_slug(slug)?;
    check_index_lock(path)?;
    let repo = open(path)?;
    if is_dirty(&repo)? {
        return Err(CoreError::InvalidInput(format!(
            "{} has uncommitted changes; commit or stash them before starting an intent",
            path.display()
        )));
    }
    let base = default_branch(path)?;
    let name = format!("{INTENT_PREFIX}{slug}");
    let base_commit = repo
        .find_branch(&base, git2::BranchType::Local)
        .and_then(|b| b.get().peel_to_commit())
        .map_err(git(format!("cannot read branch {base}")))?;
    repo.branch(&name, &base_commit, false)
        .map_err(git(format!("cannot create {name}")))?;
    checkout(&repo, &name)?;
    Ok(name)
}

fn valid_slug(slug: &str) -> Result<()> {
    let valid = !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "'{slug}' is not a valid intent slug: use 1–80 of a-z, 0-9 and '-'"
        )))
    }
}

/// Creates `intent/<slug>` from the default branch in a worktree of its own, so the person's
/// checkout is never switched (their editor stays on their branch; uncommitted work is left
/// alone). Returns the branch and the worktree's folder.
pub fn create_intent_worktree(path: &Path, slug: &str) -> Result<(String, PathBuf)> {
    valid_slug(slug)?;
    check_index_lock(path)?;
    let repo = open(path)?;
    let base = default_branch(path)?;
    let name = format!("{INTENT_PREFIX}{slug}");
    let base_commit = repo
        .find_branch(&base, git2::BranchType::Local)
        .and_then(|b| b.get().peel_to_commit())
        .map_err(git(format!("cannot read branch {base}")))?;
    repo.branch(&name, &base_commit, false)
        .map_err(git(format!("cannot create {name}")))?;
    let dir = ensure_worktree(path, &name)?;
    Ok((name, dir))
}

/// The folder of the worktree that holds `branch` (an intent branch), made again when it is
/// missing: inside the repository's git folder, out of the person's way.
pub fn ensure_worktree(path: &Path, branch: &str) -> Result<PathBuf> {
    let repo = open(path)?;
    let slug = branch.strip_prefix(INTENT_PREFIX).unwrap_or(branch);
    let dir = repo.path().join("vibedata-worktrees").join(slug);
    if dir.join(".git").exists() {
        return Ok(dir);
    }
    let name = format!("vibedata-{slug}");
    // A worktree whose folder was deleted is pruned before it is made again.
    if let Ok(stale) = repo.find_worktree(&name) {
        let mut prune = git2::WorktreePruneOptions::new();
        prune.valid(true).working_tree(true);
        stale
            .prune(Some(&mut prune))
            .map_err(git(format!("cannot prune the stale worktree {name}")))?;
    }
    let reference = repo
        .find_branch(branch, git2::BranchType::Local)
        .map_err(|_| CoreError::NotFound(format!("there is no local branch {branch}")))?
        .into_reference();
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
    }
    let mut options = git2::WorktreeAddOptions::new();
    options.reference(Some(&reference));
    repo.worktree(&name, &dir, Some(&options))
        .map_err(git(format!("cannot make a worktree for {branch}")))?;
    // The local warehouse (git-ignored) is copied, so builds on the branch never touch the
    // person's tables.
    let warehouse = path.join(crate::workspaces::registry::WAREHOUSE_FILE);
    if warehouse.is_file() {
        let target = dir.join(crate::workspaces::registry::WAREHOUSE_FILE);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        std::fs::copy(&warehouse, &target).map_err(|e| {
            CoreError::io(
                format!("cannot copy the warehouse into {}", dir.display()),
                e,
            )
        })?;
    }
    tracing::info!(branch, worktree = %dir.display(), "intent worktree ready");
    Ok(dir)
}

/// Checks out an existing local branch. Refuses a dirty working tree, whose edits would follow
/// onto the other branch.
pub fn switch_branch(path: &Path, branch: &str) -> Result<()> {
    check_index_lock(path)?;
    let repo = open(path)?;
    repo.find_branch(branch, git2::BranchType::Local)
        .map_err(|_| CoreError::NotFound(format!("there is no local branch {branch}")))?;
    if is_dirty(&repo)? {
        return Err(CoreError::InvalidInput(format!(
            "{} has uncommitted changes; commit them before switching to {branch}",
            path.display()
        )));
    }
    checkout(&repo, branch)
}

/// Fetches `origin` (all branches), reporting transfer progress; remote-tracking branches move,
/// local branches and the working tree are left alone.
pub fn fetch(path: &Path, progress: impl FnMut(TransferProgress)) -> Result<()> {
    fetch_as(path, None, progress)
}

/// [`fetch`] with a GitHub token for a private http(s) origin.
/// The repository's `origin`; a repository without one (a folder never pushed anywhere) is said
/// in plain words.
fn origin_remote(repo: &git2::Repository) -> Result<git2::Remote<'_>> {
    repo.find_remote("origin").map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            CoreError::NotFound(
                "no remote: this repository has no `origin` to fetch from or push to".into(),
            )
        } else {
            CoreError::git("cannot read the origin remote", e)
        }
    })
}

pub fn fetch_as(
    path: &Path,
    token: Option<&str>,
    mut progress: impl FnMut(TransferProgress),
) -> Result<()> {
    let repo = open(path)?;
    let mut remote = origin_remote(&repo)?;
    let callbacks = remote_callbacks(token, &mut progress);
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .prune(git2::FetchPrune::On);
    remote
        .fetch::<&str>(&[], Some(&mut options), None)
        .map_err(git("cannot fetch from origin"))
}

/// Fetches these refspecs from `origin` (a pull request's head and its target branch, for a
/// review), with a GitHub token for a private http(s) origin; nothing else moves.
pub fn fetch_refspecs_as(path: &Path, token: Option<&str>, refspecs: &[String]) -> Result<()> {
    let repo = open(path)?;
    let mut remote = origin_remote(&repo)?;
    let mut progress = |_: TransferProgress| {};
    let callbacks = remote_callbacks(token, &mut progress);
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    remote
        .fetch(refspecs, Some(&mut options), None)
        .map_err(git("cannot fetch from origin"))
}

fn checkout(repo: &git2::Repository, branch: &str) -> Result<()> {
    let refname = format!("refs/heads/{branch}");
    let tree = repo
        .revparse_single(&refname)
        .map_err(git(format!("cannot find {branch}")))?;
    repo.checkout_tree(&tree, Some(git2::build::CheckoutBuilder::new().safe()))
        .map_err(git(format!("cannot check out {branch}")))?;
    repo.set_head(&refname)
        .map_err(git(format!("cannot switch HEAD to {branch}")))
}

fn is_dirty(repo: &git2::Repository) -> Result<bool> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).include_ignored(false);
    Ok(!repo
        .statuses(Some(&mut options))
        .map_err(git("cannot read the status"))?
        .is_empty())
}

/// Merges `branch` into the default branch by `author` — a fast-forward when the default branch
/// has not moved, else a merge commit — for a repository whose origin has no pull requests.
/// The person's checkout is updated only when it is on the default branch and clean; a conflict
/// is refused (merge it by hand). Returns the default branch and the new commit.
pub fn merge_into_default(
    path: &Path,
    branch: &str,
    author: &Identity,
) -> Result<(String, String)> {
    check_index_lock(path)?;
    let repo = open(path)?;
    let base = default_branch(path)?;
    let base_ref = format!("refs/heads/{base}");
    let ours = repo
        .find_reference(&base_ref)
        .and_then(|r| r.peel_to_commit())
        .map_err(git(format!("cannot read {base}")))?;
    let theirs = repo
        .find_branch(branch, git2::BranchType::Local)
        .and_then(|b| b.get().peel_to_commit())
        .map_err(|_| CoreError::NotFound(format!("there is no local branch {branch}")))?;
    let fast_forward = theirs.id() == ours.id()
        || repo
            .graph_descendant_of(theirs.id(), ours.id())
            .map_err(git("cannot compare the branches"))?;
    let merged = if fast_forward {
        theirs.id()
    } else {
        let mut index = repo
            .merge_commits(&ours, &theirs, None)
            .map_err(git(format!("cannot merge {branch} into {base}")))?;
        if index.has_conflicts() {
            return Err(CoreError::InvalidInput(format!(
                "{branch} conflicts with {base}: merge it by hand (git merge {branch}), then mark it merged"
            )));
        }
        let tree = index
            .write_tree_to(&repo)
            .and_then(|oid| repo.find_tree(oid))
            .map_err(git("cannot write the merged tree"))?;
        let signature = git2::Signature::now(&author.name, &author.email)
            .map_err(git("the configured identity is not valid for git"))?;
        repo.commit(
            None,
            &signature,
            &signature,
            &format!("Merge {branch} into {base}"),
            &tree,
            &[&ours, &theirs],
        )
        .map_err(git("cannot write the merge commit"))?
    };
    let on_base = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().map(str::to_owned))
        == Some(base.clone());
    if on_base {
        if is_dirty(&repo)? {
            return Err(CoreError::InvalidInput(format!(
                "your checkout of {base} has uncommitted changes; commit or stash them, then merge"
            )));
        }
        let target = repo
            .find_object(merged, None)
            .map_err(git("cannot read the merged commit"))?;
        repo.checkout_tree(&target, Some(git2::build::CheckoutBuilder::new().safe()))
            .map_err(git(format!("cannot update your checkout of {base}")))?;
    }
    repo.reference(
        &base_ref,
        merged,
        true,
        &format!("vibedata: merge {branch}"),
    )
    .map_err(git(format!("cannot move {base}")))?;
    Ok((base, merged.to_string()))
}

/// Deletes a local branch that is not checked out here (an abandoned intent's). Gone already is
/// fine.
pub fn delete_branch(path: &Path, branch: &str) -> Result<()> {
    let repo = open(path)?;
    let Ok(mut found) = repo.find_branch(branch, git2::BranchType::Local) else {
        return Ok(());
    };
    if found.is_head() {
        return Err(CoreError::InvalidInput(format!(
            "{branch} is checked out in your clone; switch to another branch first"
        )));
    }
    found
        .delete()
        .map_err(git(format!("cannot delete {branch}")))
}

/// Removes an intent's worktree (its branch stays): after a merge, nothing is left to work on.
pub fn remove_worktree(path: &Path, branch: &str) -> Result<()> {
    let repo = open(path)?;
    let slug = branch.strip_prefix(INTENT_PREFIX).unwrap_or(branch);
    if let Ok(worktree) = repo.find_worktree(&format!("vibedata-{slug}")) {
        let mut prune = git2::WorktreePruneOptions::new();
        prune.valid(true).working_tree(true);
        worktree
            .prune(Some(&mut prune))
            .map_err(git(format!("cannot remove the worktree of {branch}")))?;
    }
    Ok(())
}

/// Stages every change (additions, edits, deletions; ignored files stay out) and commits it on
/// the current branch as `author`. Returns the new commit's id.
pub fn commit_all(path: &Path, message: &str, author: &Identity) -> Result<String> {
    check_index_lock(path)?;
    let repo = open(path)?;
    let mut index = repo.index().map_err(git("cannot open the index"))?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(git("cannot stage changes"))?;
    index
        .update_all(["*"], None)
        .map_err(git("cannot stage deletions"))?;
    index.write().map_err(git("cannot write the index"))?;
    let tree = repo
        .find_tree(index.write_tree().map_err(git("cannot write the tree"))?)
        .map_err(git("cannot read the tree"))?;
    let signature = git2::Signature::now(&author.name, &author.email)
        .map_err(git("the configured identity is not valid for git"))?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    if let Some(parent) = &parent
        && parent.tree_id() == tree.id()
    {
        return Err(CoreError::InvalidInput("there is nothing to commit".into()));
    }
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            &message_with_short_subject(message),
            &tree,
            &parents,
        )
        .map_err(git("cannot commit"))?;
    Ok(oid.to_string())
}

/// The longest commit subject (what `git log --oneline` and GitHub show whole).
pub const SUBJECT_LIMIT: usize = 72;

/// A commit message whose first line fits [`SUBJECT_LIMIT`]: a longer one is cut at a word with
/// `…`, and the whole line moves into the body, so nothing is lost.
pub fn message_with_short_subject(message: &str) -> String {
    let message = message.trim();
    let (first, rest) = message.split_once('\n').unwrap_or((message, ""));
    if first.chars().count() <= SUBJECT_LIMIT {
        return message.to_string();
    }
    let mut subject = String::new();
    for word in first.split_whitespace() {
        if subject.chars().count() + word.chars().count() + 1 >= SUBJECT_LIMIT {
            break;
        }
        if !subject.is_empty() {
            subject.push(' ');
        }
        subject.push_str(word);
    }
    if subject.is_empty() {
        subject = first.chars().take(SUBJECT_LIMIT - 1).collect();
    }
    subject.push('…');
    let rest = rest.trim();
    if rest.is_empty() {
        format!("{subject}\n\n{first}")
    } else {
        format!("{subject}\n\n{first}\n\n{rest}")
    }
}

/// Pushes `branch` to `origin` and makes `origin/<branch>` its upstream.
pub fn push(path: &Path, branch: &str) -> Result<()> {
    push_as(path, branch, None)
}

/// [`push`] with a GitHub token for an http(s) remote: offered once as the password of
/// `x-access-token` (GitHub's convention) when the server asks; a refusal is an error, never a
/// retry loop. The token is never written to the repository's config or URL.
pub fn push_as(path: &Path, branch: &str, token: Option<&str>) -> Result<()> {
    let repo = open(path)?;
    let mut remote = origin_remote(&repo)?;
    let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
    let mut rejected: Option<String> = None;
    {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.push_update_reference(|_, status| {
            rejected = status.map(str::to_owned);
            Ok(())
        });
        callbacks.credentials(token_credentials(token));
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        remote
            .push(&[refspec.as_str()], Some(&mut options))
            .map_err(git(format!("cannot push {branch}")))?;
    }
    if let Some(reason) = rejected {
        return Err(CoreError::InvalidInput(format!(
            "origin refused {branch}: {reason} (fetch and integrate its changes first)"
        )));
    }
    repo.find_branch(branch, git2::BranchType::Local)
        .and_then(|mut b| b.set_upstream(Some(&format!("origin/{branch}"))))
        .map_err(git(format!("cannot track origin/{branch}")))
}

/// Fails with an explanation when `.git/index.lock` exists. The lock is never deleted here: a git
/// process may be holding it. The message says how old it is and whether any process has it open.
pub fn check_index_lock(path: &Path) -> Result<()> {
    let lock = path.join(".git").join("index.lock");
    let Ok(meta) = std::fs::metadata(&lock) else {
        return Ok(());
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .map(|d| format!("{} s old", d.as_secs()))
        .unwrap_or_else(|| "of unknown age".into());
    let holders = lock_holders(&lock);
    let advice = if holders.is_empty() {
        "No running process has it open, so it is probably left over from a crash: once you are \
         sure no git command is running in this clone, delete it."
            .to_owned()
    } else {
        format!(
            "Processes {holders:?} have it open: wait for them to finish (a git command is \
             running in this clone)."
        )
    };
    Err(CoreError::Git {
        context: format!(
            "{} is locked by {} ({age}). {advice}",
            path.display(),
            lock.display()
        ),
        source: git2::Error::from_str("index.lock exists"),
    })
}

/// The ids of processes with `file` open (Linux: /proc/<pid>/fd).
fn lock_holders(file: &Path) -> Vec<u32> {
    let target: PathBuf = file.canonicalize().unwrap_or_else(|_| file.to_owned());
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|fds| {
                    fds.flatten()
                        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
                })
                .unwrap_or(false)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_subjects_are_cut_at_a_word_and_kept_whole_in_the_body() {
        let title = format!(
            "Start intent: {}",
            "silver customers from the CRM bronze ".repeat(8)
        );
        let message = message_with_short_subject(&title);
        let subject = message.lines().next().unwrap_or_default();
        assert!(subject.chars().count() <= SUBJECT_LIMIT, "{subject}");
        assert!(subject.ends_with('…') && subject.starts_with("Start intent: silver"));
        assert!(
            message.contains(title.trim()),
            "the whole line is in the body"
        );
        assert_eq!(message_with_short_subject("Fix the join"), "Fix the join");
        let with_body = message_with_short_subject(&format!("{title}\n\nWhy: tests"));
        assert!(with_body.ends_with("Why: tests"), "{with_body}");
    }
}
