//! The writes waiting for GitHub: state, last error, retry and cancel.

use crate::api;
use crate::view_helpers::{action_error, error_panel};
use leptos::prelude::*;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::{OutboxItemDto, OutboxState};

/// What the person does to a waiting write: retry it or cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolve {
    Retry,
    Cancel,
}

#[component]
pub fn Outbox(tick: RwSignal<u64>) -> impl IntoView {
    let items = LocalResource::new(move || {
        tick.track();
        api::outbox_list()
    });
    // Lives here, not in the rows: the rows are rebuilt on every refresh.
    let resolve = Action::new_local(move |&(seq, how): &(i64, Resolve)| async move {
        let result = match how {
            Resolve::Retry => api::outbox_retry(seq).await,
            Resolve::Cancel => api::outbox_cancel(seq).await,
        };
        tick.update(|t| *t += 1);
        result
    });
    view! {
        <section class="outbox" data-testid="outbox">
            <h2>"Outbox"</h2>
            {action_error(resolve, "outbox-action-error")}
            <Transition fallback=|| ()>
                <ErrorBoundary fallback=error_panel>
                    {move || Suspend::new(async move {
                        items.await.map(|list| {
                            if list.is_empty() {
                                return view! { <p class="muted" data-testid="outbox-empty">"Nothing waiting for GitHub."</p> }.into_any();
                            }
                            view! {
                                <ul>{list.into_iter().map(|w| view! { <OutboxRow w resolve /> }).collect_view()}</ul>
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
fn OutboxRow(
    w: OutboxItemDto,
    resolve: Action<(i64, Resolve), Result<(), ErrorDto>>,
) -> impl IntoView {
    let seq = w.seq;
    let busy = move || resolve.pending().get();
    let can_retry = w.state == OutboxState::Failed;
    let can_cancel = matches!(w.state, OutboxState::Queued | OutboxState::Failed);
    view! {
        <li class="outbox-item" data-testid="outbox-item" data-state=w.state.as_str()>
            <span class=format!("badge outbox-{}", w.state) data-testid="outbox-state">{w.state.as_str()}</span>
            " " <span>{format!("{} · {}", w.repo, w.summary)}</span>
            {(w.attempts > 0).then(|| format!(" · {} attempts", w.attempts))}
            {w.last_error.map(|e| view! { <span class="error" data-testid="outbox-error">{format!(" — {e}")}</span> })}
            {w.url.map(|u| view! { <span class="muted">{format!(" {u}")}</span> })}
            {can_retry.then(|| view! {
                <button data-testid="outbox-retry" disabled=busy on:click=move |_| { resolve.dispatch((seq, Resolve::Retry)); }>"Retry"</button>
            })}
            {can_cancel.then(|| view! {
                <button data-testid="outbox-cancel" disabled=busy on:click=move |_| { resolve.dispatch((seq, Resolve::Cancel)); }>"Cancel"</button>
            })}
        </li>
    }
}
