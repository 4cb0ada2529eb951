//! The inbox list: the filters (which stay put while the list refreshes) and the issues.

use crate::api;
use crate::view_helpers::action_error;
use leptos::prelude::*;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{InboxDto, InboxFilterDto, IssueRowDto, IssueState, Triage};

fn options(values: Vec<String>, any: &'static str, chosen: String) -> impl IntoView {
    view! {
        <option value="" selected=chosen.is_empty()>{any}</option>
        {values
            .into_iter()
            .map(|v| {
                let (text, selected) = (v.clone(), v == chosen);
                view! { <option value=v selected=selected>{text}</option> }
            })
            .collect_view()}
    }
}

/// The filters stay put while the list refreshes (typed text and open menus survive); their
/// menus fill from the latest list.
#[component]
pub fn Filters(
    list: LocalResource<Result<InboxDto, ErrorDto>>,
    filter: RwSignal<InboxFilterDto>,
    draft_query: RwSignal<String>,
) -> impl IntoView {
    let latest = move |pick: fn(&InboxDto) -> Vec<String>| {
        list.get()
            .and_then(|r| r.ok())
            .map(|inbox| pick(&inbox))
            .unwrap_or_default()
    };
    let set = move |change: fn(&mut InboxFilterDto, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            filter.update(|f| change(f, value));
        }
    };
    // Stop following a repository (its synced issues leave this laptop; GitHub is not touched).
    let unfollow = Action::new_local(move |repo: &String| {
        let repo = repo.clone();
        async move {
            let result = api::inbox_unfollow(&repo).await;
            list.refetch();
            result
        }
    });
    let repos_line = move || {
        list.get()
            .and_then(|r| r.ok())
            .map(|inbox| {
                inbox
                    .repos
                    .into_iter()
                    .map(|r| {
                        let line = match &r.last_error {
                            Some(e) => {
                                format!("{}: {} (last sync failed: {e})", r.repo, issues(r.issues))
                            }
                            None if r.synced_at.is_none() => format!("{}: not synced yet", r.repo),
                            None => format!("{}: {}", r.repo, issues(r.issues)),
                        };
                        let line = match &r.renamed_from {
                            Some(old) => format!("{line} (renamed on GitHub from {old})"),
                            None => line,
                        };
                        let repo = r.repo.clone();
                        view! {
                            <span class="inbox-repo" data-testid="inbox-repo" data-repo=r.repo.clone()>
                                {line} " "
                                <button class="link" data-testid="inbox-unfollow" data-tip="Stop following; its issues leave this laptop"
                                    disabled=move || unfollow.pending().get()
                                    on:click=move |_| { unfollow.dispatch(repo.clone()); }>"unfollow"</button>
                                " · "
                            </span>
                        }
                    })
                    .collect_view()
            })
    };
    let who = move || {
        list.get()
            .and_then(|r| r.ok())
            .and_then(|inbox| inbox.signed_in_as)
            .map(|login| format!("assigned to {login}"))
            .unwrap_or_else(|| "nobody signed in".into())
    };
    view! {
        <div class="filters" data-testid="inbox-filters">
            <input
                type="search"
                data-testid="inbox-search"
                placeholder="Search titles, bodies and comments"
                prop:value=move || draft_query.get()
                on:input=move |ev| draft_query.set(event_target_value(&ev))
                on:change=set(|f, v| f.query = v)
            />
            <select data-testid="inbox-filter-repo" on:change=set(|f, v| f.repo = v)>
                {move || options(latest(|i| i.repos.iter().map(|r| r.repo.clone()).collect()), "All repositories", filter.with(|f| f.repo.clone()))}
            </select>
            <select data-testid="inbox-filter-label" on:change=set(|f, v| f.label = v)>
                {move || options(latest(|i| i.labels.clone()), "Any label", filter.with(|f| f.label.clone()))}
            </select>
            <select data-testid="inbox-filter-state" on:change=set(|f, v| f.state = IssueState::parse(&v))>
                {move || options(vec!["open".into(), "closed".into()], "Open and closed", filter.with(|f| f.state.map(|s| s.as_str().to_string()).unwrap_or_default()))}
            </select>
            <select data-testid="inbox-filter-assignee" on:change=set(|f, v| f.assignee = v)>
                {move || options(latest(|i| i.assignees.clone()), "Anyone", filter.with(|f| f.assignee.clone()))}
            </select>
            <select data-testid="inbox-filter-triage" on:change=set(|f, v| f.triage = Triage::parse(&v))>
                {move || options(Triage::ALL.iter().map(|s| s.to_string()).collect(), "Any triage", filter.with(|f| f.triage.map(|t| t.as_str().to_string()).unwrap_or_default()))}
            </select>
            <label data-tip=who>
                <input
                    type="checkbox"
                    data-testid="inbox-filter-mine"
                    prop:checked=move || filter.with(|f| f.mine)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        filter.update(|f| f.mine = on);
                    }
                />
                " Mine"
            </label>
        </div>
        <p class="muted" data-testid="inbox-repos">{repos_line}</p>
        {action_error(unfollow, "inbox-unfollow-error")}
    }
}

/// The issues that match the filters; a click opens one.
#[component]
pub fn IssueList(inbox: InboxDto, selected: RwSignal<Option<(String, u64)>>) -> impl IntoView {
    if inbox.repos.is_empty() {
        return view! {
            <p class="empty" data-testid="inbox-empty">
                "Follow a repository above (owner/name) to bring its issues here; the GitHub repositories your domains come from are followed on their own at the next sync."
            </p>
        }
        .into_any();
    }
    let shown = inbox.issues.len();
    let rows = inbox
        .issues
        .into_iter()
        .map(|issue| view! { <IssueRow issue selected /> })
        .collect_view();
    view! {
        <p class="muted" data-testid="inbox-count">
            {issues(inbox.total)}
            {(inbox.total as usize > shown).then(|| format!(" (first {shown} shown; narrow with the filters)"))}
        </p>
        <ul class="issue-list" data-testid="inbox-list">{rows}</ul>
    }
    .into_any()
}

#[component]
fn IssueRow(issue: IssueRowDto, selected: RwSignal<Option<(String, u64)>>) -> impl IntoView {
    let key = (issue.repo.clone(), issue.number);
    let is_selected = {
        let key = key.clone();
        move || selected.with(|s| s.as_ref() == Some(&key))
    };
    view! {
        <li
            class="issue-row"
            class:unread=issue.unread
            class:selected=is_selected
            data-testid="inbox-issue"
            data-number=issue.number.to_string()
            data-unread=issue.unread.to_string()
            data-triage=issue.triage.as_str()
            on:click=move |_| selected.set(Some(key.clone()))
        >
            <span class="unread-dot" aria-label=if issue.unread { "unread" } else { "" }>
                {if issue.unread { "●" } else { "" }}
            </span>
            <span class="issue-ref">{format!("{}#{}", issue.repo, issue.number)}</span>
            <span class="issue-title" data-testid="inbox-issue-title">{issue.title}</span>
            {issue.labels.iter().any(|l| l == "incident").then(|| view! { <span class="badge incident" data-testid="inbox-incident">"incident"</span> })}
            {issue.labels.into_iter().filter(|l| l != "incident").map(|l| view! { <span class="badge">{l}</span> }).collect_view()}
            <span class=format!("badge triage-{}", issue.triage) data-testid="inbox-issue-triage">{issue.triage.as_str()}</span>
            <span class="muted">{if issue.state == IssueState::Closed { "closed" } else { "" }}</span>
        </li>
    }
}

/// "1 issue", "40 issues".
fn issues(n: u64) -> String {
    if n == 1 {
        "1 issue".into()
    } else {
        format!("{n} issues")
    }
}
