//! What changed in a clone: the working tree against HEAD (untracked files included, ignored
//! ones not) and one branch against another (from their merge base, as a pull request shows it),
//! each file with its unified diff. Blocking (git2): call from a blocking thread.

use std::path::Path;

use vibedata_protocol::{ChangeKind, FileChangeDto};

use crate::platform::error::{CoreError, Result};
use crate::workspaces::git::git;

/// Patches longer than this are cut, with a marker saying so.
const MAX_PATCH_BYTES: usize = 256 * 1024;

/// Working tree (and index) against HEAD.
pub fn working_changes(path: &Path) -> Result<Vec<FileChangeDto>> {
    let repo = open(path)?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true)
        .include_ignored(false);
    let mut diff = repo
        .diff_tree_to_workdir_with_index(head_tree.as_ref(), Some(&mut options))
        .map_err(git("cannot compare the working tree with HEAD"))?;
    detect_renames(&mut diff)?;
    to_changes(&diff)
}

/// `head` against the merge base of `base` and `head`.
pub fn branch_changes(path: &Path, base: &str, head: &str) -> Result<Vec<FileChangeDto>> {
    let repo = open(path)?;
    let commit = |name: &str| {
        repo.revparse_single(name)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| {
                CoreError::InvalidInput(format!(
                    "no branch or commit named {name} ({})",
                    e.message()
                ))
            })
    };
    let (base_commit, head_commit) = (commit(base)?, commit(head)?);
    let merge_base = repo
        .merge_base(base_commit.id(), head_commit.id())
        .map_err(git(format!("{base} and {head} share no history")))?;
    let base_tree = repo
        .find_commit(merge_base)
        .and_then(|c| c.tree())
        .map_err(git("cannot read the merge base"))?;
    let head_tree = head_commit
        .tree()
        .map_err(git(format!("cannot read {head}")))?;
    let mut diff = repo
        .diff_tree_to_tree(Some(&base_tree), Some(&head_tree), None)
        .map_err(git(format!("cannot compare {base} with {head}")))?;
    detect_renames(&mut diff)?;
    to_changes(&diff)
}

/// What changes from commit `from` to commit `to`, tree to tree (renames detected): the code of
/// a review, whose base is already the merge base (or, for unrelated histories, the base's tip).
pub fn changes_between(path: &Path, from: &str, to: &str) -> Result<Vec<FileChangeDto>> {
    let repo = open(path)?;
    let tree = |rev: &str| {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .map_err(git(format!("cannot read the tree of {rev}")))
    };
    let (from_tree, to_tree) = (tree(from)?, tree(to)?);
    let mut diff = repo
        .diff_tree_to_tree(Some(&from_tree), Some(&to_tree), None)
        .map_err(git(format!("cannot compare {from} with {to}")))?;
    detect_renames(&mut diff)?;
    to_changes(&diff)
}

/// Commits on `head` not on `base`, newest first (at most 200).
pub fn commits_between(
    path: &Path,
    base: &str,
    head: &str,
) -> Result<Vec<vibedata_protocol::CommitDto>> {
    let repo = open(path)?;
    let oid = |name: &str| {
        repo.revparse_single(name)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|e| {
                CoreError::InvalidInput(format!(
                    "no branch or commit named {name} ({})",
                    e.message()
                ))
            })
    };
    let mut walk = repo.revwalk().map_err(git("cannot walk the history"))?;
    walk.push(oid(head)?)
        .map_err(git("cannot walk the history"))?;
    walk.hide(oid(base)?)
        .map_err(git("cannot walk the history"))?;
    let mut out = Vec::new();
    for id in walk.take(200) {
        let commit = repo
            .find_commit(id.map_err(git("cannot walk the history"))?)
            .map_err(git("cannot read a commit"))?;
        out.push(vibedata_protocol::CommitDto {
            id: commit.id().to_string(),
            summary: commit.summary().unwrap_or_default().to_string(),
            author: commit.author().name().unwrap_or_default().to_string(),
            time: commit.time().seconds(),
        });
    }
    Ok(out)
}

fn open(path: &Path) -> Result<git2::Repository> {
    git2::Repository::open(path).map_err(git(format!(
        "cannot open the repository at {}",
        path.display()
    )))
}

fn detect_renames(diff: &mut git2::Diff<'_>) -> Result<()> {
    let mut find = git2::DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))
        .map_err(git("cannot detect renames"))
}

fn to_changes(diff: &git2::Diff<'_>) -> Result<Vec<FileChangeDto>> {
    let mut out = Vec::new();
    for i in 0..diff.deltas().len() {
        let Some(delta) = diff.get_delta(i) else {
            continue;
        };
        let change = match delta.status() {
            git2::Delta::Added | git2::Delta::Untracked | git2::Delta::Copied => ChangeKind::Added,
            git2::Delta::Deleted => ChangeKind::Deleted,
            git2::Delta::Renamed => ChangeKind::Renamed,
            git2::Delta::Typechange => ChangeKind::TypeChanged,
            git2::Delta::Modified => ChangeKind::Modified,
            _ => continue,
        };
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let (mut additions, mut deletions, mut patch_text) = (0, 0, String::new());
        if let Some(mut patch) =
            git2::Patch::from_diff(diff, i).map_err(git(format!("cannot diff {path}")))?
        {
            let (_, adds, dels) = patch
                .line_stats()
                .map_err(git(format!("cannot count changes in {path}")))?;
            additions = adds;
            deletions = dels;
            if !delta.flags().is_binary() {
                let buf = patch
                    .to_buf()
                    .map_err(git(format!("cannot print the diff of {path}")))?;
                patch_text = String::from_utf8_lossy(&buf).into_owned();
                if patch_text.len() > MAX_PATCH_BYTES {
                    let mut cut = MAX_PATCH_BYTES;
                    while !patch_text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    patch_text.truncate(cut);
                    patch_text.push_str("\n… diff cut at 256 KiB …\n");
                }
            }
        }
        out.push(FileChangeDto {
            path,
            change,
            additions,
            deletions,
            patch: patch_text,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
