//! The Inbox: incident issues of the followed repositories, read from the local store (so it works
//! with the network off) — filters, full-text search, an issue with its comments, local triage,
//! unread markers — and the outbox of writes waiting for GitHub. Issue text is untrusted: it is
//! shown as text, never as markup.
//!
//! Everything on the page re-reads on one `tick`: every few seconds (the shell syncs with GitHub
//! in the background) and whenever one of the page's writes completes.

mod issue;
mod list;
mod outbox;

use crate::api;
use crate::area::Area;
use crate::view_helpers::error_panel;
use issue::{IssueView, NewIssue};
use leptos::prelude::*;
use list::{Filters, IssueList};
use outbox::Outbox;
use vibedata_protocol::ErrorDto;
use vibedata_protocol::inbox::InboxFilterDto;

/// How often the page re-reads the store (the shell syncs with GitHub in the background).
const REFRESH_MS: u64 = 2_000;

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
                <SignInPrompt signed_in=Signal::derive(move || {
                    list.get().and_then(|r| r.ok()).is_some_and(|i| i.signed_in)
                }) />
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

/// Nobody is signed in, or GitHub refused the token: one click to Settings to sign in (again).
#[component]
fn SignInPrompt(signed_in: Signal<bool>) -> impl IntoView {
    let area = use_context::<RwSignal<Area>>();
    view! {
        <div class="error-inline" role="alert" data-testid="inbox-sign-in-prompt" data-signed-in=move || signed_in.get().to_string()>
            {move || if signed_in.get() {
                "GitHub no longer accepts your sign-in (it was revoked or has expired). Your issues stay readable here and your writes wait in the outbox. "
            } else {
                "Sign in to GitHub to sync the issues of the repositories you follow. Your writes wait in the outbox until then. "
            }}
            <button data-testid="inbox-sign-in" on:click=move |_| {
                if let Some(area) = area {
                    area.set(Area::Settings)
                }
            }>{move || if signed_in.get() { "Sign in again" } else { "Sign in to GitHub" }}</button>
        </div>
    }
}

/// Follow a repository, sync now, and how the last of the two went (one line, the latest news).
#[component]
fn SyncBar(tick: RwSignal<u64>, sync_wants_sign_in: RwSignal<bool>) -> impl IntoView {
    let repo = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, ErrorDto>>);
    let sync = Action::new_local(move |_: &()| async move {
        let outcome = api::inbox_sync().await.map(|r| {
            sync_wants_sign_in.set(r.sign_in_needed);
            if r.sign_in_needed {
                // The sign-in note below says why, once.
                return "Not synced.".to_string();
            }
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
        message.set(Some(outcome.clone()));
        tick.update(|t| *t += 1);
        outcome
    });
    let follow = Action::new_local(move |name: &String| {
        let name = name.clone();
        async move {
            let outcome = api::inbox_follow(&name).await;
            match &outcome {
                Ok(followed) => {
                    repo.set(String::new());
                    message.set(Some(Ok(format!("Following {followed}; syncing…"))));
                    sync.dispatch(());
                }
                Err(e) => message.set(Some(Err(e.clone()))),
            }
            outcome
        }
    });
    let syncing = move || sync.pending().get();
    let on_follow = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        follow.dispatch(repo.get_untracked());
    };
    let on_sync = move |_| {
        message.set(None);
        sync.dispatch(());
    };
    view! {
        <form class="inline-form" on:submit=on_follow>
            <input
                data-testid="inbox-follow-input"
                placeholder="owner/repository"
                prop:value=move || repo.get()
                on:input=move |ev| repo.set(event_target_value(&ev))
            />
            <button type="submit" data-testid="inbox-follow" disabled=move || follow.pending().get()>"Follow"</button>
            <button
                type="button"
                data-testid="inbox-sync"
                disabled=syncing
                on:click=on_sync
            >
                {move || if syncing() { "Syncing…" } else { "Sync now" }}
            </button>
        </form>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="muted" data-testid="inbox-sync-result">{text}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="inbox-error">{e.message}</p> }.into_any(),
        })}
    }
}
