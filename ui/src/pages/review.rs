//! The Review page: pick a domain and a branch (intent branches first); see what it does to the
//! dbt project against the default branch — changed nodes with their breaking-change class and
//! columns, the downstream impact column by column, and contract breaks.

use crate::api;
use crate::view_helpers::{action_error, error_panel, loading, settled};
use leptos::prelude::*;
use vibedata_protocol::review::{ChangeKind, ReviewDto};
use vibedata_protocol::{GitStateDto, WorkspaceDto};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let workspaces = LocalResource::new(api::list_workspaces);
    view! {
        <section data-testid="page-review">
            <header class="page-header">
                <h1>"Review"</h1>
                <p class="hint">"What a branch does to the domain's dbt project, before it merges: changed models and how they break what reads them, column by column."</p>
            </header>
            <Transition fallback=|| loading("Loading domains…")>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        workspaces.await.map(|list| view! { <ReviewForm list /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// Intent branches first, then the others; never the default branch (the base).
fn candidates(state: &GitStateDto) -> Vec<String> {
    let base = state.default_branch.clone().unwrap_or_default();
    let mut names: Vec<String> = state
        .branches
        .iter()
        .map(|b| b.name.clone())
        .filter(|n| *n != base)
        .collect();
    names.sort_by_key(|n| (!n.starts_with("intent/"), n.clone()));
    names
}

#[component]
fn ReviewForm(list: Vec<WorkspaceDto>) -> impl IntoView {
    let first = list.first().map(|w| w.id.clone()).unwrap_or_default();
    let workspace = RwSignal::new(first);
    let head = RwSignal::new(String::new());
    let state = LocalResource::new(move || {
        let id = workspace.get();
        async move { api::git_state(&id).await }
    });
    let run = Action::new_local(move |(ws, head): &(String, String)| {
        let (ws, head) = (ws.clone(), head.clone());
        async move { api::review_branch(&ws, &head).await }
    });
    let options = list
        .iter()
        .map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> })
        .collect_view();
    view! {
        <form class="inline-form" data-testid="review-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            run.dispatch((workspace.get_untracked(), head.get_untracked()));
        }>
            <select data-testid="review-workspace" on:change=move |ev| { workspace.set(event_target_value(&ev)); head.set(String::new()); }>
                {options}
            </select>
            <Transition fallback=|| loading("Reading branches…")>
                {move || Suspend::new(async move {
                    let branches = state.await.map(|s| candidates(&s)).unwrap_or_default();
                    if head.get_untracked().is_empty()
                        && let Some(b) = branches.first()
                    {
                        head.set(b.clone());
                    }
                    if branches.is_empty() {
                        return view! { <span class="muted" data-testid="review-no-branch">"No branch besides the default one."</span> }.into_any();
                    }
                    view! {
                        <select data-testid="review-branch" prop:value=move || head.get() on:change=move |ev| head.set(event_target_value(&ev))>
                            {branches.into_iter().map(|b| view! { <option value=b.clone()>{b.clone()}</option> }).collect_view()}
                        </select>
                    }
                    .into_any()
                })}
            </Transition>
            <button type="submit" data-testid="review-run" disabled=move || run.pending().get() || head.get().is_empty()>"Review"</button>
        </form>
        {action_error(run, "review-error")}
        {move || run.pending().get().then(|| loading("Indexing both sides and comparing…"))}
        {move || settled(run).and_then(Result::ok).map(|r| view! { <ReviewResult r /> })}
    }
}

#[component]
fn ReviewResult(r: ReviewDto) -> impl IntoView {
    let count = |c: &str| {
        r.changed
            .iter()
            .filter(|n| n.category.map(|k| k.as_str()) == Some(c))
            .count()
    };
    let summary = format!(
        "{} changed · {} breaking · {} partially breaking · {} unknown · {} downstream · {} contract breaks",
        r.changed.len(),
        count("breaking"),
        count("partial_breaking"),
        count("unknown"),
        r.impact.iter().filter(|i| !i.changed).count(),
        r.contract_breaks.len()
    );
    let short = |c: &str| c.get(..8).unwrap_or(c).to_string();
    let from = if r.from_merge_base {
        "from where it left"
    } else {
        "tip to tip (unrelated histories) against"
    };
    let changed = r
        .changed
        .iter()
        .map(|c| {
            let category = c.category.map(|k| k.as_str()).unwrap_or("");
            let badge = c.category.map(|k| view! { <span class=format!("badge cat-{}", k.as_str())>{k.label()}</span> });
            let change = match c.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Modified => "modified",
            };
            let cols = [
                ("+", &c.added_columns, "col-added"),
                ("−", &c.removed_columns, "col-removed"),
                ("~", &c.modified_columns, "col-modified"),
            ]
            .into_iter()
            .filter(|(_, l, _)| !l.is_empty())
            .map(|(sign, l, class)| view! { <span class=class>{format!("{sign} {}", l.join(", "))}</span>" " })
            .collect_view();
            view! {
                <tr data-testid="review-changed" data-uid=c.unique_id.clone() data-change=change data-category=category>
                    <td><span class=format!("kind kind-{}", c.kind)>{c.kind.label()}</span>" "<strong class="clamp" data-tip=c.unique_id.clone()>{c.name.clone()}</strong></td>
                    <td>{change}</td>
                    <td>{badge}</td>
                    <td>{cols}</td>
                    <td class="muted">{c.modified.join(", ")}</td>
                    <td>{c.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let impact = r
        .impact
        .iter()
        .filter(|i| !i.changed)
        .map(|i| {
            view! {
                <li data-testid="review-impact" data-uid=i.unique_id.clone()>
                    <span class=format!("kind kind-{}", i.kind)>{i.kind.label()}</span>" "
                    <strong>{i.name.clone()}</strong>
                    {(!i.affected_columns.is_empty()).then(|| view! { " — reached: "<span class="col-modified" data-testid="review-affected">{i.affected_columns.join(", ")}</span> })}
                    {(!i.unaffected_columns.is_empty()).then(|| view! { <span class="muted">{format!(" — not reached: {}", i.unaffected_columns.join(", "))}</span> })}
                </li>
            }
        })
        .collect_view();
    let breaks = r
        .contract_breaks
        .iter()
        .map(|b| view! { <li data-testid="review-contract-break" data-uid=b.unique_id.clone() data-column=b.column.clone() data-kind=b.kind.clone()>{format!("{} · {} · {}", b.unique_id, b.column, b.kind.replace('_', " "))}</li> })
        .collect_view();
    let problems = r
        .problems
        .iter()
        .map(|p| view! { <li class="error-inline">{p.clone()}</li> })
        .collect_view();
    view! {
        <div class="review" data-testid="review-result">
            <p>
                <code>{r.head.clone()}</code>" (" <code>{short(&r.head_commit)}</code> ") " {from} " "
                <code>{r.base.clone()}</code>" (" <code>{short(&r.base_commit)}</code> ")"
            </p>
            <p class="review-summary" data-testid="review-summary">{summary}</p>
            <h3>"Changed"</h3>
            {if r.changed.is_empty() {
                view! { <p class="muted" data-testid="review-nothing">"No dbt node changes on this branch."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Node"</th><th>"Change"</th><th>"Class"</th><th>"Columns"</th><th>"What changed"</th><th>"Why"</th></tr></thead>
                        <tbody>{changed}</tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Downstream"</h3>
            {r.impact.iter().all(|i| i.changed).then(|| view! { <p class="muted">"Nothing downstream of the changes."</p> })}
            <ul class="plain">{impact}</ul>
            <h3>"Contract breaks"</h3>
            {r.contract_breaks.is_empty().then(|| view! { <p class="muted">"None: no enforced contract loses a column, a type or a constraint."</p> })}
            <ul class="plain">{breaks}</ul>
            <ul class="plain">{problems}</ul>
        </div>
    }
}
