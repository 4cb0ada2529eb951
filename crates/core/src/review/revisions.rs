//! The two sides of a review as folders: a revision's tree written out of the repository (the
//! person's checkout, index and HEAD untouched), and the base a change is measured from.

use std::path::Path;

use crate::platform::error::{CoreError, Result};

/// A revision resolved to its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub name: String,
    pub commit: String,
}

fn open(repo: &Path) -> Result<git2::Repository> {
    git2::Repository::open(repo).map_err(|e| {
        CoreError::InvalidInput(format!(
            "{} is not a git repository ({})",
            repo.display(),
            e.message()
        ))
    })
}

fn commit_of<'r>(repo: &'r git2::Repository, rev: &str) -> Result<git2::Commit<'r>> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            CoreError::InvalidInput(format!(
                "`{rev}` is not a revision of this repository (a branch, tag or commit): {}",
                e.message()
            ))
        })
}

/// The base a change from `base` to `head` is measured from: where `head` left `base` (their
/// merge base), as a pull request shows it; `base` itself when the histories are unrelated (the
/// second value says so).
pub fn base_of(repo: &Path, base: &str, head: &str) -> Result<(Revision, bool)> {
    let repo = open(repo)?;
    let (b, h) = (commit_of(&repo, base)?, commit_of(&repo, head)?);
    match repo.merge_base(b.id(), h.id()) {
        Ok(oid) => Ok((
            Revision {
                name: base.to_string(),
                commit: oid.to_string(),
            },
            true,
        )),
        Err(_) => Ok((
            Revision {
                name: base.to_string(),
                commit: b.id().to_string(),
            },
            false,
        )),
    }
}

/// Writes the tree of `rev` into `dest` and returns the commit.
pub fn write_tree(repo: &Path, rev: &str, dest: &Path) -> Result<Revision> {
    let repo = open(repo)?;
    let commit = commit_of(&repo, rev)?;
    let tree = commit
        .tree()
        .map_err(|e| CoreError::git(format!("cannot read the tree of `{rev}`"), e))?;
    std::fs::create_dir_all(dest)
        .map_err(|e| CoreError::io(format!("cannot create {}", dest.display()), e))?;
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout
        .target_dir(dest)
        .force()
        .recreate_missing(true)
        .update_index(false);
    repo.checkout_tree(tree.as_object(), Some(&mut checkout))
        .map_err(|e| CoreError::git(format!("cannot write out `{rev}`"), e))?;
    Ok(Revision {
        name: rev.to_string(),
        commit: commit.id().to_string(),
    })
}

/// The commit a revision is at now.
pub fn commit_of_rev(repo: &Path, rev: &str) -> Result<String> {
    let repo = open(repo)?;
    Ok(commit_of(&repo, rev)?.id().to_string())
}
