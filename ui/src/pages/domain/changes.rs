//! The clone's git workflow on the Domain page: current branch and last fetch (in the header),
//! and the Changes pane — start an intent branch, switch branches, see what changed (with diffs),
//! commit as the configured identity, push, and compare the branch with the default branch.

use crate::api;
use crate::view_helpers::action_error;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use vibedata_protocol::{BranchDiffDto, ErrorDto, FileChangeDto, GitStateDto};

/// How often an open domain fetches from origin (it also fetches on open and on window focus).
const FETCH_EVERY: Duration = Duration::from_secs(300);

/// One git call on the open domain's clone (other than fetching).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitCall {
    /// Read the state (branches, changes) again.
    State,
    /// Start an intent branch with this slug.
    StartIntent(String),
    /// Switch to this branch.
    Switch(String),
    /// Commit everything with this message.
    Commit(String),
    Push,
}

/// Shared git state of the open domain: the last state read, the fetches from origin (shown in
/// the header), the other git calls (shown in the Changes pane; one action, so its last error is
/// the one shown) and the draft commit message.
#[derive(Clone, Copy)]
pub struct Git {
    pub state: RwSignal<Option<GitStateDto>>,
    pub fetch: Action<(), Result<GitStateDto, ErrorDto>>,
    pub call: Action<GitCall, Result<GitStateDto, ErrorDto>>,
    /// Kept here so it survives the pane's re-renders; cleared once a commit is made.
    pub message: RwSignal<String>,
}

impl Git {
    pub fn new(workspace_id: StoredValue<String>) -> Self {
        let state = RwSignal::new(None);
        let message = RwSignal::new(String::new());
        // Every git call answers with the clone's new state, which is kept.
        let keep = move |result: &Result<GitStateDto, ErrorDto>| {
            if let Ok(s) = result {
                state.set(Some(s.clone()));
            }
        };
        let fetch = Action::new_local(move |_: &()| {
            let id = workspace_id.get_value();
            async move {
                let result = api::fetch_workspace(&id).await;
                keep(&result);
                result
            }
        });
        let call = Action::new_local(move |call: &GitCall| {
            let (id, call) = (workspace_id.get_value(), call.clone());
            async move {
                let committed = matches!(call, GitCall::Commit(_));
                let switching = matches!(call, GitCall::Switch(_));
                let result = match call {
                    GitCall::State => api::git_state(&id).await,
                    GitCall::StartIntent(slug) => api::create_intent_branch(&id, &slug).await,
                    GitCall::Switch(branch) => api::switch_branch(&id, &branch).await,
                    GitCall::Commit(m) => api::commit_workspace(&id, &m).await,
                    GitCall::Push => api::push_workspace(&id).await,
                };
                keep(&result);
                if committed && result.is_ok() {
                    message.set(String::new());
                }
                if switching && result.is_err() {
                    // The branch menu goes back to the branch the clone is really on.
                    state.update(|_| {});
                }
                result
            }
        });
        Git {
            state,
            fetch,
            call,
            message,
        }
    }

    /// Runs one git call; its resulting state (or its error) is kept.
    pub fn run(self, call: GitCall) {
        self.call.dispatch(call);
    }

    /// A git call is under way (read inside a reactive closure).
    pub fn busy(self) -> bool {
        self.call.pending().get() || self.fetch.pending().get()
    }
}

/// Starts fetching on open, on window focus and every [`FETCH_EVERY`]; stops with the view.
pub fn keep_fetching(git: Git) {
    let fetch = move || {
        git.fetch.dispatch(());
    };
    fetch();
    if let Ok(timer) = set_interval_with_handle(fetch, FETCH_EVERY) {
        on_cleanup(move || timer.clear());
    }
    let focus = window_event_listener(leptos::ev::focus, move |_| fetch());
    on_cleanup(move || focus.remove());
}

/// Branch and fetch status for the page header.
#[component]
pub fn GitStatus(git: Git) -> impl IntoView {
    let fetched = move || {
        let state = git.state.get()?;
        Some(match (&state.fetch_problem, state.fetched_at) {
            (Some(problem), _) => view! { <span class="fetch-problem" data-tip=problem.clone() data-testid="fetch-status" data-ok="false" data-state=state.fetch.label()>{state.fetch.label()}</span> }.into_any(),
            (None, Some(at)) => view! { <span class="muted" data-testid="fetch-status" data-ok="true">"fetched " {clock(at)}</span> }.into_any(),
            (None, None) => view! { <span class="muted" data-testid="fetch-status">"not fetched"</span> }.into_any(),
        })
    };
    let branch = move || {
        git.state
            .get()
            .and_then(|s| s.branch)
            .unwrap_or_else(|| "(detached)".into())
    };
    view! {
        <span class="git-status">
            <span class="badge" data-testid="current-branch">{branch}</span>
            {fetched}
            <button class="link" data-testid="fetch-now" disabled=move || git.busy() on:click=move |_| { git.fetch.dispatch(()); }>"Fetch"</button>
        </span>
    }
}

fn clock(unix: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix as f64 * 1000.0));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

#[component]
pub fn ChangesPane(
    git: Git,
    workspace_id: StoredValue<String>,
    revision: RwSignal<u64>,
) -> impl IntoView {
    // Edits on disk (the watcher's revisions) refresh the list of changes.
    Effect::new(move |_| {
        let _ = revision.get();
        git.run(GitCall::State);
    });
    let slug = RwSignal::new(String::new());
    let message = git.message;
    let compare = RwSignal::new(None::<Result<BranchDiffDto, ErrorDto>>);

    let start_intent = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = slug.get_untracked();
        slug.set(String::new());
        git.run(GitCall::StartIntent(s));
    };
    let commit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        git.run(GitCall::Commit(message.get_untracked()));
    };
    let push = move |_| git.run(GitCall::Push);
    // A read: the current branch compared with the default branch.
    let compare_default = move |_| {
        let Some(state) = git.state.get_untracked() else {
            return;
        };
        let (Some(base), Some(head)) = (state.default_branch, state.branch) else {
            return;
        };
        let id = workspace_id.get_value();
        spawn_local(async move {
            let result = api::branch_diff(&id, &base, &head).await;
            if result.is_ok() {
                // An earlier git error (a push, say) is stale now.
                git.call.value().set(None);
            }
            compare.set(Some(result))
        });
    };
    let branches = move || {
        git.state.get().map(|s| {
            s.branches
                .into_iter()
                .map(|b| {
                    let label = match (&b.upstream, b.ahead, b.behind) {
                        (None, _, _) => format!("{} (not pushed)", b.name),
                        (Some(_), 0, 0) => b.name.clone(),
                        (Some(_), a, z) => format!("{} (↑{a} ↓{z})", b.name),
                    };
                    view! { <option value=b.name.clone() selected=b.is_head data-testid="branch-option">{label}</option> }
                })
                .collect_view()
        })
    };
    let changes = move || {
        git.state
            .get()
            .map(|s| view! { <ChangeList files=s.changes testid="change-row" /> })
    };
    let lock = move || {
        git.state
            .get()
            .and_then(|s| s.lock_problem)
            .map(|p| view! { <p class="error-inline" data-testid="lock-problem">{p}</p> })
    };
    let comparison = move || {
        compare.get().map(|r| match r {
            Ok(d) => view! {
                <h3>{format!("{} compared with {}", d.head, d.base)}</h3>
                <ChangeList files=d.files testid="branch-diff-row" />
            }
            .into_any(),
            Err(e) => {
                view! { <p class="error-inline" data-testid="branch-diff-error">{e.message}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <div class="changes" data-testid="changes-pane">
            {action_error(git.call, "git-error")}
            {lock}
            <div class="git-row">
                <label>"Branch "
                    <select data-testid="branch-select"
                        prop:value=move || git.state.get().and_then(|s| s.branch).unwrap_or_default()
                        on:change=move |ev| git.run(GitCall::Switch(event_target_value(&ev)))>{branches}</select>
                </label>
                <form class="inline" on:submit=start_intent>
                    <input type="text" placeholder="new-intent-slug" data-testid="intent-slug" prop:value=move || slug.get() on:input=move |ev| slug.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="intent-create" disabled=move || git.busy()>"Start intent branch"</button>
                </form>
            </div>
            <h3>"Uncommitted changes"</h3>
            {changes}
            <form class="commit" on:submit=commit>
                <textarea rows="2" placeholder="Commit message" data-testid="commit-message" prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                <div class="git-row">
                    <button type="submit" data-testid="commit-submit" disabled=move || git.busy()>"Commit"</button>
                    <button type="button" data-testid="push-submit" disabled=move || git.busy() on:click=push>"Push"</button>
                    <button type="button" class="link" data-testid="compare-default" on:click=compare_default>"Compare with the default branch"</button>
                </div>
            </form>
            {comparison}
        </div>
    }
}

#[component]
pub fn ChangeList(files: Vec<FileChangeDto>, testid: &'static str) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="muted" data-testid=format!("{testid}-none")>"No changes."</p> }
            .into_any();
    }
    view! {
        <ul class="change-list">
            {files
                .into_iter()
                .map(|f| {
                    let change = format!("{:?}", f.change).to_lowercase();
                    let lines = f
                        .patch
                        .lines()
                        .map(|l| {
                            let class = if l.starts_with('+') && !l.starts_with("+++") {
                                "add"
                            } else if l.starts_with('-') && !l.starts_with("---") {
                                "del"
                            } else if l.starts_with("@@") {
                                "hunk"
                            } else {
                                ""
                            };
                            view! { <span class=class>{l.to_string()} "\n"</span> }
                        })
                        .collect_view();
                    view! {
                        <li data-testid=testid data-path=f.path.clone() data-change=change.clone()>
                            <details>
                                <summary>
                                    <span class=format!("change change-{change}")>{change.clone()}</span>
                                    <code>{f.path.clone()}</code>
                                    <span class="muted">{format!(" +{} −{}", f.additions, f.deletions)}</span>
                                </summary>
                                <pre class="diff">{lines}</pre>
                            </details>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
