//! Writing about issues: a new issue, and one issue opened — its text and comments, local triage,
//! and a comment, a label or a close queued in the outbox like every write to GitHub.

use crate::api;
use crate::view_helpers::{action_error, error_panel, settled};
use leptos::prelude::*;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{
    InboxDto, IssueDetailDto, IssueState, OutboxItemDto, OutboxWriteDto, Triage,
};

/// Queues a write to GitHub for a repository: (repository, write).
type Enqueue = Action<(String, OutboxWriteDto), Result<OutboxItemDto, ErrorDto>>;

/// An action that queues writes in the outbox; `queued` runs once one is in, and the page
/// re-reads (`tick`) whenever one completes.
fn enqueue(tick: RwSignal<u64>, queued: impl Fn() + Copy + 'static) -> Enqueue {
    Action::new_local(move |(repo, write): &(String, OutboxWriteDto)| {
        let (repo, write) = (repo.clone(), write.clone());
        async move {
            let result = api::outbox_enqueue(&repo, &write).await;
            if result.is_ok() {
                queued();
            }
            tick.update(|t| *t += 1);
            result
        }
    })
}

/// "Queued: …" once the last write is in, or why it is not (`testid`-error).
fn queued_line(
    action: Enqueue,
    ok_testid: &'static str,
    error_testid: &'static str,
) -> impl IntoView {
    move || {
        settled(action).map(|result| match result {
            Ok(item) => view! {
                <p class="muted" data-testid=ok_testid>
                    {format!("Queued: {} — it goes out with the next sync.", item.summary)}
                </p>
            }
            .into_any(),
            Err(e) => {
                view! { <p class="error" role="alert" data-testid=error_testid>{e.message}</p> }
                    .into_any()
            }
        })
    }
}

/// A new issue on a followed repository, queued in the outbox like every write.
#[component]
pub fn NewIssue(
    list: LocalResource<Result<InboxDto, ErrorDto>>,
    tick: RwSignal<u64>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let (repo, title, body, labels) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let queue = enqueue(tick, move || {
        title.set(String::new());
        body.set(String::new());
        labels.set(String::new());
        open.set(false);
    });
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
        queue.dispatch((chosen, write));
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
                <button type="submit" data-testid="new-issue-queue" disabled=move || queue.pending().get()>"Queue issue"</button>
                <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
            </form>
        </Show>
        {queued_line(queue, "new-issue-outcome", "new-issue-error")}
    }
}

/// One issue: its content refreshes; the forms below it stay put (typed text survives).
#[component]
pub fn IssueView(repo: String, number: u64, tick: RwSignal<u64>) -> impl IntoView {
    let repo = StoredValue::new(repo);
    let (comment, label) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let queue = enqueue(tick, move || {
        comment.set(String::new());
        label.set(String::new());
    });
    let triage = Action::new_local(move |state: &Triage| {
        let (repo, state) = (repo.get_value(), *state);
        async move {
            let result = api::set_triage(&repo, number, state).await;
            tick.update(|t| *t += 1);
            result
        }
    });
    let detail = LocalResource::new(move || {
        tick.track();
        let repo = repo.get_value();
        async move { api::issue_detail(&repo, number).await }
    });
    let closed = move || {
        detail
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|d| d.issue.state == IssueState::Closed)
    };
    let send = move |write: OutboxWriteDto| {
        queue.dispatch((repo.get_value(), write));
    };
    let send_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(OutboxWriteDto::Comment {
            number,
            body: comment.get_untracked(),
        });
    };
    let add_label = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(OutboxWriteDto::AddLabels {
            number,
            labels: vec![label.get_untracked().trim().to_string()],
        });
    };
    view! {
        <article class="issue-detail" data-testid="issue-detail">
            <Transition fallback=|| view! { <p class="muted">"Opening the issue…"</p> }>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        detail.await.map(|d| view! { <IssueBody d triage /> })
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
                        let state = if closed() { IssueState::Open } else { IssueState::Closed };
                        send(OutboxWriteDto::SetState { number, state })
                    }
                >
                    {move || if closed() { "Reopen" } else { "Close" }}
                </button>
            </form>
            {queued_line(queue, "issue-outcome", "issue-error")}
        </article>
    }
}

/// The issue as last read; `triage` sets its local triage (the page re-reads when it is done).
#[component]
fn IssueBody(d: IssueDetailDto, triage: Action<Triage, Result<(), ErrorDto>>) -> impl IntoView {
    let current = d.issue.triage;
    let triage_buttons = Triage::ALL
        .into_iter()
        .map(|state| {
            let active = current == state;
            view! {
                <button
                    class="chip"
                    class:active=active
                    data-testid=format!("triage-{state}")
                    disabled=move || triage.pending().get()
                    on:click=move |_| {
                        triage.dispatch(state);
                    }
                >
                    {state.as_str()}
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
    let is_incident = d.issue.labels.iter().any(|l| l == "incident");
    view! {
        <h2 data-testid="issue-detail-title">
            {format!("{}#{} ", d.issue.repo, d.issue.number)} {d.issue.title}
        </h2>
        <p class="muted">
            {format!("{} · opened by {} · updated {} · {}", d.issue.state, d.issue.author, d.issue.updated_at, d.html_url)}
        </p>
        <div class="chips">
            {d.issue.labels.iter().map(|l| view! { <span class="badge">{l.clone()}</span> }).collect_view()}
        </div>
        <div class="chips" data-testid="triage">"Triage: " {triage_buttons}</div>
        {action_error(triage, "triage-error")}
        {is_incident.then(|| view! { <IncidentSignals repo=d.issue.repo.clone() number=d.issue.number /> })}
        <pre class="issue-text" data-testid="issue-body">{d.body}</pre>
        <ul class="comments">{comments}</ul>
    }
}

/// An incident issue raised by the alert engine: its state and its signals, from the store.
#[component]
fn IncidentSignals(repo: String, number: u64) -> impl IntoView {
    let detail = LocalResource::new(move || {
        let repo = repo.clone();
        async move { crate::api::incident_of_issue(&repo, number).await }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some(d)) => {
                        let signals = d
                            .signals
                            .into_iter()
                            .take(50)
                            .map(|s| view! {
                                <li data-testid="incident-signal">
                                    <span class=format!("badge sev-{}", s.severity)>{s.severity.clone()}</span>" "
                                    <code>{s.node.clone()}</code>" — "{s.kind.replace('_', " ")}
                                    {s.failures.map(|f| format!(" ({f} failing rows)"))}
                                    <span class="muted">{format!(" · {}", s.at)}</span>
                                </li>
                            })
                            .collect_view();
                        view! {
                            <div class="incident-panel" data-testid="issue-incident" data-state=d.incident.state.clone()>
                                <strong>{format!("Incident, {}", d.incident.state)}</strong>
                                <span class="muted">{format!(" · {} signals, {} explained upstream · since {}", d.incident.signals, d.incident.suppressed.len(), d.incident.opened_at)}</span>
                                <ul class="plain">{signals}</ul>
                            </div>
                        }
                        .into_any()
                    }
                    Ok(None) => view! { <p class="muted">"An incident issue not raised from this Studio."</p> }.into_any(),
                    Err(e) => view! { <p class="error-inline">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
