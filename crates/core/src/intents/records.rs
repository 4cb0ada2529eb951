//! Intents in the store and on their branch: creating one makes `intent/<slug>` from the default
//! branch and commits its folder `.vibedata/intents/<id>/` (`intent.md`, `progress.json`); steps
//! go through [`crate::intents::lifecycle::next`] with guards read from that folder, are logged in order, and
//! a person's approvals are audited. Blocking (rusqlite, git2): call from a blocking thread.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Row, params};
use serde_json::json;
use vibedata_protocol::IntentDto;

use crate::governance::audit;
use crate::intents::lifecycle::{
    Actor, Guards, IntentState, IntentStep, is_human_only, next, offers,
};
use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;
use crate::workspaces::git::{self, INTENT_PREFIX, Identity};
use crate::workspaces::registry::Workspace;

/// Build rounds allowed per plan version before the plan must be revised.
pub const MAX_BUILD_ROUNDS: u32 = 3;

/// The intent's folder inside the clone.
pub fn folder(workspace: &Path, intent_id: &str) -> PathBuf {
    workspace.join(".vibedata/intents").join(intent_id)
}

/// A branch-safe slug from a title: lower-case words joined by `-`, at most 60 characters.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        if slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    slug
}

/// Whether the intent's `plan.md` is in `tree` (its worktree).
pub fn plan_in(tree: &Path, intent_id: &str) -> bool {
    folder(tree, intent_id).join("plan.md").is_file()
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<IntentDto> {
    let slug: String = r.get("slug")?;
    let id: String = r.get("id")?;
    let worktree: String = r.get("worktree")?;
    let state = crate::platform::store::named(r, 4, IntentState::parse)?;
    Ok(IntentDto {
        plan_written: !worktree.is_empty() && plan_in(Path::new(&worktree), &id),
        id,
        workspace_id: r.get("workspace_id")?,
        branch: format!("{INTENT_PREFIX}{slug}"),
        slug,
        title: r.get("title")?,
        state,
        plan_version: r.get::<_, i64>("plan_version")? as u32,
        build_rounds: r.get::<_, i64>("build_rounds")? as u32,
        worktree,
        offers: offers(state),
    })
}

const COLUMNS: &str = "id, workspace_id, slug, title, state, plan_version, build_rounds, worktree";

pub fn get(store: &Store, id: &str) -> Result<IntentDto> {
    store
        .with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM intents WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
        })?
        .ok_or_else(|| CoreError::NotFound(format!("no intent {id}")))
}

pub fn list(store: &Store, workspace_id: &str) -> Result<Vec<IntentDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM intents WHERE workspace_id = ?1 ORDER BY created_at DESC, rowid DESC"))?;
        stmt.query_map([workspace_id], from_row)?.collect()
    })
}

fn write_progress(ws: &Path, intent: &IntentDto) -> Result<()> {
    let dir = folder(ws, &intent.id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let progress = json!({"state": intent.state.as_str(), "plan_version": intent.plan_version, "build_rounds": intent.build_rounds});
    let text =
        serde_json::to_string_pretty(&progress).map_err(|e| CoreError::Internal(e.to_string()))?;
    std::fs::write(dir.join("progress.json"), format!("{text}\n"))
        .map_err(|e| CoreError::io("cannot write progress.json", e))
}

/// The workspace as an intent's work sees it: the same repository, at the intent's worktree (made
/// again if it went missing). Intents from before worktrees work in the clone itself.
pub fn tree(ws: &Workspace, intent: &IntentDto) -> Result<Workspace> {
    if intent.worktree.is_empty() {
        return Ok(ws.clone());
    }
    let dir = git::ensure_worktree(&ws.path, &intent.branch)?;
    Ok(Workspace {
        path: dir,
        ..ws.clone()
    })
}

/// Whether anything is built on the intent's branch: a change outside `.vibedata/` (the intent's
/// own documents), committed on the branch or waiting in its worktree.
pub fn built(tree: &Workspace, intent: &IntentDto) -> Result<bool> {
    let real = |files: Vec<vibedata_protocol::FileChangeDto>| {
        files.iter().any(|f| !f.path.starts_with(".vibedata/"))
    };
    let base = git::default_branch(&tree.path)?;
    Ok(real(crate::workspaces::changes::branch_changes(
        &tree.path,
        &base,
        &intent.branch,
    )?) || real(crate::workspaces::changes::working_changes(&tree.path)?))
}

/// Removes an intent that will not be finished: its records, its worktree and its branch (in
/// this clone; a branch already pushed stays on the origin). A merged intent stays.
pub fn abandon(store: &Store, ws: &Workspace, intent_id: &str) -> Result<IntentDto> {
    let intent = get(store, intent_id)?;
    if matches!(intent.state, IntentState::Merged | IntentState::Deployed) {
        return Err(CoreError::InvalidInput(format!(
            "{} is {}: it is part of the history now",
            intent.title,
            intent.state.label()
        )));
    }
    if !intent.worktree.is_empty() {
        git::remove_worktree(&ws.path, &intent.branch)?;
    }
    git::delete_branch(&ws.path, &intent.branch)?;
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute("DELETE FROM intent_transitions WHERE intent_id = ?1", [intent_id])?;
        tx.execute("DELETE FROM intent_pull_requests WHERE intent_id = ?1", [intent_id])?;
        tx.execute("DELETE FROM intents WHERE id = ?1", [intent_id])?;
        audit::append_on(
            &tx,
            crate::platform::clock::now(),
            "person",
            "abandon_intent",
            intent_id,
            &json!({"title": intent.title, "state": intent.state.as_str(), "branch": intent.branch}),
        )?;
        tx.commit()
    })?;
    tracing::info!(intent_id, branch = %intent.branch, "intent abandoned");
    Ok(intent)
}

/// Starts an intent: its branch from the default branch in a worktree of its own (the person's
/// checkout and its uncommitted work are left as they are), its folder, and a first commit by
/// `author`.
pub fn create(store: &Store, ws: &Workspace, title: &str, author: &Identity) -> Result<IntentDto> {
    let title = title.trim();
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(CoreError::InvalidInput(
            "give the intent a title with some letters or digits".into(),
        ));
    }
    let taken: bool = store.with(|c| {
        c.query_row(
            "SELECT 1 FROM intents WHERE workspace_id = ?1 AND slug = ?2",
            params![ws.id, slug],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
    })?;
    if taken {
        return Err(CoreError::InvalidInput(format!(
            "an intent `{slug}` already exists in {}; choose another title",
            ws.name
        )));
    }
    let (branch, worktree) = git::create_intent_worktree(&ws.path, &slug)?;
    let id = uuid::Uuid::new_v4().to_string();
    let intent = IntentDto {
        id: id.clone(),
        workspace_id: ws.id.clone(),
        slug: slug.clone(),
        title: title.to_string(),
        state: IntentState::Draft,
        branch,
        plan_version: 0,
        build_rounds: 0,
        worktree: worktree.to_string_lossy().into_owned(),
        plan_written: false,
        offers: offers(IntentState::Draft),
    };
    let dir = folder(&worktree, &id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let intent_md = format!(
        "# {title}\n\n## Business context\n\n_The Requirements agent writes this from the conversation._\n\n## Success criteria\n\n_Checks the validation must pass._\n"
    );
    std::fs::write(dir.join("intent.md"), intent_md)
        .map_err(|e| CoreError::io("cannot write intent.md", e))?;
    write_progress(&worktree, &intent)?;
    git::commit_all(&worktree, &format!("Start intent: {title}"), author)?;
    let at = crate::platform::clock::now();
    store.with(|c| {
        c.execute(
            "INSERT INTO intents (id, workspace_id, slug, title, state, created_at, updated_at, worktree) VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?5, ?6)",
            params![id, ws.id, slug, title, at, intent.worktree],
        )
        .map(|_| ())
    })?;
    tracing::info!(intent_id = %id, workspace_id = %ws.id, slug = %slug, "intent created");
    Ok(intent)
}

/// Takes `step` for `actor`, if the lifecycle allows it.
pub fn apply(
    store: &Store,
    ws: &Workspace,
    intent_id: &str,
    step: IntentStep,
    actor: &Actor,
) -> Result<IntentDto> {
    let mut intent = get(store, intent_id)?;
    let from = intent.state;
    let guards = Guards {
        plan_written: plan_in(&ws.path, intent_id),
        build_rounds: intent.build_rounds,
        max_build_rounds: MAX_BUILD_ROUNDS,
    };
    let to = next(from, step, actor, guards).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    match step {
        IntentStep::RevisePlan => {
            intent.plan_version += 1;
            intent.build_rounds = 0;
        }
        IntentStep::StartBuild | IntentStep::RetryBuild => intent.build_rounds += 1,
        _ => {}
    }
    intent.state = to;
    intent.offers = offers(to);
    let actor_name = match actor {
        Actor::Person => "person".to_string(),
        Actor::Agent(name) => format!("agent:{name}"),
    };
    let at = crate::platform::clock::now();
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "UPDATE intents SET state = ?2, plan_version = ?3, build_rounds = ?4, updated_at = ?5 WHERE id = ?1",
            params![intent.id, intent.state.as_str(), intent.plan_version as i64, intent.build_rounds as i64, at],
        )?;
        let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM intent_transitions WHERE intent_id = ?1", [&intent.id], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO intent_transitions (intent_id, seq, at, actor, step, from_state, to_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![intent.id, seq, at, actor_name, step.as_str(), from.as_str(), to.as_str()],
        )?;
        if is_human_only(step) || step == IntentStep::RevisePlan {
            audit::append_on(&tx, at, &actor_name, step.as_str(), &intent.id, &json!({"from": from.as_str(), "to": to.as_str(), "plan_version": intent.plan_version}))?;
        }
        tx.commit()
    })?;
    if step == IntentStep::ApprovePlan {
        crate::intents::plans::keep(&folder(&ws.path, intent_id), intent.plan_version)?;
    }
    write_progress(&ws.path, &intent)?;
    Ok(intent)
}

/// Restores an older plan version, or adopts a variant, as the current plan; only while planning
/// (after "revise plan"), so the result is approved as a new version.
pub fn replace_plan(
    store: &Store,
    ws: &Workspace,
    intent_id: &str,
    source: PlanSource<'_>,
) -> Result<()> {
    let intent = get(store, intent_id)?;
    if intent.state != IntentState::Planning {
        return Err(CoreError::InvalidInput(format!(
            "the plan can be replaced only while planning (this intent is {}); revise the plan first",
            intent.state.label()
        )));
    }
    let dir = folder(&ws.path, intent_id);
    match source {
        PlanSource::Version(v) => crate::intents::plans::restore(&dir, v),
        PlanSource::Variant(name) => crate::intents::plans::adopt(&dir, name),
    }
}

/// Where a replacement plan comes from.
#[derive(Debug, Clone, Copy)]
pub enum PlanSource<'a> {
    Version(u32),
    Variant(&'a str),
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_branch_safe() {
        assert_eq!(
            slugify("Silver customer table from CRM bronze!"),
            "silver-customer-table-from-crm-bronze"
        );
        assert_eq!(slugify("  ---  "), "");
        assert!(slugify(&"word ".repeat(40)).len() <= 60);
    }
}
