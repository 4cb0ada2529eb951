//! The Inbox: incident issues of the followed repositories, read from the local store (so it works
//! with the network off) — filters, full-text search, an issue with its comments, local triage,
//! unread markers — and the outbox of writes waiting for GitHub. Issue text is untrusted: it is
//! shown as text, never as markup.

use crate::api;
use crate::app::Area;
use crate::view_helpers::error_panel;
use leptos::prelude::*;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{
    InboxDto, InboxFilterDto, IssueDetailDto, IssueRowDto, OutboxItemDto, OutboxWriteDto,
};

/// How often the page re-reads the store (the shell syncs with GitHub in the background).
const REFRESH_MS: u64 = 2_000;
const TRIAGE: [&str; 4] = ["new", "acknowledged", "investigating", "resolved"];

#[component]
pub fn InboxPage() -> impl IntoView {
    let filter = RwSignal::new(InboxFilterDto::default());
    let tick = RwSignal::new(0u64);
    let selected = RwSignal::new(None::<(String, u64)>);
    // Typed text lives above the views that the refresh re-renders, so nothing typed is lost.
    let draft_query = RwSignal::new(String::new());
    if let Ok(timer) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || timer.clear());
    }
    let list = LocalResource::new(move || {
        let f = filter.get();
        tick.track();
        async move { api::inbox(&f).await }
    });
    // Set by the last sync from this page; repositories say it for background syncs.
    let sync_wants_sign_in = RwSignal::new(false);
    let sign_in_needed = move || {
        sync_wants_sign_in.get()
            || list
                .get()
                .and_then(|r| r.ok())
                .is_some_and(|inbox| inbox.repos.iter().any(|r| r.sign_in_needed))
    };
    view! {
        <section data-testid="page-inbox" class="inbox">
            <header class="page-header">
                <h1>"Inbox"</h1>
                <p class="hint">
                    "Incidents raised as GitHub issues in the repositories you follow. Everything here is read from this laptop; your writes wait in the outbox until GitHub can be reached."
                </p>
            </header>
            <SyncBar tick sync_wants_sign_in />
            <Show when=sign_in_needed>
                <SignInPrompt />
            </Show>
            <NewIssue list tick />
            <Filters list filter draft_query />
            <Transition fallback=|| view! { <p class="muted">"Reading the inbox…"</p> }>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        list.await.map(|inbox| view! { <IssueList inbox selected /> })
                    })}
                </ErrorBoundary>
            </Transition>
            {move || selected.get().map(|(repo, number)| view! { <IssueView repo number tick /> })}
            <Outbox tick />
        </section>
    }
}

/// Follow a repository, sync now, and how the last sync went.
/// A new issue on a followed repository, queued in the outbox like every write.
#[component]
fn NewIssue(list: LocalResource<Result<InboxDto, ErrorDto>>, tick: RwSignal<u64>) -> impl IntoView {
    let open = RwSignal::new(false);
    let (repo, title, body, labels) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let outcome = RwSignal::new(None::<Result<String, ErrorDto>>);
    let repos = move || {
        list.get()
            .and_then(|r| r.ok())
            .map(|inbox| inbox.repos.into_iter().map(|r| r.repo).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = repo.get_untracked();
        let chosen = if chosen.is_empty() {
            repos().into_iter().next().unwrap_or_default()
        } else {
            chosen
        };
        let write = OutboxWriteDto::CreateIssue {
            title: title.get_untracked(),
            body: body.get_untracked(),
            labels: labels
                .get_untracked()
                .split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
        };
        queue_write(chosen, write, outcome, tick, move || {
            title.set(String::new());
            body.set(String::new());
            labels.set(String::new());
            open.set(false);
        });
    };
    view! {
        <Show
            when=move || open.get()
            fallback=move || view! {
                <button data-testid="inbox-new-issue" on:click=move |_| open.set(true)>"New issue"</button>
            }
        >
            <form class="new-issue" data-testid="new-issue-form" on:submit=submit>
                <select data-testid="new-issue-repo" on:change=move |ev| repo.set(event_target_value(&ev))>
                    {move || repos().into_iter().map(|r| {
                        let selected = r == repo.get_untracked();
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    }).collect_view()}
                </select>
                <input
                    data-testid="new-issue-title"
                    placeholder="Title"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                <textarea
                    data-testid="new-issue-body"
                    placeholder="What happened (Markdown)"
                    prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))
                ></textarea>
                <input
                    data-testid="new-issue-labels"
                    placeholder="labels, comma-separated"
                    prop:value=move || labels.get()
                    on:input=move |ev| labels.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="new-issue-queue">"Queue issue"</button>
                <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
            </form>
        </Show>
        {move || outcome.get().map(|m| match m {
            Ok(text) => view! { <p class="muted" data-testid="new-issue-outcome">{text}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="new-issue-error">{e.message}</p> }.into_any(),
        })}
    }
}

/// Queues a write in the outbox, says so (or why not) in `outcome`, and runs `queued` once it is in.
fn queue_write(
    repo: String,
    write: OutboxWriteDto,
    outcome: RwSignal<Option<Result<String, ErrorDto>>>,
    tick: RwSignal<u64>,
    queued: impl FnOnce() + 'static,
) {
    leptos::task::spawn_local(async move {
        let result = api::outbox_enqueue(&repo, &write)
            .await
            .map(|w| format!("Queued: {} — it goes out with the next sync.", w.summary));
        if result.is_ok() {
            queued();
        }
        outcome.set(Some(result));
        tick.update(|t| *t += 1);
    });
}

/// GitHub refused the token (or nobody is signed in): one click to Settings to sign in again.
#[component]
fn SignInPrompt() -> impl IntoView {
    let area = use_context::<RwSignal<Area>>();
    view! {
        <div class="error-inline" role="alert" data-testid="inbox-sign-in-prompt">
            "GitHub does not accept your sign-in (it was revoked or has expired, or nobody is signed in). Your issues stay readable here and your writes wait in the outbox. "
            <button data-testid="inbox-sign-in" on:click=move |_| {
                if let Some(area) = area {
                    area.set(Area::Settings)
                }
            }>"Sign in again"</button>
        </div>
    }
}

#[component]
fn SyncBar(tick: RwSignal<u64>, sync_wants_sign_in: RwSignal<bool>) -> impl IntoView {
    let repo = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, ErrorDto>>);
    let syncing = RwSignal::new(false);
    let sync = move || {
        syncing.set(true);
        leptos::task::spawn_local(async move {
            let outcome = api::inbox_sync().await.map(|r| {
                sync_wants_sign_in.set(r.sign_in_needed);
                let mut text = if r.repos == 0 && !r.errors.is_empty() {
                    "Not synced:".to_string()
                } else {
                    format!(
                        "Synced {} repositories: {} issues and {} comments updated, {} outbox writes delivered.",
                        r.repos, r.issues, r.comments, r.delivered
                    )
                };
                for n in r.notices.iter().chain(&r.errors) {
                    text.push_str(&format!(" {n}"));
                }
                text
            });
            message.set(Some(outcome));
            syncing.set(false);
            tick.update(|t| *t += 1);
        });
    };
    let follow = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = repo.get_untracked();
        leptos::task::spawn_local(async move {
            match api::inbox_follow(&name).await {
                Ok(followed) => {
                    repo.set(String::new());
                    message.set(Some(Ok(format!("Following {followed}; syncing…"))));
                    sync();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=follow>
            <input
                data-testid="inbox-follow-input"
                placeholder="owner/repository"
                prop:value=move || repo.get()
                on:input=move |ev| repo.set(event_target_value(&ev))
            />
            <button type="submit" data-testid="inbox-follow">"Follow"</button>
            <button
                type="button"
                data-testid="inbox-sync"
                disabled=move || syncing.get()
                on:click=move |_| sync()
            >
                {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
            </button>
        </form>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="muted" data-testid="inbox-sync-result">{text}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="inbox-error">{e.message}</p> }.into_any(),
        })}
    }
}

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
fn Filters(
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
    let repos_line = move || {
        list.get()
            .and_then(|r| r.ok())
            .map(|inbox| {
                inbox
                    .repos
                    .iter()
                    .map(|r| {
                        let line = match &r.last_error {
                            Some(e) => {
                                format!("{}: {} (last sync failed: {e})", r.repo, issues(r.issues))
                            }
                            None if r.synced_at.is_none() => format!("{}: not synced yet", r.repo),
                            None => format!("{}: {}", r.repo, issues(r.issues)),
                        };
                        match &r.renamed_from {
                            Some(old) => format!("{line} (renamed on GitHub from {old})"),
                            None => line,
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default()
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
            <select data-testid="inbox-filter-state" on:change=set(|f, v| f.state = v)>
                {move || options(vec!["open".into(), "closed".into()], "Open and closed", filter.with(|f| f.state.clone()))}
            </select>
            <select data-testid="inbox-filter-assignee" on:change=set(|f, v| f.assignee = v)>
                {move || options(latest(|i| i.assignees.clone()), "Anyone", filter.with(|f| f.assignee.clone()))}
            </select>
            <select data-testid="inbox-filter-triage" on:change=set(|f, v| f.triage = v)>
                {move || options(TRIAGE.iter().map(|s| s.to_string()).collect(), "Any triage", filter.with(|f| f.triage.clone()))}
            </select>
            <label title=who>
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
    }
}

#[component]
fn IssueList(inbox: InboxDto, selected: RwSignal<Option<(String, u64)>>) -> impl IntoView {
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
            data-triage=issue.triage.clone()
            on:click=move |_| selected.set(Some(key.clone()))
        >
            <span class="unread-dot" aria-label=if issue.unread { "unread" } else { "" }>
                {if issue.unread { "●" } else { "" }}
            </span>
            <span class="issue-ref">{format!("{}#{}", issue.repo, issue.number)}</span>
            <span class="issue-title" data-testid="inbox-issue-title">{issue.title}</span>
            {issue.labels.into_iter().map(|l| view! { <span class="badge">{l}</span> }).collect_view()}
            <span class=format!("badge triage-{}", issue.triage) data-testid="inbox-issue-triage">{issue.triage.clone()}</span>
            <span class="muted">{if issue.state == "closed" { "closed" } else { "" }}</span>
        </li>
    }
}

/// One issue: its content refreshes; the forms below it stay put (typed text survives).
#[component]
fn IssueView(repo: String, number: u64, tick: RwSignal<u64>) -> impl IntoView {
    let repo = StoredValue::new(repo);
    let (comment, label) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let outcome = RwSignal::new(None::<Result<String, ErrorDto>>);
    let detail = LocalResource::new(move || {
        tick.track();
        let repo = repo.get_value();
        async move { api::issue_detail(&repo, number).await }
    });
    let closed = move || {
        detail
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|d| d.issue.state == "closed")
    };
    let queue = move |write: OutboxWriteDto| {
        queue_write(repo.get_value(), write, outcome, tick, move || {
            comment.set(String::new());
            label.set(String::new());
        });
    };
    let send_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        queue(OutboxWriteDto::Comment {
            number,
            body: comment.get_untracked(),
        });
    };
    let add_label = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        queue(OutboxWriteDto::AddLabels {
            number,
            labels: vec![label.get_untracked().trim().to_string()],
        });
    };
    view! {
        <article class="issue-detail" data-testid="issue-detail">
            <Transition fallback=|| view! { <p class="muted">"Opening the issue…"</p> }>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        detail.await.map(|d| view! { <IssueBody d tick outcome /> })
                    })}
                </ErrorBoundary>
            </Transition>
            <form class="inline-form" on:submit=send_comment>
                <textarea
                    data-testid="issue-comment-input"
                    placeholder="Comment (queued in the outbox, sent when GitHub can be reached)"
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))
                ></textarea>
                <button type="submit" data-testid="issue-comment-send">"Comment"</button>
            </form>
            <form class="inline-form" on:submit=add_label>
                <input
                    data-testid="issue-label-input"
                    placeholder="label"
                    prop:value=move || label.get()
                    on:input=move |ev| label.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="issue-label-add">"Add label"</button>
                <button
                    type="button"
                    data-testid="issue-close"
                    on:click=move |_| {
                        let state = if closed() { "open" } else { "closed" };
                        queue(OutboxWriteDto::SetState { number, state: state.into() })
                    }
                >
                    {move || if closed() { "Reopen" } else { "Close" }}
                </button>
            </form>
            {move || outcome.get().map(|m| match m {
                Ok(text) => view! { <p class="muted" data-testid="issue-outcome">{text}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="issue-error">{e.message}</p> }.into_any(),
            })}
        </article>
    }
}

#[component]
fn IssueBody(
    d: IssueDetailDto,
    tick: RwSignal<u64>,
    outcome: RwSignal<Option<Result<String, ErrorDto>>>,
) -> impl IntoView {
    let (repo, number) = (StoredValue::new(d.issue.repo.clone()), d.issue.number);
    let triage_now = RwSignal::new(d.issue.triage.clone());
    let triage_buttons = TRIAGE
        .into_iter()
        .map(|state| {
            view! {
                <button
                    class="chip"
                    class:active=move || triage_now.get() == state
                    data-testid=format!("triage-{state}")
                    on:click=move |_| {
                        let repo = repo.get_value();
                        leptos::task::spawn_local(async move {
                            match api::set_triage(&repo, number, state).await {
                                Ok(()) => triage_now.set(state.to_string()),
                                Err(e) => outcome.set(Some(Err(e))),
                            }
                            tick.update(|t| *t += 1);
                        });
                    }
                >
                    {state}
                </button>
            }
        })
        .collect_view();
    let comments = d
        .comments
        .into_iter()
        .map(|c| {
            view! {
                <li class="comment" class:pending=c.pending data-testid=if c.pending { "issue-comment-pending" } else { "issue-comment" }>
                    <div class="muted">
                        {c.author} " " {c.created_at}
                        {c.pending.then(|| view! { <span class="badge">"in the outbox"</span> })}
                    </div>
                    <pre class="issue-text">{c.body}</pre>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2 data-testid="issue-detail-title">
            {format!("{}#{} ", d.issue.repo, d.issue.number)} {d.issue.title}
        </h2>
        <p class="muted">
            {format!("{} · opened by {} · updated {} · {}", d.issue.state, d.issue.author, d.issue.updated_at, d.html_url)}
        </p>
        <div class="chips">
            {d.issue.labels.into_iter().map(|l| view! { <span class="badge">{l}</span> }).collect_view()}
        </div>
        <div class="chips" data-testid="triage">"Triage: " {triage_buttons}</div>
        <pre class="issue-text" data-testid="issue-body">{d.body}</pre>
        <ul class="comments">{comments}</ul>
    }
}

/// The writes waiting for GitHub: state, last error, retry and cancel.
#[component]
fn Outbox(tick: RwSignal<u64>) -> impl IntoView {
    let items = LocalResource::new(move || {
        tick.track();
        api::outbox_list()
    });
    view! {
        <section class="outbox" data-testid="outbox">
            <h2>"Outbox"</h2>
            <Transition fallback=|| ()>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        items.await.map(|list| {
                            if list.is_empty() {
                                return view! { <p class="muted" data-testid="outbox-empty">"Nothing waiting for GitHub."</p> }.into_any();
                            }
                            view! {
                                <ul>{list.into_iter().map(|w| view! { <OutboxRow w tick /> }).collect_view()}</ul>
                            }
                            .into_any()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn OutboxRow(w: OutboxItemDto, tick: RwSignal<u64>) -> impl IntoView {
    let seq = w.seq;
    let act = move |retry: bool| {
        leptos::task::spawn_local(async move {
            let _ = if retry {
                api::outbox_retry(seq).await
            } else {
                api::outbox_cancel(seq).await
            };
            tick.update(|t| *t += 1);
        });
    };
    let can_retry = w.state == "failed";
    let can_cancel = matches!(w.state.as_str(), "queued" | "failed");
    view! {
        <li class="outbox-item" data-testid="outbox-item" data-state=w.state.clone()>
            <span class=format!("badge outbox-{}", w.state) data-testid="outbox-state">{w.state.clone()}</span>
            " " <span>{format!("{} · {}", w.repo, w.summary)}</span>
            {(w.attempts > 0).then(|| format!(" · {} attempts", w.attempts))}
            {w.last_error.map(|e| view! { <span class="error" data-testid="outbox-error">{format!(" — {e}")}</span> })}
            {w.url.map(|u| view! { <span class="muted">{format!(" {u}")}</span> })}
            {can_retry.then(|| view! { <button data-testid="outbox-retry" on:click=move |_| act(true)>"Retry"</button> })}
            {can_cancel.then(|| view! { <button data-testid="outbox-cancel" on:click=move |_| act(false)>"Cancel"</button> })}
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
