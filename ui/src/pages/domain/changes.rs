//! The clone's git workflow on the Domain page: current branch and last fetch (in the header),
//! and the Changes pane — start an intent branch, switch branches, see what changed (with diffs),
//! commit as the configured identity, push, and compare the branch with the default branch.

use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use vibedata_protocol::{BranchDiffDto, ErrorDto, FileChangeDto, GitStateDto};

/// How often an open domain fetches from origin (it also fetches on open and on window focus).
const FETCH_EVERY: Duration = Duration::from_secs(300);

/// Shared git state of the open domain, and the last git error.
#[derive(Clone, Copy)]
pub struct Git {
    pub state: RwSignal<Option<GitStateDto>>,
    pub error: RwSignal<Option<ErrorDto>>,
    pub busy: RwSignal<bool>,
}

impl Git {
    pub fn new() -> Self {
        Git {
            state: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Runs one git call and keeps its resulting state (or its error).
    pub fn run<F>(self, call: F)
    where
        F: std::future::Future<Output = Result<GitStateDto, ErrorDto>> + 'static,
    {
        self.busy.set(true);
        spawn_local(async move {
            match call.await {
                Ok(state) => {
                    self.state.set(Some(state));
                    self.error.set(None);
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.busy.set(false);
        });
    }
}

/// Starts fetching on open, on window focus and every [`FETCH_EVERY`]; stops with the view.
pub fn keep_fetching(git: Git, workspace_id: StoredValue<String>) {
    let fetch = move || {
        let id = workspace_id.get_value();
        git.run(async move { api::fetch_workspace(&id).await });
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
pub fn GitStatus(git: Git, workspace_id: StoredValue<String>) -> impl IntoView {
    let fetched = move || {
        let state = git.state.get()?;
        Some(match (&state.fetch_problem, state.fetched_at) {
            (Some(problem), _) => view! { <span class="fetch-problem" title=problem.clone() data-testid="fetch-status" data-ok="false">"fetch failed"</span> }.into_any(),
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
            <button class="link" data-testid="fetch-now" disabled=move || git.busy.get() on:click=move |_| {
                let id = workspace_id.get_value();
                git.run(async move { api::fetch_workspace(&id).await });
            }>"Fetch"</button>
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
        let id = workspace_id.get_value();
        git.run(async move { api::git_state(&id).await });
    });
    let slug = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let compare = RwSignal::new(None::<Result<BranchDiffDto, ErrorDto>>);
    let id = move || workspace_id.get_value();

    let start_intent = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, s) = (id(), slug.get_untracked());
        slug.set(String::new());
        git.run(async move { api::create_intent_branch(&id, &s).await });
    };
    let commit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, m) = (id(), message.get_untracked());
        git.run(async move {
            let result = api::commit_workspace(&id, &m).await;
            if result.is_ok() {
                message.set(String::new());
            }
            result
        });
    };
    let push = move |_| {
        let id = id();
        git.run(async move { api::push_workspace(&id).await });
    };
    let compare_default = move |_| {
        let Some(state) = git.state.get_untracked() else {
            return;
        };
        let (Some(base), Some(head)) = (state.default_branch, state.branch) else {
            return;
        };
        let id = id();
        spawn_local(async move { compare.set(Some(api::branch_diff(&id, &base, &head).await)) });
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
    let error = move || {
        git.error.get().map(|e| view! { <p class="error-inline" role="alert" data-testid="git-error">{e.message}</p> })
    };
    let comparison = move || {
        compare.get().map(|r| match r {
            Ok(d) => view! {
                <h3>{format!("{} compared with {}", d.head, d.base)}</h3>
                <ChangeList files=d.files testid="branch-diff-row" />
            }
            .into_any(),
            Err(e) => view! { <p class="error-inline">{e.message}</p> }.into_any(),
        })
    };
    view! {
        <div class="changes" data-testid="changes-pane">
            {error}
            {lock}
            <div class="git-row">
                <label>"Branch "
                    <select data-testid="branch-select" on:change=move |ev| {
                        let (id, b) = (id(), event_target_value(&ev));
                        git.run(async move { api::switch_branch(&id, &b).await });
                    }>{branches}</select>
                </label>
                <form class="inline" on:submit=start_intent>
                    <input type="text" placeholder="new-intent-slug" data-testid="intent-slug" prop:value=move || slug.get() on:input=move |ev| slug.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="intent-create" disabled=move || git.busy.get()>"Start intent branch"</button>
                </form>
            </div>
            <h3>"Uncommitted changes"</h3>
            {changes}
            <form class="commit" on:submit=commit>
                <textarea rows="2" placeholder="Commit message" data-testid="commit-message" prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                <div class="git-row">
                    <button type="submit" data-testid="commit-submit" disabled=move || git.busy.get()>"Commit"</button>
                    <button type="button" data-testid="push-submit" disabled=move || git.busy.get() on:click=push>"Push"</button>
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
